/**
 * Model inversion after Fredrikson et al. (CCS 2015): reconstruct a representative input of a
 * class by maximising the model's confidence in that class, regularised by a total-variation
 * prior.
 *
 * - {@linkcode invertWhiteBox}: gradient descent on the input through the model (white box).
 * - {@linkcode invertBlackBox}: the same objective from released confidences only, with
 *   gradients estimated by antithetic Gaussian sampling (NES; Ilyas et al. 2018); every model
 *   query is counted.
 * - {@linkcode inversionLeakage}: how much closer the reconstructions are to the model's
 *   training images of the class than to held-out images of the class (best SSIM and PSNR
 *   against equally many candidates from each side), and how often the nearest image is a
 *   training image (0.5 = no leakage).
 * - {@linkcode evaluatorVerdict}: the verdict of an independently trained evaluation
 *   classifier (is the reconstruction recognised as the class?).
 *
 * @example
 * ```ts
 * import { buildModel } from "../nn/models.ts";
 * import { invertWhiteBox } from "./inversion.ts";
 * const model = buildModel("mlp", { width: 4, seed: 1 }); // in the studies: a trained target
 * const recons = invertWhiteBox(model, 1, { restarts: 2, steps: 10, seed: 1 });
 * console.log(recons.images.length, recons.size, recons.queries); // 2 28 20
 * console.log(recons.images[0].every((v) => v >= 0 && v <= 1)); // true (pixels in [0, 1])
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import type { LabeledSet } from "../datasets/medmnist.ts";
import { psnrOf, ssimOf } from "../cipher_metrics/similarity.ts";

/** Options of the inversion attacks. */
export interface InversionOptions {
  /** Independent reconstructions (random starts), default 4. */
  restarts?: number;
  /** Optimisation steps, default 300 (white box) / 150 (black box). */
  steps?: number;
  /** Step size of Adam on the pre-sigmoid image, default 0.05. */
  learningRate?: number;
  /** Weight of the total-variation prior, default 0.02 (per pixel, images in [0, 1]). */
  tvWeight?: number;
  /** Seed of the starts and (black box) the sampling. */
  seed?: number;
  /** Black box: antithetic pairs per step (default 10; 2 queries each). */
  samples?: number;
  /** Black box: sampling radius in pre-sigmoid units (default 0.5). */
  sigma?: number;
}

/** Reconstructions and what they cost. */
export interface Inversion {
  /** Reconstructed images, each `size × size` in [0, 1]. */
  images: Float32Array[];
  /** Side of the images. */
  size: number;
  /** Target class. */
  targetClass: number;
  /** Model confidence in the target class for each reconstruction. */
  confidence: number[];
  /** Number of single-image model queries (black box) or forward+backward passes (white box). */
  queries: number;
}

function sideOf(model: tf.LayersModel): number {
  const s = model.inputs[0].shape;
  if (s.length !== 4 || s[1] !== s[2] || s[3] !== 1) {
    throw new MedCryptError(
      "bad-argument",
      `inversion needs a square one-channel image model; input shape is [${s.join(", ")}]`,
    );
  }
  return s[1] as number;
}

function tv(x: tf.Tensor4D): tf.Tensor1D {
  const dy = x.slice([0, 1, 0, 0], [-1, -1, -1, -1]).sub(
    x.slice([0, 0, 0, 0], [-1, x.shape[1] - 1, -1, -1]),
  );
  const dx = x.slice([0, 0, 1, 0], [-1, -1, -1, -1]).sub(
    x.slice([0, 0, 0, 0], [-1, -1, x.shape[2] - 1, -1]),
  );
  const px = x.shape[1] * x.shape[2];
  return dy.abs().sum([1, 2, 3]).add(dx.abs().sum([1, 2, 3])).div(px) as tf.Tensor1D;
}

function starts(restarts: number, size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: restarts * size * size }, () => 0.3 * rng.normal());
}

