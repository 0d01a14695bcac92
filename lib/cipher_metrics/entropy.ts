/**
 * Shannon entropy, global and local (Wu et al. 2013), judged against what N truly uniform pixels
 * would give — not against the ideal log2(2^bits).
 *
 * A finite sample of N uniform pixels over K = 2^bits levels has a plug-in entropy below log2 K
 * (≈ log2 K − (K − 1) / (2 N ln 2) when N ≫ K, far below it when K > N, e.g. 16-bit data).
 * {@linkcode entropyMoments} computes the exact mean and variance of that sample entropy from the
 * binomial marginals and the trinomial pair distribution of the counts (no approximation beyond
 * truncating tails below ~1e-30). {@linkcode entropyAcceptance} turns them into a two-sided
 * acceptance interval by moment-matching the deficit log2 K − H to a scaled χ² (exact in the
 * N ≫ K limit, where 2 N ln 2 · (log2 K − H) is Pearson's χ² with K − 1 degrees of freedom) or,
 * when the matched degrees of freedom exceed 10⁶, to a normal. {@linkcode entropyMonteCarlo} gives
 * seeded simulated entropies to check both (the tests do).
 *
 * Local entropy follows Wu, Zhou, Noonan & Agaian (Information Sciences 2013): the mean entropy of
 * k non-overlapping square blocks of T_B pixels chosen at random (k = 30, T_B = 44 × 44 = 1936 by
 * default). Blocks are tiles of a grid chosen at random; when the image cannot hold 30 tiles the
 * side shrinks until it can (30 squares of 44 × 44 do not fit in 256 × 256 — at most 25 do — so a
 * 256 × 256 image uses 30 blocks of 42 × 42, a 64 × 64 image 30 of 10 × 10). Under the null hypothesis the k
 * block entropies are independent, so its interval comes from the same exact moments (variance
 * divided by k); {@linkcode localEntropyMonteCarlo} calibrates it by seeded simulation for the image's
 * block size and bit depth.
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { shannonEntropy } from "./entropy.ts";
 * console.log(shannonEntropy(medImage(new Uint8Array([0, 255, 0, 255]), 2, 2))); // 1
 * ```
 * @module
 */
import type { MedImage } from "../image/types.ts";
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { bitsOf, type BitsOptions, histogramOf } from "./histogram.ts";
import { chiSquareQuantile, logGamma, normalQuantile } from "../stats/special.ts";

/**
 * Shannon entropy (bits) of a histogram.
 *
 * @param counts histogram counts
 * @param n their total (computed when omitted)
 * @returns −Σ p log2 p
 * @example
 * ```ts
 * import { entropyOfCounts } from "./entropy.ts";
 * console.log(entropyOfCounts(new Float64Array([1, 1, 1, 1]))); // 2
 * ```
 */
export function entropyOfCounts(counts: ArrayLike<number>, n?: number): number {
  let total = n ?? 0;
  if (n === undefined) { for (let i = 0; i < counts.length; i++) total += counts[i]; }
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0) h -= (c / total) * Math.log2(c / total);
  }
  return h === 0 ? 0 : h;
}

/**
 * Global Shannon entropy of an image, over 2^bits grey levels.
 *
 * @param img the image
 * @param options bit depth (default the image's)
 * @returns entropy in bits, in [0, bits]
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { shannonEntropy } from "./entropy.ts";
 * console.log(shannonEntropy(medImage(new Uint8Array(16).fill(7), 4, 4))); // 0
 * ```
 */
export function shannonEntropy(img: MedImage, options: BitsOptions = {}): number {
  const bits = bitsOf(img, options);
  return entropyOfCounts(histogramOf(img.data, bits), img.data.length);
}

/** Mean and variance of a statistic. */
export interface Moments {
  /** Expected value. */
  mean: number;
  /** Variance. */
  variance: number;
}

const momentCache = new Map<string, Moments>();

/**
 * Exact mean and variance of the plug-in Shannon entropy (bits) of `n` independent pixels uniform
 * over `k` levels.
 *
 * @param n sample size (pixels)
 * @param k number of levels (bins)
 * @returns mean and variance of the sample entropy
 * @example
 * ```ts
 * import { entropyMoments } from "./entropy.ts";
 * const m = entropyMoments(65536, 256);
 * console.log(m.mean.toFixed(4)); // "7.9972"
 * ```
 */
