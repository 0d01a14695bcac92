/**
 * Small, dependency-free classification metrics for the model helpers: accuracy, confusion
 * matrix, balanced accuracy, precision/recall/F1, Brier score and expected calibration error.
 * (ROC/AUC live with the attacks, `lib/attacks`.)
 *
 * @example
 * ```ts
 * import { accuracy, confusionMatrix } from "./classification.ts";
 * console.log(accuracy([0, 1, 1], [0, 1, 0])); // 0.6666666666666666
 * console.log(confusionMatrix([0, 1, 1], [0, 1, 0], 2)); // [[1, 0], [1, 1]]
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";

function same(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new MedCryptError(
      "size-mismatch",
      `labels and predictions differ in length: ${a.length} and ${b.length}`,
    );
  }
  if (a.length === 0) throw new MedCryptError("bad-argument", "no labels given");
}

/**
 * The Wilson score interval of a proportion (e.g. an accuracy of `correct` out of `n`), which
 * stays inside [0, 1] and keeps its coverage near 0 and 1, unlike the normal approximation.
 *
 * @param correct successes
 * @param n trials (> 0)
 * @param z the normal quantile (1.96 for 95 %)
 * @returns the interval's ends
 * @example
 * ```ts
 * import { wilsonInterval } from "./classification.ts";
 * const { lo, hi } = wilsonInterval(421, 468);
 * console.log(lo.toFixed(3), hi.toFixed(3)); // 0.869 0.924
 * ```
 */
export function wilsonInterval(correct: number, n: number, z = 1.96): { lo: number; hi: number } {
  if (!(n > 0) || correct < 0 || correct > n) {
    throw new RangeError(`wilsonInterval: ${correct} of ${n} is not a proportion`);
  }
  const p = correct / n, z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/**
 * Fraction of predictions equal to the labels.
 *
 * @param labels true classes
 * @param predicted predicted classes
 * @returns accuracy in [0, 1]
 * @example
 * ```ts
 * import { accuracy } from "./classification.ts";
 * console.log(accuracy([1, 1], [1, 0])); // 0.5
 * ```
 */
export function accuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  same(labels, predicted);
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) ok++;
  return ok / labels.length;
}

/**
 * Confusion matrix `m[true][predicted]`.
 *
 * @param labels true classes in 0..classes−1
 * @param predicted predicted classes
 * @param classes number of classes
 * @returns counts
 * @example
 * ```ts
 * import { confusionMatrix } from "./classification.ts";
 * console.log(confusionMatrix([0, 0, 1], [0, 1, 1], 2)); // [[1, 1], [0, 1]]
 * ```
 */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  same(labels, predicted);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i], p = predicted[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new MedCryptError(
        "bad-argument",
        `class ${t}/${p} at ${i} is outside 0..${classes - 1}`,
      );
    }
    m[t][p]++;
  }
  return m;
}

/**
 * Mean per-class recall.
 *
 * @param labels true classes
 * @param predicted predicted classes
 * @param classes number of classes
 * @returns balanced accuracy (classes without samples are skipped)
 * @example
 * ```ts
 * import { balancedAccuracy } from "./classification.ts";
 * console.log(balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0], 2)); // 0.5
 * ```
 */
export function balancedAccuracy(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number {
  const m = confusionMatrix(labels, predicted, classes);
  let s = 0, k = 0;
  for (let c = 0; c < classes; c++) {
    const row = m[c].reduce((a, b) => a + b, 0);
    if (row > 0) {
      s += m[c][c] / row;
      k++;
    }
  }
  return s / k;
}

/**
 * Precision, recall and F1 of the positive class 1 of a binary problem.
 *
 * @param labels true classes (0/1)
 * @param predicted predicted classes (0/1)
 * @returns precision, recall, F1 (0 when undefined)
 * @example
 * ```ts
 * import { precisionRecallF1 } from "./classification.ts";
 * console.log(precisionRecallF1([1, 1, 0, 0], [1, 0, 1, 0])); // { precision: 0.5, recall: 0.5, f1: 0.5 }
 * ```
 */
export function precisionRecallF1(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
): { precision: number; recall: number; f1: number } {
  const [[, fp], [fn, tp]] = confusionMatrix(labels, predicted, 2);
  const precision = tp + fp ? tp / (tp + fp) : 0, recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
  };
}

/**
 * Brier score of binary probabilities.
 *
 * @param labels true classes (0/1)
 * @param probs predicted probabilities of class 1
 * @returns mean (p − y)²
 * @example
 * ```ts
 * import { brierScore } from "./classification.ts";
 * console.log(brierScore([1, 0], [0.5, 0.5])); // 0.25
 * ```
 */
export function brierScore(labels: ArrayLike<number>, probs: ArrayLike<number>): number {
  same(labels, probs);
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += (probs[i] - labels[i]) ** 2;
  return s / labels.length;
}

/**
 * Expected calibration error of binary probabilities with equal-width confidence bins (on the
 * probability of class 1).
 *
 * @param labels true classes (0/1)
 * @param probs predicted probabilities of class 1
 * @param bins number of bins (default 10)
 * @returns Σ (n_b / n) |mean(y) − mean(p)| over bins
 * @example
 * ```ts
 * import { expectedCalibrationError } from "./classification.ts";
 * console.log(expectedCalibrationError([1, 0], [1, 0])); // 0
 * ```
 */
export function expectedCalibrationError(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  bins = 10,
): number {
  same(labels, probs);
  const n = new Float64Array(bins), sy = new Float64Array(bins), sp = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probs[i] * bins));
    n[b]++;
    sy[b] += labels[i];
    sp[b] += probs[i];
  }
  let e = 0;
  for (let b = 0; b < bins; b++) {
    if (n[b]) e += (n[b] / labels.length) * Math.abs(sy[b] / n[b] - sp[b] / n[b]);
  }
  return e;
}