/**
 * White-box inversion: Adam on `z` (image = sigmoid(z)) minimising
 * `−log p_c(x) + tvWeight · TV(x)`.
 *
 * @param model a softmax classifier on `size × size × 1` images in [0, 1]
 * @param targetClass the class to reconstruct
 * @param options restarts, steps, learning rate, TV weight, seed
 * @returns the {@linkcode Inversion}
 * @example
 * ```ts
 * import { buildModel } from "../nn/models.ts";
 * import { invertWhiteBox } from "./inversion.ts";
 * const inv = invertWhiteBox(buildModel("mlp", { width: 4, seed: 1 }), 1, { restarts: 2, steps: 5 });
 * console.log(inv.images.length, inv.images[0].length); // 2 784
 * ```
 */
export function invertWhiteBox(
  model: tf.LayersModel,
  targetClass: number,
  options: InversionOptions = {},
): Inversion {
  const { restarts = 4, steps = 300, learningRate = 0.05, tvWeight = 0.02, seed = 1 } = options;
  const size = sideOf(model);
  const z = tf.variable(tf.tensor4d(starts(restarts, size, seed), [restarts, size, size, 1]));
  const opt = tf.train.adam(learningRate);
  for (let s = 0; s < steps; s++) {
    const cost = opt.minimize(
      () =>
        tf.tidy(() => {
          const x = tf.sigmoid(z) as tf.Tensor4D;
          const p = model.apply(x, { training: false }) as tf.Tensor2D;
          const logp = p.slice([0, targetClass], [-1, 1]).reshape([-1]).clipByValue(1e-12, 1).log();
          return logp.neg().add(tv(x).mul(tvWeight)).mean() as tf.Scalar;
        }),
      true,
      [z],
    ); // only the image moves: the model's weights must stay untouched
    cost?.dispose();
  }
  const x = tf.sigmoid(z);
  const data = x.dataSync() as Float32Array;
  const conf = tf.tidy(() =>
    (model.predict(x) as tf.Tensor).slice([0, targetClass], [-1, 1]).dataSync()
  );
  const px = size * size;
  const images = Array.from({ length: restarts }, (_, r) => data.slice(r * px, (r + 1) * px));
  x.dispose();
  z.dispose();
  opt.dispose();
  return {
    images,
    size,
    targetClass,
    confidence: Array.from(conf),
    queries: steps * restarts,
  };
}

/**
 * Black-box inversion from released confidences only: the attacker sends images and reads back
 * class probabilities (through `query`), estimating the gradient of
 * `log p_c(x) − tvWeight · TV(x)` by antithetic Gaussian sampling around the current `z`.
 *
 * @param query returns `n × classes` probabilities for `n` images (`n × size²` floats in [0, 1])
 * @param size image side
 * @param classes number of classes
 * @param targetClass the class to reconstruct
 * @param options restarts, steps, samples, sigma, learning rate, TV weight, seed
 * @returns the {@linkcode Inversion}
 * @example
 * ```ts
 * import { invertBlackBox } from "./inversion.ts";
 * // a toy "model": P(class 1) rises with mean brightness
 * const query = (x: Float32Array, n: number) => {
 *   const out = new Float32Array(2 * n);
 *   for (let i = 0; i < n; i++) {
 *     let m = 0;
 *     for (let p = 0; p < 16; p++) m += x[i * 16 + p] / 16;
 *     out[2 * i + 1] = m;
 *     out[2 * i] = 1 - m;
 *   }
 *   return out;
 * };
 * const inv = invertBlackBox(query, 4, 2, 1, { restarts: 1, steps: 30, tvWeight: 0 });
 * console.log(inv.confidence[0] > 0.6); // true
 * ```
 */
