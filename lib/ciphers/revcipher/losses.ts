/**
 * The five loss families of paper B, differentiable (tfjs): histogram + entropy, adjacent-pixel
 * correlation, diffusion (NPCR/UACI surrogates), similarity between plain and cipher,
 * reconstruction, and the wrong-key error. Inputs are `[B, H, W, 1]` tensors in [0, 1].
 * `lib/cipher_metrics/revcipher_test.ts` checks each against the plain metric of `lib/cipher_metrics`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { softEntropy } from "./losses.ts";
 * const u = tf.randomUniform([1, 32, 32, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * console.log((await softEntropy(u, 16).data())[0] > 3.9); // true
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Entropy (bits) of a soft histogram: every value spreads over `bins` Gaussian bins of width
 * `1/bins` (σ = half a bin), so the entropy is differentiable. Per image, `[B]`.
 *
 * @param x `[B,H,W,1]` in [0, 1)
 * @param bins number of bins (the maximum is `log2(bins)`)
 * @returns `[B]` entropies in bits
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { softEntropy } from "./losses.ts";
 * console.log((await softEntropy(tf.zeros([1, 4, 4, 1]) as tf.Tensor4D, 8).data())[0] < 1.2); // true
 * ```
 */
export function softEntropy(x: tf.Tensor4D, bins = 32): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, h, w] = x.shape;
    const centres = tf.linspace(0.5 / bins, 1 - 0.5 / bins, bins).reshape([1, 1, bins]);
    const v = x.reshape([b, h * w, 1]);
    const sigma = 0.5 / bins;
    const logits = tf.neg(tf.div(tf.square(tf.sub(v, centres)), 2 * sigma * sigma));
    const soft = tf.softmax(logits, -1); // each value's bin weights sum to 1
    const hist = tf.mean(soft, 1); // [b, bins]
    return tf.neg(tf.sum(tf.mul(hist, tf.div(tf.log(tf.add(hist, 1e-12)), Math.LN2)), 1));
  }) as tf.Tensor1D;
}

function pearson(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  const am = tf.sub(a, tf.mean(a, 1, true)), bm = tf.sub(b, tf.mean(b, 1, true));
  const num = tf.sum(tf.mul(am, bm), 1);
  const den = tf.sqrt(tf.add(tf.mul(tf.sum(tf.square(am), 1), tf.sum(tf.square(bm), 1)), 1e-12));
  return tf.div(num, den) as tf.Tensor1D;
}

/**
 * Pearson correlation of adjacent pixels per image and direction: `[B, 3]` (horizontal,
 * vertical, diagonal), over all pairs.
 *
 * @param x `[B,H,W,1]`
 * @returns `[B, 3]`
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adjacentCorrelations } from "./losses.ts";
 * const ramp = tf.range(0, 64).reshape([1, 8, 8, 1]) as tf.Tensor4D;
 * console.log((await adjacentCorrelations(ramp).data())[0]); // 1 (nearly)
 * ```
 */
export function adjacentCorrelations(x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, h, w] = x.shape;
    const flat = (t: tf.Tensor) => t.reshape([b, -1]) as tf.Tensor2D;
    const hz = pearson(
      flat(x.slice([0, 0, 0, 0], [b, h, w - 1, 1])),
      flat(x.slice([0, 0, 1, 0], [b, h, w - 1, 1])),
    );
    const vt = pearson(
      flat(x.slice([0, 0, 0, 0], [b, h - 1, w, 1])),
      flat(x.slice([0, 1, 0, 0], [b, h - 1, w, 1])),
    );
    const dg = pearson(
      flat(x.slice([0, 0, 0, 0], [b, h - 1, w - 1, 1])),
      flat(x.slice([0, 1, 1, 0], [b, h - 1, w - 1, 1])),
    );
    return tf.stack([hz, vt, dg], 1) as tf.Tensor2D;
  });
}

/**
 * Pearson correlation between two images, per image `[B]` (similarity loss, wrong-key loss).
 *
 * @param a `[B,H,W,1]`
 * @param b `[B,H,W,1]`
 * @returns `[B]`
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { imageCorrelation } from "./losses.ts";
 * const a = tf.range(0, 16).reshape([1, 4, 4, 1]) as tf.Tensor4D;
 * console.log((await imageCorrelation(a, a).data())[0] > 0.999); // true
 * ```
 */
