/**
 * Evaluation of a binary classifier on a labelled set: accuracy, balanced accuracy, ROC AUC with
 * a DeLong interval, confusion matrix, Brier score, expected calibration error, reliability bins
 * and figure.
 *
 * @example
 * ```ts
 * import { evaluateProbs } from "./eval.ts";
 * const r = evaluateProbs(Float32Array.from([0.9, 0.1, 0.2, 0.8]), Uint8Array.from([0, 1]));
 * console.log(r.accuracy, r.auc); // 1 1
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import type { LabeledSet } from "../datasets/medmnist.ts";
import {
  balancedAccuracy,
  brierScore,
  confusionMatrix,
  expectedCalibrationError,
} from "../stats/classification.ts";
import { aucDeLong } from "../stats/roc.ts";
import { predictProbs } from "./train.ts";

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Lower edge of the bin of predicted probability (of class 1). */
  low: number;
  /** Upper edge. */
  high: number;
  /** Number of predictions in the bin. */
  count: number;
  /** Mean predicted probability in the bin. */
  meanPredicted: number;
  /** Observed fraction of class 1 in the bin. */
  observed: number;
}

/** The evaluation of a binary classifier. */
export interface Evaluation {
  /** Number of images. */
  n: number;
  /** Fraction correct (argmax). */
  accuracy: number;
  /** Mean of the per-class recalls. */
  balancedAccuracy: number;
  /** ROC AUC of the class-1 probability. */
  auc: number;
  /** 95% DeLong interval of the AUC. */
  aucLow: number;
  /** 95% DeLong interval of the AUC. */
  aucHigh: number;
  /** `confusion[true][predicted]`. */
  confusion: number[][];
  /** Brier score of the class-1 probability. */
  brier: number;
  /** Expected calibration error (10 equal-width bins). */
  ece: number;
  /** Reliability diagram bins. */
  reliability: ReliabilityBin[];
  /** The class-1 probabilities. */
  probs: Float32Array;
  /** Decision threshold on P(class 1) of the `…AtThreshold` fields (0.5 unless given). */
  threshold: number;
  /** Fraction correct when predicting class 1 iff P(class 1) > `threshold`. */
  accuracyAtThreshold: number;
  /** Balanced accuracy at `threshold`. */
  balancedAccuracyAtThreshold: number;
  /** `confusion[true][predicted]` at `threshold`. */
  confusionAtThreshold: number[][];
}

/**
 * The decision threshold on P(class 1) that maximises balanced accuracy on a labelled set — meant
 * for a validation split, never the test split. Candidates are the midpoints between consecutive
 * distinct probabilities; ties go to the one closest to 0.5.
 *
 * @param p1 class-1 probabilities
 * @param labels 0/1 labels
 * @returns the threshold (0.5 when the set has a single class)
 * @example
 * ```ts
 * import { chooseThreshold } from "./eval.ts";
 * console.log(chooseThreshold(Float32Array.from([0.6, 0.7, 0.9, 0.95]), [0, 0, 1, 1])); // 0.8
 * ```
 */
export function chooseThreshold(p1: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = labels.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i] ? 1 : 0;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return 0.5;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p1[a] - p1[b]);
  // threshold below everything: all predicted 1
  let tp = pos, tn = 0;
  let best = 0.5, bestScore = -1;
  const consider = (t: number) => {
    const score = (tp / pos + tn / neg) / 2;
    if (
      score > bestScore + 1e-12 ||
      (Math.abs(score - bestScore) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(best - 0.5))
    ) {
      bestScore = score;
      best = t;
    }
  };
  consider(Math.min(0.5, p1[order[0]] / 2));
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (labels[i]) tp--;
    else tn++;
    if (k + 1 < n && p1[order[k + 1]] === p1[i]) continue;
    const next = k + 1 < n ? p1[order[k + 1]] : (1 + p1[i]) / 2;
    consider((p1[i] + next) / 2);
  }
  return best;
}

