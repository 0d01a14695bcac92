/**
 * Training loop for the classifiers: seeded shuffles and augmentation, progress, early stopping
 * on validation loss (best weights restored), and resumable checkpoints in the tfjs Layers
 * format (`checkpointDir/last`, `checkpointDir/best`, `checkpointDir/state.json`). A finished
 * run whose checkpoint matches (same model, data and options) is loaded instead of retrained,
 * which is how reference models of the attacks are cached.
 *
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * import { buildModel } from "./models.ts";
 * import { train } from "./train.ts";
 * import { loadPneumoniaMNIST, subset } from "../datasets/mod.ts";
 * await initBackend();
 * const { train: tr } = await loadPneumoniaMNIST();
 * const model = buildModel("mlp", { width: 8, seed: 1 });
 * const r = await train(model, subset(tr, [0, 1, 2, 3]), { epochs: 1, seed: 1, quiet: true });
 * console.log(r.history.length); // 1
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { progress } from "../core/progress.ts";
import { Rng } from "../core/random.ts";
import { type LabeledSet, pixelsAt } from "../datasets/medmnist.ts";
import { loadModelFromDir, saveModelToDir } from "./train_io.ts";
import { type DpOptions, dpSchedule, dpStep, poissonBatch } from "./dpsgd.ts";

/** Data augmentation applied to training batches (seeded). */
export interface AugmentOptions {
  /** Maximum random translation in pixels, each axis (edge pixels repeated; default 0). */
  shift?: number;
  /** Random horizontal flips (default false). */
  flip?: boolean;
  /** Maximum random rotation in degrees, either way (bilinear, edges repeated; default 0). */
  rotate?: number;
  /** Maximum random zoom as a fraction: scale drawn from `[1 - zoom, 1 + zoom]` (default 0). */
  zoom?: number;
  /** Maximum random contrast/brightness change as a fraction (default 0). */
  intensity?: number;
}

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Maximum number of epochs. */
  epochs: number;
  /** Mini-batch size (default 64). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Seed of shuffles and augmentation (default 0); the model's own seed sets its initial weights. */
  seed?: number;
  /** Validation set for early stopping and the per-epoch log. */
  validation?: LabeledSet;
  /** Stop after this many epochs without a lower validation loss (needs `validation`). */
  patience?: number;
  /** Augmentation of training batches (default none). */
  augment?: AugmentOptions;
  /** Folder for resumable checkpoints (created). */
  checkpointDir?: string;
  /** Label of the progress bar (default the model's name). */
  label?: string;
  /** No progress output. */
  quiet?: boolean;
  /** Number of classes (default 2). */
  classes?: number;
  /** Run at most this many epochs in this call (a time-boxed step; a later call resumes). */
  maxEpochsThisCall?: number;
  /**
   * Learning-rate schedule over `epochs`: `constant` (default), or `cosine` (from `learningRate`
   * down to 1% of it at the last epoch, annealed per step).
   */
  schedule?: "constant" | "cosine";
  /** Label smoothing of the one-hot targets (default 0). */
  labelSmoothing?: number;
  /**
   * Train with DP-SGD (`dpsgd.ts`): Poisson-sampled batches of expected size `batchSize`,
   * per-record clipping, Gaussian noise. ε follows from `dpEpsilon` and `dpSchedule`.
   */
  dp?: DpOptions;
  /** Called after every epoch (progress of a training job); does not change the training. */
  onEpoch?: (log: EpochLog, epochs: number) => void;
}

/** One epoch of the training log. */
export interface EpochLog {
  /** Epoch number, from 1. */
  epoch: number;
  /** Mean training loss. */
  loss: number;
  /** Training accuracy (on augmented batches). */
  acc: number;
  /** Validation loss, when a validation set is given. */
  valLoss?: number;
  /** Validation accuracy. */
  valAcc?: number;
  /** Wall-clock seconds of the epoch. */
  seconds: number;
}

/** What {@linkcode train} returns. */
export interface TrainResult {
  /** Every epoch run (including epochs restored from a checkpoint). */
  history: EpochLog[];
  /** Epoch whose weights the model now holds (best validation loss, or the last). */
  bestEpoch: number;
  /** Whether early stopping ended the run. */
  stoppedEarly: boolean;
  /** Epochs restored from a checkpoint rather than run now (0 when starting afresh). */
  resumedEpochs: number;
  /** Seconds spent training in this call. */
  seconds: number;
}

interface State {
  fingerprint: string;
  history: EpochLog[];
  bestEpoch: number;
  bestValLoss: number;
  wait: number;
  finished: boolean;
  stoppedEarly: boolean;
}

