/**
 * Training of the learned cipher: pretraining of the paper variant without key fusion
 * (reconstruction only), full training with chaotic keys, all loss families and the paper's
 * "dropout-like simulations" (Gaussian and salt-and-pepper noise, cropping applied to the cipher),
 * and training of the exact variant's coupling CNNs (diffusion, statistics). AdamW (decoupled
 * weight decay on top of `tf.train.adam`), lr 1e-4 by default; checkpoints every N steps; a run
 * resumes from its checkpoint folder; progress on stderr and the loss curves in the result.
 *
 * @example
 * ```ts
 * import { trainRevCipher } from "./train.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * const pool = { images: new Float32Array(4 * 16 * 16).fill(0.5), n: 4, size: 16 };
 * const r = await trainRevCipher(await initModel(DEFAULT_CONFIG, 1), pool, {
 *   pretrainSteps: 1, steps: 1, exactSteps: 1, batch: 2, quiet: true,
 * });
 * console.log(r.history.step.length); // 3
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { MedCryptError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import { progress } from "../../core/progress.ts";
import { Rng } from "../../core/random.ts";
import {
  depthToSpace,
  exactCoupling,
  fem,
  ffdm,
  ffem,
  ffpmAlpha,
  frac,
  loadRevCipherModel,
  modelFromTensors,
  type PaperKeys,
  paramShapes,
  type RevCipherModel,
  saveRevCipherModel,
  spaceToDepth,
  type StoredTensor,
  type TensorParams,
} from "./model.ts";
import {
  adjacentCorrelations,
  DEFAULT_WEIGHTS,
  imageCorrelation,
  type LossWeights,
  reconstructionLoss,
  softEntropy,
  softNpcrUaci,
  UACI_IDEAL,
  wrongKeyLoss,
} from "./losses.ts";

/** Training images: `n` square grey images of side `size`, floats in [0, 1], row-major. */
export interface ImagePool {
  /** `n·size·size` values. */
  images: Float32Array;
  /** Number of images. */
  n: number;
  /** Side. */
  size: number;
}

/** Options of {@linkcode trainRevCipher}. */
export interface RevCipherTrainOptions {
  /** Paper variant pretraining steps without key fusion (default 200). */
  pretrainSteps?: number;
  /** Paper variant full-training steps (default 400). */
  steps?: number;
  /** Exact variant coupling-CNN steps (default 200). */
  exactSteps?: number;
  /** Batch size (default 8). */
  batch?: number;
  /** Learning rate (default 1e-4, as in the paper). */
  lr?: number;
  /** Learning rate of pretraining (default 1e-3: reconstruction from scratch converges slowly at 1e-4). */
  pretrainLr?: number;
  /** Learning rate of the exact variant's coupling CNNs (default 1e-3). */
  exactLr?: number;
  /** Decoupled weight decay (default 1e-4). */
  weightDecay?: number;
  /** Loss weights. */
  weights?: Partial<LossWeights>;
  /** Seed of batches, keys and augmentations (default 1). */
  seed?: number;
  /** Folder for checkpoints; a run resumes from it when it holds one. */
  checkpointDir?: string;
  /** Steps between checkpoints (default 50). */
  checkpointEvery?: number;
  /** Largest Gaussian noise σ applied to the cipher during full training (default 0.01). */
  noiseStd?: number;
  /** Largest salt-and-pepper fraction (default 0.01). */
  saltPepper?: number;
  /** Probability of cropping (zeroing) a random block of 1/16 to 1/4 of the cipher (default 0.3). */
  cropProb?: number;
  /** Stop (after checkpointing) once this many steps are done in all; a later run resumes. */
  stopAfter?: number;
  /** No progress output. */
  quiet?: boolean;
}

/** Loss curves: one entry per step. */
export interface TrainHistory {
  /** Global step (over all phases). */
  step: number[];
  /** `"pretrain"`, `"full"` or `"exact"`. */
  phase: string[];
  /** Total loss. */
  loss: number[];
  /** Terms (reconstruction, entropy, correlation, diffusion, similarity, wrongKey); NaN when unused. */
  terms: Record<keyof LossWeights, number[]>;
  /** Wall-clock seconds since the start of training (summed over resumed runs). */
  seconds: number[];
}

