/**
 * Grey-level histograms and the χ² test of uniformity, bit-depth aware.
 *
 * The χ² statistic reported in the JSON output is Pearson's statistic against the uniform histogram
 * over all 2^bits grey levels ({@linkcode chiSquareUniform}). The pass/fail test
 * ({@linkcode uniformityTest}) bins sensibly so that the χ² approximation holds: it keeps all
 * 2^bits levels when every level expects at least 5 pixels (Cochran's rule), and otherwise merges
 * adjacent levels into 2^m equal-width bins with m the largest integer such that N / 2^m ≥ 5.
 * Equal-width bins of a uniform variable are uniform, so the null hypothesis is unchanged; but
 * merged bins only see the high bits, so for bit depths above 8 a second χ² test on the low byte
 * (value mod 256, 256 bins) is added and both are judged at α/2 (Bonferroni). A cipher that
 * scrambles only the high bits of a 16-bit image therefore fails.
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { chiSquareUniform, histogram } from "./histogram.ts";
 * const img = medImage(new Uint8Array([0, 0, 1, 1]), 2, 2, { bitDepth: 1 });
 * console.log(Array.from(histogram(img)), chiSquareUniform(img).statistic); // [2, 2] 0
 * ```
 * @module
 */
import type { MedImage, Pixels } from "../image/types.ts";
import { MedCryptError } from "../core/errors.ts";
import { chiSquareQuantile, chiSquareSf } from "../stats/special.ts";

/** Options shared by the bit-depth-aware metrics. */
export interface BitsOptions {
  /** Bit depth to judge the pixels at (default: the image's `bitDepth`). Values must be < 2^bits. */
  bits?: number;
}

/**
 * The bit depth a metric works at: the option, else the image's.
 *
 * @param img the image
 * @param options an explicit bit depth
 * @returns the bit depth, 1..16
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { bitsOf } from "./histogram.ts";
 * console.log(bitsOf(medImage(new Uint16Array(4), 2, 2, { bitDepth: 12 }))); // 12
 * ```
 */
export function bitsOf(img: MedImage, options: BitsOptions = {}): number {
  const bits = options.bits ?? img.bitDepth;
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) {
    throw new MedCryptError("bad-bit-depth", `bit depth ${bits} is outside 1..16`);
  }
  return bits;
}

/**
 * Counts pixels per bin. With `bins` = 2^bits (the default) each grey level is its own bin;
 * otherwise level v goes to bin ⌊v · bins / 2^bits⌋ (equal-width bins).
 *
 * @param img the image
 * @param options bit depth and number of bins
 * @returns counts, length `bins`
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { histogram } from "./histogram.ts";
 * const h = histogram(medImage(new Uint8Array([0, 128, 255, 255]), 2, 2), { bins: 2 });
 * console.log(Array.from(h)); // [1, 3]
 * ```
 */
export function histogram(
  img: MedImage,
  options: BitsOptions & { bins?: number } = {},
): Float64Array {
  const bits = bitsOf(img, options);
  return histogramOf(img.data, bits, options.bins ?? 2 ** bits);
}

/**
 * {@linkcode histogram} on a bare pixel array.
 *
 * @param data pixel values, each < 2^bits
 * @param bits bit depth
 * @param bins number of equal-width bins (default 2^bits)
 * @returns counts
 * @example
 * ```ts
 * import { histogramOf } from "./histogram.ts";
 * console.log(Array.from(histogramOf(new Uint8Array([1, 1, 3]), 2))); // [0, 2, 0, 1]
 * ```
 */
export function histogramOf(
  data: Pixels | ArrayLike<number>,
  bits: number,
  bins = 2 ** bits,
): Float64Array {
  const levels = 2 ** bits;
  if (!Number.isInteger(bins) || bins < 1 || bins > levels) {
    throw new MedCryptError("bad-argument", `${bins} bins do not divide ${levels} grey levels`);
  }
  const h = new Float64Array(bins);
  const pow2 = (bins & (bins - 1)) === 0;
  const shift = pow2 ? bits - Math.log2(bins) : 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v >= levels) {
      throw new MedCryptError(
        "bad-bit-depth",
        `pixel ${i} is ${v}, above ${levels - 1} for ${bits}-bit data`,
      );
    }
    h[pow2 ? v >>> shift : Math.floor((v * bins) / levels)]++;
  }
  return h;
}

/** A χ² goodness-of-fit result against the uniform histogram. */
export interface ChiSquareResult {
  /** Pearson's statistic Σ (O − E)² / E. */
  statistic: number;
  /** Degrees of freedom (bins − 1). */
  df: number;
  /** Number of bins. */
  bins: number;
  /** Upper-tail p-value P(χ²_df > statistic). */
  pValue: number;
}

