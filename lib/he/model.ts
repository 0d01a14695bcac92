/**
 * The HE-friendly classifier: a small CNN whose only non-linearities are low-degree polynomials,
 * so that a CKKS server can evaluate it on ciphertexts. Its weights are plain typed arrays
 * ({@linkcode HeModel}), trained here with tfjs and evaluated in float64 by
 * {@linkcode heFriendlyPredictPlain} (the plaintext reference of the encrypted logits).
 *
 * Architecture (default): `conv 5×5 stride 2 (C filters) → act → avgpool 2×2 → dense H → act →
 * dense 2`, where `act` is either the square `x²` or a degree-2 least-squares approximation of
 * ReLU on `[-r, r]` ({@linkcode reluApproxCoefficients}).
 *
 * @example Train a tiny model for one epoch and predict in plaintext
 * ```ts ignore
 * import { heFriendlyPredictPlain, trainHeFriendly } from "./model.ts";
 * const { model, testAccuracy } = await trainHeFriendly({ epochs: 1, seed: 1 });
 * const logits = heFriendlyPredictPlain(model, new Uint8Array(28 * 28));
 * console.log(logits.length, testAccuracy > 0.5); // 2 true
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import { progress } from "../core/progress.ts";
import { Rng } from "../core/random.ts";
import { readFileChecked, writeFileAtomic } from "../core/fs.ts";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { affineAugment, type AugmentOptions } from "../nn/train.ts";

/** A polynomial activation `c0 + c1·x + c2·x²` (the square is `{c0: 0, c1: 0, c2: 1}`). */
export interface PolyCoefficients {
  /** Constant term. */
  readonly c0: number;
  /** Linear coefficient. */
  readonly c1: number;
  /** Quadratic coefficient (must be non-zero). */
  readonly c2: number;
}

/** A 2-D convolution over the (single-channel) input image, "valid" padding, channels last. */
export interface ConvLayer {
  /** Layer kind. */
  readonly kind: "conv2d";
  /** Kernel rows and columns. */
  readonly kernel: number;
  /** Stride (same in both directions). */
  readonly stride: number;
  /** Number of output channels. */
  readonly filters: number;
  /** Weights `[ky][kx][inC][outC]` flattened (tfjs layout, `inC` = 1). */
  readonly weights: Float64Array;
  /** Bias per output channel. */
  readonly bias: Float64Array;
}

/** An elementwise polynomial activation. */
export interface ActLayer {
  /** Layer kind. */
  readonly kind: "act";
  /** The polynomial. */
  readonly poly: PolyCoefficients;
  /** A name such as `"square"` or `"relu-approx"`. */
  readonly name: string;
}

/** Average pooling (non-overlapping `size × size` windows, channels last). */
export interface AvgPoolLayer {
  /** Layer kind. */
  readonly kind: "avgpool";
  /** Window size and stride. */
  readonly size: number;
}

/** A fully connected layer `y = W x + b` on the flattened (row, column, channel) features. */
export interface DenseLayer {
  /** Layer kind. */
  readonly kind: "dense";
  /** Output size. */
  readonly units: number;
  /** Weights `[in][out]` flattened (tfjs layout). */
  readonly weights: Float64Array;
  /** Bias `[out]`. */
  readonly bias: Float64Array;
}

/** One layer of an {@linkcode HeModel}. */
export type HeLayer = ConvLayer | ActLayer | AvgPoolLayer | DenseLayer;

/** A trained HE-friendly model in plain typed form (no tfjs objects). */
export interface HeModel {
  /** Input rows and columns (grey, 8-bit pixels scaled to `[0, 1]`). */
  readonly inputShape: readonly [number, number];
  /** The layers in order. */
  readonly layers: readonly HeLayer[];
  /**
   * Client-side preprocessing of the 8-bit pixels before encryption: `"unit"` (`v/255`) or
   * `"standardize"` (`v/255`, then minus the image's mean, divided by its standard deviation).
   * Absent means `"unit"`.
   */
  readonly inputNorm?: InputNorm;
  /** What produced it: seed, epochs, accuracy, activation. */
  readonly meta: Readonly<Record<string, string | number>>;
}

/** Client-side input preprocessing, see {@linkcode HeModel.inputNorm}. */
export type InputNorm = "unit" | "standardize";

