/**
 * Output-side defences against membership inference, as release functions for
 * `runMembershipAudit({ release })`: what the service returns instead of the full probability
 * vector. (Training-side defences — early stopping, augmentation — are training options:
 * `runMembershipAudit({ targetTrain: { validation, patience } })` or `{ augment }`.)
 *
 * @example
 * ```ts
 * import { labelOnlyRelease, roundedRelease } from "./defences.ts";
 * const p = Float32Array.from([0.93, 0.07]);
 * console.log(Array.from(roundedRelease(1)(p)).map((v) => +v.toFixed(1)), Array.from(labelOnlyRelease(p))); // [0.9, 0.1] [1, 0]
 * ```
 * @module
 */
import { roundProbs } from "./mia.ts";

/**
 * @param decimals decimal places kept
 * @returns a release function rounding every probability
 * @example
 * ```ts
 * import { roundedRelease } from "./defences.ts";
 * console.log(roundedRelease(0)(Float32Array.from([0.7, 0.3]))); // Float32Array(2) [ 1, 0 ]
 * ```
 */
export function roundedRelease(decimals: number): (probs: Float32Array) => Float32Array {
  return (probs) => roundProbs(probs, decimals);
}

/**
 * Releases only the predicted label, as a one-hot vector (binary outputs, `n × 2`).
 *
 * @param probs `n × 2` probabilities
 * @returns `n × 2` one-hot labels
 * @example
 * ```ts
 * import { labelOnlyRelease } from "./defences.ts";
 * console.log(labelOnlyRelease(Float32Array.from([0.2, 0.8]))); // Float32Array(2) [ 0, 1 ]
 * ```
 */
export function labelOnlyRelease(probs: Float32Array): Float32Array {
  const out = new Float32Array(probs.length);
  for (let i = 0; i < probs.length / 2; i++) {
    out[2 * i + (probs[2 * i + 1] > probs[2 * i] ? 1 : 0)] = 1;
  }
  return out;
}
