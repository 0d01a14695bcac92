import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";
import { matMulExplicitGrad } from "./_matmul.ts";
import { MultiHeadSelfAttention, TokenDense } from "./models_layers.ts";

await initBackend();

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

Deno.test("matMulExplicitGrad: the product is tfjs's own, the gradients agree to rounding", () => {
  const a = tf.randomNormal([37, 19], 0, 1, "float32", 1) as tf.Tensor2D;
  const b = tf.randomNormal([19, 23], 0, 1, "float32", 2) as tf.Tensor2D;
  assert.equal(maxDiff(matMulExplicitGrad(a, b), tf.matMul(a, b)), 0);
  const loss = (f: typeof matMulExplicitGrad) => (x: tf.Tensor, y: tf.Tensor) =>
    f(x as tf.Tensor2D, y as tf.Tensor2D).square().sum();
  const mine = tf.grads(loss(matMulExplicitGrad))([a, b]);
  const theirs = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
  mine.forEach((g, i) => {
    assert.deepEqual(g.shape, theirs[i].shape);
    assert.ok(maxDiff(g, theirs[i]) < 1e-3, `gradient ${i}`);
  });
});

Deno.test("TokenDense computes tf.layers.dense (linear and gelu) over the last axis", () => {
  const x = tf.randomNormal([2, 5, 8], 0, 1, "float32", 3);
  for (const activation of ["linear", "gelu"] as const) {
    const mine = new TokenDense({ units: 6, activation, seed: 4 });
    const theirs = tf.layers.dense({ units: 6, activation });
    const y = mine.apply(x) as tf.Tensor;
    theirs.apply(x);
    theirs.setWeights(mine.getWeights());
    assert.deepEqual(y.shape, [2, 5, 6]);
    assert.ok(maxDiff(y, theirs.apply(x) as tf.Tensor) < 1e-5, activation);
  }
});

Deno.test("TokenDense and explicit-gradient attention save and load in the Layers format", async () => {
  const input = tf.input({ shape: [4, 8] });
  let h = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 4, seed: 1, explicitGrad: true })
    .apply(input) as tf.SymbolicTensor;
  h = new TokenDense({ units: 3, activation: "gelu", seed: 2 }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: h });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    saved = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const back = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  const x = tf.randomNormal([2, 4, 8], 0, 1, "float32", 5);
  assert.equal(maxDiff(model.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor), 0);
  const att = back.layers.find((l) =>
    l instanceof MultiHeadSelfAttention
  ) as MultiHeadSelfAttention;
  assert.equal(att.explicitGrad, true);
});