/**
 * Preprocesses one 8-bit image as the model expects (this runs at the client, before encryption).
 *
 * @param pixels `rows*cols` pixels 0..255
 * @param norm the model's {@linkcode InputNorm}
 * @param out optional destination
 * @returns the input values
 * @example
 * ```ts
 * import { preprocess } from "./model.ts";
 * console.log(Array.from(preprocess(new Uint8Array([0, 255]), "standardize"))); // [-1, 1]
 * ```
 */
export function preprocess(
  pixels: ArrayLike<number>,
  norm: InputNorm = "unit",
  out: Float64Array = new Float64Array(pixels.length),
): Float64Array {
  let mean = 0;
  for (let j = 0; j < pixels.length; j++) {
    out[j] = pixels[j] / 255;
    mean += out[j];
  }
  if (norm === "standardize") {
    mean /= pixels.length;
    let v = 0;
    for (let j = 0; j < pixels.length; j++) v += (out[j] - mean) ** 2;
    const sd = Math.sqrt(v / pixels.length) || 1;
    for (let j = 0; j < pixels.length; j++) out[j] = (out[j] - mean) / sd;
  }
  return out;
}

/** Shape of the activations after a layer: `[rows, cols, channels]` or `[features]`. */
export type Shape = readonly [number, number, number] | readonly [number];

/**
 * Computes the output shape of every layer and checks the model is consistent.
 *
 * @param model the model
 * @returns the shapes after each layer (index `i` is after `layers[i]`)
 * @example
 * ```ts
 * import { layerShapes, tinyModel } from "./model.ts";
 * console.log(layerShapes(tinyModel(1)).at(-1)); // [2]
 * ```
 */
export function layerShapes(model: HeModel): Shape[] {
  let shape: Shape = [model.inputShape[0], model.inputShape[1], 1];
  const out: Shape[] = [];
  for (const [i, l] of model.layers.entries()) {
    const bad = (why: string) => new MedCryptError("bad-model", `layer ${i} (${l.kind}): ${why}`);
    if (l.kind === "conv2d") {
      if (shape.length !== 3 || shape[2] !== 1) {
        throw bad("a convolution must read the input image");
      }
      const oh: number = Math.floor((shape[0] - l.kernel) / l.stride) + 1;
      const ow: number = Math.floor((shape[1]! - l.kernel) / l.stride) + 1;
      if (oh < 1 || ow < 1) throw bad("kernel larger than the input");
      if (l.weights.length !== l.kernel * l.kernel * l.filters || l.bias.length !== l.filters) {
        throw bad("weight sizes do not match kernel and filters");
      }
      shape = [oh, ow, l.filters];
    } else if (l.kind === "avgpool") {
      if (shape.length !== 3) throw bad("pooling needs a 2-D feature map");
      shape = [Math.floor(shape[0] / l.size), Math.floor(shape[1] / l.size), shape[2]];
    } else if (l.kind === "dense") {
      const n = shape.reduce((a, b) => a * b, 1);
      if (l.weights.length !== n * l.units || l.bias.length !== l.units) {
        throw bad(`weights hold ${l.weights.length} values, expected ${n}×${l.units}`);
      }
      shape = [l.units];
    } else if (l.kind === "act") {
      if (l.poly.c2 === 0) throw bad("the quadratic coefficient must be non-zero");
    }
    out.push(shape);
  }
  return out;
}

function act(p: PolyCoefficients, x: number): number {
  return p.c0 + x * (p.c1 + p.c2 * x);
}

/**
 * Forward pass of every layer in float64 for one image (pixels already scaled to `[0,1]`).
 *
 * @param model the model
 * @param x `rows*cols` input values
 * @returns the activations after each layer (flattened, channels last)
 * @example
 * ```ts
 * import { forwardPlain, tinyModel } from "./model.ts";
 * const acts = forwardPlain(tinyModel(1), new Float64Array(16));
 * console.log(acts.length); // 3
 * ```
 */