/** What training returns. */
export interface TrainResult {
  /** The trained model. */
  model: RevCipherModel;
  /** Loss curves. */
  history: TrainHistory;
  /** Whether the run resumed from a checkpoint. */
  resumed: boolean;
}

const TERMS: (keyof LossWeights)[] = [
  "reconstruction",
  "entropy",
  "correlation",
  "diffusion",
  "similarity",
  "wrongKey",
];

function emptyHistory(): TrainHistory {
  return {
    step: [],
    phase: [],
    loss: [],
    terms: Object.fromEntries(TERMS.map((t) => [t, []])) as unknown as TrainHistory["terms"],
    seconds: [],
  };
}

let varCounter = 0;

/**
 * AdamW: `tf.train.adam` followed by decoupled weight decay `w ← w − lr·λ·w` on weights (not
 * biases), as in Loshchilov & Hutter (tfjs has no AdamW).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { AdamW } from "./train.ts";
 * const v = tf.variable(tf.scalar(1));
 * const opt = new AdamW(0.1, 0.01, { v });
 * opt.step(() => tf.square(v) as tf.Scalar);
 * console.log(v.dataSync()[0] < 1); // true
 * ```
 */
export class AdamW {
  /** The wrapped Adam optimizer. */
  readonly adam: tf.AdamOptimizer;
  #vars: Record<string, tf.Variable>;
  #lr: number;
  #wd: number;

  /**
   * @param lr learning rate
   * @param weightDecay decoupled decay λ
   * @param vars the variables, by name (names ending in `/b` are not decayed)
   */
  constructor(lr: number, weightDecay: number, vars: Record<string, tf.Variable>) {
    this.adam = tf.train.adam(lr);
    this.#vars = vars;
    this.#lr = lr;
    this.#wd = weightDecay;
  }

