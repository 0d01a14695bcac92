/**
 * Defences against membership inference, each measured on test accuracy and on the attacks:
 * rounded and label-only releases of the same model, and targets retrained with early stopping,
 * augmentation and DP-SGD (whose ε comes from the RDP accountant). The reference models of the
 * deployed audit are reused from the cache.
 *
 * @example
 * ```ts
 * import { DEFENCE_ATTACKS } from "./defences.ts";
 * console.log(DEFENCE_ATTACKS.length); // 4
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { evaluate } from "../../nn/eval.ts";
import { dpEpsilon, dpSchedule } from "../../nn/dpsgd.ts";
import type { MembershipAudit } from "../../attacks/audit.ts";
import { labelOnlyRelease, roundedRelease } from "../../attacks/defences.ts";
import { attackByName, type AuditSetting, membershipAudit } from "./audits.ts";

/** The attacks whose AUC each defence row reports. */
export const DEFENCE_ATTACKS = ["loss threshold", "label only", "LiRA online", "RMIA"] as const;

/** One row of `paper_a_defences`. */
export interface DefenceRow {
  /** The defence. */
  defence: string;
  /** Accuracy of the (possibly retrained) target on the test split. */
  "test accuracy": number;
  /** AUC of the loss-threshold attack. */
  "loss threshold AUC": number;
  /** AUC of the label-only attack. */
  "label only AUC": number;
  /** AUC of the online LiRA. */
  "LiRA online AUC": number;
  /** AUC of RMIA. */
  "RMIA AUC": number;
  /** TPR of the online LiRA at 1 % FPR. */
  "LiRA online TPR@1%FPR": number;
  /** What was changed. */
  note: string;
}

/** The DP-SGD target's privacy accounting. */
export interface DpSummary {
  /** ε at `delta`. */
  epsilon: number;
  /** δ. */
  delta: number;
  /** RDP order at which ε is attained. */
  order: number;
  /** Poisson sampling rate. */
  q: number;
  /** Optimiser steps. */
  steps: number;
  /** Noise multiplier σ. */
  noiseMultiplier: number;
  /** Per-record clipping norm. */
  clip: number;
  /** Test accuracy of the DP-SGD target. */
  accuracy: number;
  /** Online-LiRA AUC against it. */
  liraAuc: number;
}

/** What {@linkcode defenceStudy} measured. */
export interface DefenceStudy {
  /** One row per defence, the undefended model first. */
  rows: DefenceRow[];
  /** The DP-SGD accounting. */
  dp: DpSummary;
  /** Test accuracy of the undefended deployed tiny CNN. */
  deployedAccuracy: number;
}

/**
 * @param name the defence
 * @param audit its audit
 * @param accuracy the target's test accuracy
 * @param note what was changed
 * @returns the table row
 * @example
 * ```ts
 * import { defenceRow } from "./defences.ts";
 * import type { MembershipAudit } from "../../attacks/audit.ts";
 * const names = ["loss threshold", "label only", "LiRA online", "RMIA"];
 * const attacks = names.map((attack) => ({ attack, metrics: { auc: 0.5, tprAt1pct: 0.01 } }));
 * const row = defenceRow("none", { attacks, controls: [] } as unknown as MembershipAudit, 0.9, "");
 * console.log(row["RMIA AUC"], row["LiRA online TPR@1%FPR"]); // 0.5 0.01
 * ```
 */
export function defenceRow(
  name: string,
  audit: MembershipAudit,
  accuracy: number,
  note: string,
): DefenceRow {
  const auc = (a: (typeof DEFENCE_ATTACKS)[number]) => attackByName(audit, a).metrics.auc;
  return {
    defence: name,
    "test accuracy": accuracy,
    "loss threshold AUC": auc("loss threshold"),
    "label only AUC": auc("label only"),
    "LiRA online AUC": auc("LiRA online"),
    "RMIA AUC": auc("RMIA"),
    "LiRA online TPR@1%FPR": attackByName(audit, "LiRA online").metrics.tprAt1pct,
    note,
  };
}