function fnv(hash: number, bytes: ArrayLike<number>, step = 1): number {
  let h = hash;
  for (let i = 0; i < bytes.length; i += step) {
    h ^= bytes[i];
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

/**
 * A short hash of a labelled set (sizes, labels and a sample of pixels), used to tell whether a
 * checkpoint was trained on the same data.
 *
 * @param set the data
 * @returns 8 hex digits
 * @example
 * ```ts
 * import { setFingerprint } from "./train.ts";
 * const s = { images: new Uint8Array(8), labels: new Uint8Array(2), n: 2, height: 2, width: 2, channels: 1, labelWidth: 1 };
 * console.log(setFingerprint(s).length); // 8
 * ```
 */
export function setFingerprint(set: LabeledSet): string {
  let h = fnv(2166136261, [set.n & 255, set.n >> 8, set.height, set.width, set.channels]);
  h = fnv(h, set.labels);
  h = fnv(h, set.images, 7);
  return h.toString(16).padStart(8, "0");
}

/**
 * Turns images `indices` of `set` into an NHWC float tensor in [0, 1] sized for the model
 * (bilinear resize when the model's input differs from the set's), optionally augmented.
 *
 * @param set the data
 * @param indices which images
 * @param inputSize the model's input side
 * @param augment augmentation, applied with `rng`
 * @param rng the generator for augmentation
 * @returns a `[n, inputSize, inputSize, channels]` tensor (caller disposes)
 * @example
 * ```ts
 * import { imagesTensor } from "./train.ts";
 * const s = { images: new Uint8Array(2 * 28 * 28), labels: new Uint8Array(2), n: 2, height: 28, width: 28, channels: 1, labelWidth: 1 };
 * console.log(imagesTensor(s, [0, 1], 64).shape); // [2, 64, 64, 1]
 * ```
 */
export function imagesTensor(
  set: LabeledSet,
  indices: ArrayLike<number>,
  inputSize: number = set.height,
  augment?: AugmentOptions,
  rng?: Rng,
): tf.Tensor4D {
  const { height: h, width: w, channels: c } = set;
  const size = h * w * c;
  const n = indices.length;
  const x = new Float32Array(n * size);
  const shift = augment?.shift ?? 0;
  for (let j = 0; j < n; j++) {
    const i = indices[j];
    const src = pixelsAt(set, i);
    const dst = x.subarray(j * size, (j + 1) * size);
    if (augment && rng && (augment.rotate || augment.zoom || augment.intensity)) {
      affineAugment(src, dst, h, w, c, augment, rng);
    } else if (augment && rng && (shift > 0 || augment.flip)) {
      const dy = shift ? rng.int(2 * shift + 1) - shift : 0;
      const dx = shift ? rng.int(2 * shift + 1) - shift : 0;
      const flip = augment.flip ? rng.next() < 0.5 : false;
      for (let yy = 0; yy < h; yy++) {
        const sy = Math.min(h - 1, Math.max(0, yy - dy));
        for (let xx = 0; xx < w; xx++) {
          const tx = flip ? w - 1 - xx : xx;
          const sx = Math.min(w - 1, Math.max(0, tx - dx));
          for (let ch = 0; ch < c; ch++) {
            dst[(yy * w + xx) * c + ch] = src[(sy * w + sx) * c + ch] / 255;
          }
        }
      }
    } else {
      for (let p = 0; p < size; p++) dst[p] = src[p] / 255;
    }
  }
  const t = tf.tensor4d(x, [n, h, w, c]);
  if (inputSize === h && inputSize === w) return t;
  const r = tf.image.resizeBilinear(t, [inputSize, inputSize]);
  t.dispose();
  return r;
}

/**
 * One image through a random affine map (flip, rotation, zoom, shift; bilinear sampling, edges
 * repeated) and a random contrast/brightness change, written as floats in [0, 1]. Exported for
 * the HE-friendly CNN's trainer (`lib/he/model.ts`), which augments the same way.
 *
 * @param src `h*w*c` pixels 0..255
 * @param dst `h*w*c` outputs in [0, 1]
 * @param h image height
 * @param w image width
 * @param c channels
 * @param a the augmentation
 * @param rng the generator
 * @example
 * ```ts
 * import { Rng } from "../core/random.ts";
 * import { affineAugment } from "./train.ts";
 * const out = new Float32Array(4);
 * affineAugment(new Uint8Array([0, 255, 0, 255]), out, 2, 2, 1, { rotate: 10 }, new Rng(1));
 * console.log(out.every((v) => v >= 0 && v <= 1)); // true
 * ```
 */
export function affineAugment(
  src: Uint8Array,
  dst: Float32Array,
  h: number,
  w: number,
  c: number,
  a: AugmentOptions,
  rng: Rng,
): void {
  const u = () => 2 * rng.next() - 1;
  const flip = a.flip ? rng.next() < 0.5 : false;
  const angle = ((a.rotate ?? 0) * Math.PI / 180) * u();
  const scale = 1 + (a.zoom ?? 0) * u();
  const dy = (a.shift ?? 0) * u(), dx = (a.shift ?? 0) * u();
  const contrast = 1 + (a.intensity ?? 0) * u(), bright = (a.intensity ?? 0) * 0.5 * u();
  const cos = Math.cos(angle) / scale, sin = Math.sin(angle) / scale;
  const cy = (h - 1) / 2, cx = (w - 1) / 2;
  for (let yy = 0; yy < h; yy++) {
    for (let xx = 0; xx < w; xx++) {
      // inverse map: output pixel -> source coordinates
      const ox = (flip ? w - 1 - xx : xx) - cx - dx, oy = yy - cy - dy;
      const sx = Math.min(w - 1, Math.max(0, cos * ox + sin * oy + cx));
      const sy = Math.min(h - 1, Math.max(0, -sin * ox + cos * oy + cy));
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const x1 = Math.min(w - 1, x0 + 1), y1 = Math.min(h - 1, y0 + 1);
      const fx = sx - x0, fy = sy - y0;
      for (let ch = 0; ch < c; ch++) {
        const v =
          (1 - fy) * ((1 - fx) * src[(y0 * w + x0) * c + ch] + fx * src[(y0 * w + x1) * c + ch]) +
          fy * ((1 - fx) * src[(y1 * w + x0) * c + ch] + fx * src[(y1 * w + x1) * c + ch]);
        const g = (v / 255 - 0.5) * contrast + 0.5 + bright;
        dst[(yy * w + xx) * c + ch] = Math.min(1, Math.max(0, g));
      }
    }
  }
}

function oneHot(set: LabeledSet, indices: ArrayLike<number>, classes: number): tf.Tensor2D {
  const y = new Float32Array(indices.length * classes);
  for (let j = 0; j < indices.length; j++) {
    const label = set.labels[indices[j] * set.labelWidth];
    if (label >= classes) {
      throw new MedCryptError("bad-argument", `label ${label} is not below ${classes} classes`);
    }
    y[j * classes + label] = 1;
  }
  return tf.tensor2d(y, [indices.length, classes]);
}

/**
 * Predicted class probabilities for every image of `set`, in batches.
 *
 * @param model a softmax classifier
 * @param set the images
 * @param batchSize batch size (default 256)
 * @returns `n × classes` probabilities, row-major
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * import { predictProbs } from "./train.ts";
 * const s = { images: new Uint8Array(3 * 28 * 28), labels: new Uint8Array(3), n: 3, height: 28, width: 28, channels: 1, labelWidth: 1 };
 * console.log(predictProbs(buildModel("mlp", { width: 4 }), s).length); // 6
 * ```
 */
export function predictProbs(
  model: tf.LayersModel,
  set: LabeledSet,
  batchSize = 256,
): Float32Array {
  const inputSize = model.inputs[0].shape[1] ?? set.height;
  const classes = model.outputs[0].shape[1] ?? 2;
  const out = new Float32Array(set.n * classes);
  for (let s = 0; s < set.n; s += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, set.n - s) }, (_, k) => s + k);
    const p = tf.tidy(() => {
      const x = imagesTensor(set, idx, inputSize);
      return model.predict(x) as tf.Tensor;
    });
    out.set(p.dataSync(), s * classes);
    p.dispose();
  }
  return out;
}

