/**
 * Deterministic, seeded splits and member / non-member draws, and a helper turning a batch of a
 * {@linkcode LabeledSet} into tfjs-ready `Float32Array`s.
 *
 * @example
 * ```ts
 * import { memberMask, seededSplit } from "./splits.ts";
 * const [train, test] = seededSplit(10, [0.8, 0.2], 42);
 * console.log(train.length, test.length, memberMask(10, 1).reduce((a, b) => a + b, 0)); // 8 2 5
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { type LabeledSet, pixelsAt } from "./medmnist.ts";

/**
 * Splits `0..n-1` into disjoint random parts of the given fractions (seeded, reproducible).
 * Part `k` gets indices `round(n * f0+…+fk-1) .. round(n * f0+…+fk)` of a seeded permutation;
 * fractions summing to less than 1 leave the rest unused. Each part is sorted ascending.
 *
 * @param n number of items
 * @param fractions fractions in [0, 1], summing to at most 1
 * @param seed the seed (record it with the results)
 * @returns one `Int32Array` of indices per fraction
 * @example
 * ```ts
 * import { seededSplit } from "./splits.ts";
 * const [a, b, c] = seededSplit(100, [0.7, 0.2, 0.1], 7);
 * console.log(a.length, b.length, c.length); // 70 20 10
 * ```
 */
export function seededSplit(n: number, fractions: readonly number[], seed: number): Int32Array[] {
  if (!Number.isInteger(n) || n < 0) {
    throw new MedCryptError("bad-argument", `n must be a whole number ≥ 0, not ${n}`);
  }
  const total = fractions.reduce((a, b) => a + b, 0);
  if (fractions.some((f) => !(f >= 0 && f <= 1)) || total > 1 + 1e-9) {
    throw new MedCryptError(
      "bad-argument",
      `fractions [${fractions.join(", ")}] must each be in [0, 1] and sum to at most 1`,
    );
  }
  const perm = new Rng(seed).permutation(n);
  const parts: Int32Array[] = [];
  let acc = 0, start = 0;
  for (const f of fractions) {
    acc += f;
    const end = Math.min(n, Math.round(acc * n));
    parts.push(perm.slice(start, end).sort());
    start = end;
  }
  return parts;
}

/**
 * Draws members for a membership-inference experiment: exactly `round(p * n)` of `n` items get
 * 1 (member), the rest 0, chosen by a seeded permutation.
 *
 * @param n number of items
 * @param seed the seed
 * @param p fraction of members (default 0.5)
 * @returns a 0/1 mask of length `n`
 * @example
 * ```ts
 * import { memberMask } from "./splits.ts";
 * const m = memberMask(8, 3, 0.25);
 * console.log(m.reduce((a, b) => a + b, 0)); // 2
 * ```
 */
export function memberMask(n: number, seed: number, p = 0.5): Uint8Array {
  if (!(p >= 0 && p <= 1)) throw new MedCryptError("bad-argument", `p must be in [0, 1], not ${p}`);
  const [members] = seededSplit(n, [p], seed);
  const mask = new Uint8Array(n);
  for (const i of members) mask[i] = 1;
  return mask;
}

/** A batch ready for `tf.tensor4d(x, shape)` and `tf.tensor1d(y, "int32")` / `tf.tensor2d`. */
export interface Float32Batch {
  /** Pixels scaled to [0, 1], NHWC order. */
  readonly x: Float32Array;
  /** `[n, height, width, channels]`. */
  readonly shape: [number, number, number, number];
  /** Class per image (first label column). */
  readonly y: Int32Array;
  /** One-hot `n * classes` targets (single-label), or the 0/1 label matrix (multi-label). */
  readonly yOneHot: Float32Array;
}

/**
 * Converts images `indices` (default: all) of a set into a float batch in [0, 1] (pixel / 255).
 *
 * @param set the source set
 * @param indices which images (default all, in order)
 * @param classes number of classes for the one-hot targets (default `max label + 1`, at least 2)
 * @returns the batch
 * @example
 * ```ts
 * import { toFloatBatch } from "./splits.ts";
 * import { loadPneumoniaMNIST } from "./medmnist.ts";
 * const { val } = await loadPneumoniaMNIST();
 * const b = toFloatBatch(val, [0, 1, 2, 3]);
 * console.log(b.shape, b.yOneHot.length); // [4, 28, 28, 1] 8
 * ```
 */
export function toFloatBatch(
  set: LabeledSet,
  indices?: ArrayLike<number>,
  classes?: number,
): Float32Batch {
  const idx = indices ?? Int32Array.from({ length: set.n }, (_, i) => i);
  const n = idx.length;
  const size = set.height * set.width * set.channels;
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  let k = classes ?? 2;
  if (classes === undefined) {
    if (set.labelWidth > 1) k = set.labelWidth;
    else for (const v of set.labels) if (v + 1 > k) k = v + 1;
  }
  const yOneHot = new Float32Array(n * k);
  for (let j = 0; j < n; j++) {
    const i = idx[j];
    const src = pixelsAt(set, i);
    for (let p = 0; p < size; p++) x[j * size + p] = src[p] / 255;
    y[j] = set.labels[i * set.labelWidth];
    if (set.labelWidth > 1) {
      for (let c = 0; c < k; c++) yOneHot[j * k + c] = set.labels[i * set.labelWidth + c];
    } else {
      if (y[j] >= k) throw new MedCryptError("bad-argument", `label ${y[j]} ≥ classes ${k}`);
      yOneHot[j * k + y[j]] = 1;
    }
  }
  return { x, shape: [n, set.height, set.width, set.channels], y, yOneHot };
}
