import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";
import { buildModel, NAMED_ARCHS } from "./models.ts";

await initBackend();

const trainable = (m: tf.LayersModel) =>
  m.trainableWeights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);

Deno.test("the named networks have the published parameter counts, less the ImageNet stem and head", () => {
  // torchvision's counts at 3×224×224 and 1000 classes; the 28×28 adaptation swaps the 7×7×3
  // stem for a 3×3×1 one and the 1000-way head for a 2-way one, and changes nothing else
  const stem = 7 * 7 * 3 * 64 - 3 * 3 * 1 * 64;
  const resnet18 = buildModel("resnet-18");
  assert.equal(trainable(resnet18), 11_689_512 - stem - (512 * 1000 + 1000 - (512 * 2 + 2)));
  const densenet121 = buildModel("densenet-121");
  assert.equal(trainable(densenet121), 7_978_856 - stem - (1024 * 1000 + 1000 - (1024 * 2 + 2)));
  // ViT-Tiny (DeiT-Ti sizes): 4×4×1 patches, 49 tokens, no class token, 2-way head
  const block = 2 * 2 * 192 + 4 * (192 * 192 + 192) + (192 * 768 + 768) + (768 * 192 + 192);
  const vit = buildModel("vit-tiny");
  assert.equal(trainable(vit), (16 * 192 + 192) + 49 * 192 + 12 * block + 2 * 192 + (192 * 2 + 2));
  [resnet18, densenet121, vit].forEach((m) => m.dispose());
});

Deno.test("every named network takes a finite gradient step and changes its prediction", async () => {
  for (const arch of NAMED_ARCHS) {
    const m = buildModel(arch, { seed: 2 });
    m.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 5);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], "int32"), 2);
    const before = (m.predict(x) as tf.Tensor).dataSync().slice();
    const loss = await m.trainOnBatch(x, y) as number;
    const after = (m.predict(x) as tf.Tensor).dataSync();
    assert.ok(Number.isFinite(loss), `${arch}: loss ${loss}`);
    assert.ok(before.some((v, i) => v !== after[i]), `${arch}: the step changed nothing`);
    tf.dispose([x, y]);
    m.dispose();
  }
});

Deno.test("the named networks refuse sizes they cannot take", () => {
  assert.throws(() => buildModel("vit-tiny", { inputSize: 30 }), /multiple of 4/);
  assert.throws(() => buildModel("resnet-18", { inputSize: 8 }), /outside 16..256/);
});
