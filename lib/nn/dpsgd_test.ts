import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";
import { buildModel } from "./models.ts";
import { dpEpsilon, dpStep, rdpSampledGaussian } from "./dpsgd.ts";
import { Rng } from "../core/random.ts";

await initBackend();

Deno.test("RDP accountant: the Gaussian mechanism, monotonicity, and a published DP-SGD setting", () => {
  // q = 1: RDP of the Gaussian mechanism, α/(2σ²)
  for (const a of [2, 5, 32]) assert.ok(Math.abs(rdpSampledGaussian(1, 1.5, a) - a / 4.5) < 1e-9);
  // subsampling amplifies: q < 1 costs less, and for small q about 2q²α/σ² at low orders
  assert.ok(rdpSampledGaussian(0.01, 1, 2) < rdpSampledGaussian(1, 1, 2));
  const e = (steps: number, sigma: number) =>
    dpEpsilon({ q: 256 / 60000, noiseMultiplier: sigma, steps, delta: 1e-5 }).epsilon;
  assert.ok(e(1000, 1.1) < e(10000, 1.1), "more steps spend more");
  assert.ok(e(10000, 2) < e(10000, 1.1), "more noise spends less");
  // TF Privacy's MNIST tutorial: n = 60000, batch 256, σ = 1.1, 60 epochs, δ = 1e-5 → ε ≈ 2.9
  // (older RDP→DP conversion); the Balle et al. conversion used here is slightly tighter
  const eps = e(Math.round(60 * 60000 / 256), 1.1);
  assert.ok(eps > 2.3 && eps < 3.0, `ε = ${eps}`);
});

Deno.test("dpStep without noise and with a loose clip is the mean gradient; a tight clip bounds each record", () => {
  const rng = new Rng(4);
  const x = tf.tensor4d(Float32Array.from({ length: 6 * 28 * 28 }, () => rng.next()), [
    6,
    28,
    28,
    1,
  ]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0], "int32"), 2) as tf.Tensor2D;
  const run = (clip: number) => {
    const m = buildModel("mlp", { width: 8, seed: 3 });
    const before = m.getWeights().map((w) => w.dataSync().slice());
    dpStep(m, tf.train.sgd(1), x, y, { clip, noiseMultiplier: 0, delta: 1e-5 }, 6, new Rng(1));
    const delta = m.getWeights().map((w, k) =>
      Float32Array.from(w.dataSync(), (v, i) => before[k][i] - v)
    );
    return { m, delta };
  };
  const loose = run(1e6);
  // reference: gradient of the mean cross-entropy over the batch
  const ref = buildModel("mlp", { width: 8, seed: 3 });
  const vars = ref.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const { grads } = tf.variableGrads(() => {
    const p = ref.apply(x, { training: true }) as tf.Tensor;
    return tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, 1e-7, 1))))).div(6) as tf.Scalar;
  }, vars);
  vars.forEach((v, k) => {
    const g = grads[v.name].dataSync();
    for (let i = 0; i < g.length; i++) {
      assert.ok(
        Math.abs(g[i] - loose.delta[k][i]) < 1e-4,
        `var ${k}[${i}]: ${g[i]} vs ${loose.delta[k][i]}`,
      );
    }
  });
  // with clip C the update's norm is at most C (each of 6 records ≤ C, divided by 6)
  const tight = run(0.01);
  const norm = Math.sqrt(tight.delta.reduce((a, d) => a + d.reduce((b, v) => b + v * v, 0), 0));
  assert.ok(norm <= 0.01 + 1e-6, `norm ${norm}`);
  assert.ok(norm > 0.001, `norm ${norm}`);
});
