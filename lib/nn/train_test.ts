import assert from "node:assert/strict";
import { initBackend } from "./backend.ts";
import { buildModel } from "./models.ts";
import { imagesTensor, predictProbs, train } from "./train.ts";
import { chooseThreshold, evaluate, evaluateProbs } from "./eval.ts";
import { loadEnvelopeSet, storeSetAsEnvelopes } from "./train_envelope.ts";
import { loadPneumoniaMNIST, subset } from "../datasets/mod.ts";
import { Rng } from "../core/random.ts";
import { closeWorkers, generateKeyPair } from "../envelope/mod.ts";
import { containsBytes } from "../core/bytes.ts";

await initBackend();
const { train: tr, val } = await loadPneumoniaMNIST();
const small = subset(tr, new Rng(1).permutation(tr.n).slice(0, 256));

Deno.test({
  name: "training learns, stops early, checkpoints, and resumes to the same weights",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const opts = {
      epochs: 4,
      seed: 2,
      quiet: true,
      checkpointDir: dir,
      validation: val,
      patience: 10,
    };
    const arch = () => buildModel("cnn-tiny", { seed: 2 });
    const m = arch();
    const r = await train(m, small, { ...opts, learningRate: 3e-3 });
    assert.equal(r.history.length, 4);
    assert.ok(r.history[3].loss < r.history[0].loss, "loss falls");
    assert.ok(evaluate(m, val).accuracy > 0.7, `val accuracy ${evaluate(m, val).accuracy}`);
    // a second call with the same model/data/options loads the finished run
    const m2 = arch();
    const r2 = await train(m2, small, { ...opts, learningRate: 3e-3 });
    assert.equal(r2.resumedEpochs, 4);
    assert.deepEqual(predictProbs(m2, val), predictProbs(m, val));
    // a run interrupted after 2 epochs resumes at epoch 3 with the first two epochs unchanged
    const dir2 = await Deno.makeTempDir();
    const o2 = { ...opts, learningRate: 3e-3, checkpointDir: dir2 };
    const part = await train(arch(), small, { ...o2, maxEpochsThisCall: 2 });
    assert.equal(part.history.length, 2);
    const rest = await train(arch(), small, o2);
    assert.equal(rest.resumedEpochs, 2);
    assert.equal(rest.history.length, 4);
    assert.deepEqual(
      rest.history.slice(0, 2).map((h) => h.loss),
      r.history.slice(0, 2).map((h) => h.loss),
    );
    // early stopping: patience 0 stops at the first epoch without improvement
    const m4 = buildModel("mlp", { width: 32, seed: 2 });
    const r4 = await train(m4, small, {
      epochs: 30,
      seed: 2,
      quiet: true,
      validation: val,
      patience: 0,
      learningRate: 0.05,
    });
    assert.ok(r4.stoppedEarly && r4.history.length < 30, `ran ${r4.history.length}`);
    await assert.rejects(train(m4, small, { epochs: 1, patience: 1 }), /needs a validation set/);
  },
});

Deno.test("evaluation: accuracy, AUC, confusion, calibration", () => {
  const e = evaluateProbs(
    Float32Array.from([0.9, 0.1, 0.3, 0.7, 0.6, 0.4, 0.2, 0.8]),
    Uint8Array.from([0, 1, 1, 1]),
  );
  assert.equal(e.accuracy, 0.75);
  assert.deepEqual(e.confusion, [[1, 0], [1, 2]]);
  assert.equal(e.auc, 1);
  assert.ok(e.ece >= 0 && e.ece <= 1);
  assert.equal(e.reliability.reduce((a, b) => a + b.count, 0), 4);
});

Deno.test("the validation-chosen threshold maximises balanced accuracy; evaluation reports both", () => {
  // scores shifted upwards: every negative above 0.5, the classes still separable at 0.75
  const p1 = [0.55, 0.6, 0.7, 0.72, 0.8, 0.85, 0.9, 0.95];
  const y = [0, 0, 0, 0, 1, 1, 1, 1];
  const t = chooseThreshold(p1, y);
  assert.ok(t > 0.72 && t < 0.8, `threshold ${t}`);
  const probs = Float32Array.from(p1.flatMap((p) => [1 - p, p]));
  const e = evaluateProbs(probs, Uint8Array.from(y), 10, t);
  assert.equal(e.accuracy, 0.5);
  assert.equal(e.accuracyAtThreshold, 1);
  assert.deepEqual(e.confusionAtThreshold, [[4, 0], [0, 4]]);
  assert.equal(chooseThreshold([0.2, 0.3], [1, 1]), 0.5, "one class: no choice");
});

Deno.test("affine augmentation is seeded, stays in [0, 1], and changes the image", () => {
  const aug = { shift: 2, flip: true, rotate: 10, zoom: 0.1, intensity: 0.2 };
  const a = imagesTensor(small, [0, 1, 2], 28, aug, new Rng(5)).dataSync();
  const b = imagesTensor(small, [0, 1, 2], 28, aug, new Rng(5)).dataSync();
  const plain = imagesTensor(small, [0, 1, 2], 28).dataSync();
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => v >= 0 && v <= 1));
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - plain[i]);
  assert.ok(diff / a.length > 0.01, `mean change ${diff / a.length}`);
});

Deno.test({
  name: "a training set stored as envelopes decrypts in memory only and trains",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { publicKey, privateKey } = await generateKeyPair(2048);
    const part = subset(small, Int32Array.from({ length: 24 }, (_, i) => i));
    const dir = await Deno.makeTempDir();
    try {
      await storeSetAsEnvelopes(part, dir, publicKey);
      const back = await loadEnvelopeSet(dir, privateKey);
      assert.deepEqual(back.images, part.images);
      assert.deepEqual(back.labels, part.labels);
      // nothing in the folder holds a clear image
      for await (const f of Deno.readDir(dir)) {
        const bytes = await Deno.readFile(`${dir}/${f.name}`);
        for (let i = 0; i < part.n; i += 6) {
          assert.ok(!containsBytes(bytes, part.images.subarray(i * 784 + 300, i * 784 + 332)));
        }
      }
      const r = await train(buildModel("mlp", { width: 8, seed: 1 }), back, {
        epochs: 1,
        quiet: true,
      });
      assert.equal(r.history.length, 1);
      const other = await generateKeyPair(2048);
      await assert.rejects(loadEnvelopeSet(dir, other.privateKey), /000000\.mce/);
    } finally {
      closeWorkers();
    }
  },
});