export function forwardPlain(model: HeModel, x: Float64Array): Float64Array[] {
  const shapes = layerShapes(model);
  let cur = x;
  let shape: Shape = [model.inputShape[0], model.inputShape[1], 1];
  const outs: Float64Array[] = [];
  for (const [i, l] of model.layers.entries()) {
    const next = shapes[i];
    const y = new Float64Array(next.reduce((a, b) => a * b, 1));
    if (l.kind === "conv2d") {
      const [oh, ow, C] = next as [number, number, number];
      const W = shape[1]!;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let c = 0; c < C; c++) {
            let s = l.bias[c];
            for (let ky = 0; ky < l.kernel; ky++) {
              for (let kx = 0; kx < l.kernel; kx++) {
                s += l.weights[(ky * l.kernel + kx) * C + c] *
                  cur[(oy * l.stride + ky) * W + ox * l.stride + kx];
              }
            }
            y[(oy * ow + ox) * C + c] = s;
          }
        }
      }
    } else if (l.kind === "act") {
      for (let j = 0; j < y.length; j++) y[j] = act(l.poly, cur[j]);
    } else if (l.kind === "avgpool") {
      const [ph, pw, C] = next as [number, number, number];
      const W = shape[1]!;
      const k = l.size;
      for (let py = 0; py < ph; py++) {
        for (let px = 0; px < pw; px++) {
          for (let c = 0; c < C; c++) {
            let s = 0;
            for (let dy = 0; dy < k; dy++) {
              for (let dx = 0; dx < k; dx++) s += cur[((py * k + dy) * W + px * k + dx) * C + c];
            }
            y[(py * pw + px) * C + c] = s / (k * k);
          }
        }
      }
    } else {
      const n = cur.length;
      for (let o = 0; o < l.units; o++) {
        let s = l.bias[o];
        for (let j = 0; j < n; j++) s += cur[j] * l.weights[j * l.units + o];
        y[o] = s;
      }
    }
    outs.push(y);
    cur = y;
    shape = next;
  }
  return outs;
}

/**
 * The plaintext reference: logits of the HE-friendly model for 8-bit images, in float64.
 *
 * @param model the model
 * @param images `n * rows * cols` pixels (0..255), one or more images
 * @returns `n * classes` logits
 * @example
 * ```ts
 * import { heFriendlyPredictPlain, tinyModel } from "./model.ts";
 * console.log(heFriendlyPredictPlain(tinyModel(1), new Uint8Array(16)).length); // 2
 * ```
 */
export function heFriendlyPredictPlain(model: HeModel, images: Uint8Array): Float64Array {
  const px = model.inputShape[0] * model.inputShape[1];
  if (images.length % px !== 0) {
    throw new MedCryptError(
      "bad-shape",
      `${images.length} pixels are not whole ${px}-pixel images`,
    );
  }
  const n = images.length / px;
  const classes = (layerShapes(model).at(-1) as readonly number[])[0];
  const out = new Float64Array(n * classes);
  const x = new Float64Array(px);
  for (let i = 0; i < n; i++) {
    preprocess(images.subarray(i * px, (i + 1) * px), model.inputNorm, x);
    out.set(forwardPlain(model, x).at(-1)!, i * classes);
  }
  return out;
}

/**
 * Least-squares degree-2 approximation of ReLU on `[-r, r]` (uniform weight, closed form):
 * `relu(x) ≈ 3r/32 + x/2 + 15/(32 r) x²`.
 *
 * @param r half-width of the interval
 * @returns the polynomial
 * @example
 * ```ts
 * import { reluApproxCoefficients } from "./model.ts";
 * console.log(reluApproxCoefficients(4).c1); // 0.5
 * ```
 */
export function reluApproxCoefficients(r: number): PolyCoefficients {
  return { c0: (3 * r) / 32, c1: 0.5, c2: 15 / (32 * r) };
}

/** The square activation. */
export const SQUARE: PolyCoefficients = Object.freeze({ c0: 0, c1: 0, c2: 1 });

/**
 * A tiny deterministic model on 4×4 inputs (`dense 4 → square → dense 2`) for tests of the
 * HE machinery that must be fast.
 *
 * @param seed seed of the random weights
 * @returns the model
 * @example
 * ```ts
 * import { tinyModel } from "./model.ts";
 * console.log(tinyModel(3).layers.length); // 3
 * ```
 */
