/**
 * Model inversion of a deployed model (Fredrikson 2015): white box, as whoever holds the weights
 * can run it, and black box from confidences, as a client or API user can. Leakage is how much
 * closer the reconstructions are to the target's members than to non-members, and the verdict of
 * an evaluation classifier trained on the non-members only.
 *
 * @example
 * ```ts
 * import { INVERSION_CLASSES } from "./inversion.ts";
 * console.log(INVERSION_CLASSES.map((c) => c.name)); // [ "normal", "pneumonia" ]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { subset } from "../../datasets/medmnist.ts";
import { type MembershipAudit, trainOnMask } from "../../attacks/audit.ts";
import {
  evaluatorVerdict,
  type Inversion,
  inversionLeakage,
  invertBlackBox,
  invertWhiteBox,
} from "../../attacks/inversion.ts";
import type { AuditSetting, DeployedAudits } from "./audits.ts";

/** The classes inverted, in run order. */
export const INVERSION_CLASSES = [
  { cls: 0, name: "normal" },
  { cls: 1, name: "pneumonia" },
] as const;

/** How the attacker reaches the model. */
export type InversionMode = "white-box" | "black-box";

/** The deployed models, by name. */
export type DeployedModel = "cnn-tiny" | "he-cnn";

/** One row of `paper_a_inversion`. */
export interface InversionRow {
  /** The inverted model. */
  model: DeployedModel;
  /** The target class. */
  class: "normal" | "pneumonia";
  /** White or black box. */
  attack: InversionMode;
  /** Model queries (black box) or forward+backward passes (white box). */
  queries: number;
  /** Mean model confidence in the target class over the reconstructions. */
  "target confidence": number;
  /** Mean best SSIM of a reconstruction to the members of its class. */
  "SSIM to members": number;
  /** Mean best SSIM to the non-members. */
  "SSIM to non-members": number;
  /** Members minus non-members. */
  "SSIM gap": number;
  /** The same gap in PSNR. */
  "PSNR gap (dB)": number;
  /** Fraction of reconstructions whose nearest image is a member. */
  "nearest is member": number;
  /** Fraction the evaluation classifier assigns to the target class. */
  "evaluator success": number;
  /** Candidates per side. */
  candidates: number;
}

/** One reconstruction run, for the figures. */
export interface InversionRun {
  /** White or black box. */
  mode: InversionMode;
  /** The target class. */
  cls: number;
  /** The reconstructions. */
  inversion: Inversion;
}

/** Black-box averages of a model: what the comparison table reports. */
export interface InversionSummary {
  /** Mean SSIM gap over the classes. */
  gap: number;
  /** Mean evaluator success over the classes. */
  success: number;
}

/** What {@linkcode invertModel} measured. */
export interface ModelInversion {
  /** One row per class and mode. */
  rows: InversionRow[];
  /** The reconstructions, in row order. */
  runs: InversionRun[];
  /** The black-box averages. */
  summary: InversionSummary;
}

/**
 * Inverts one deployed model for both classes, white box then black box, and measures leakage.
 * The evaluation classifier trains (or loads from the cache) on the target's non-members.
 *
 * @param setting data, sizes, seed, cache
 * @param name the model's name
 * @param audit its membership audit (target and keep mask)
 * @returns rows, reconstructions and black-box averages
 * @example
 * ```ts ignore
 * import { invertModel } from "./inversion.ts";
 * const inv = await invertModel(setting, "cnn-tiny", audits.cnn);
 * console.log(inv.rows.map((r) => r.attack)); // [ "white-box", "black-box", "white-box", "black-box" ]
 * ```
 */
export async function invertModel(
  setting: AuditSetting,
  name: DeployedModel,
  audit: MembershipAudit,
): Promise<ModelInversion> {
  const { data: { train: pool }, cfg, seed, cacheDir } = setting;
  const members = (v: number) =>
    subset(
      pool,
      Int32Array.from([...audit.targetKeep.keys()].filter((i) => audit.targetKeep[i] === v)),
    );
  const mem = members(1), non = members(0);
  const evaluator = await trainOnMask(pool, Uint8Array.from(audit.targetKeep, (k) => 1 - k), {
    arch: "cnn-tiny",
    train: cfg.train,
    seed: seed + 555,
    cacheDir,
    name: `evaluator-${name}-s${seed}`,
  });
  const query = (imgs: Float32Array, n: number) =>
    tf.tidy(() =>
      (audit.target.predict(tf.tensor4d(imgs, [n, 28, 28, 1])) as tf.Tensor)
        .dataSync() as Float32Array
    );
  const rows: InversionRow[] = [];
  const runs: InversionRun[] = [];
  let gapSum = 0, succSum = 0, k = 0;
  for (const { cls, name: className } of INVERSION_CLASSES) {
    for (const mode of ["white-box", "black-box"] as const) {
      const options = { restarts: cfg.inversion.restarts, seed: seed + cls };
      const inversion = mode === "white-box"
        ? invertWhiteBox(audit.target, cls, { ...options, steps: cfg.inversion.whiteSteps })
        : invertBlackBox(query, 28, 2, cls, { ...options, steps: cfg.inversion.blackSteps });
      const leak = inversionLeakage(inversion, mem, non, { seed: seed + cls });
      const verdict = evaluatorVerdict(evaluator, inversion);
      rows.push({
        model: name,
        class: className,
        attack: mode,
        queries: inversion.queries,
        "target confidence": inversion.confidence.reduce((a, b) => a + b, 0) /
          inversion.confidence.length,
        "SSIM to members": leak.ssimMembers,
        "SSIM to non-members": leak.ssimNonMembers,
        "SSIM gap": leak.ssimGap,
        "PSNR gap (dB)": leak.psnrGap,
        "nearest is member": leak.nearestIsMember,
        "evaluator success": verdict.successRate,
        candidates: leak.candidates,
      });
      runs.push({ mode, cls, inversion });
      if (mode === "black-box") {
        gapSum += leak.ssimGap;
        succSum += verdict.successRate;
        k++;
      }
    }
  }
  evaluator.dispose();
  return { rows, runs, summary: { gap: gapSum / k, success: succSum / k } };
}

/** Both deployed models' inversions. */
export interface InversionStudy {
  /** Tiny CNN (its reconstructions are drawn). */
  cnn: ModelInversion;
  /** HE-friendly CNN. */
  he: ModelInversion;
}

/**
 * Inverts the tiny CNN, then the HE-friendly CNN.
 *
 * @param setting data, sizes, seed, cache
 * @param audits the deployed audits
 * @returns both inversions
 * @example
 * ```ts ignore
 * import { inversionStudy } from "./inversion.ts";
 * const inv = await inversionStudy(setting, audits);
 * console.log(inv.cnn.rows.length + inv.he.rows.length); // 8
 * ```
 */
export async function inversionStudy(
  setting: AuditSetting,
  audits: DeployedAudits,
): Promise<InversionStudy> {
  const cnn = await invertModel(setting, "cnn-tiny", audits.cnn);
  const he = await invertModel(setting, "he-cnn", audits.he);
  return { cnn, he };
}