export function imageCorrelation(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const n = a.shape[0];
    return pearson(a.reshape([n, -1]) as tf.Tensor2D, b.reshape([n, -1]) as tf.Tensor2D);
  });
}

/**
 * Soft NPCR and UACI between two cipher images (fractions in [0, 1], per image `[B]` each):
 * NPCR counts a pixel as changed through `tanh(|Δ|·levels)` (≈ 1 once the values differ by one
 * quantisation level), UACI is the mean `|Δ|`.
 *
 * @param c1 first cipher `[B,H,W,1]` in [0, 1)
 * @param c2 second cipher
 * @param levels quantisation levels (255 for 8-bit)
 * @returns `{ npcr, uaci }`
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { softNpcrUaci } from "./losses.ts";
 * const a = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D, b = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
 * const { npcr, uaci } = softNpcrUaci(a, b, 255);
 * console.log((await npcr.data())[0] > 0.99, (await uaci.data())[0]); // true 1
 * ```
 */
export function softNpcrUaci(
  c1: tf.Tensor4D,
  c2: tf.Tensor4D,
  levels: number,
): { npcr: tf.Tensor1D; uaci: tf.Tensor1D } {
  return tf.tidy(() => {
    const d = tf.abs(tf.sub(c1, c2)).reshape([c1.shape[0], -1]);
    return {
      npcr: tf.mean(tf.tanh(tf.mul(d, levels)), 1) as tf.Tensor1D,
      uaci: tf.mean(d, 1) as tf.Tensor1D,
    };
  }) as { npcr: tf.Tensor1D; uaci: tf.Tensor1D };
}

/** The expected UACI (fraction) of two independent uniform images: 1/3. */
export const UACI_IDEAL = 1 / 3;

/** Weights of the loss terms. */
export interface LossWeights {
  /** Reconstruction (MSE + 0.1·L1). */
  reconstruction: number;
  /** `log2(bins) − entropy`. */
  entropy: number;
  /** Mean squared adjacent correlation. */
  correlation: number;
  /** `(1 − NPCR) + |UACI − 1/3|`. */
  diffusion: number;
  /** Squared correlation of plain and cipher. */
  similarity: number;
  /** Squared correlation of plain and wrong-key decryption + hinge on its MSE. */
  wrongKey: number;
}

/** Default weights. */
export const DEFAULT_WEIGHTS: LossWeights = {
  reconstruction: 1,
  entropy: 0.05,
  correlation: 0.1,
  diffusion: 0.05,
  similarity: 0.1,
  wrongKey: 0.05,
};

/**
 * Reconstruction loss `MSE + 0.1·L1` (scalar).
 *
 * @param xhat decrypted
 * @param x plain
 * @returns scalar
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { reconstructionLoss } from "./losses.ts";
 * const a = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
 * console.log((await reconstructionLoss(a, a).data())[0]); // 0
 * ```
 */
export function reconstructionLoss(xhat: tf.Tensor4D, x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.sub(xhat, x);
    return tf.add(tf.mean(tf.square(d)), tf.mul(0.1, tf.mean(tf.abs(d))));
  }) as tf.Scalar;
}

/**
 * Wrong-key loss: decrypting with a wrong key should not resemble the plain image (squared
 * correlation) and should be far from it (hinge: MSE below 0.05 is penalised).
 *
 * @param xw wrong-key decryption
 * @param x plain
 * @returns scalar
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { wrongKeyLoss } from "./losses.ts";
 * const a = tf.range(0, 16).div(16).reshape([1, 4, 4, 1]) as tf.Tensor4D;
 * console.log((await wrongKeyLoss(a, a).data())[0] > 1); // true
 * ```
 */
export function wrongKeyLoss(xw: tf.Tensor4D, x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() =>
    tf.add(
      tf.mean(tf.square(imageCorrelation(xw, x))),
      tf.relu(tf.sub(0.05, tf.mean(tf.square(tf.sub(xw, x))))).mul(20),
    )
  ) as tf.Scalar;
}