export function entropyMoments(n: number, k: number): Moments {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 1) {
    throw new MedCryptError(
      "bad-argument",
      `entropyMoments needs whole n ≥ 1 and k ≥ 1 (got ${n}, ${k})`,
    );
  }
  const key = `${n}/${k}`;
  const hit = momentCache.get(key);
  if (hit) return hit;
  const result = computeEntropyMoments(n, k);
  momentCache.set(key, result);
  return result;
}

function computeEntropyMoments(n: number, k: number): Moments {
  if (k === 1) return { mean: 0, variance: 0 };
  const p = 1 / k;
  const lnp = Math.log(p), lnq = Math.log1p(-p);
  const mu = n * p, sd = Math.sqrt(n * p * (1 - p));
  const lo = Math.max(0, Math.floor(mu - 12 * sd - 12));
  const hi = Math.min(n, Math.ceil(mu + 12 * sd + 12));
  const lfCache = new Map<number, number>();
  const lf = (m: number) => {
    let v = lfCache.get(m);
    if (v === undefined) {
      v = logGamma(m + 1);
      lfCache.set(m, v);
    }
    return v;
  };
  const lfn = lf(n);
  const g = (c: number) => (c > 0 ? -(c / n) * Math.log2(c / n) : 0);
  const len = hi - lo + 1;
  const pmf = new Float64Array(len), gv = new Float64Array(len);
  for (let c = lo; c <= hi; c++) {
    pmf[c - lo] = Math.exp(lfn - lf(c) - lf(n - c) + c * lnp + (n - c) * lnq);
    gv[c - lo] = g(c);
  }
  if (k === 2) {
    // H = g(c) + g(n − c) exactly
    let m = 0, m2 = 0;
    for (let i = 0; i < len; i++) {
      const c = lo + i;
      const h = gv[i] + g(n - c);
      m += pmf[i] * h;
    }
    for (let i = 0; i < len; i++) {
      const c = lo + i;
      const d = gv[i] + g(n - c) - m;
      m2 += pmf[i] * d * d;
    }
    return { mean: m, variance: m2 };
  }
  let e1 = 0;
  for (let i = 0; i < len; i++) e1 += pmf[i] * gv[i];
  let v1 = 0;
  const h = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    h[i] = gv[i] - e1;
    v1 += pmf[i] * h[i] * h[i];
  }
  // Cov(g(c1), g(c2)) from the trinomial joint distribution of two bins' counts
  const lnr = Math.log1p(-2 * p);
  let cov = 0;
  for (let a = lo; a <= hi; a++) {
    const la = lfn - lf(a) + a * lnp;
    const ha = h[a - lo];
    let row = 0;
    for (let b = lo; b <= hi && a + b <= n; b++) {
      const r = n - a - b;
      row += Math.exp(la - lf(b) - lf(r) + b * lnp + r * lnr) * h[b - lo];
    }
    cov += ha * row;
  }
  const variance = Math.max(0, k * v1 + k * (k - 1) * cov);
  return { mean: k * e1, variance };
}

/** A two-sided acceptance interval. */
export interface AcceptanceInterval {
  /** Lower bound. */
  lo: number;
  /** Upper bound. */
  hi: number;
}

/**
 * Two-sided acceptance interval, at level α, of the entropy of `n` uniform pixels over `k`
 * levels averaged over `blocks` independent samples (1 for global entropy): the deficit
 * log2 k − H is matched in mean and variance to s · χ²_ν (normal when ν > 10⁶).
 *
 * @param n pixels per sample
 * @param k number of levels
 * @param alpha significance level
 * @param blocks number of independent samples averaged (local entropy's k)
 * @returns the interval [lo, hi] in bits
 * @example
 * ```ts
 * import { entropyAcceptance } from "./entropy.ts";
 * const { lo, hi } = entropyAcceptance(65536, 256, 0.05);
 * console.log(lo < 7.9972 && 7.9972 < hi); // true
 * ```
 */