export function invertBlackBox(
  query: (images: Float32Array, n: number) => Float32Array,
  size: number,
  classes: number,
  targetClass: number,
  options: InversionOptions = {},
): Inversion {
  const {
    restarts = 4,
    steps = 150,
    learningRate = 0.1,
    tvWeight = 0.02,
    seed = 1,
    samples = 10,
    sigma = 0.5,
  } = options;
  const px = size * size;
  const rng = new Rng(seed + 17);
  const z = starts(restarts, size, seed);
  const m = new Float32Array(z.length), v = new Float32Array(z.length);
  const sig = (t: number) => 1 / (1 + Math.exp(-t));
  const tvOf = (img: Float32Array, off: number) => {
    let s = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = off + y * size + x;
        if (x + 1 < size) s += Math.abs(img[i + 1] - img[i]);
        if (y + 1 < size) s += Math.abs(img[i + size] - img[i]);
      }
    }
    return s / px;
  };
  let queries = 0;
  const batch = new Float32Array(2 * samples * px);
  const noise = new Float32Array(samples * px);
  for (let step = 1; step <= steps; step++) {
    for (let r = 0; r < restarts; r++) {
      for (let k = 0; k < samples; k++) {
        for (let p = 0; p < px; p++) {
          const u = rng.normal();
          noise[k * px + p] = u;
          const zr = z[r * px + p];
          batch[(2 * k) * px + p] = sig(zr + sigma * u);
          batch[(2 * k + 1) * px + p] = sig(zr - sigma * u);
        }
      }
      const probs = query(batch, 2 * samples);
      queries += 2 * samples;
      const f = (j: number) =>
        Math.log(Math.max(1e-12, probs[j * classes + targetClass])) -
        tvWeight * tvOf(batch, j * px);
      const g = new Float32Array(px);
      for (let k = 0; k < samples; k++) {
        const d = (f(2 * k) - f(2 * k + 1)) / (2 * sigma * samples);
        for (let p = 0; p < px; p++) g[p] += d * noise[k * px + p];
      }
      // Adam ascent on z
      for (let p = 0; p < px; p++) {
        const i = r * px + p;
        m[i] = 0.9 * m[i] + 0.1 * g[p];
        v[i] = 0.999 * v[i] + 0.001 * g[p] * g[p];
        const mh = m[i] / (1 - 0.9 ** step), vh = v[i] / (1 - 0.999 ** step);
        z[i] += (learningRate * mh) / (Math.sqrt(vh) + 1e-8);
      }
    }
  }
  const images = Array.from(
    { length: restarts },
    (_, r) => Float32Array.from(z.subarray(r * px, (r + 1) * px), sig),
  );
  const all = new Float32Array(restarts * px);
  images.forEach((im, r) => all.set(im, r * px));
  const probs = query(all, restarts);
  queries += restarts;
  return {
    images,
    size,
    targetClass,
    confidence: Array.from({ length: restarts }, (_, r) => probs[r * classes + targetClass]),
    queries,
  };
}

/** Leakage of a set of reconstructions. */
export interface InversionLeakage {
  /** Mean over reconstructions of the best SSIM to a training image of the class. */
  ssimMembers: number;
  /** Mean over reconstructions of the best SSIM to a held-out image of the class. */
  ssimNonMembers: number;
  /** `ssimMembers − ssimNonMembers` (0 = no leakage beyond the class). */
  ssimGap: number;
  /** Same with PSNR (dB). */
  psnrMembers: number;
  /** Same with PSNR (dB). */
  psnrNonMembers: number;
  /** `psnrMembers − psnrNonMembers`. */
  psnrGap: number;
  /** Fraction of reconstructions whose most similar image (SSIM) is a training image (0.5 = chance). */
  nearestIsMember: number;
  /** Candidates compared on each side. */
  candidates: number;
}

function classImages(set: LabeledSet, cls: number, max: number, rng: Rng): Float32Array[] {
  const size = set.height * set.width;
  const idx: number[] = [];
  for (let i = 0; i < set.n; i++) if (set.labels[i * set.labelWidth] === cls) idx.push(i);
  const perm = rng.permutation(idx.length);
  return Array.from(
    perm.slice(0, Math.min(max, idx.length)),
    (j) =>
      Float32Array.from(set.images.subarray(idx[j] * size, (idx[j] + 1) * size), (v) => v / 255),
  );
}