/**
 * Evaluates class probabilities against labels (binary).
 *
 * @param probs `n × 2` probabilities, row-major
 * @param labels `n` labels (0/1)
 * @param bins reliability bins (default 10)
 * @param threshold decision threshold of the `…AtThreshold` fields (default 0.5)
 * @returns the {@linkcode Evaluation}
 * @example
 * ```ts
 * import { evaluateProbs } from "./eval.ts";
 * const r = evaluateProbs(Float32Array.from([0.4, 0.6, 0.7, 0.3]), Uint8Array.from([1, 1]));
 * console.log(r.accuracy, r.confusion); // 0.5 [[0, 0], [1, 1]]
 * ```
 */
export function evaluateProbs(
  probs: Float32Array,
  labels: ArrayLike<number>,
  bins = 10,
  threshold = 0.5,
): Evaluation {
  const n = labels.length;
  if (probs.length !== 2 * n) {
    throw new MedCryptError(
      "size-mismatch",
      `${probs.length} probabilities for ${n} labels; expected ${2 * n} (binary)`,
    );
  }
  const p1 = new Float32Array(n);
  const pred = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    p1[i] = probs[2 * i + 1];
    pred[i] = probs[2 * i + 1] > probs[2 * i] ? 1 : 0;
  }
  let ok = 0, pos = 0;
  for (let i = 0; i < n; i++) {
    if (pred[i] === labels[i]) ok++;
    pos += labels[i];
  }
  const both = pos > 0 && pos < n;
  const ci = both ? aucDeLong(p1, labels) : { estimate: NaN, low: NaN, high: NaN };
  const reliability: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const low = b / bins, high = (b + 1) / bins;
    let count = 0, sp = 0, sy = 0;
    for (let i = 0; i < n; i++) {
      const bin = Math.min(bins - 1, Math.floor(p1[i] * bins));
      if (bin === b) {
        count++;
        sp += p1[i];
        sy += labels[i];
      }
    }
    reliability.push({
      low,
      high,
      count,
      meanPredicted: count ? sp / count : NaN,
      observed: count ? sy / count : NaN,
    });
  }
  const predT = Uint8Array.from(p1, (v) => (v > threshold ? 1 : 0));
  let okT = 0;
  for (let i = 0; i < n; i++) if (predT[i] === labels[i]) okT++;
  return {
    n,
    accuracy: ok / n,
    balancedAccuracy: both ? balancedAccuracy(labels, pred, 2) : NaN,
    auc: ci.estimate,
    aucLow: ci.low,
    aucHigh: ci.high,
    confusion: confusionMatrix(labels, pred, 2),
    brier: brierScore(labels, p1),
    ece: expectedCalibrationError(labels, p1, bins),
    reliability,
    probs: p1,
    threshold,
    accuracyAtThreshold: okT / n,
    balancedAccuracyAtThreshold: both ? balancedAccuracy(labels, predT, 2) : NaN,
    confusionAtThreshold: confusionMatrix(labels, predT, 2),
  };
}

/**
 * Runs `model` on every image of `set` and evaluates it.
 *
 * @param model a binary softmax classifier
 * @param set images and labels
 * @param options decision threshold of the `…AtThreshold` fields (default 0.5)
 * @returns the {@linkcode Evaluation}
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * import { evaluate } from "./eval.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * const { val } = await loadPneumoniaMNIST();
 * const r = evaluate(buildModel("mlp", { width: 4 }), val);
 * console.log(r.n); // 270
 * ```
 */
export function evaluate(
  model: tf.LayersModel,
  set: LabeledSet,
  options: { threshold?: number } = {},
): Evaluation {
  return evaluateProbs(predictProbs(model, set), labelsOf(set), 10, options.threshold);
}

/**
 * The first label of every record of a set.
 *
 * @param set a labelled set
 * @returns `n` labels
 * @example
 * ```ts
 * import { labelsOf } from "./eval.ts";
 * const s = { images: new Uint8Array(2), labels: Uint8Array.from([1, 0]), n: 2, height: 1, width: 1, channels: 1, labelWidth: 1 };
 * console.log(labelsOf(s)); // Uint8Array(2) [ 1, 0 ]
 * ```
 */
export function labelsOf(set: LabeledSet): Uint8Array {
  const labels = new Uint8Array(set.n);
  for (let i = 0; i < set.n; i++) labels[i] = set.labels[i * set.labelWidth];
  return labels;
}
