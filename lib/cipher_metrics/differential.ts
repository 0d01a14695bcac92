/**
 * NPCR and UACI (number of pixels change rate, unified averaged changed intensity) between two
 * same-size images, and their randomness-test critical values (Wu, Noonan & Agaian, "NPCR and UACI
 * randomness tests for image encryption", Cyber Journals JSAT 2011), computed for the image size
 * and bit depth.
 *
 * With F = 2^bits − 1 the largest level and N the number of pixels, two independent uniform cipher
 * images give NPCR with mean μ_N = F / (F + 1) and variance F / ((F + 1)² N), and UACI with mean
 * μ_U = (F + 2) / (3F + 3) and variance (F + 2)(F² + 2F + 3) / (18 (F + 1)² N F). The one-sided NPCR
 * test accepts NPCR ≥ N*_α = μ_N − Φ⁻¹(1 − α) σ_N; the two-sided UACI test accepts
 * U*_α− ≤ UACI ≤ U*_α+ with U*_α± = μ_U ± Φ⁻¹(1 − α/2) σ_U. For 256 × 256 8-bit images and α = 0.05
 * this gives N* = 99.5693 % and U* = [33.2824 %, 33.6447 %], the published table values. UACI is
 * normalised by F = 2^bits − 1 (not 255 for 16-bit data).
 *
 * The NPCR verdict of {@linkcode differentialTest} uses the exact distribution instead of the normal
 * approximation: the number of EQUAL pixels is Binomial(N, 1/(F + 1)), and the test accepts when at
 * most x*_α pixels are equal, x*_α the smallest count with P(X > x*_α) ≤ α
 * ({@linkcode npcrCriticalExact}). For 8-bit images the two agree to within one pixel; for 16-bit
 * images of a few thousand pixels the expected number of equal pixels is below 1 and the normal
 * approximation breaks down (a single equal pixel in a 64 × 64 16-bit pair happens 6 % of the time
 * but falls below the normal N*_0.001).
 *
 * @example
 * ```ts
 * import { npcrCritical, uaciCritical } from "./differential.ts";
 * console.log(npcrCritical(65536, 8, 0.05).toFixed(4)); // "99.5693"
 * const u = uaciCritical(65536, 8, 0.05);
 * console.log(u.lo.toFixed(4), u.hi.toFixed(4)); // "33.2824" "33.6447"
 * ```
 * @module
 */
import type { MedImage } from "../image/types.ts";
import { MedCryptError } from "../core/errors.ts";
import { bitsOf, type BitsOptions } from "./histogram.ts";
import type { AcceptanceInterval } from "./entropy.ts";
import { logGamma, normalQuantile } from "../stats/special.ts";

function checkPair(a: MedImage, b: MedImage): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new MedCryptError(
      "size-mismatch",
      `images differ in size: ${a.width}×${a.height} and ${b.width}×${b.height}`,
    );
  }
}

/**
 * NPCR: the percentage of pixel positions where the two images differ.
 *
 * @param a first image
 * @param b second image, same size
 * @returns percent in [0, 100]
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { npcr } from "./differential.ts";
 * const a = medImage(new Uint8Array([1, 2, 3, 4]), 2, 2);
 * console.log(npcr(a, medImage(new Uint8Array([1, 2, 3, 5]), 2, 2))); // 25
 * ```
 */
export function npcr(a: MedImage, b: MedImage): number {
  checkPair(a, b);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) d++;
  return (100 * d) / a.data.length;
}

/**
 * UACI: the mean absolute difference of the two images as a percentage of F = 2^bits − 1.
 *
 * @param a first image
 * @param b second image, same size
 * @param options bit depth (default the larger of the two images')
 * @returns percent in [0, 100]
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { uaci } from "./differential.ts";
 * const a = medImage(new Uint8Array([0, 0]), 2, 1);
 * console.log(uaci(a, medImage(new Uint8Array([255, 0]), 2, 1))); // 50
 * ```
 */