/**
 * Compares reconstructions with the training images and held-out images of the target class,
 * using the same number of candidates from each side (a best match among more candidates is
 * better by chance alone).
 *
 * @param inversion the reconstructions
 * @param members the model's training images
 * @param nonMembers images the model never saw (same distribution)
 * @param options candidates per side (default 300) and seed
 * @returns the {@linkcode InversionLeakage}
 * @example
 * ```ts
 * import { inversionLeakage } from "./inversion.ts";
 * const set = (v: number) => ({ images: new Uint8Array(2 * 16).fill(v), labels: new Uint8Array(2).fill(1), n: 2, height: 4, width: 4, channels: 1, labelWidth: 1 });
 * const inv = { images: [new Float32Array(16).fill(1)], size: 4, targetClass: 1, confidence: [1], queries: 0 };
 * console.log(inversionLeakage(inv, set(255), set(0)).nearestIsMember); // 1
 * ```
 */
export function inversionLeakage(
  inversion: Inversion,
  members: LabeledSet,
  nonMembers: LabeledSet,
  options: { candidates?: number; seed?: number } = {},
): InversionLeakage {
  const rng = new Rng(options.seed ?? 1);
  const want = options.candidates ?? 300;
  let mem = classImages(members, inversion.targetClass, want, rng);
  let non = classImages(nonMembers, inversion.targetClass, want, rng);
  const k = Math.min(mem.length, non.length);
  if (k === 0) {
    throw new MedCryptError(
      "bad-argument",
      `no images of class ${inversion.targetClass} among members or non-members`,
    );
  }
  mem = mem.slice(0, k);
  non = non.slice(0, k);
  const s = inversion.size;
  const best = (img: Float32Array, pool: Float32Array[]) => {
    let bs = -Infinity, bp = -Infinity;
    for (const c of pool) {
      bs = Math.max(bs, ssimOf(img, c, s, s, 1));
      bp = Math.max(bp, psnrOf(img, c, 1));
    }
    return [bs, bp];
  };
  let sm = 0, sn = 0, pm = 0, pn = 0, near = 0;
  for (const img of inversion.images) {
    const [a, b] = best(img, mem), [c, d] = best(img, non);
    sm += a;
    pm += b;
    sn += c;
    pn += d;
    near += a > c ? 1 : a === c ? 0.5 : 0;
  }
  const n = inversion.images.length;
  return {
    ssimMembers: sm / n,
    ssimNonMembers: sn / n,
    ssimGap: (sm - sn) / n,
    psnrMembers: pm / n,
    psnrNonMembers: pn / n,
    psnrGap: (pm - pn) / n,
    nearestIsMember: near / n,
    candidates: k,
  };
}

/**
 * The verdict of an independently trained evaluation classifier on reconstructions: the
 * fraction recognised as the target class (the attack's success rate) and the mean confidence.
 *
 * @param evaluator a classifier trained on data disjoint from the attacked model's
 * @param inversion the reconstructions
 * @returns success rate and mean confidence in the target class
 * @example
 * ```ts
 * import { buildModel } from "../nn/models.ts";
 * import { evaluatorVerdict } from "./inversion.ts";
 * const inv = { images: [new Float32Array(784)], size: 28, targetClass: 0, confidence: [0.5], queries: 1 };
 * const v = evaluatorVerdict(buildModel("mlp", { width: 4 }), inv);
 * console.log(v.successRate >= 0 && v.successRate <= 1); // true
 * ```
 */
export function evaluatorVerdict(
  evaluator: tf.LayersModel,
  inversion: Inversion,
): { successRate: number; meanConfidence: number } {
  const n = inversion.images.length;
  const s = inversion.size;
  const all = new Float32Array(n * s * s);
  inversion.images.forEach((im, i) => all.set(im, i * s * s));
  const p = tf.tidy(() => {
    let x: tf.Tensor4D = tf.tensor4d(all, [n, s, s, 1]);
    const want = evaluator.inputs[0].shape[1] as number;
    if (want !== s) x = tf.image.resizeBilinear(x, [want, want]);
    return (evaluator.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
  const classes = p.length / n;
  let ok = 0, conf = 0;
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + arg]) arg = c;
    if (arg === inversion.targetClass) ok++;
    conf += p[i * classes + inversion.targetClass];
  }
  return { successRate: ok / n, meanConfidence: conf / n };
}