export function tinyModel(seed: number): HeModel {
  const rng = new Rng(seed);
  const w = (n: number, s: number) => Float64Array.from({ length: n }, () => rng.normal() * s);
  return {
    inputShape: [4, 4],
    layers: [
      { kind: "dense", units: 4, weights: w(64, 0.4), bias: w(4, 0.1) },
      { kind: "act", poly: SQUARE, name: "square" },
      { kind: "dense", units: 2, weights: w(8, 0.5), bias: w(2, 0.1) },
    ],
    meta: { seed, kind: "tiny" },
  };
}

/** Options of {@linkcode trainHeFriendly}. */
export interface TrainHeFriendlyOptions {
  /** Seed of initialisation and shuffling (default 1). */
  seed?: number;
  /** Epochs (default 30). */
  epochs?: number;
  /** Batch size (default 64). */
  batchSize?: number;
  /** Learning rate of Adam (default 0.003). */
  learningRate?: number;
  /** Convolution filters (default 5). */
  filters?: number;
  /**
   * Hidden units (default 32); 0 leaves the hidden layer and its activation out
   * (conv → act → pool → dense: depth 3, which fits N = 4096).
   */
  hidden?: number;
  /** `"square"` (default) or `"relu-approx"`. */
  activation?: "square" | "relu-approx";
  /** Path of the PneumoniaMNIST `.npz` (default: the embedded one). */
  dataPath?: string;
  /** Random shifts up to this many pixels and ±10 % contrast jitter while training (default 2). */
  augment?: number;
  /** L2 weight decay on the weights (default 1e-4). */
  weightDecay?: number;
  /** Client-side input preprocessing (default `"standardize"`). */
  inputNorm?: InputNorm;
  /**
   * Class weighting of the loss: `"none"` (default) or `"balanced"` (each class weighted by
   * `n / (2·n_class)` of the training split, so the minority class — normal — counts as much as
   * the majority).
   */
  classWeight?: "none" | "balanced";
  /**
   * Richer augmentation, the classifiers' (`affineAugment` of `lib/nn/train.ts`: flips, rotations,
   * zooms, continuous shifts, contrast/brightness). When given it replaces the integer shifts and
   * gain of `augment`.
   */
  affine?: AugmentOptions;
  /**
   * Learning-rate schedule: `constant` (default) or `cosine` (from `learningRate` down to 1 % of it
   * at the end, per step, as in `lib/nn/train.ts`).
   */
  schedule?: "constant" | "cosine";
  /** Label smoothing of the one-hot targets (default 0). */
  labelSmoothing?: number;
}

/** What {@linkcode trainHeFriendly} returns. */
export interface TrainedHeModel {
  /** The model, weights as plain typed arrays. */
  model: HeModel;
  /** Accuracy of the float64 reference on the test split. */
  testAccuracy: number;
  /** Accuracy on the validation split (used to pick the best epoch). */
  valAccuracy: number;
  /** Mean cross-entropy on the validation split of the kept epoch (breaks ties of accuracy). */
  valLoss: number;
  /** Training loss per epoch. */
  losses: number[];
}

function augmentBatch(
  images: Uint8Array,
  ids: number[],
  h: number,
  w: number,
  shift: number,
  rng: Rng,
  norm: InputNorm,
  affine?: AugmentOptions,
): Float32Array {
  const px = h * w;
  const tmp = new Float64Array(px);
  const out = new Float32Array(ids.length * px);
  for (const [k, id] of ids.entries()) {
    if (affine) {
      const dst = out.subarray(k * px, (k + 1) * px);
      affineAugment(images.subarray(id * px, (id + 1) * px), dst, h, w, 1, affine, rng);
      for (let j = 0; j < px; j++) dst[j] *= 255; // back to 0..255 for preprocess
      preprocess(dst, norm, tmp);
      out.set(tmp, k * px);
      continue;
    }
    const dy = shift ? rng.int(2 * shift + 1) - shift : 0;
    const dx = shift ? rng.int(2 * shift + 1) - shift : 0;
    const gain = shift ? 0.9 + 0.2 * rng.next() : 1;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y + dy));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w - 1, Math.max(0, x + dx));
        out[k * px + y * w + x] = Math.min(255, images[id * px + sy * w + sx] * gain);
      }
    }
    preprocess(out.subarray(k * px, (k + 1) * px), norm, tmp);
    out.set(tmp, k * px);
  }
  return out;
}

