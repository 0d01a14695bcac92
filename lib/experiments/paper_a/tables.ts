/**
 * Paper A's tables, one named field each, in the order they are written: the measured comparison,
 * the paper's reported numbers beside ours, the threat model, the membership attacks, the
 * defences, the inversions, and the classifiers the paper names. The file stems (`name`) are the
 * CSV names under `figures/paper-a/`; the row types name every column.
 *
 * @example
 * ```ts
 * import { attackRows } from "./tables.ts";
 * console.log(attackRows({ cnn: { attacks: [], controls: [] }, he: { attacks: [], controls: [] } } as never)); // []
 * ```
 * @module
 */
import * as aq from "arquero";
import type { NamedTable, RandomisedCells } from "../../report/types.ts";
import { median } from "../../stats/mod.ts";
import type { MembershipAudit } from "../../attacks/audit.ts";
import { type Method, METHODS, POSITIONS, viewBytes } from "../../pipeline/session.ts";
import { type DeployedAudits, liraMetrics } from "./audits.ts";
import { PAPER_A_REPORTED } from "./options.ts";
import type { MethodRun } from "./pipelines.ts";
import type { CiphertextAttack, CiphertextMethod } from "./ciphertext_attacks.ts";
import type { DefenceRow } from "./defences.ts";
import type { InversionRow, InversionStudy } from "./inversion.ts";

/** One row of `paper_a_comparison`. */
export interface ComparisonRow {
  method: Method;
  model: string;
  "latency median (ms)": number;
  "latency p95 (ms)": number;
  "throughput sequential (img/s)": number;
  "throughput batched (img/s)": number;
  "HE amortized, all slots filled (img/s)": number;
  "peak RSS (MB)": number;
  "RSS before (MB)": number;
  "tf memory peak (MB)": number;
  "SEAL heap (MB)": number;
  "accuracy (pipeline images)": number;
  "accuracy (468 test, plaintext model)": number;
  "labels = same model in the clear": number;
  "max |ΔP| vs same model in the clear": number;
  "MIA AUC (LiRA online, client/API)": number;
  "MIA AUC low": number;
  "MIA AUC high": number;
  "MIA TPR@1%FPR": number;
  "inversion SSIM gap (black box)": number;
  "inversion evaluator success (black box)": number;
  images: number;
}

/** The comparison's headline columns (what notebook 06 shows). */
export const COMPARISON_HEADLINE: readonly (keyof ComparisonRow)[] = [
  "method",
  "model",
  "latency median (ms)",
  "throughput sequential (img/s)",
  "throughput batched (img/s)",
  "peak RSS (MB)",
  "accuracy (468 test, plaintext model)",
  "MIA AUC (LiRA online, client/API)",
  "inversion evaluator success (black box)",
];

/** Test accuracy of the two deployed models on the whole test split. */
export interface DeployedAccuracy {
  /** Tiny CNN. */
  cnn: number;
  /** HE-friendly CNN. */
  he: number;
}

/**
 * @param runs the pipeline runs
 * @param audits the deployed audits
 * @param inversion the inversion study
 * @param accuracy the deployed models' test accuracy
 * @returns one comparison row per method
 * @example
 * ```ts
 * import { comparisonRows } from "./tables.ts";
 * console.log(comparisonRows([], {} as never, {} as never, { cnn: 0.9, he: 0.8 })); // []
 * ```
 */
export function comparisonRows(
  runs: readonly MethodRun[],
  audits: DeployedAudits,
  inversion: InversionStudy,
  accuracy: DeployedAccuracy,
): ComparisonRow[] {
  return runs.map((r) => {
    const he = r.method === "HE";
    const lira = liraMetrics(he ? audits.he : audits.cnn);
    const inv = (he ? inversion.he : inversion.cnn).summary;
    return {
      method: r.method,
      model: he ? "he-cnn (CKKS)" : "cnn-tiny",
      "latency median (ms)": median(r.latencyMs),
      "latency p95 (ms)": [...r.latencyMs].sort((a, b) => a - b)[
        Math.floor(0.95 * (r.latencyMs.length - 1))
      ],
      "throughput sequential (img/s)": r.sessions.length / r.wallS,
      "throughput batched (img/s)": r.batchImagesPerS,
      "HE amortized, all slots filled (img/s)": r.fullSlotsImagesPerS,
      "peak RSS (MB)": r.peakRssMb,
      "RSS before (MB)": r.rssBeforeMb,
      "tf memory peak (MB)": r.tfPeakMb,
      "SEAL heap (MB)": he ? r.sealHeapMb : 0,
      "accuracy (pipeline images)": r.accuracy,
      "accuracy (468 test, plaintext model)": he ? accuracy.he : accuracy.cnn,
      "labels = same model in the clear": r.agreeWithPlain,
      "max |ΔP| vs same model in the clear": r.maxProbDiff,
      "MIA AUC (LiRA online, client/API)": lira.auc,
      "MIA AUC low": lira.aucLow,
      "MIA AUC high": lira.aucHigh,
      "MIA TPR@1%FPR": lira.tprAt1pct,
      "inversion SSIM gap (black box)": inv.gap,
      "inversion evaluator success (black box)": inv.success,
      images: r.sessions.length,
    };
  });
}