export function uaci(a: MedImage, b: MedImage, options: BitsOptions = {}): number {
  checkPair(a, b);
  const bits = options.bits ?? Math.max(bitsOf(a), bitsOf(b));
  const f = 2 ** bits - 1;
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]);
  return (100 * s) / (a.data.length * f);
}

/**
 * Mean and standard deviation (in percent) of NPCR between two independent uniform images.
 *
 * @param n pixels
 * @param bits bit depth
 * @returns `{ mean, sd }` in percent
 * @example
 * ```ts
 * import { npcrExpected } from "./differential.ts";
 * console.log(npcrExpected(65536, 8).mean.toFixed(4)); // "99.6094"
 * ```
 */
export function npcrExpected(n: number, bits: number): { mean: number; sd: number } {
  const f = 2 ** bits - 1;
  return { mean: (100 * f) / (f + 1), sd: (100 * Math.sqrt(f / n)) / (f + 1) };
}

/**
 * Mean and standard deviation (in percent) of UACI between two independent uniform images.
 *
 * @param n pixels
 * @param bits bit depth
 * @returns `{ mean, sd }` in percent
 * @example
 * ```ts
 * import { uaciExpected } from "./differential.ts";
 * console.log(uaciExpected(65536, 8).mean.toFixed(4)); // "33.4635"
 * ```
 */
export function uaciExpected(n: number, bits: number): { mean: number; sd: number } {
  const f = 2 ** bits - 1;
  const mean = (f + 2) / (3 * f + 3);
  const variance = ((f + 2) * (f * f + 2 * f + 3)) / (18 * (f + 1) ** 2 * n * f);
  return { mean: 100 * mean, sd: 100 * Math.sqrt(variance) };
}

/**
 * NPCR critical value N*_α (percent): accept when NPCR ≥ N*_α.
 *
 * @param n pixels
 * @param bits bit depth
 * @param alpha significance level
 * @returns N*_α in percent
 * @example
 * ```ts
 * import { npcrCritical } from "./differential.ts";
 * console.log(npcrCritical(65536, 8, 0.01).toFixed(4)); // "99.5527"
 * ```
 */
export function npcrCritical(n: number, bits: number, alpha: number): number {
  const { mean, sd } = npcrExpected(n, bits);
  return mean - normalQuantile(1 - alpha) * sd;
}

/**
 * Exact NPCR critical value (percent): with X ~ Binomial(n, 1/2^bits) the number of equal pixels,
 * x* is the smallest count with P(X > x*) ≤ α, and the test accepts NPCR ≥ 100 (1 − x* ÷ n).
 *
 * @param n pixels
 * @param bits bit depth
 * @param alpha significance level
 * @returns the exact critical NPCR in percent
 * @example
 * ```ts
 * import { npcrCriticalExact } from "./differential.ts";
 * console.log(npcrCriticalExact(4096, 16, 0.001) < 99.98); // true: one or two equal pixels are fine
 * ```
 */
export function npcrCriticalExact(n: number, bits: number, alpha: number): number {
  const p = 2 ** -bits, lnp = Math.log(p), lnq = Math.log1p(-p);
  const lfn = logGamma(n + 1);
  let cdf = 0;
  for (let x = 0; x <= n; x++) {
    cdf += Math.exp(lfn - logGamma(x + 1) - logGamma(n - x + 1) + x * lnp + (n - x) * lnq);
    if (1 - cdf <= alpha) return 100 * (1 - x / n);
  }
  return 0;
}

/**
 * UACI critical interval [U*_α−, U*_α+] (percent).
 *
 * @param n pixels
 * @param bits bit depth
 * @param alpha significance level
 * @returns the interval in percent
 * @example
 * ```ts
 * import { uaciCritical } from "./differential.ts";
 * const u = uaciCritical(65536, 8, 0.001);
 * console.log(u.lo.toFixed(4), u.hi.toFixed(4)); // "33.1594" "33.7677"
 * ```
 */
