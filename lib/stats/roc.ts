/**
 * ROC analysis for attacks and classifiers: the ROC curve, AUC with a DeLong or bootstrap
 * interval, TPR at a fixed low FPR (with the smallest FPR the sample can resolve), the best
 * balanced accuracy over thresholds.
 *
 * Scores follow one convention everywhere: **higher score = more likely positive** (for a
 * membership attack, "member").
 *
 * @example
 * ```ts
 * import { attackMetrics } from "./roc.ts";
 * const m = attackMetrics([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]);
 * console.log(m.auc); // 1
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { normalQuantile } from "./special.ts";

function check(scores: ArrayLike<number>, labels: ArrayLike<number>): [number, number] {
  if (scores.length !== labels.length) {
    throw new MedCryptError(
      "size-mismatch",
      `${scores.length} scores but ${labels.length} labels`,
    );
  }
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new MedCryptError("bad-argument", `label ${i} is ${labels[i]}, not 0 or 1`);
    }
    if (Number.isNaN(scores[i])) throw new MedCryptError("bad-argument", `score ${i} is NaN`);
    pos += labels[i];
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) {
    throw new MedCryptError(
      "bad-argument",
      `ROC needs both classes; got ${pos} positives and ${neg} negatives`,
    );
  }
  return [pos, neg];
}

/** Mid-ranks (1-based, ties averaged) of `v`. */
function midranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]] === v[idx[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = mid;
    i = j + 1;
  }
  return r;
}

/**
 * Area under the ROC curve (the Mann–Whitney statistic; ties count one half).
 *
 * @param scores higher = more likely positive
 * @param labels 1 positive, 0 negative
 * @returns AUC in [0, 1]
 * @example
 * ```ts
 * import { rocAuc } from "./roc.ts";
 * console.log(rocAuc([0.2, 0.4, 0.6, 0.8], [0, 1, 0, 1])); // 0.75
 * ```
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const [pos, neg] = check(scores, labels);
  const r = midranks(scores);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) sum += r[i];
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** An interval estimate. */
export interface ConfidenceInterval {
  /** Point estimate. */
  estimate: number;
  /** Lower bound. */
  low: number;
  /** Upper bound. */
  high: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  /** How it was computed. */
  method: "delong" | "bootstrap";
}

/**
 * AUC with DeLong's (1988) asymptotic interval (the fast O(n log n) form of Sun & Xu 2014).
 *
 * @param scores higher = more likely positive
 * @param labels 1 positive, 0 negative
 * @param level confidence level (default 0.95)
 * @returns the AUC and its interval, clipped to [0, 1]
 * @example
 * ```ts
 * import { aucDeLong } from "./roc.ts";
 * const ci = aucDeLong([0.1, 0.4, 0.35, 0.8, 0.7, 0.2], [0, 0, 1, 1, 1, 0]);
 * console.log(ci.low <= ci.estimate && ci.estimate <= ci.high); // true
 * ```
 */
export function aucDeLong(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  level = 0.95,
): ConfidenceInterval {
  const [m, n] = check(scores, labels);
  const posS: number[] = [], negS: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? posS : negS).push(scores[i]);
  const rAll = midranks(scores);
  const rPos = midranks(posS), rNeg = midranks(negS);
  const v10 = new Float64Array(m), v01 = new Float64Array(n);
  let pi = 0, ni = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      v10[pi] = (rAll[i] - rPos[pi]) / n;
      pi++;
    } else {
      v01[ni] = 1 - (rAll[i] - rNeg[ni]) / m;
      ni++;
    }
  }
  const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;
  const auc = mean(v10);
  const variance = (a: Float64Array, mu: number) =>
    a.length > 1 ? a.reduce((s, x) => s + (x - mu) ** 2, 0) / (a.length - 1) : 0;
  const se = Math.sqrt(variance(v10, auc) / m + variance(v01, auc) / n);
  const z = normalQuantile(0.5 + level / 2);
  return {
    estimate: auc,
    low: Math.max(0, auc - z * se),
    high: Math.min(1, auc + z * se),
    level,
    method: "delong",
  };
}

/**
 * AUC with a stratified percentile bootstrap interval (positives and negatives resampled
 * separately, seeded).
 *
 * @param scores higher = more likely positive
 * @param labels 1 positive, 0 negative
 * @param options resamples (default 1000), level (0.95), seed (1)
 * @returns the AUC and its interval
 * @example
 * ```ts
 * import { aucBootstrap } from "./roc.ts";
 * const ci = aucBootstrap([0.1, 0.4, 0.35, 0.8, 0.7, 0.2], [0, 0, 1, 1, 1, 0], { resamples: 200 });
 * console.log(ci.method, ci.low <= ci.high); // "bootstrap" true
 * ```
 */
export function aucBootstrap(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { resamples?: number; level?: number; seed?: number } = {},
): ConfidenceInterval {
  check(scores, labels);
  const { resamples = 1000, level = 0.95, seed = 1 } = options;
  const pos: number[] = [], neg: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? pos : neg).push(scores[i]);
  const rng = new Rng(seed);
  const s = new Float64Array(pos.length + neg.length);
  const l = new Uint8Array(pos.length + neg.length);
  l.fill(1, 0, pos.length);
  const aucs = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < pos.length; i++) s[i] = pos[rng.int(pos.length)];
    for (let i = 0; i < neg.length; i++) s[pos.length + i] = neg[rng.int(neg.length)];
    aucs[b] = rocAuc(s, l);
  }
  aucs.sort();
  const q = (p: number) => aucs[Math.min(resamples - 1, Math.max(0, Math.floor(p * resamples)))];
  return {
    estimate: rocAuc(scores, labels),
    low: q((1 - level) / 2),
    high: q(1 - (1 - level) / 2),
    level,
    method: "bootstrap",
  };
}