/**
 * Accuracy of `model` (float64 reference) on images and labels.
 *
 * @param model the model
 * @param images `n*rows*cols` pixels
 * @param labels `n` labels
 * @returns the fraction of correct argmax predictions
 * @example
 * ```ts
 * import { accuracyPlain, tinyModel } from "./model.ts";
 * console.log(accuracyPlain(tinyModel(1), new Uint8Array(16), new Uint8Array(1)) <= 1); // true
 * ```
 */
export function accuracyPlain(model: HeModel, images: Uint8Array, labels: Uint8Array): number {
  const logits = heFriendlyPredictPlain(model, images);
  const k = logits.length / labels.length;
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (logits[i * k + c] > logits[i * k + best]) best = c;
    if (best === labels[i]) ok++;
  }
  return ok / labels.length;
}

/** Mean softmax cross-entropy of the float64 reference on images and labels. */
function lossPlain(model: HeModel, images: Uint8Array, labels: Uint8Array): number {
  const logits = heFriendlyPredictPlain(model, images);
  const k = logits.length / labels.length;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, logits[i * k + c]);
    let z = 0;
    for (let c = 0; c < k; c++) z += Math.exp(logits[i * k + c] - m);
    sum += m + Math.log(z) - logits[i * k + labels[i]];
  }
  return sum / labels.length;
}

/**
 * Trains the HE-friendly CNN on the embedded PneumoniaMNIST with tfjs (whatever backend is
 * active; call `initBackend()` first for the fastest one) and returns it in plain typed form.
 * The epoch with the best validation accuracy is kept (ties: the lower validation loss).
 *
 * @param opts seed, epochs, sizes, activation
 * @returns the model and its accuracies
 * @example
 * ```ts ignore
 * import { trainHeFriendly } from "./model.ts";
 * const { model, testAccuracy } = await trainHeFriendly({ seed: 1, epochs: 2 });
 * console.log(model.layers.map((l) => l.kind).join()); // conv2d,act,avgpool,dense,act,dense
 * console.log(testAccuracy.toFixed(2)); // e.g. 0.85 (float64 reference on the test split)
 * ```
 */