export function entropyAcceptance(
  n: number,
  k: number,
  alpha: number,
  blocks = 1,
): AcceptanceInterval {
  const m = entropyMoments(n, k);
  const mean = m.mean, variance = m.variance / blocks;
  const top = Math.log2(k);
  const deficit = top - mean;
  if (variance <= 0 || deficit <= 0) return { lo: mean, hi: mean };
  const nu = (2 * deficit * deficit) / variance;
  if (nu > 1e6) {
    const z = normalQuantile(1 - alpha / 2) * Math.sqrt(variance);
    return { lo: mean - z, hi: mean + z };
  }
  const s = variance / (2 * deficit);
  return {
    lo: top - s * chiSquareQuantile(1 - alpha / 2, nu),
    hi: top - s * chiSquareQuantile(alpha / 2, nu),
  };
}

/**
 * Seeded Monte Carlo: the entropies of `reps` simulated images of `n` uniform pixels over `k`
 * levels (each the mean of `blocks` independent samples).
 *
 * @param n pixels per sample
 * @param k levels
 * @param reps number of simulations
 * @param seed seed of the generator
 * @param blocks samples averaged per simulation (1 = global entropy)
 * @returns the simulated entropies, in bits
 * @example
 * ```ts
 * import { entropyMonteCarlo } from "./entropy.ts";
 * console.log(entropyMonteCarlo(1024, 16, 10, 1).length); // 10
 * ```
 */
export function entropyMonteCarlo(
  n: number,
  k: number,
  reps: number,
  seed: number,
  blocks = 1,
): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(reps);
  const counts = new Float64Array(k);
  const touched = new Int32Array(n);
  for (let r = 0; r < reps; r++) {
    let sum = 0;
    for (let b = 0; b < blocks; b++) {
      let m = 0;
      for (let i = 0; i < n; i++) {
        const v = rng.int(k);
        if (counts[v] === 0) touched[m++] = v;
        counts[v]++;
      }
      let h = 0;
      for (let j = 0; j < m; j++) {
        const p = counts[touched[j]] / n;
        h -= p * Math.log2(p);
        counts[touched[j]] = 0;
      }
      sum += h;
    }
    out[r] = sum / blocks;
  }
  return out;
}

/** The verdict of an entropy test. */
export interface EntropyTest {
  /** The measured entropy (bits). */
  value: number;
  /** Expected entropy of uniform pixels for this size and bit depth. */
  expected: number;
  /** Its standard deviation. */
  sd: number;
  /** Acceptance interval per α (keys `String(alpha)`). */
  intervals: Record<string, AcceptanceInterval>;
  /** Whether the value lies in the interval, per α. */
  pass: Record<string, boolean>;
}

/**
 * Global entropy test: the image's entropy against the acceptance interval of N uniform pixels.
 *
 * @param img the (cipher) image
 * @param alphas significance levels
 * @param options bit depth
 * @returns the value, its expectation and the verdict per α
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { entropyTest } from "./entropy.ts";
 * const t = entropyTest(medImage(new Uint8Array(4096), 64, 64), [0.05]);
 * console.log(t.value, t.pass["0.05"]); // 0 false
 * ```
 */
export function entropyTest(
  img: MedImage,
  alphas: readonly number[] = [0.05, 0.01, 0.001],
  options: BitsOptions = {},
): EntropyTest {
  const bits = bitsOf(img, options);
  const n = img.data.length, k = 2 ** bits;
  const value = shannonEntropy(img, { bits });
  const m = entropyMoments(n, k);
  const intervals: Record<string, AcceptanceInterval> = {};
  const pass: Record<string, boolean> = {};
  for (const a of alphas) {
    const iv = entropyAcceptance(n, k, a);
    intervals[String(a)] = iv;
    pass[String(a)] = value >= iv.lo && value <= iv.hi;
  }
  return { value, expected: m.mean, sd: Math.sqrt(m.variance), intervals, pass };
}

/** How local entropy was sampled. */
export interface LocalEntropyParams {
  /** Number of blocks. */
  blocks: number;
  /** Side of each square block (pixels). */
  side: number;
  /** Pixels per block, T_B = side². */
  blockPixels: number;
}

/**
 * The block layout local entropy uses for a `width × height` image: `k` blocks of `side × side`
 * (default 30 of 44 × 44, as Wu et al. 2013), with the side shrunk until k non-overlapping tiles fit.
 *
 * @param width image width
 * @param height image height
 * @param blocks wanted number of blocks
 * @param side wanted block side
 * @returns the layout
 * @example
 * ```ts
 * import { localEntropyParams } from "./entropy.ts";
 * console.log(localEntropyParams(256, 256).side, localEntropyParams(64, 64).side); // 42 10
 * ```
 */
