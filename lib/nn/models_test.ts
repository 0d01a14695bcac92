import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";
import { ARCHS, buildModel } from "./models.ts";
import { loadModelFromDir, saveModelToDir } from "./train_io.ts";

await initBackend();

Deno.test("every architecture builds for 28×28 and 64×64 and gives a softmax over 2 classes", () => {
  for (const arch of ARCHS) {
    for (const size of [28, 64]) {
      const m = buildModel(arch, { inputSize: size, seed: 1 });
      const p = tf.tidy(() =>
        (m.predict(tf.ones([2, size, size, 1])) as tf.Tensor).arraySync()
      ) as number[][];
      assert.equal(p.length, 2, arch);
      for (const row of p) assert.ok(Math.abs(row[0] + row[1] - 1) < 1e-4, `${arch}@${size}`);
      m.dispose();
    }
  }
  assert.throws(() => buildModel("vit", { inputSize: 30 }), /multiple of patch/);
});

Deno.test("the same seed gives the same weights; another seed different ones", () => {
  const w = (seed: number) => buildModel("vit", { seed }).getWeights()[0].dataSync()[0];
  assert.equal(w(3), w(3));
  assert.notEqual(w(3), w(4));
});

Deno.test("models with custom layers round-trip through the tfjs Layers format", async () => {
  for (const arch of ["vit", "he-cnn", "densenet"] as const) {
    const m = buildModel(arch, { seed: 2 });
    const dir = await Deno.makeTempDir();
    await saveModelToDir(m, dir);
    const back = await loadModelFromDir(dir);
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, "float32", 5);
    const a = (m.predict(x) as tf.Tensor).dataSync(), b = (back.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, arch);
    m.dispose();
    back.dispose();
  }
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/model.json`, "{}");
  await assert.rejects(loadModelFromDir(dir), /not a tfjs Layers model/);
});

Deno.test("fast Tile and FusedBatchNorm gradients equal finite differences", () => {
  const x = tf.tensor3d([[[0.3, -1.2, 0.5]], [[2, 0.1, -0.7]]]); // [2, 1, 3]
  const w = tf.randomNormal([2, 4, 3], 0, 1, "float32", 9);
  const f = (t: tf.Tensor) => tf.tile(t, [1, 4, 1]).mul(w).sum();
  const g = tf.grad(f)(x).dataSync();
  const expect = tf.sum(w, 1).dataSync(); // d/dx Σ tile(x)·w = Σ over the tiled axis of w
  for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - expect[i]) < 1e-5);
  // batch norm: compare with a numeric derivative
  const xb = tf.randomNormal([4, 2, 2, 3], 0, 1, "float32", 3);
  const mean = tf.tensor1d([0.1, -0.2, 0.3]), vari = tf.tensor1d([1.5, 0.5, 2]);
  const scale = tf.tensor1d([1.2, 0.7, -0.4]), off = tf.tensor1d([0, 1, 2]);
  const wb = tf.randomNormal([4, 2, 2, 3], 0, 1, "float32", 4);
  const h = (s: tf.Tensor) =>
    tf.batchNorm(xb, mean, vari, off, s as tf.Tensor1D, 1e-3).mul(wb).sum();
  const gs = tf.grad(h)(scale).dataSync();
  for (let k = 0; k < 3; k++) {
    const e = 1e-2;
    const d = tf.oneHot(k, 3).mul(e);
    const num = (h(scale.add(d)).dataSync()[0] - h(scale.sub(d)).dataSync()[0]) / (2 * e);
    assert.ok(
      Math.abs(num - gs[k]) < 1e-2 * Math.max(1, Math.abs(num)),
      `scale ${k}: ${num} vs ${gs[k]}`,
    );
  }
  const gx = tf.grad((t: tf.Tensor) => tf.batchNorm(t, mean, vari, off, scale, 1e-3).mul(wb).sum())(
    xb,
  );
  const ref = wb.mul(scale.div(vari.add(1e-3).sqrt())).dataSync();
  const gxd = gx.dataSync();
  for (let i = 0; i < gxd.length; i++) assert.ok(Math.abs(gxd[i] - ref[i]) < 1e-4);
});
