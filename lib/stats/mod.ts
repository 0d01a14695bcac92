/**
 * Statistics used across the library, each defined once: special functions (log-gamma,
 * incomplete gamma, normal and χ² distributions), classification scores and calibration, and
 * ROC analysis (AUC with DeLong and bootstrap intervals, TPR at a fixed FPR, balanced accuracy),
 * plus summaries such as the median.
 *
 * @example
 * ```ts
 * import { accuracy, normalQuantile, rocAuc } from "./mod.ts";
 * console.log(normalQuantile(0.975).toFixed(3)); // "1.960"
 * console.log(rocAuc(new Float64Array([0.9, 0.8, 0.2, 0.1]), new Uint8Array([1, 1, 0, 0]))); // 1
 * console.log(accuracy(new Uint8Array([1, 0, 1]), new Uint8Array([1, 0, 0])).toFixed(3)); // "0.667"
 * ```
 * @module
 */
export * from "./special.ts";
export * from "./classification.ts";
export * from "./roc.ts";
export * from "./summary.ts";