export async function trainHeFriendly(opts: TrainHeFriendlyOptions = {}): Promise<TrainedHeModel> {
  const seed = opts.seed ?? 1;
  const epochs = opts.epochs ?? 30;
  const batchSize = opts.batchSize ?? 64;
  const C = opts.filters ?? 5;
  const H = opts.hidden ?? 32;
  const activation = opts.activation ?? "square";
  const poly = activation === "square" ? SQUARE : reluApproxCoefficients(4);
  const { train, val, test } = await loadPneumoniaMNIST(opts.dataPath);
  const [h, w] = [train.height, train.width];
  const K = 5, S = 2;
  const oh = Math.floor((h - K) / S) + 1, ow = Math.floor((w - K) / S) + 1;
  const ph = Math.floor(oh / 2), pw = Math.floor(ow / 2);
  const nFlat = ph * pw * C;
  const rng = new Rng(seed);
  const init = (shape: number[], fanIn: number) =>
    tf.variable(
      tf.tensor(
        Float32Array.from(
          { length: shape.reduce((a, b) => a * b, 1) },
          () => rng.normal() * Math.sqrt(1 / fanIn),
        ),
        shape,
      ),
    );
  const convW = init([K, K, 1, C], K * K);
  const convB = tf.variable(tf.zeros([C]));
  // hidden = 0: no hidden layer (conv → act → pool → dense, depth 3, fits N = 4096)
  const d1W = H > 0 ? init([nFlat, H], nFlat) : undefined;
  const d1B = H > 0 ? tf.variable(tf.zeros([H])) : undefined;
  const d2W = H > 0 ? init([H, 2], H) : init([nFlat, 2], nFlat);
  const d2B = tf.variable(tf.zeros([2]));
  const vars = [convW, convB, ...(d1W && d1B ? [d1W, d1B] : []), d2W, d2B];
  const polyT = (x: tf.Tensor) =>
    tf.add(tf.mul(x, tf.add(tf.scalar(poly.c1), tf.mul(tf.scalar(poly.c2), x))), poly.c0);
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    let y: tf.Tensor = tf.add(tf.conv2d(x, convW as tf.Variable<tf.Rank.R4>, S, "valid"), convB);
    y = polyT(y);
    y = tf.avgPool(y as tf.Tensor4D, 2, 2, "valid");
    y = tf.reshape(y, [-1, nFlat]);
    if (d1W && d1B) {
      y = polyT(tf.add(tf.matMul(y as tf.Tensor2D, d1W as tf.Variable<tf.Rank.R2>), d1B));
    }
    return tf.add(tf.matMul(y as tf.Tensor2D, d2W as tf.Variable<tf.Rank.R2>), d2B) as tf.Tensor2D;
  };
  const lr0 = opts.learningRate ?? 0.003;
  const opt = tf.train.adam(lr0);
  const schedule = opts.schedule ?? "constant";
  const smooth = opts.labelSmoothing ?? 0;
  const affine = opts.affine;
  const aug = opts.augment ?? 2;
  const wd = opts.weightDecay ?? 1e-4;
  const inputNorm = opts.inputNorm ?? "standardize";
  const yTrain = tf.oneHot(tf.tensor1d(Array.from(train.labels.subarray(0, train.n)), "int32"), 2);
  const classWeight = opts.classWeight ?? "none";
  const counts = [0, 0];
  for (let i = 0; i < train.n; i++) counts[train.labels[i]]++;
  const cw = classWeight === "balanced"
    ? counts.map((c) => train.n / (2 * Math.max(1, c)))
    : [1, 1];
  const snapshot = (): HeModel => {
    const f = (v: tf.Variable) => Float64Array.from(v.dataSync());
    return {
      inputShape: [h, w],
      inputNorm,
      layers: [
        { kind: "conv2d", kernel: K, stride: S, filters: C, weights: f(convW), bias: f(convB) },
        { kind: "act", poly, name: activation },
        { kind: "avgpool", size: 2 },
        ...(d1W && d1B
          ? [
            { kind: "dense" as const, units: H, weights: f(d1W), bias: f(d1B) },
            { kind: "act" as const, poly, name: activation },
          ]
          : []),
        { kind: "dense", units: 2, weights: f(d2W), bias: f(d2B) },
      ],
      meta: {
        seed,
        epochs,
        batchSize,
        filters: C,
        hidden: H,
        activation,
        augment: aug,
        weightDecay: wd,
        ...(classWeight !== "none" ? { classWeight } : {}),
        ...(opts.learningRate !== undefined ? { learningRate: opts.learningRate } : {}),
        ...(affine ? { affine: JSON.stringify(affine) } : {}),
        ...(schedule !== "constant" ? { schedule } : {}),
        ...(smooth ? { labelSmoothing: smooth } : {}),
      },
    };
  };
  let best: HeModel | undefined;
  let bestVal = -1, bestLoss = Infinity;
  const losses: number[] = [];
  const bar = progress("train he-friendly", epochs);
  const steps = Math.ceil(train.n / batchSize);
  for (let e = 0; e < epochs; e++) {
    const perm = rng.permutation(train.n);
    let lossSum = 0, batches = 0;
    for (let b = 0; b < train.n; b += batchSize) {
      if (schedule === "cosine") {
        const t = (e * steps + b / batchSize) / (epochs * steps);
        // AdamOptimizer reads its learningRate field at every step
        (opt as unknown as { learningRate: number }).learningRate = lr0 *
          (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * t)));
      }
      const ids = Array.from(perm.slice(b, b + batchSize));
      const idx = tf.tensor1d(ids, "int32");
      const sw = Float32Array.from(ids, (id) => cw[train.labels[id]]);
      const xbData = augmentBatch(train.images, ids, h, w, aug, rng, inputNorm, affine);
      const loss = tf.tidy(() => {
        const xb = tf.tensor4d(xbData, [ids.length, h, w, 1]);
        const yb = tf.gather(yTrain, idx);
        const wb = tf.tensor1d(sw);
        return opt.minimize(() => {
          const ce = tf.losses.softmaxCrossEntropy(yb, forward(xb), wb, smooth) as tf.Scalar;
          const l2 = tf.addN(
            [convW, ...(d1W ? [d1W] : []), d2W].map((v) => tf.sum(tf.square(v))),
          );
          return tf.add(ce, tf.mul(wd, l2)) as tf.Scalar;
        }, true)!;
      });
      lossSum += (await loss.data())[0];
      batches++;
      loss.dispose();
      idx.dispose();
    }
    const m = snapshot();
    const va = accuracyPlain(m, val.images, val.labels);
    const vl = lossPlain(m, val.images, val.labels);
    if (va > bestVal || (va === bestVal && vl < bestLoss)) {
      bestVal = va;
      bestLoss = vl;
      best = m;
    }
    losses.push(lossSum / batches);
    bar.tick({ loss: lossSum / batches, val: va });
  }
  bar.done();
  tf.dispose([yTrain, ...vars]);
  opt.dispose();
  const testAccuracy = accuracyPlain(best!, test.images, test.labels);
  const model: HeModel = {
    ...best!,
    meta: { ...best!.meta, valAccuracy: bestVal, valLoss: bestLoss, testAccuracy },
  };
  return { model, testAccuracy, valAccuracy: bestVal, valLoss: bestLoss, losses };
}

