/**
 * Paper A's computed notes: the DP-SGD accounting, the setting, HE cost beside the paper's
 * numbers, peak memory, what each position's attack achieved, the controls and the most exposed
 * records.
 *
 * @example
 * ```ts
 * import { dpNote } from "./notes.ts";
 * const dp = { epsilon: 3.2, delta: 1e-5, order: 8, q: 0.05, steps: 160, noiseMultiplier: 1, clip: 1, accuracy: 0.8, liraAuc: 0.51 };
 * console.log(dpNote(dp).startsWith("DP-SGD target: ε = 3.20 at δ = 0.00001")); // true
 * ```
 * @module
 */
import { median } from "../../stats/mod.ts";
import { type DeployedAudits, liraMetrics } from "./audits.ts";
import type { CiphertextAttack, CiphertextMethod } from "./ciphertext_attacks.ts";
import type { DpSummary } from "./defences.ts";
import { PAPER_A_REPORTED, type PaperAConfig } from "./options.ts";
import type { MethodRun, PipelineServices } from "./pipelines.ts";

/**
 * @param dp the DP-SGD accounting
 * @returns one sentence on the DP-SGD target's ε, accuracy and attack AUC
 * @example
 * ```ts
 * import { dpNote } from "./notes.ts";
 * const dp = { epsilon: 1, delta: 1e-5, order: 8, q: 0.05, steps: 10, noiseMultiplier: 1, clip: 1, accuracy: 0.8, liraAuc: 0.5 };
 * console.log(dpNote(dp).endsWith("LiRA online AUC 0.500.")); // true
 * ```
 */
export function dpNote(dp: DpSummary): string {
  return `DP-SGD target: ε = ${
    dp.epsilon.toFixed(2)
  } at δ = ${dp.delta} (RDP of the Poisson-sampled Gaussian mechanism, ${dp.steps} steps, q = ${
    dp.q.toFixed(4)
  }, σ = ${dp.noiseMultiplier}, clip ${dp.clip}); test accuracy ${
    dp.accuracy.toFixed(3)
  }, LiRA online AUC ${dp.liraAuc.toFixed(3)}.`;
}

/** What the run's notes are computed from. */
export interface PaperANoteInputs {
  /** The tfjs backend. */
  backend: string;
  /** Sizes of the run. */
  cfg: PaperAConfig;
  /** Pool and population sizes. */
  sizes: { pool: number; population: number };
  /** The services (HE setup time). */
  setup: PipelineServices;
  /** The pipeline runs. */
  runs: readonly MethodRun[];
  /** The deployed audits. */
  audits: DeployedAudits;
  /** The ciphertext-only attacks. */
  ciphertext: Record<CiphertextMethod, CiphertextAttack>;
  /** Seconds since the run started. */
  totalS: number;
}

/**
 * @param inp what the notes are computed from
 * @returns the notes, in order
 * @example
 * ```ts ignore
 * import { paperANotes } from "./notes.ts";
 * console.log(paperANotes(inputs).at(-1)); // Total 180 s.
 * ```
 */
export function paperANotes(inp: PaperANoteInputs): string[] {
  const { cfg, runs, audits, ciphertext } = inp;
  const he = runs.find((r) => r.method === "HE")!;
  const liraCnn = liraMetrics(audits.cnn), liraHe = liraMetrics(audits.he);
  const members = audits.cnn.targetKeep.reduce((a, b) => a + b, 0);
  const highRisk = audits.cnn.risk.filter((r, i) => audits.cnn.targetKeep[i] === 1 && r > 0.9)
    .length;
  return [
    `Backend ${inp.backend}; ${cfg.refModels} reference models per audit; pool = the ${inp.sizes.pool}-image train split, each model trains on a seeded half; population for RMIA = the ${inp.sizes.population}-image test split.`,
    `HE (${cfg.hePreset}): median ${
      median(he.latencyMs).toFixed(0)
    } ms/image one at a time (paper: ${PAPER_A_REPORTED.heLatencyMs} ms), batched ${
      he.batchImagesPerS.toFixed(1)
    } img/s (paper: ${PAPER_A_REPORTED.heThroughput}); key generation + server setup ${
      inp.setup.heSetupMs.toFixed(0)
    } ms, not in the per-image latency.`,
    `Peak memory is never 0 MB: peak RSS during the runs was ${
      runs.map((r) => `${r.method} ${r.peakRssMb.toFixed(0)} MB`).join(", ")
    } (whole process, Linux VmHWM reset before each method).`,
    `MIA from the client/API position, LiRA online: cnn-tiny AUC ${liraCnn.auc.toFixed(3)} [${
      liraCnn.aucLow.toFixed(3)
    }, ${liraCnn.aucHigh.toFixed(3)}], he-cnn ${
      liraHe.auc.toFixed(3)
    }; encryption does not change what the client or an API user sees, so it is the same for Plaintext, AES and AES+RSA.`,
    `Ciphertext-only positions (AES/AES+RSA/HE eavesdropper, HE server): AUC ${
      Object.entries(ciphertext).map(([m, v]) =>
        `${m} ${v.auc.toFixed(3)} [${v.low.toFixed(3)}, ${v.high.toFixed(3)}]`
      ).join(", ")
    } — ${
      Object.values(ciphertext).every((v) => v.low <= 0.5 && 0.5 <= v.high)
        ? "every 95 % interval contains 0.5: chance, as it must be"
        : "NOT every 95 % interval contains 0.5: look at the threat-model table"
    }.`,
    `Controls (mean of 25 draws): ${
      audits.cnn.controls.map((c) => `${c.attack} ${c.meanAuc!.toFixed(3)}`).join("; ")
    }.`,
    `${highRisk} of ${members} members of the cnn-tiny target have LiRA membership posterior > 0.9.`,
    `The paper's "MIA 50 %" and "inversion 40 %" for every method are quoted, not reproduced; the values measured here are in paper_a_comparison.`,
    `Total ${inp.totalS.toFixed(0)} s.`,
  ];
}