  /**
   * One step on the scalar returned by `lossFn`, with extra scalars to record.
   *
   * @param lossFn the loss
   * @returns the loss value
   */
  step(lossFn: () => tf.Scalar): number {
    const names = Object.keys(this.#vars);
    const { value, grads } = tf.variableGrads(lossFn, names.map((n) => this.#vars[n]));
    // variableGrads keys gradients by the variables' own names
    this.adam.applyGradients(grads as Record<string, tf.Variable>);
    tf.dispose(Object.values(grads));
    if (this.#wd > 0) {
      const f = 1 - this.#lr * this.#wd;
      tf.tidy(() => {
        for (const n of names) if (!n.endsWith("/b")) this.#vars[n].assign(this.#vars[n].mul(f));
      });
    }
    const v = value.dataSync()[0];
    value.dispose();
    return v;
  }
}

function sampleBatch(pool: ImagePool, batch: number, rng: Rng): Float32Array {
  const s2 = pool.size * pool.size, out = new Float32Array(batch * s2);
  for (let i = 0; i < batch; i++) {
    const k = rng.int(pool.n);
    out.set(pool.images.subarray(k * s2, (k + 1) * s2), i * s2);
  }
  return out;
}

function randomKeys(b: number, h: number, w: number, kc: number, seed: number): PaperKeys {
  const u = (c: number, s: number) =>
    tf.randomUniform([b, h, w, c], 0, 1, "float32", s) as tf.Tensor4D;
  return { k1: u(4, seed), k2: u(kc, seed + 1), k3: u(kc, seed + 2), s: u(4, seed + 3) };
}

function zeroKeys(b: number, h: number, w: number, kc: number): PaperKeys {
  const z = (c: number) => tf.zeros([b, h, w, c]) as tf.Tensor4D;
  return { k1: z(4), k2: z(kc), k3: z(kc), s: z(4) };
}

/** Noise and cropping of the cipher (the paper's "dropout-like simulations"), plus quantisation noise. */
function augment(
  c: tf.Tensor4D,
  rng: Rng,
  o: { noiseStd: number; saltPepper: number; cropProb: number; levels: number },
): tf.Tensor4D {
  const [b, H, W] = c.shape;
  let x = tf.add(
    c,
    tf.randomUniform(c.shape, -0.5 / o.levels, 0.5 / o.levels, "float32", rng.nextUint32()),
  );
  const sigma = rng.next() * o.noiseStd;
  if (sigma > 0) x = tf.add(x, tf.randomNormal(c.shape, 0, sigma, "float32", rng.nextUint32()));
  const mask = new Float32Array(b * H * W).fill(1), salt = new Float32Array(b * H * W);
  const sp = rng.next() * o.saltPepper;
  for (let i = 0; i < mask.length; i++) {
    if (rng.next() < sp) {
      mask[i] = 0;
      salt[i] = rng.next() < 0.5 ? 0 : 0.999;
    }
  }
  for (let k = 0; k < b; k++) {
    if (rng.next() < o.cropProb) {
      const frac = rng.next() < 0.5 ? 1 / 4 : 1 / 2; // side fraction → area 1/16 or 1/4
      const ch = Math.round(H * frac), cw = Math.round(W * frac);
      const y0 = rng.int(H - ch + 1), x0 = rng.int(W - cw + 1);
      for (let y = y0; y < y0 + ch; y++) {
        for (let xx = x0; xx < x0 + cw; xx++) {
          mask[(k * H + y) * W + xx] = 0;
          salt[(k * H + y) * W + xx] = 0;
        }
      }
    }
  }
  const m = tf.tensor4d(mask, c.shape), s = tf.tensor4d(salt, c.shape);
  return frac(tf.add(tf.mul(x, m), s)) as tf.Tensor4D;
}

interface Checkpoint {
  phase: string;
  phaseStep: number;
  history: TrainHistory;
  optimizer: { name: string; shape: number[]; offset: number }[];
}

async function saveCheckpoint(
  dir: string,
  params: TensorParams,
  model: RevCipherModel,
  opt: AdamW,
  state: Omit<Checkpoint, "optimizer">,
) {
  const tensors = new Map<string, StoredTensor>();
  for (const [name, t] of params) {
    tensors.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
  }
  await saveRevCipherModel(
    join(dir, "model"),
    await modelFromTensors(model.config, tensors, model.meta),
  );
  const ow = await opt.adam.getWeights();
  const table: Checkpoint["optimizer"] = [];
  const parts: Float32Array[] = [];
  let off = 0;
  for (const w of ow) {
    const d = (await w.tensor.data()) as Float32Array;
    table.push({ name: w.name, shape: w.tensor.shape, offset: off });
    parts.push(d);
    off += d.length;
  }
  const buf = new Float32Array(off);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  await writeFileAtomic(join(dir, "optimizer.bin"), new Uint8Array(buf.buffer));
  await writeFileAtomic(
    join(dir, "state.json"),
    new TextEncoder().encode(JSON.stringify({ ...state, optimizer: table })),
  );
}

async function loadCheckpoint(dir: string, config: RevCipherModel["config"]) {
  let state: Checkpoint;
  try {
    state = JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
  } catch {
    return undefined;
  }
  const model = await loadRevCipherModel(join(dir, "model"));
  if (JSON.stringify(model.config) !== JSON.stringify(config)) {
    throw new MedCryptError(
      "bad-model",
      "checkpoint was made for another architecture; use another --checkpoint folder",
      { file: join(dir, "model", "model.json") },
    );
  }
  const bytes = await Deno.readFile(join(dir, "optimizer.bin"));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const optWeights = state.optimizer.map((o) => ({
    name: o.name,
    tensor: tf.tensor(
      all.slice(o.offset, o.offset + o.shape.reduce((a, b) => a * b, 1)),
      o.shape,
    ),
  }));
  return { state, model, optWeights };
}

/**
 * Trains the model's paper variant (pretraining, then full training) and exact variant.
 *
 * @param model the starting model (its config fixes the architecture)
 * @param pool training images (square, side divisible by 2)
 * @param options steps, batch, learning rate, checkpoints…
 * @returns the trained model, its loss curves, and whether it resumed
 * @example
 * ```ts
 * import { trainRevCipher } from "./train.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * const pool = { images: new Float32Array(2 * 8 * 8), n: 2, size: 8 };
 * const r = await trainRevCipher(await initModel(DEFAULT_CONFIG, 1), pool, {
 *   pretrainSteps: 0, steps: 0, exactSteps: 2, batch: 1, quiet: true,
 * });
 * console.log(r.history.phase.join()); // "exact,exact"
 * ```
 */
export async function trainRevCipher(
  model: RevCipherModel,
  pool: ImagePool,
  options: RevCipherTrainOptions = {},
): Promise<TrainResult> {
  const o = {
    pretrainSteps: options.pretrainSteps ?? 200,
    steps: options.steps ?? 400,
    exactSteps: options.exactSteps ?? 200,
    batch: options.batch ?? 8,
    lr: options.lr ?? 1e-4,
    pretrainLr: options.pretrainLr ?? 1e-3,
    exactLr: options.exactLr ?? 1e-3,
    weightDecay: options.weightDecay ?? 1e-4,
    seed: options.seed ?? 1,
    checkpointEvery: options.checkpointEvery ?? 50,
    noiseStd: options.noiseStd ?? 0.01,
    saltPepper: options.saltPepper ?? 0.01,
    cropProb: options.cropProb ?? 0.3,
  };
  const W = { ...DEFAULT_WEIGHTS, ...options.weights };
  if (pool.size % 2 !== 0 || pool.n < 1) {
    throw new MedCryptError(
      "bad-parameter",
      `training images must be even-sized (got ${pool.size}), n ≥ 1`,
    );
  }
  let history = emptyHistory();
  let startPhase = 0, startStep = 0, resumed = false;
  let optWeights: { name: string; tensor: tf.Tensor }[] | undefined;
  if (options.checkpointDir) {
    const ck = await loadCheckpoint(options.checkpointDir, model.config);
    if (ck) {
      model = ck.model;
      history = ck.state.history;
      startPhase = ["pretrain", "full", "exact", "done"].indexOf(ck.state.phase);
      startStep = ck.state.phaseStep;
      optWeights = ck.optWeights;
      resumed = true;
    }
  }
  const cfg = model.config, kc = cfg.paper.keyChannels, size = pool.size, h = size / 2;
  const tag = `t${varCounter++}`;
  const params: TensorParams = new Map();
  // the architecture's order (not the file's): Adam's saved moments are matched by position
  for (const name of paramShapes(cfg).keys()) {
    const t = model.tensors.get(name)!;
    const x = tf.tensor(t.data, t.shape);
    params.set(name, tf.variable(x, true, `${tag}/${name}`));
    x.dispose();
  }
  const varsOf = (prefix: string) =>
    Object.fromEntries(
      [...params].filter(([n]) => n.startsWith(prefix)).map(([n, v]) => [n, v as tf.Variable]),
    );
  const t0 = performance.now() - 1000 * (history.seconds.at(-1) ?? 0);
  const levels = 255;
  const phases = [
    { name: "pretrain", steps: o.pretrainSteps, prefix: "paper/", lr: o.pretrainLr },
    { name: "full", steps: o.steps, prefix: "paper/", lr: o.lr },
    { name: "exact", steps: o.exactSteps, prefix: "exact/", lr: o.exactLr },
  ];
  const total = phases.reduce((n, p) => n + p.steps, 0);
  const bar = options.quiet ? { tick() {}, done() {} } : progress("revcipher train", total);
  if (history.step.length) bar.tick({}, history.step.length);
  let stopped = false;
  try {
    for (let ph = startPhase; ph < phases.length; ph++) {
      const phase = phases[ph];
      if (phase.steps === 0) continue;
      const vars = varsOf(phase.prefix);
      const opt = new AdamW(phase.lr, o.weightDecay, vars);
      if (optWeights && ph === startPhase && startStep > 0) {
        // rebuild the moment slots in this run's variable order, then restore them
        await opt.adam.setWeights(optWeights);
      }
      for (let s = ph === startPhase ? startStep : 0; s < phase.steps; s++) {
        const stepSeed = o.seed * 1000003 + history.step.length * 7919;
        const rng = new Rng(stepSeed);
        const xs = sampleBatch(pool, o.batch, rng);
        const terms: Record<string, number> = {};
        const record = (name: keyof LossWeights, t: tf.Scalar) => {
          terms[name] = t.dataSync()[0];
          return t.mul(W[name]) as tf.Scalar;
        };
        const loss = opt.step(() =>
          tf.tidy(() => {
            const x = tf.tensor4d(xs, [o.batch, size, size, 1]);
            if (phase.name === "exact") return exactLoss(params, cfg, x, rng, stepSeed, record);
            const keys = phase.name === "pretrain"
              ? zeroKeys(o.batch, h, h, kc)
              : randomKeys(o.batch, h, h, kc, stepSeed);
            const f = fem(params, cfg, x);
            const a = ffpmAlpha(params, f);
            const c = ffem(params, f, a, keys);
            const cn = phase.name === "pretrain"
              ? augment(c, rng, { noiseStd: 0, saltPepper: 0, cropProb: 0, levels })
              : augment(c, rng, { ...o, levels });
            const xhat = ffdm(params, cfg, cn, a, keys);
            let total = record("reconstruction", reconstructionLoss(xhat, x));
            if (phase.name === "full") {
              total = total.add(
                record("entropy", tf.sub(5, tf.mean(softEntropy(c, 32))) as tf.Scalar),
              );
              total = total.add(
                record("correlation", tf.mean(tf.square(adjacentCorrelations(c))) as tf.Scalar),
              );
              total = total.add(
                record("similarity", tf.mean(tf.square(imageCorrelation(c, x))) as tf.Scalar),
              );
              // diffusion: one pixel of the plain image changed, same keys
              const x2 = onePixelChange(x, rng);
              const f2 = fem(params, cfg, x2);
              const c2 = ffem(params, f2, ffpmAlpha(params, f2), keys);
              const { npcr, uaci } = softNpcrUaci(c, c2, levels);
              total = total.add(record(
                "diffusion",
                tf.add(
                  tf.sub(1, tf.mean(npcr)),
                  tf.abs(tf.sub(tf.mean(uaci), UACI_IDEAL)),
                ) as tf.Scalar,
              ));
              const wrong = randomKeys(o.batch, h, h, kc, stepSeed + 17);
              total = total.add(
                record("wrongKey", wrongKeyLoss(ffdm(params, cfg, c, a, wrong), x)),
              );
            }
            return total as tf.Scalar;
          })
        );
        history.step.push(history.step.length);
        history.phase.push(phase.name);
        history.loss.push(loss);
        for (const t of TERMS) history.terms[t].push(terms[t] ?? NaN);
        history.seconds.push((performance.now() - t0) / 1000);
        bar.tick({ phase: phase.name, loss });
        const last = s === phase.steps - 1;
        const stopping = options.stopAfter !== undefined &&
          history.step.length >= options.stopAfter;
        if (options.checkpointDir && ((s + 1) % o.checkpointEvery === 0 || last || stopping)) {
          await saveCheckpoint(options.checkpointDir, params, model, opt, {
            phase: last ? (phases[ph + 1]?.name ?? "done") : phase.name,
            phaseStep: last ? 0 : s + 1,
            history,
          });
        }
        if (stopping) {
          stopped = true;
          break;
        }
      }
      opt.adam.dispose();
      if (stopped) break;
    }
  } finally {
    bar.done();
  }
  const tensors = new Map<string, StoredTensor>();
  for (const [name, t] of params) {
    tensors.set(name, { shape: t.shape, data: (await t.data()) as Float32Array });
  }
  tf.dispose([...params.values()]);
  optWeights?.forEach((w) => w.tensor.dispose());
  const trained = await modelFromTensors(cfg, tensors, {
    ...model.meta,
    trainedSteps: history.step.length,
    trainSeconds: history.seconds.at(-1) ?? 0,
    trainSeed: o.seed,
    trainSize: size,
    options: o,
  });
  return { model: trained, history, resumed };
}

function onePixelChange(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [b, H, W] = x.shape;
  const delta = new Float32Array(b * H * W);
  for (let k = 0; k < b; k++) {
    delta[(k * H + rng.int(H)) * W + rng.int(W)] = rng.next() < 0.5 ? -1 / 255 : 1 / 255;
  }
  return tf.clipByValue(tf.add(x, tf.tensor4d(delta, x.shape)), 0, 1) as tf.Tensor4D;
}

/**
 * `x[:, perm]` with the gradient written as the inverse permutation (tfjs's generic gather
 * gradient, an unsorted segment sum, is very slow on the wasm backend).
 */
export function permuteColumns(x: tf.Tensor2D, perm: Int32Array): tf.Tensor2D {
  const inv = new Int32Array(perm.length);
  for (let k = 0; k < perm.length; k++) inv[perm[k]] = k;
  const f = tf.customGrad((a: tf.Tensor | tf.GradSaveFunc) => {
    const t = a as tf.Tensor2D;
    return {
      value: tf.gather(t, tf.tensor1d(perm, "int32"), 1),
      gradFunc: (dy) => tf.gather(dy as tf.Tensor2D, tf.tensor1d(inv, "int32"), 1),
    };
  });
  return f(x) as tf.Tensor2D;
}

/** Float form of the exact variant (the torus ℝ/ℤ stands for ℤ/Mℤ), for training. */
export function exactForward(
  p: TensorParams,
  cfg: RevCipherModel["config"],
  x: tf.Tensor4D,
  keys: { k: tf.Tensor4D[][]; s: tf.Tensor4D[][]; perm: Int32Array[] },
): tf.Tensor4D {
  const [b, H, W] = x.shape, h = H / 2, w = W / 2;
  let parts = tf.split(spaceToDepth(x), 4, 3) as tf.Tensor4D[];
  for (let r = 0; r < cfg.exact.rounds; r++) {
    for (let i = 0; i < 4; i++) {
      const others = tf.concat(
        [parts[(i + 1) % 4], parts[(i + 2) % 4], parts[(i + 3) % 4]],
        3,
      ) as tf.Tensor4D;
      const g = exactCoupling(p, r, i, others, keys.k[r][i]);
      parts[i] = frac(tf.add(tf.add(parts[i], g), keys.s[r][i])) as tf.Tensor4D;
    }
    // part-major flatten, gather by the permutation, back
    const flat = tf.transpose(tf.concat(parts, 3), [0, 3, 1, 2]).reshape([b, 4 * h * w]);
    const g = permuteColumns(flat as tf.Tensor2D, keys.perm[r]);
    parts = tf.split(tf.transpose(g.reshape([b, 4, h, w]), [0, 2, 3, 1]), 4, 3) as tf.Tensor4D[];
  }
  return depthToSpace(tf.concat(parts, 3) as tf.Tensor4D);
}

function exactLoss(
  p: TensorParams,
  cfg: RevCipherModel["config"],
  xin: tf.Tensor4D,
  rng: Rng,
  seed: number,
  record: (name: keyof LossWeights, t: tf.Scalar) => tf.Scalar,
): tf.Scalar {
  const [b, H, W] = xin.shape, h = H / 2, w = W / 2, kc = cfg.exact.keyChannels;
  const x = tf.div(tf.round(tf.mul(xin, 255)), 256) as tf.Tensor4D; // 8-bit pixels on the torus
  const keys = { k: [] as tf.Tensor4D[][], s: [] as tf.Tensor4D[][], perm: [] as Int32Array[] };
  for (let r = 0; r < cfg.exact.rounds; r++) {
    keys.k.push(
      [0, 1, 2, 3].map((i) =>
        tf.randomUniform([b, h, w, kc], 0, 1, "float32", seed + 10 * r + i) as tf.Tensor4D
      ),
    );
    keys.s.push(
      [0, 1, 2, 3].map((i) =>
        tf.randomUniform([b, h, w, 1], 0, 1, "float32", seed + 100 + 10 * r + i) as tf.Tensor4D
      ),
    );
    keys.perm.push(rng.permutation(4 * h * w));
  }
  const c = exactForward(p, cfg, x, keys);
  const x2 = tf.div(tf.round(tf.mul(onePixelChange(xin, rng), 255)), 256) as tf.Tensor4D;
  const c2 = exactForward(p, cfg, x2, keys);
  const { npcr, uaci } = softNpcrUaci(c, c2, 256);
  let total = record(
    "diffusion",
    tf.add(tf.sub(1, tf.mean(npcr)), tf.abs(tf.sub(tf.mean(uaci), UACI_IDEAL))) as tf.Scalar,
  ).mul(20);
  total = total.add(record("entropy", tf.sub(5, tf.mean(softEntropy(c, 32))) as tf.Scalar));
  total = total.add(
    record("correlation", tf.mean(tf.square(adjacentCorrelations(c))) as tf.Scalar),
  );
  total = total.add(record("similarity", tf.mean(tf.square(imageCorrelation(c, x))) as tf.Scalar));
  return total as tf.Scalar;
}
