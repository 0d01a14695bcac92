import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPneumoniaMNIST } from "../../datasets/medmnist.ts";
import { zooConfig, zooTrainSet } from "../../nn/train_zoo.ts";
import { runPaperANamed, thresholdAudit } from "./named.ts";

Deno.test("a named network's quick recipe trains on one seeded subset, the same every time", async () => {
  const { train } = await loadPneumoniaMNIST();
  const cfg = zooConfig("resnet-18", "quick", 3);
  const a = zooTrainSet(train, cfg, 3), b = zooTrainSet(train, cfg, 3);
  assert.equal(a.set.n, 48);
  assert.deepEqual(a.indices, b.indices);
  assert.equal(new Set(a.indices).size, 48);
  assert.notDeepEqual(zooTrainSet(train, cfg, 4).indices, a.indices);
  // the full recipe trains on everything, at the batch the wasm heap allows
  const full = zooConfig("densenet-121", "full", 3);
  assert.equal(zooTrainSet(train, full, 3).set.n, train.n);
  assert.equal(full.train.batchSize, 16);
  assert.equal(full.train.epochs, 30);
});

Deno.test("the threshold audit separates members a model memorised and not otherwise", () => {
  // members: confident and right; non-members: unsure
  const members = Float32Array.from([0.01, 0.99, 0.98, 0.02, 0.03, 0.97]);
  const others = Float32Array.from([0.4, 0.6, 0.55, 0.45, 0.5, 0.5]);
  const seen = thresholdAudit(members, [1, 0, 1], others, [1, 0, 0]);
  assert.equal(seen.loss.auc, 1);
  assert.equal(seen.confidence.auc, 1);
  const same = thresholdAudit(others, [1, 0, 0], others, [1, 0, 0]);
  assert.ok(Math.abs(same.loss.auc - 0.5) < 1e-12);
  assert.equal(same.generalisationGap, 0);
});

Deno.test("paper-a-named (quick, ViT-Tiny): trains, evaluates, audits and sets the published rows beside", async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), "named-"));
  try {
    const r = await runPaperANamed({ scale: "quick", seed: 1, cacheDir }, ["vit-tiny"]);
    const rows = r.tables.named.table.objects() as Record<string, unknown>[];
    assert.deepEqual(rows.map((x) => x.model), [
      "vit-tiny",
      "MedMNIST v2: ResNet-18 (28×28)",
      "MedMNIST v2: ResNet-50 (224×224)",
    ]);
    assert.equal(rows[0].parameters, 5_351_810);
    assert.equal(rows[0]["epochs run"], 1);
    assert.equal(rows[0]["MIA members"], 48);
    for (const k of ["test accuracy @0.5", "test AUC", "MIA loss AUC", "MIA confidence AUC"]) {
      const v = rows[0][k] as number;
      assert.ok(v >= 0 && v <= 1, `${k} = ${v}`);
    }
    assert.equal(r.runs[0].audit.loss.negatives, 468);
    assert.ok(r.notes?.[0].includes("48-image subset"));
    assert.equal(r.figures.reliability.figure.data.length > 0, true);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});
