import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../nn/backend.ts";
import { buildModel, heCnn } from "../nn/models.ts";
import { heFriendlyPredictPlain } from "./model.ts";
import { toHeModel } from "./from_tfjs.ts";

await initBackend();

Deno.test("an he-cnn exports to lib/he with the same logits", () => {
  const m = heCnn({ seed: 4 });
  const he = toHeModel(m);
  const img = Uint8Array.from({ length: 784 }, (_, i) => (i * 13) % 256);
  const logits = heFriendlyPredictPlain(he, img);
  const probs = tf.tidy(() =>
    (m.predict(tf.tensor4d(Float32Array.from(img, (v) => v / 255), [1, 28, 28, 1])) as tf.Tensor)
      .dataSync()
  );
  const p1 = 1 / (1 + Math.exp(logits[0] - logits[1]));
  assert.ok(Math.abs(p1 - probs[1]) < 1e-4, `${p1} vs ${probs[1]}`);
  assert.throws(() => toHeModel(buildModel("mlp")), /not an he-cnn/);
});