/** Points of a ROC curve, from (0, 0) to (1, 1). */
export interface RocCurve {
  /** False-positive rates, non-decreasing. */
  fpr: Float64Array;
  /** True-positive rates. */
  tpr: Float64Array;
  /** Threshold of each point: "positive" means `score >= threshold`. */
  thresholds: Float64Array;
}

/**
 * The ROC curve (one point per distinct score).
 *
 * @param scores higher = more likely positive
 * @param labels 1 positive, 0 negative
 * @returns the curve
 * @example
 * ```ts
 * import { rocCurve } from "./roc.ts";
 * const c = rocCurve([0.9, 0.1], [1, 0]);
 * console.log(Array.from(c.tpr), Array.from(c.fpr)); // [0, 1, 1] [0, 0, 1]
 * ```
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const [pos, neg] = check(scores, labels);
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) =>
    scores[b] - scores[a]
  );
  const fpr = [0], tpr = [0], th = [Infinity];
  let tp = 0, fp = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (labels[i] === 1) tp++;
    else fp++;
    if (k + 1 === idx.length || scores[idx[k + 1]] !== scores[i]) {
      fpr.push(fp / neg);
      tpr.push(tp / pos);
      th.push(scores[i]);
    }
  }
  return {
    fpr: Float64Array.from(fpr),
    tpr: Float64Array.from(tpr),
    thresholds: Float64Array.from(th),
  };
}

/**
 * Highest TPR at FPR ≤ `maxFpr` (Carlini et al. 2022's headline metric).
 *
 * @param curve a ROC curve
 * @param maxFpr the FPR budget, e.g. 0.01
 * @returns the TPR (0 when no threshold reaches FPR ≤ maxFpr with a positive)
 * @example
 * ```ts
 * import { rocCurve, tprAtFpr } from "./roc.ts";
 * console.log(tprAtFpr(rocCurve([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]), 0.01)); // 0.5
 * ```
 */
export function tprAtFpr(curve: RocCurve, maxFpr: number): number {
  let best = 0;
  for (let i = 0; i < curve.fpr.length; i++) {
    if (curve.fpr[i] <= maxFpr + 1e-12 && curve.tpr[i] > best) best = curve.tpr[i];
  }
  return best;
}

/**
 * The best balanced accuracy `(TPR + TNR) / 2` over all thresholds (optimistic: the threshold
 * is chosen with the labels; use it as an upper bound on a threshold attack).
 *
 * @param curve a ROC curve
 * @returns balanced accuracy in [0.5, 1]
 * @example
 * ```ts
 * import { bestBalancedAccuracy, rocCurve } from "./roc.ts";
 * console.log(bestBalancedAccuracy(rocCurve([0.9, 0.1], [1, 0]))); // 1
 * ```
 */
export function bestBalancedAccuracy(curve: RocCurve): number {
  let best = 0.5;
  for (let i = 0; i < curve.fpr.length; i++) {
    best = Math.max(best, (curve.tpr[i] + 1 - curve.fpr[i]) / 2);
  }
  return best;
}

/** The headline numbers of a membership (or any binary) attack. */
export interface AttackMetrics {
  /** AUC. */
  auc: number;
  /** Lower end of the 95% DeLong interval. */
  aucLow: number;
  /** Upper end of the 95% DeLong interval. */
  aucHigh: number;
  /** Best balanced accuracy over thresholds (optimistic). */
  balancedAccuracy: number;
  /** TPR at FPR ≤ 1%. */
  tprAt1pct: number;
  /** TPR at FPR ≤ 0.1%; `NaN` when the sample cannot resolve 0.1% (fewer than 1000 negatives). */
  tprAt01pct: number;
  /** The smallest non-zero FPR the sample resolves, `1 / negatives`. */
  minFpr: number;
  /** Number of positives (members). */
  positives: number;
  /** Number of negatives (non-members). */
  negatives: number;
}

/**
 * All headline attack metrics at once.
 *
 * @param scores higher = more likely positive (member)
 * @param labels 1 member, 0 non-member
 * @returns {@linkcode AttackMetrics}
 * @example
 * ```ts
 * import { attackMetrics } from "./roc.ts";
 * const m = attackMetrics([0.2, 0.4, 0.6, 0.8], [0, 1, 0, 1]);
 * console.log(m.auc, m.minFpr); // 0.75 0.5
 * ```
 */
export function attackMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>): AttackMetrics {
  const ci = aucDeLong(scores, labels);
  const curve = rocCurve(scores, labels);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i];
  const neg = labels.length - pos;
  return {
    auc: ci.estimate,
    aucLow: ci.low,
    aucHigh: ci.high,
    balancedAccuracy: bestBalancedAccuracy(curve),
    tprAt1pct: neg >= 100 ? tprAtFpr(curve, 0.01) : NaN,
    tprAt01pct: neg >= 1000 ? tprAtFpr(curve, 0.001) : NaN,
    minFpr: 1 / neg,
    positives: pos,
    negatives: neg,
  };
}
