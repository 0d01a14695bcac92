/**
 * DP-SGD (Abadi et al. 2016): every step samples a batch by Poisson sampling (each record with
 * probability `q`), clips each record's gradient to L2 norm `C`, sums, adds Gaussian noise of
 * standard deviation `σ·C` to every coordinate and divides by the expected batch size `q·n`; the
 * optimizer then applies that gradient. The privacy cost is accounted with Rényi DP of the
 * sampled Gaussian mechanism (Mironov, Talwar & Zhang 2019, exact for integer orders) and
 * converted to (ε, δ) with the conversion of Balle et al. 2020 (as Opacus and TF Privacy do).
 *
 * The guarantee covers the training records; the model's architecture and hyper-parameters are
 * assumed public, and the validation split is not used for early stopping (which would leak).
 *
 * @example
 * ```ts
 * import { dpEpsilon } from "./dpsgd.ts";
 * // TF Privacy's MNIST tutorial: n = 60,000, batch 256, σ = 1.1, 60 epochs, δ = 1e-5; it reports
 * // ε = 2.92 with the older RDP→(ε, δ) conversion, the tighter one here gives ≈ 2.60
 * const steps = Math.round((60 * 60000) / 256);
 * const eps = dpEpsilon({ q: 256 / 60000, noiseMultiplier: 1.1, steps, delta: 1e-5 }).epsilon;
 * console.log(eps.toFixed(2)); // "2.60"
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import type { Rng } from "../core/random.ts";
import { logGamma } from "../stats/special.ts";

/** DP-SGD settings of a training run. */
export interface DpOptions {
  /** L2 bound `C` of each record's gradient. */
  clip: number;
  /** Noise standard deviation as a multiple of `clip` (σ). */
  noiseMultiplier: number;
  /** δ at which ε is reported. */
  delta: number;
}

/** The RDP orders the accountant searches. */
export const RDP_ORDERS: readonly number[] = [
  ...Array.from({ length: 62 }, (_, i) => i + 2),
  ...[64, 80, 96, 128, 160, 192, 256, 384, 512],
];

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/**
 * Rényi DP of one step of the sampled Gaussian mechanism at an integer order α ≥ 2:
 * `log(Σ_k C(α,k) (1−q)^(α−k) q^k exp((k²−k)/(2σ²))) / (α−1)` (Mironov et al. 2019, eq. 3.3).
 *
 * @param q sampling probability
 * @param sigma noise multiplier
 * @param alpha integer order ≥ 2
 * @returns the RDP ε(α) of one step
 * @example
 * ```ts
 * import { rdpSampledGaussian } from "./dpsgd.ts";
 * // q = 1 is the plain Gaussian mechanism: α / (2σ²)
 * console.log(rdpSampledGaussian(1, 2, 4).toFixed(6)); // "0.500000"
 * ```
 */
export function rdpSampledGaussian(q: number, sigma: number, alpha: number): number {
  if (!(q >= 0 && q <= 1) || !(sigma > 0) || !Number.isInteger(alpha) || alpha < 2) {
    throw new MedCryptError("bad-argument", `need 0 ≤ q ≤ 1, σ > 0, integer α ≥ 2`);
  }
  if (q === 0) return 0;
  if (q === 1) return alpha / (2 * sigma * sigma);
  let logA = -Infinity;
  const lg = logGamma(alpha + 1);
  for (let k = 0; k <= alpha; k++) {
    const logBinom = lg - logGamma(k + 1) - logGamma(alpha - k + 1);
    const term = logBinom + (alpha - k) * Math.log1p(-q) + k * Math.log(q) +
      (k * k - k) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA / (alpha - 1);
}

/**
 * ε at `delta` after `steps` steps of DP-SGD with sampling probability `q` and noise multiplier
 * σ: RDP composed over the steps, converted with `ε = rdp + log((α−1)/α) − (log δ + log α)/(α−1)`
 * (Balle et al. 2020), minimised over {@linkcode RDP_ORDERS}.
 *
 * @param p sampling probability, noise multiplier, steps, δ
 * @returns ε and the order that gave it
 * @example
 * ```ts
 * import { dpEpsilon } from "./dpsgd.ts";
 * const a = dpEpsilon({ q: 0.05, noiseMultiplier: 1, steps: 100, delta: 1e-5 }).epsilon;
 * const b = dpEpsilon({ q: 0.05, noiseMultiplier: 1, steps: 400, delta: 1e-5 }).epsilon;
 * console.log(a < b); // true: more steps, more privacy spent
 * ```
 */
export function dpEpsilon(
  p: { q: number; noiseMultiplier: number; steps: number; delta: number },
): { epsilon: number; order: number } {
  if (!(p.delta > 0 && p.delta < 1)) {
    throw new MedCryptError("bad-argument", `δ must be in (0, 1), not ${p.delta}`);
  }
  let best = { epsilon: Infinity, order: NaN };
  for (const a of RDP_ORDERS) {
    const rdp = p.steps * rdpSampledGaussian(p.q, p.noiseMultiplier, a);
    const eps = rdp + Math.log((a - 1) / a) - (Math.log(p.delta) + Math.log(a)) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: Math.max(0, eps), order: a };
  }
  return best;
}