/** One row of `paper_a_reported`: the paper's numbers (null = not reported) beside ours. */
export interface ReportedRow {
  method: Method;
  "paper latency (ms)": number | null;
  "paper throughput (img/s)": number | null;
  "paper peak memory (MB)": number;
  "paper MIA success (%)": number;
  "paper inversion success (%)": number;
  "ours latency median (ms)": number;
  "ours peak RSS (MB)": number;
  /** Peak RSS minus the RSS before the method's requests: what the method itself added. */
  "ours peak RSS increment (MB)": number;
  /** An AUC, not a success rate: 50 % is chance (the paper does not define its metric). */
  "ours MIA AUC (%, 50 = chance)": number;
  "ours inversion evaluator success (%)": number;
}

/**
 * @param runs the pipeline runs (one per method)
 * @param audits the deployed audits
 * @param inversion the inversion study
 * @returns one row per method of {@linkcode METHODS}
 * @example
 * ```ts ignore
 * import { reportedRows } from "./tables.ts";
 * console.log(reportedRows(runs, audits, inversion).at(-1)?.["paper latency (ms)"]); // 2518
 * ```
 */
export function reportedRows(
  runs: readonly MethodRun[],
  audits: DeployedAudits,
  inversion: InversionStudy,
): ReportedRow[] {
  return METHODS.map((m) => ({
    method: m,
    "paper latency (ms)": m === "HE" ? PAPER_A_REPORTED.heLatencyMs : null,
    "paper throughput (img/s)": m === "HE" ? PAPER_A_REPORTED.heThroughput : null,
    "paper peak memory (MB)": PAPER_A_REPORTED.peakMemoryMb,
    "paper MIA success (%)": PAPER_A_REPORTED.miaSuccessPct,
    "paper inversion success (%)": PAPER_A_REPORTED.inversionSuccessPct,
    "ours latency median (ms)": median(runs.find((r) => r.method === m)!.latencyMs),
    "ours peak RSS (MB)": runs.find((r) => r.method === m)!.peakRssMb,
    "ours peak RSS increment (MB)": runs.find((r) => r.method === m)!.peakRssMb -
      runs.find((r) => r.method === m)!.rssBeforeMb,
    "ours MIA AUC (%, 50 = chance)": 100 * liraMetrics(m === "HE" ? audits.he : audits.cnn).auc,
    "ours inversion evaluator success (%)": 100 *
      (m === "HE" ? inversion.he : inversion.cnn).summary.success,
  }));
}

/** The attack of positions that see only ciphertext. */
const CIPHERTEXT_ATTACK = "loss attack on ciphertext bytes read as an image";

/** Indices of the rows for which `pick` holds. */
function rowsWhere<R>(rows: readonly R[], pick: (r: R) => boolean): number[] {
  return rows.flatMap((r, i) => pick(r) ? [i] : []);
}

/**
 * The cells of paper A's tables that change from run to run of the same code, by design: the
 * attacks on ciphertext bytes read bytes made with fresh AES-GCM keys and nonces, RSA-OAEP
 * padding and CKKS encryption noise, and the HE outputs carry CKKS noise. Seeding them would mean
 * seeding WebCrypto and SEAL's encryptor, which the real components rightly do not allow.
 *
 * @param rows the typed rows
 * @returns the randomised cells of the comparison and the threat-model tables
 * @example
 * ```ts
 * import { randomisedCells } from "./tables.ts";
 * const cells = randomisedCells({ comparison: [{ method: "HE" }], threatModel: [] } as never);
 * console.log(cells.comparison[0].rows); // [ 0 ]
 * ```
 */