/**
 * Pearson's χ² statistic of the image's histogram against the uniform one.
 *
 * @param img the image
 * @param options bit depth and bins (default 2^bits: every grey level a bin)
 * @returns statistic, df, bins and p-value
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { chiSquareUniform } from "./histogram.ts";
 * // 4 pixels, 2 levels, counts [3, 1]: (3−2)²/2 + (1−2)²/2 = 1
 * console.log(chiSquareUniform(medImage(new Uint8Array([0, 0, 0, 1]), 2, 2, { bitDepth: 1 })).statistic); // 1
 * ```
 */
export function chiSquareUniform(
  img: MedImage,
  options: BitsOptions & { bins?: number } = {},
): ChiSquareResult {
  return chiSquareOfCounts(histogram(img, options), img.data.length);
}

/**
 * Pearson's χ² statistic of counts against the uniform distribution.
 *
 * @param counts histogram
 * @param n total count
 * @returns statistic, df, bins and p-value
 * @example
 * ```ts
 * import { chiSquareOfCounts } from "./histogram.ts";
 * console.log(chiSquareOfCounts(new Float64Array([5, 5]), 10).statistic); // 0
 * ```
 */
export function chiSquareOfCounts(counts: Float64Array, n: number): ChiSquareResult {
  const bins = counts.length;
  const e = n / bins;
  let s = 0;
  for (let i = 0; i < bins; i++) {
    const d = counts[i] - e;
    s += d * d;
  }
  const statistic = s / e;
  const df = bins - 1;
  return { statistic, df, bins, pValue: df > 0 ? chiSquareSf(statistic, df) : 1 };
}

/**
 * Critical value of the χ² uniformity test at level α: reject uniformity when the statistic
 * exceeds it.
 *
 * @param df degrees of freedom
 * @param alpha significance level
 * @returns the (1 − α) quantile of χ²_df
 * @example
 * ```ts
 * import { chiSquareCritical } from "./histogram.ts";
 * console.log(chiSquareCritical(255, 0.05).toFixed(4)); // "293.2478"
 * ```
 */
export function chiSquareCritical(df: number, alpha: number): number {
  return chiSquareQuantile(1 - alpha, df);
}

/**
 * The number of equal-width bins the uniformity test uses for `n` pixels at `bits` bits: all
 * 2^bits levels if each expects ≥ 5 pixels, else the largest power of two 2^m with n / 2^m ≥ 5
 * (at least 2).
 *
 * @param n number of pixels
 * @param bits bit depth
 * @returns the number of bins
 * @example
 * ```ts
 * import { uniformityBins } from "./histogram.ts";
 * console.log(uniformityBins(65536, 8), uniformityBins(65536, 16)); // 256 8192
 * ```
 */
export function uniformityBins(n: number, bits: number): number {
  let m = bits;
  while (m > 1 && n / 2 ** m < 5) m--;
  return 2 ** m;
}

/** The verdict of the uniformity test. */
export interface UniformityTest {
  /** The χ² tests made (high-bit binned test, and the low-byte test for bits > 8). */
  tests: (ChiSquareResult & { name: string })[];
  /** The smallest p-value times the number of tests (Bonferroni-adjusted), capped at 1. */
  pValue: number;
  /** `pValue ≥ α`, for each α asked. */
  pass: Record<string, boolean>;
}

/**
 * χ² test that the image's grey levels are uniform, with sensible binning (see the module doc).
 *
 * @param img the (cipher) image
 * @param alphas significance levels
 * @param options bit depth
 * @returns the tests, the adjusted p-value and pass/fail per α (keys are `String(alpha)`)
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { Rng } from "../core/random.ts";
 * import { uniformityTest } from "./histogram.ts";
 * const rng = new Rng(1);
 * const data = Uint8Array.from({ length: 4096 }, () => rng.int(256));
 * console.log(uniformityTest(medImage(data, 64, 64), [0.01]).pass["0.01"]); // true (most seeds)
 * ```
 */
export function uniformityTest(
  img: MedImage,
  alphas: readonly number[] = [0.05, 0.01, 0.001],
  options: BitsOptions = {},
): UniformityTest {
  const bits = bitsOf(img, options);
  const n = img.data.length;
  const bins = uniformityBins(n, bits);
  const tests: (ChiSquareResult & { name: string })[] = [
    {
      name: bins === 2 ** bits ? `all ${bins} levels` : `${bins} equal-width bins`,
      ...chiSquareOfCounts(histogramOf(img.data, bits, bins), n),
    },
  ];
  if (bits > 8) {
    const low = new Uint8Array(n);
    for (let i = 0; i < n; i++) low[i] = img.data[i] & 0xff;
    tests.push({ name: "low byte, 256 levels", ...chiSquareOfCounts(histogramOf(low, 8), n) });
  }
  const pValue = Math.min(1, Math.min(...tests.map((t) => t.pValue)) * tests.length);
  const pass: Record<string, boolean> = {};
  for (const a of alphas) pass[String(a)] = pValue >= a;
  return { tests, pValue, pass };
}