/**
 * Audits the release defences and the retrained targets, in a fixed order (rounding, label only,
 * early stopping, augmentation, DP-SGD); every retrained target is disposed afterwards.
 *
 * @param setting data, sizes, seed, cache
 * @param deployed the audit of the undefended tiny CNN (its target is kept)
 * @returns the rows and the DP-SGD accounting
 * @example
 * ```ts ignore
 * import { defenceStudy } from "./defences.ts";
 * const { rows, dp } = await defenceStudy(setting, audits.cnn);
 * console.log(rows.length, dp.epsilon > 0); // 6 true
 * ```
 */
export async function defenceStudy(
  setting: AuditSetting,
  deployed: MembershipAudit,
): Promise<DefenceStudy> {
  const { cfg, data } = setting;
  const accOf = (m: tf.LayersModel) => evaluate(m, data.test).accuracy;
  const audit = (variant: Parameters<typeof membershipAudit>[2]) =>
    membershipAudit(setting, "cnn-tiny", variant);
  const rows: DefenceRow[] = [];
  const cnnAcc = accOf(deployed.target);
  rows.push(
    defenceRow("none (released probabilities)", deployed, cnnAcc, "float32 softmax released"),
  );
  const rounded = await audit({ release: roundedRelease(1) });
  rows.push(
    defenceRow("rounded outputs (1 decimal)", rounded, cnnAcc, "same model; outputs rounded"),
  );
  const labelOnly = await audit({ release: labelOnlyRelease });
  rows.push(
    defenceRow("label only (one-hot)", labelOnly, cnnAcc, "same model; only the label released"),
  );
  const early = await audit({ targetTrain: { ...cfg.train, validation: data.val, patience: 2 } });
  rows.push(
    defenceRow(
      "early stopping (val loss, patience 2)",
      early,
      accOf(early.target),
      "target retrained",
    ),
  );
  const augmented = await audit({
    targetTrain: { ...cfg.train, augment: { shift: 2, flip: true } },
  });
  rows.push(
    defenceRow(
      "augmentation (shift ±2, flips)",
      augmented,
      accOf(augmented.target),
      "target retrained",
    ),
  );
  for (const a of [rounded, labelOnly, early, augmented]) {
    if (a.target !== deployed.target) a.target.dispose();
  }
  // DP-SGD: same architecture and epochs, Poisson-sampled batches, per-record clipping, noise
  const dp = cfg.dp;
  const dpAudit = await audit({
    targetTrain: {
      ...cfg.train,
      batchSize: dp.batchSize,
      learningRate: dp.learningRate,
      dp: dp.dp,
    },
  });
  const plan = dpSchedule(
    dpAudit.targetKeep.reduce((a, b) => a + b, 0),
    dp.batchSize,
    cfg.train.epochs,
  );
  const eps = dpEpsilon({
    q: plan.q,
    noiseMultiplier: dp.dp.noiseMultiplier,
    steps: plan.steps,
    delta: dp.dp.delta,
  });
  const dpAcc = accOf(dpAudit.target);
  rows.push(defenceRow(
    `DP-SGD (ε = ${eps.epsilon.toFixed(2)} at δ = ${dp.dp.delta})`,
    dpAudit,
    dpAcc,
    `target retrained: clip ${dp.dp.clip}, σ ${dp.dp.noiseMultiplier}, q ${
      plan.q.toFixed(4)
    }, ${plan.steps} steps, RDP accountant (order ${eps.order})`,
  ));
  dpAudit.target.dispose();
  return {
    rows,
    deployedAccuracy: cnnAcc,
    dp: {
      epsilon: eps.epsilon,
      delta: dp.dp.delta,
      order: eps.order,
      q: plan.q,
      steps: plan.steps,
      noiseMultiplier: dp.dp.noiseMultiplier,
      clip: dp.dp.clip,
      accuracy: dpAcc,
      liraAuc: attackByName(dpAudit, "LiRA online").metrics.auc,
    },
  };
}