export function randomisedCells(
  rows: Pick<PaperATableRows, "comparison" | "threatModel">,
): { comparison: RandomisedCells[]; threatModel: RandomisedCells[] } {
  return {
    comparison: [{
      columns: ["max |ΔP| vs same model in the clear"],
      rows: rowsWhere(rows.comparison, (r) => r.method === "HE"),
      reason: "CKKS encryption noise (SEAL's encryptor draws fresh randomness)",
    }],
    threatModel: [{
      columns: ["MIA AUC", "AUC low", "AUC high"],
      rows: rowsWhere(rows.threatModel, (r) => r.attack === CIPHERTEXT_ATTACK),
      reason: "ciphertext bytes from fresh AES-GCM keys and nonces, RSA-OAEP padding, CKKS noise",
    }],
  };
}

/** One row of `paper_a_threat_model`. */
export interface ThreatRow {
  position: string;
  method: Method;
  sees: string;
  "bytes held (sample request)": number;
  attack: string;
  "MIA AUC": number;
  "AUC low": number;
  "AUC high": number;
  "model inversion": string;
}

/** The threat model's headline columns (what notebook 06 shows). */
export const THREAT_HEADLINE: readonly (keyof ThreatRow)[] = [
  "position",
  "method",
  "sees",
  "MIA AUC",
  "model inversion",
];

/** The attacks measured from each position. */
export interface PositionAttacks {
  /** Ciphertext-only attacks per encrypting method. */
  ciphertext: Record<CiphertextMethod, CiphertextAttack>;
  /** The storage attack without encryption. */
  plainStorageAuc: number;
}

/**
 * For each adversary position and method: what the position holds in a sample request, and the
 * membership attack measured from there.
 *
 * @param runs the pipeline runs (their first session is the sample request)
 * @param audits the deployed audits
 * @param attacks the ciphertext-only and storage attacks
 * @returns one row per position × method
 * @example
 * ```ts ignore
 * import { threatRows } from "./tables.ts";
 * console.log(threatRows(runs, audits, attacks).length); // 20
 * ```
 */
export function threatRows(
  runs: readonly MethodRun[],
  audits: DeployedAudits,
  attacks: PositionAttacks,
): ThreatRow[] {
  const rows: ThreatRow[] = [];
  const sample = (m: Method) => runs.find((r) => r.method === m)!.sessions[0];
  for (const pos of POSITIONS) {
    for (const m of METHODS) {
      const view = sample(m).views[pos.id];
      let attack: string, auc: number, low = NaN, high = NaN;
      if (pos.id === "storage") {
        attack = "exact search of the candidate scan in the stored bytes";
        auc = m === "Plaintext" || m === "HE"
          ? attacks.plainStorageAuc
          : attacks.ciphertext[m].storageAuc;
      } else if (view.kind === "image+output") {
        attack = "LiRA online (image + released output)";
        ({ auc, aucLow: low, aucHigh: high } = liraMetrics(m === "HE" ? audits.he : audits.cnn));
      } else {
        attack = CIPHERTEXT_ATTACK;
        ({ auc, low, high } = attacks.ciphertext[m as CiphertextMethod]);
      }
      rows.push({
        position: pos.name,
        method: m,
        sees: pos.id === "storage" && m === "HE"
          ? "the training set as stored: HE encrypts queries, not the training set (here: clear)"
          : view.note,
        "bytes held (sample request)": viewBytes(view).reduce((a, b) => a + b.length, 0),
        attack,
        "MIA AUC": auc,
        "AUC low": low,
        "AUC high": high,
        "model inversion": pos.id === "server"
          ? "white box possible (the server holds the model weights, also under HE)"
          : pos.id === "client" || pos.id === "apiUser"
          ? "black box from confidences"
          : "none (no model access from this position)",
      });
    }
  }
  return rows;
}

/** One row of `paper_a_attacks`. */
export interface AttackRow {
  model: "cnn-tiny" | "he-cnn";
  attack: string;
  AUC: number;
  "AUC low": number;
  "AUC high": number;
  "mean AUC over 25 draws (controls)": number | null;
  "balanced accuracy (best threshold)": number;
  "TPR@1%FPR": number;
  "TPR@0.1%FPR": number;
  "smallest resolvable FPR": number;
  members: number;
  "non-members": number;
  "reference models": number;
}

/**
 * @param audit one audit
 * @param model its model's name
 * @returns one row per attack and control of the audit
 * @example
 * ```ts
 * import { auditRows } from "./tables.ts";
 * console.log(auditRows({ attacks: [], controls: [] } as never, "cnn-tiny").length); // 0
 * ```
 */