// ---------------------------------------------------------------------------------------------
// Serialisation

interface LayerJson {
  kind: string;
  [k: string]: unknown;
}

/**
 * Serialises a model as JSON (weights as number arrays, full float64 precision).
 *
 * @param model the model
 * @returns UTF-8 JSON bytes
 * @example
 * ```ts
 * import { modelFromJson, modelToJson, tinyModel } from "./model.ts";
 * const m = modelFromJson(modelToJson(tinyModel(2)));
 * console.log(m.layers.length); // 3
 * ```
 */
export function modelToJson(model: HeModel): Uint8Array {
  const layers = model.layers.map((l) => {
    const o: Record<string, unknown> = { ...l };
    for (const k of ["weights", "bias"]) {
      if (k in o) o[k] = Array.from(o[k] as Float64Array);
    }
    return o;
  });
  return new TextEncoder().encode(
    JSON.stringify({
      format: "medcrypt-he-model/1",
      inputShape: model.inputShape,
      inputNorm: model.inputNorm ?? "unit",
      layers,
      meta: model.meta,
    }),
  );
}

/**
 * Parses a model written by {@linkcode modelToJson}; throws {@linkcode MedCryptError} on
 * anything else.
 *
 * @param bytes the JSON bytes
 * @param file the file name, for messages
 * @returns the model (checked with {@linkcode layerShapes})
 * @example
 * ```ts
 * import { modelFromJson, modelToJson, tinyModel } from "./model.ts";
 * console.log(modelFromJson(modelToJson(tinyModel(1))).inputShape); // [4, 4]
 * ```
 */
export function modelFromJson(bytes: Uint8Array, file?: string): HeModel {
  let j: {
    format?: string;
    inputShape?: [number, number];
    inputNorm?: InputNorm;
    layers?: LayerJson[];
    meta?: Record<string, string | number>;
  };
  try {
    j = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new MedCryptError("bad-format", `not JSON: ${(e as Error).message}`, { file });
  }
  if (
    j.format !== "medcrypt-he-model/1" || !Array.isArray(j.layers) || !Array.isArray(j.inputShape)
  ) {
    throw new MedCryptError("bad-format", "not a medcrypt-he-model/1 file", { file });
  }
  const [h, w] = j.inputShape;
  const dim = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4096;
  if (j.inputShape.length !== 2 || !dim(h) || !dim(w)) {
    throw new MedCryptError(
      "bad-model",
      `input shape ${JSON.stringify(j.inputShape)} is not two whole numbers in 1..4096`,
      { file },
    );
  }
  if (j.layers.length === 0) {
    throw new MedCryptError("bad-model", "the model has no layers", { file });
  }
  const layers = j.layers.map((l, i) => {
    const o: Record<string, unknown> = { ...l };
    for (const k of ["weights", "bias"]) {
      if (!(k in o)) continue;
      const v = o[k];
      const bad = Array.isArray(v)
        ? v.findIndex((x) => typeof x !== "number" || !Number.isFinite(x))
        : -2;
      if (bad !== -1) {
        throw new MedCryptError(
          "bad-model",
          bad === -2
            ? `layer ${i} ${k} is not an array of numbers`
            : `layer ${i} ${k}[${bad}] is ${
              JSON.stringify((v as unknown[])[bad]) ?? String((v as unknown[])[bad])
            }, not a finite number`,
          { file },
        );
      }
      o[k] = Float64Array.from(v as number[]);
    }
    return o as unknown as HeLayer;
  });
  if (j.inputNorm !== undefined && j.inputNorm !== "unit" && j.inputNorm !== "standardize") {
    throw new MedCryptError("bad-format", `unknown inputNorm '${j.inputNorm}'`, { file });
  }
  const model: HeModel = {
    inputShape: j.inputShape,
    inputNorm: j.inputNorm ?? "unit",
    layers,
    meta: j.meta ?? {},
  };
  try {
    layerShapes(model);
  } catch (e) {
    throw new MedCryptError("bad-model", (e as Error).message, { file });
  }
  return model;
}