export function localEntropyParams(
  width: number,
  height: number,
  blocks = 30,
  side = 44,
): LocalEntropyParams {
  let s = side;
  while (s > 1 && Math.floor(width / s) * Math.floor(height / s) < blocks) s--;
  const tiles = Math.floor(width / s) * Math.floor(height / s);
  const k = Math.min(blocks, tiles);
  return { blocks: k, side: s, blockPixels: s * s };
}

/**
 * Local Shannon entropy: the mean entropy (over 2^bits levels) of k random non-overlapping blocks.
 *
 * @param img the image
 * @param options bit depth, block count and side, seed of the block choice
 * @returns the mean block entropy and the layout used
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { localEntropy } from "./entropy.ts";
 * console.log(localEntropy(medImage(new Uint8Array(64 * 64), 64, 64)).value); // 0
 * ```
 */
export function localEntropy(
  img: MedImage,
  options: BitsOptions & { blocks?: number; side?: number; seed?: number } = {},
): LocalEntropyParams & { value: number } {
  const bits = bitsOf(img, options);
  const params = localEntropyParams(img.width, img.height, options.blocks, options.side);
  const { side } = params;
  const tx = Math.floor(img.width / side), ty = Math.floor(img.height / side);
  const order = new Rng(options.seed ?? 1).permutation(tx * ty);
  const block = new (img.data instanceof Uint8Array ? Uint8Array : Uint16Array)(side * side);
  let sum = 0;
  for (let b = 0; b < params.blocks; b++) {
    const t = order[b];
    const x0 = (t % tx) * side, y0 = Math.floor(t / tx) * side;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) block[y * side + x] = img.data[(y0 + y) * img.width + x0 + x];
    }
    sum += entropyOfCounts(histogramOf(block, bits), block.length);
  }
  return { ...params, value: sum / params.blocks };
}

/**
 * Seeded Monte Carlo calibration of local entropy: simulated local entropies of uniform images with
 * the given layout and bit depth.
 *
 * @param params the block layout ({@linkcode localEntropyParams})
 * @param bits bit depth
 * @param reps simulations
 * @param seed seed
 * @returns simulated local entropies
 * @example
 * ```ts
 * import { localEntropyMonteCarlo, localEntropyParams } from "./entropy.ts";
 * console.log(localEntropyMonteCarlo(localEntropyParams(64, 64), 8, 5, 1).length); // 5
 * ```
 */
export function localEntropyMonteCarlo(
  params: LocalEntropyParams,
  bits: number,
  reps: number,
  seed: number,
): Float64Array {
  return entropyMonteCarlo(params.blockPixels, 2 ** bits, reps, seed, params.blocks);
}

/**
 * Local entropy test: the image's local entropy against the interval of uniform pixels with the
 * same block layout and bit depth.
 *
 * @param img the (cipher) image
 * @param alphas significance levels
 * @param options bit depth, layout, seed of the block choice
 * @returns value, expectation, intervals and verdicts, plus the layout
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { localEntropyTest } from "./entropy.ts";
 * console.log(localEntropyTest(medImage(new Uint8Array(4096), 64, 64), [0.05]).pass["0.05"]); // false
 * ```
 */
export function localEntropyTest(
  img: MedImage,
  alphas: readonly number[] = [0.05, 0.01, 0.001],
  options: BitsOptions & { blocks?: number; side?: number; seed?: number } = {},
): EntropyTest & LocalEntropyParams {
  const bits = bitsOf(img, options);
  const le = localEntropy(img, { ...options, bits });
  const k = 2 ** bits;
  const m = entropyMoments(le.blockPixels, k);
  const intervals: Record<string, AcceptanceInterval> = {};
  const pass: Record<string, boolean> = {};
  for (const a of alphas) {
    const iv = entropyAcceptance(le.blockPixels, k, a, le.blocks);
    intervals[String(a)] = iv;
    pass[String(a)] = le.value >= iv.lo && le.value <= iv.hi;
  }
  return {
    value: le.value,
    expected: m.mean,
    sd: Math.sqrt(m.variance / le.blocks),
    intervals,
    pass,
    blocks: le.blocks,
    side: le.side,
    blockPixels: le.blockPixels,
  };
}