function lossAcc(probs: Float32Array, set: LabeledSet, classes: number): [number, number] {
  let loss = 0, ok = 0;
  for (let i = 0; i < set.n; i++) {
    const y = set.labels[i * set.labelWidth];
    loss -= Math.log(Math.max(1e-7, probs[i * classes + y]));
    let arg = 0;
    for (let c = 1; c < classes; c++) {
      if (probs[i * classes + c] > probs[i * classes + arg]) arg = c;
    }
    if (arg === y) ok++;
  }
  return [loss / set.n, ok / set.n];
}

async function readState(dir: string): Promise<State | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, "state.json"))) as State;
  } catch {
    return undefined;
  }
}

async function restoreWeights(model: tf.LayersModel, dir: string): Promise<void> {
  const loaded = await loadModelFromDir(dir);
  model.setWeights(loaded.getWeights());
  loaded.dispose();
}

/**
 * Trains a softmax classifier with Adam on categorical cross-entropy.
 *
 * Resuming: with `checkpointDir`, the weights after every epoch go to `last/` and the best so far
 * to `best/`, with `state.json` (history, early-stopping counters). A later call with the same
 * model architecture, data and options continues after the last finished epoch (the optimizer
 * restarts its moment estimates) or, when the run had finished, just loads the best weights.
 *
 * @param model an uncompiled or compiled model (it is (re)compiled)
 * @param data training images and labels
 * @param options epochs, batch size, learning rate, seed, validation/patience, augmentation,
 *   checkpoint folder
 * @returns the log; the model holds the best (or last) weights
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * import { buildModel } from "./models.ts";
 * import { train } from "./train.ts";
 * import { loadPneumoniaMNIST, subset } from "../datasets/mod.ts";
 * await initBackend();
 * const { val } = await loadPneumoniaMNIST();
 * const dir = await Deno.makeTempDir();
 * const opts = { epochs: 2, seed: 3, quiet: true, checkpointDir: dir };
 * await train(buildModel("mlp", { width: 4, seed: 3 }), subset(val, [0, 1, 2]), opts);
 * const again = await train(buildModel("mlp", { width: 4, seed: 3 }), subset(val, [0, 1, 2]), opts);
 * console.log(again.resumedEpochs); // 2
 * ```
 */
