import assert from "node:assert/strict";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { preprocess } from "./model.ts";
import { encryptedInference, loadShippedModel, MODEL_4096_PATH } from "./pipeline.ts";
import { loadHeModel } from "./model.ts";

// The shipped CNN on all 468 embedded test images in batch mode (one image per slot, so one
// query), evaluated by two workers: every encrypted logit within the bound derived from the
// parameters, and every predicted label equal to the plaintext model's.
Deno.test("he: encrypted logits of the shipped CNN match plaintext on all 468 test images", async () => {
  const model = await loadShippedModel();
  const { test } = await loadPneumoniaMNIST();
  const px = test.height * test.width;
  const inputs = Array.from(
    { length: test.n },
    (_, i) => preprocess(test.images.subarray(i * px, (i + 1) * px), model.inputNorm),
  );
  const run = await encryptedInference(model, inputs, { mode: "batch", workers: 2 });
  assert.equal(run.labels.length, 468);
  // the bound is informative: small next to the logits themselves
  assert.ok(run.bound.logits < 0.1, `bound ${run.bound.logits}`);
  for (let i = 0; i < run.encryptedLogits.length; i++) {
    const err = Math.abs(run.encryptedLogits[i] - run.plainLogits[i]);
    assert.ok(err <= run.bound.logits, `logit ${i}: error ${err} > bound ${run.bound.logits}`);
  }
  const disagree = run.labels.filter((l, i) => l !== run.plainLabels[i]).length;
  assert.equal(disagree, 0, `${disagree} labels differ from the plaintext model`);
});

// The N = 4096 model in latency mode (one image per query, as a client sends it), two workers.
Deno.test("he: the N = 4096 depth-3 CNN's encrypted labels equal plaintext on all 468 test images", async () => {
  const model = await loadHeModel(MODEL_4096_PATH);
  const { test } = await loadPneumoniaMNIST();
  const px = test.height * test.width;
  const inputs = Array.from(
    { length: test.n },
    (_, i) => preprocess(test.images.subarray(i * px, (i + 1) * px), model.inputNorm),
  );
  const run = await encryptedInference(model, inputs, {
    preset: "ckks-4096-d3",
    mode: "single",
    workers: 2,
  });
  assert.equal(run.depth, 3);
  assert.equal(run.params.polyModulusDegree, 4096);
  for (let i = 0; i < run.encryptedLogits.length; i++) {
    const err = Math.abs(run.encryptedLogits[i] - run.plainLogits[i]);
    assert.ok(err <= run.bound.logits, `logit ${i}: error ${err} > bound ${run.bound.logits}`);
  }
  const disagree = run.labels.filter((l, i) => l !== run.plainLabels[i]).length;
  assert.equal(disagree, 0, `${disagree} labels differ from the plaintext model`);
  const correct = run.labels.filter((l, i) => l === test.labels[i]).length;
  assert.equal(correct / test.n, model.meta?.testAccuracy, "accuracy is the model's recorded one");
});