export function auditRows(audit: MembershipAudit, model: AttackRow["model"]): AttackRow[] {
  return [...audit.attacks, ...audit.controls].map((a) => ({
    model,
    attack: a.attack,
    AUC: a.metrics.auc,
    "AUC low": a.metrics.aucLow,
    "AUC high": a.metrics.aucHigh,
    "mean AUC over 25 draws (controls)": a.meanAuc ?? null,
    "balanced accuracy (best threshold)": a.metrics.balancedAccuracy,
    "TPR@1%FPR": a.metrics.tprAt1pct,
    "TPR@0.1%FPR": a.metrics.tprAt01pct,
    "smallest resolvable FPR": a.metrics.minFpr,
    members: a.metrics.positives,
    "non-members": a.metrics.negatives,
    "reference models": audit.refModels,
  }));
}

/**
 * @param audits the deployed audits
 * @returns the attack rows of the tiny CNN, then of the HE-friendly CNN
 * @example
 * ```ts
 * import { attackRows } from "./tables.ts";
 * const empty = { attacks: [], controls: [] };
 * console.log(attackRows({ cnn: empty, he: empty } as never).length); // 0
 * ```
 */
export function attackRows(audits: DeployedAudits): AttackRow[] {
  return [...auditRows(audits.cnn, "cnn-tiny"), ...auditRows(audits.he, "he-cnn")];
}

/** Paper A's tables, one field each (written in field order). */
export type PaperATables = {
  /** `paper_a_comparison`: one row per method, measured. */
  comparison: NamedTable;
  /** `paper_a_reported`: the paper's numbers beside ours. */
  reported: NamedTable;
  /** `paper_a_threat_model`: what each position sees and the attack from there. */
  threatModel: NamedTable;
  /** `paper_a_attacks`: every membership attack and control. */
  attacks: NamedTable;
  /** `paper_a_defences`: accuracy and attack AUC per defence. */
  defences: NamedTable;
  /** `paper_a_inversion`: model inversion and its leakage. */
  inversion: NamedTable;
  /** `paper_a_models`: the classifiers the paper names. */
  models: NamedTable;
};

/** The typed rows the tables are made from. */
export interface PaperATableRows {
  /** Comparison rows. */
  comparison: readonly ComparisonRow[];
  /** Reported-beside-ours rows. */
  reported: readonly ReportedRow[];
  /** Threat-model rows. */
  threatModel: readonly ThreatRow[];
  /** Attack rows. */
  attacks: readonly AttackRow[];
  /** Defence rows. */
  defences: readonly DefenceRow[];
  /** Inversion rows. */
  inversion: readonly InversionRow[];
  /** The classifier table (of `paper-a-models`), renamed `paper_a_models`. */
  models: NamedTable;
}

/**
 * @param rows the typed rows
 * @returns the named tables
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { paperATables } from "./tables.ts";
 * const models = { name: "models", table: aq.table({ model: ["resnet"] }) };
 * const t = paperATables({ comparison: [], reported: [], threatModel: [], attacks: [], defences: [], inversion: [], models });
 * console.log(t.comparison.name, t.models.name); // paper_a_comparison paper_a_models
 * ```
 */
export function paperATables(rows: PaperATableRows): PaperATables {
  const randomised = randomisedCells(rows);
  return {
    comparison: {
      name: "paper_a_comparison",
      table: aq.from(rows.comparison),
      caption: "Paper A's comparison, measured here (one row per method)",
      randomised: randomised.comparison,
    },
    reported: {
      name: "paper_a_reported",
      table: aq.from(rows.reported),
      caption: "Paper A's reported numbers (quoted reference values) beside ours",
    },
    threatModel: {
      name: "paper_a_threat_model",
      table: aq.from(rows.threatModel),
      caption: "What each adversary position sees, and the attack success measured from there",
      randomised: randomised.threatModel,
    },
    attacks: {
      name: "paper_a_attacks",
      table: aq.from(rows.attacks),
      caption: "Membership-inference attacks and controls",
    },
    defences: {
      name: "paper_a_defences",
      table: aq.from(rows.defences),
      caption: "Defences: accuracy and attack AUC",
    },
    inversion: {
      name: "paper_a_inversion",
      table: aq.from(rows.inversion),
      caption: "Model inversion and its leakage",
    },
    models: { ...rows.models, name: "paper_a_models" },
  };
}
