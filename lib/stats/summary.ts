/**
 * Summaries of a sample of numbers.
 *
 * @example
 * ```ts
 * import { extent, mean, median } from "./summary.ts";
 * console.log(median([3, 1, 2, 10]), mean([3, 1, 2, 10])); // 2.5 4
 * console.log(extent([3, 1, 2, 10])); // { min: 1, max: 10, mean: 4 }
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";

/**
 * The median: the middle value, or the mean of the two middle values of an even-sized sample.
 *
 * @param xs the sample (not modified)
 * @returns its median; throws a `MedCryptError` (`empty`) on an empty sample
 * @example
 * ```ts
 * import { median } from "./summary.ts";
 * console.log(median([5, 1, 3]), median([4, 1, 3, 2])); // 3 2.5
 * ```
 */
export function median(xs: ArrayLike<number>): number {
  if (xs.length === 0) throw new MedCryptError("empty", "the median of an empty sample");
  const s = Float64Array.from(xs).sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * @param xs the sample
 * @returns its arithmetic mean; throws a `MedCryptError` (`empty`) on an empty sample
 * @example
 * ```ts
 * import { mean } from "./summary.ts";
 * console.log(mean([1, 2, 6])); // 3
 * ```
 */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) throw new MedCryptError("empty", "the mean of an empty sample");
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/**
 * Smallest, largest and mean value in one pass (for pixel arrays of millions of values).
 *
 * @param xs the sample
 * @returns `{ min, max, mean }`; throws a `MedCryptError` (`empty`) on an empty sample
 * @example
 * ```ts
 * import { extent } from "./summary.ts";
 * console.log(extent(new Uint16Array([7, 4095, 1]))); // { min: 1, max: 4095, mean: 1367.6666666666667 }
 * ```
 */
export function extent(xs: ArrayLike<number>): { min: number; max: number; mean: number } {
  if (xs.length === 0) throw new MedCryptError("empty", "the extent of an empty sample");
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / xs.length };
}