/**
 * Writes a model atomically.
 *
 * @param path target file
 * @param model the model
 * @returns nothing
 * @example
 * ```ts
 * import { saveHeModel, tinyModel } from "./model.ts";
 * const p = `${await Deno.makeTempDir()}/m.json`;
 * await saveHeModel(p, tinyModel(1));
 * console.log(JSON.parse(await Deno.readTextFile(p)).format); // "medcrypt-he-model/1"
 * ```
 */
export async function saveHeModel(path: string, model: HeModel): Promise<void> {
  await writeFileAtomic(path, modelToJson(model));
}

/**
 * Reads a model written by {@linkcode saveHeModel}.
 *
 * @param path the file
 * @returns the model
 * @example
 * ```ts
 * import { loadHeModel, saveHeModel, tinyModel } from "./model.ts";
 * const p = `${await Deno.makeTempDir()}/m.json`;
 * await saveHeModel(p, tinyModel(1));
 * console.log((await loadHeModel(p)).layers.length); // 3
 * ```
 */
export async function loadHeModel(path: string): Promise<HeModel> {
  return modelFromJson(await readFileChecked(path), path);
}

/**
 * Runs the model with tfjs (float32, whatever backend is active): the plaintext baseline of the
 * benchmarks. Same weights and preprocessing as the encrypted model.
 *
 * @param model the model (conv-first or dense-first)
 * @param inputs `n` preprocessed inputs of `rows*cols` values
 * @returns `n * classes` logits
 * @example
 * ```ts
 * import { tfPredict, tinyModel } from "./model.ts";
 * console.log((await tfPredict(tinyModel(1), [new Float64Array(16)])).length); // 2
 * ```
 */
export async function tfPredict(
  model: HeModel,
  inputs: readonly Float64Array[],
): Promise<Float32Array> {
  const [h, w] = model.inputShape;
  const flat = new Float32Array(inputs.length * h * w);
  inputs.forEach((x, i) => flat.set(x, i * h * w));
  const out = tf.tidy(() => {
    let y: tf.Tensor = tf.tensor4d(flat, [inputs.length, h, w, 1]);
    for (const l of model.layers) {
      if (l.kind === "conv2d") {
        const k = tf.tensor4d(Float32Array.from(l.weights), [l.kernel, l.kernel, 1, l.filters]);
        y = tf.add(
          tf.conv2d(y as tf.Tensor4D, k, l.stride, "valid"),
          tf.tensor1d(Float32Array.from(l.bias)),
        );
      } else if (l.kind === "act") {
        const p = l.poly;
        y = tf.add(tf.mul(y, tf.add(tf.scalar(p.c1), tf.mul(tf.scalar(p.c2), y))), p.c0);
      } else if (l.kind === "avgpool") {
        y = tf.avgPool(y as tf.Tensor4D, l.size, l.size, "valid");
      } else {
        const n = l.weights.length / l.units;
        y = tf.add(
          tf.matMul(
            tf.reshape(y, [inputs.length, n]),
            tf.tensor2d(Float32Array.from(l.weights), [n, l.units]),
          ),
          tf.tensor1d(Float32Array.from(l.bias)),
        );
      }
    }
    return y;
  });
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}