export function uaciCritical(n: number, bits: number, alpha: number): AcceptanceInterval {
  const { mean, sd } = uaciExpected(n, bits);
  const z = normalQuantile(1 - alpha / 2);
  return { lo: mean - z * sd, hi: mean + z * sd };
}

const exactCache = new Map<string, number>();
function exactCached(n: number, bits: number, alpha: number): number {
  const k = `${n}/${bits}/${alpha}`;
  let v = exactCache.get(k);
  if (v === undefined) exactCache.set(k, v = npcrCriticalExact(n, bits, alpha));
  return v;
}

/** The verdict of the NPCR and UACI randomness tests for one pair of cipher images. */
export interface DifferentialTest {
  /** NPCR, percent. */
  npcr: number;
  /** UACI, percent. */
  uaci: number;
  /** Bit depth used. */
  bits: number;
  /** N*_α per α (Wu et al.'s normal approximation, as published). */
  npcrCritical: Record<string, number>;
  /** The exact binomial critical NPCR per α, which the verdict uses. */
  npcrCriticalExact: Record<string, number>;
  /** [U*_α−, U*_α+] per α. */
  uaciCritical: Record<string, AcceptanceInterval>;
  /** NPCR ≥ the exact critical value, per α. */
  npcrPass: Record<string, boolean>;
  /** UACI within the interval, per α. */
  uaciPass: Record<string, boolean>;
}

/**
 * NPCR and UACI of two cipher images with the Wu et al. 2011 verdicts.
 *
 * @param a first cipher image
 * @param b second cipher image
 * @param alphas significance levels
 * @param options bit depth (default the larger of the two images')
 * @returns values, critical values and verdicts
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { differentialTest } from "./differential.ts";
 * const a = medImage(new Uint8Array(4096), 64, 64);
 * console.log(differentialTest(a, a, [0.05]).npcrPass["0.05"]); // false
 * ```
 */
export function differentialTest(
  a: MedImage,
  b: MedImage,
  alphas: readonly number[] = [0.05, 0.01, 0.001],
  options: BitsOptions = {},
): DifferentialTest {
  const bits = options.bits ?? Math.max(bitsOf(a), bitsOf(b));
  const n = a.data.length;
  const np = npcr(a, b), ua = uaci(a, b, { bits });
  const npcrCrit: Record<string, number> = {}, uaciCrit: Record<string, AcceptanceInterval> = {};
  const npcrExact: Record<string, number> = {};
  const npcrPass: Record<string, boolean> = {}, uaciPass: Record<string, boolean> = {};
  for (const al of alphas) {
    const k = String(al);
    npcrCrit[k] = npcrCritical(n, bits, al);
    uaciCrit[k] = uaciCritical(n, bits, al);
    npcrExact[k] = exactCached(n, bits, al);
    npcrPass[k] = np >= npcrExact[k] - 1e-9;
    uaciPass[k] = ua >= uaciCrit[k].lo && ua <= uaciCrit[k].hi;
  }
  return {
    npcr: np,
    uaci: ua,
    bits,
    npcrCritical: npcrCrit,
    npcrCriticalExact: npcrExact,
    uaciCritical: uaciCrit,
    npcrPass,
    uaciPass,
  };
}

/**
 * The fraction of positions at which two equally long sequences differ (of pixels, key-stream
 * bytes or any values); NPCR is this in percent for two images.
 *
 * @param a first sequence
 * @param b second sequence, same length
 * @returns the fraction in [0, 1]
 * @example
 * ```ts
 * import { changedFraction } from "./differential.ts";
 * console.log(changedFraction([1, 2, 3, 4], [1, 0, 3, 0])); // 0.5
 * ```
 */
export function changedFraction(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new MedCryptError("size-mismatch", `${a.length} values against ${b.length}`);
  }
  let d = 0;
  for (let i = 0; i < a.length; i++) d += a[i] !== b[i] ? 1 : 0;
  return d / a.length;
}