export async function train(
  model: tf.LayersModel,
  data: LabeledSet,
  options: TrainOptions,
): Promise<TrainResult> {
  const t0 = performance.now();
  const {
    epochs,
    batchSize = 64,
    learningRate = 1e-3,
    seed = 0,
    validation,
    patience,
    augment,
    checkpointDir,
    classes = 2,
    schedule = "constant",
    labelSmoothing = 0,
    dp,
  } = options;
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new MedCryptError("bad-argument", `epochs must be a positive integer, not ${epochs}`);
  }
  if (data.n === 0) throw new MedCryptError("bad-argument", "the training set is empty");
  if (patience !== undefined && !validation) {
    throw new MedCryptError("bad-argument", "early stopping (patience) needs a validation set");
  }
  const inputSize = model.inputs[0].shape[1] ?? data.height;
  const optimizer = tf.train.adam(learningRate);
  model.compile({
    optimizer,
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  const fingerprint = JSON.stringify({
    name: model.name,
    params: model.countParams(),
    layers: model.layers.map((l) => l.getClassName()).join(","),
    // the full topology (strides, sizes, activations): same-shaped weights of a different
    // architecture must not resume from each other's checkpoints
    // (layer names are left out: tfjs numbers them by a process-wide counter)
    topology: fnv(
      2166136261,
      new TextEncoder().encode(
        model.layers.map((l) => {
          const { name: _name, ...config } = l.getConfig();
          return l.getClassName() + JSON.stringify(config);
        }).join(";"),
      ),
    ),
    init: fnv(2166136261, new Uint8Array(model.getWeights()[0].dataSync().buffer), 3),
    data: setFingerprint(data),
    val: validation ? setFingerprint(validation) : null,
    epochs,
    batchSize,
    learningRate,
    seed,
    patience: patience ?? null,
    augment: augment ?? null,
    classes,
    // only recorded when set, so checkpoints of runs without them keep their fingerprint
    ...(schedule !== "constant" ? { schedule } : {}),
    ...(labelSmoothing ? { labelSmoothing } : {}),
    ...(dp ? { dp } : {}),
  });
  let state: State = {
    fingerprint,
    history: [],
    bestEpoch: 0,
    bestValLoss: Infinity,
    wait: 0,
    finished: false,
    stoppedEarly: false,
  };
  let resumed = 0;
  if (checkpointDir) {
    const old = await readState(checkpointDir);
    if (old && old.fingerprint === fingerprint && old.history.length > 0) {
      try {
        await restoreWeights(model, join(checkpointDir, old.finished ? "best" : "last"));
        state = old;
        resumed = old.history.length;
      } catch { /* unreadable checkpoint: start afresh */ }
    }
    if (state.finished) {
      return {
        history: state.history,
        bestEpoch: state.bestEpoch,
        stoppedEarly: state.stoppedEarly,
        resumedEpochs: resumed,
        seconds: (performance.now() - t0) / 1000,
      };
    }
  }
  let best: tf.Tensor[] | undefined;
  if (resumed && validation && checkpointDir && state.bestEpoch > 0) {
    const b = await loadModelFromDir(join(checkpointDir, "best"));
    best = b.getWeights().map((w) => w.clone());
    b.dispose();
  }
  const dpPlan = dp ? dpSchedule(data.n, batchSize, epochs) : undefined;
  const stepsPerEpoch = dpPlan ? dpPlan.stepsPerEpoch : Math.ceil(data.n / batchSize);
  const bar = options.quiet
    ? { tick() {}, done() {} }
    : progress(options.label ?? `train ${model.name}`, (epochs - resumed) * stepsPerEpoch);
  const lastEpoch = Math.min(epochs, resumed + (options.maxEpochsThisCall ?? epochs));
  for (let epoch = resumed + 1; epoch <= lastEpoch; epoch++) {
    const te = performance.now();
    const rng = new Rng(seed * 7919 + epoch);
    const order = rng.permutation(data.n);
    let lossSum = 0, accSum = 0, seen = 0;
    if (dp && dpPlan) {
      for (let step = 0; step < dpPlan.stepsPerEpoch; step++) {
        const idx = poissonBatch(data.n, dpPlan.q, rng);
        const x = imagesTensor(data, idx, inputSize, augment, rng);
        const y = oneHot(data, idx, classes);
        const r = dpStep(model, optimizer, x, y, dp, dpPlan.q * data.n, rng);
        x.dispose();
        y.dispose();
        if (idx.length) {
          lossSum += r.loss * idx.length;
          accSum += r.acc * idx.length;
          seen += idx.length;
        }
        bar.tick({ epoch, loss: lossSum / Math.max(1, seen) });
      }
    }
    for (let s = 0; !dp && s < data.n; s += batchSize) {
      const idx = order.subarray(s, Math.min(data.n, s + batchSize));
      const x = imagesTensor(data, idx, inputSize, augment, rng);
      if (schedule === "cosine") {
        const t = ((epoch - 1) * stepsPerEpoch + s / batchSize) / (epochs * stepsPerEpoch);
        // AdamOptimizer reads its learningRate field at every step
        (optimizer as unknown as { learningRate: number }).learningRate = learningRate *
          (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * t)));
      }
      const y1 = oneHot(data, idx, classes);
      const y = labelSmoothing
        ? tf.tidy(() => y1.mul(1 - labelSmoothing).add(labelSmoothing / classes))
        : y1;
      if (y !== y1) y1.dispose();
      const [loss, acc] = await model.trainOnBatch(x, y) as number[];
      x.dispose();
      y.dispose();
      if (!Number.isFinite(loss)) {
        throw new MedCryptError("diverged", `training loss became ${loss} in epoch ${epoch}`);
      }
      lossSum += loss * idx.length;
      accSum += acc * idx.length;
      seen += idx.length;
      bar.tick({ epoch, loss: lossSum / seen });
    }
    const log: EpochLog = {
      epoch,
      loss: lossSum / seen,
      acc: accSum / seen,
      seconds: (performance.now() - te) / 1000,
    };
    let improved = false;
    if (validation) {
      const [vl, va] = lossAcc(predictProbs(model, validation), validation, classes);
      log.valLoss = vl;
      log.valAcc = va;
      if (vl < state.bestValLoss) {
        state.bestValLoss = vl;
        state.bestEpoch = epoch;
        state.wait = 0;
        improved = true;
        best?.forEach((w) => w.dispose());
        best = model.getWeights().map((w) => w.clone());
      } else {
        state.wait++;
      }
    } else {
      state.bestEpoch = epoch;
      improved = true;
    }
    state.history.push(log);
    options.onEpoch?.(log, epochs);
    const stop = patience !== undefined && state.wait >= patience;
    if (stop || epoch === epochs) {
      state.finished = true;
      state.stoppedEarly = stop && epoch < epochs;
      if (best) model.setWeights(best);
    }
    if (checkpointDir) {
      if (improved || state.finished) await saveModelToDir(model, join(checkpointDir, "best"));
      if (!state.finished) await saveModelToDir(model, join(checkpointDir, "last"));
      await writeFileAtomic(
        join(checkpointDir, "state.json"),
        new TextEncoder().encode(JSON.stringify(state)),
      );
    }
    if (state.finished) break;
  }
  bar.done();
  best?.forEach((w) => w.dispose());
  return {
    history: state.history,
    bestEpoch: state.bestEpoch,
    stoppedEarly: state.stoppedEarly,
    resumedEpochs: resumed,
    seconds: (performance.now() - t0) / 1000,
  };
}