/**
 * Number of steps and sampling probability of a DP-SGD run of `epochs` epochs over `n` records
 * with expected batch size `batchSize` (one epoch = `round(n / batchSize)` steps).
 *
 * @param n records
 * @param batchSize expected batch size
 * @param epochs epochs
 * @returns `q` and the total number of steps
 * @example
 * ```ts
 * import { dpSchedule } from "./dpsgd.ts";
 * console.log(dpSchedule(1000, 50, 3)); // { q: 0.05, stepsPerEpoch: 20, steps: 60 }
 * ```
 */
export function dpSchedule(
  n: number,
  batchSize: number,
  epochs: number,
): { q: number; stepsPerEpoch: number; steps: number } {
  const q = Math.min(1, batchSize / n);
  const stepsPerEpoch = Math.max(1, Math.round(n / batchSize));
  return { q, stepsPerEpoch, steps: stepsPerEpoch * epochs };
}

/**
 * Draws a Poisson-sampled batch: each of `n` records independently with probability `q`.
 *
 * @param n records
 * @param q probability
 * @param rng generator
 * @returns the chosen indices (possibly none)
 * @example
 * ```ts
 * import { poissonBatch } from "./dpsgd.ts";
 * import { Rng } from "../core/random.ts";
 * console.log(poissonBatch(10, 1, new Rng(1)).length); // 10
 * ```
 */
export function poissonBatch(n: number, q: number, rng: Rng): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (rng.next() < q) out.push(i);
  return Int32Array.from(out);
}

/**
 * One DP-SGD step: per-record gradients of the cross-entropy (softmax outputs), each clipped to
 * L2 norm `clip` over all trainable weights, summed, plus N(0, (σ·clip)²) noise per coordinate,
 * divided by `expectedBatch`, applied by `optimizer`.
 *
 * @param model the model (softmax outputs)
 * @param optimizer the optimizer
 * @param x `[b, h, w, c]` inputs (b may be 0)
 * @param y `[b, classes]` one-hot targets
 * @param dp clip and noise multiplier
 * @param expectedBatch `q·n`
 * @param rng generator of the noise
 * @returns the mean loss and accuracy over the batch (NaN for an empty batch) and the fraction of
 *   records whose gradient was clipped
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { buildModel } from "./models.ts";
 * import { dpStep } from "./dpsgd.ts";
 * import { Rng } from "../core/random.ts";
 * const model = buildModel("mlp", { width: 4, seed: 1 });
 * const x = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D; // two blank images, labels 0 and 1
 * const y = tf.oneHot(tf.tensor1d([0, 1], "int32"), 2).toFloat() as tf.Tensor2D;
 * const dp = { clip: 1e-3, noiseMultiplier: 1, delta: 1e-5 };
 * const r = dpStep(model, tf.train.sgd(0.1), x, y, dp, 2, new Rng(1));
 * console.log(r.loss.toFixed(4), r.acc); // 0.6931 0.5 (an untrained model guesses: loss ln 2)
 * console.log(r.clipped); // 1 (both gradients were longer than the clip norm)
 * ```
 */
export function dpStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor4D,
  y: tf.Tensor2D,
  dp: DpOptions,
  expectedBatch: number,
  rng: Rng,
): { loss: number; acc: number; clipped: number } {
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const b = x.shape[0];
  const sums = vars.map((v) => tf.zeros(v.shape));
  let lossSum = 0, ok = 0, clipped = 0;
  for (let i = 0; i < b; i++) {
    const r = tf.tidy(() => {
      const xi = x.slice([i, 0, 0, 0], [1, -1, -1, -1]);
      const yi = y.slice([i, 0], [1, -1]);
      let prob: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const p = model.apply(xi, { training: true }) as tf.Tensor;
        prob = tf.keep(p);
        return tf.neg(tf.sum(tf.mul(yi, tf.log(tf.clipByValue(p, 1e-7, 1))))) as tf.Scalar;
      }, vars);
      const gs = vars.map((v) => grads[v.name]);
      const norm = Math.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))).dataSync()[0]);
      const factor = Math.min(1, dp.clip / Math.max(norm, 1e-12));
      for (let k = 0; k < vars.length; k++) {
        const next = tf.keep(sums[k].add(gs[k].mul(factor)));
        sums[k].dispose();
        sums[k] = next;
      }
      const pa = prob!.dataSync(), ya = yi.dataSync();
      const pred = pa.indexOf(Math.max(...pa)), truth = ya.indexOf(1);
      prob!.dispose();
      return { loss: value.dataSync()[0], ok: pred === truth ? 1 : 0, clipped: factor < 1 ? 1 : 0 };
    });
    lossSum += r.loss;
    ok += r.ok;
    clipped += r.clipped;
  }
  const std = dp.noiseMultiplier * dp.clip;
  const noisy: tf.NamedTensorMap = {};
  vars.forEach((v, k) => {
    const size = sums[k].size;
    const noise = new Float32Array(size);
    for (let j = 0; j < size; j++) noise[j] = std * rng.normal();
    noisy[v.name] = tf.tidy(() =>
      sums[k].add(tf.tensor(noise, sums[k].shape)).div(Math.max(1e-12, expectedBatch))
    );
    sums[k].dispose();
  });
  optimizer.applyGradients(noisy);
  tf.dispose(noisy);
  return { loss: b ? lossSum / b : NaN, acc: b ? ok / b : NaN, clipped: b ? clipped / b : 0 };
}
