import assert from "node:assert/strict";
import { loadClinicalSamples, loadPneumoniaMNIST } from "../../datasets/mod.ts";
import { dataSummary, splitCounts } from "./summary.ts";
import { histogramsFigure, modalitiesFigure, pneumoniaSamplesFigure } from "./figures.ts";
import { trainPneumoniaCnn } from "./small_cnn.ts";

Deno.test("data summary and figures reflect the embedded files at their bit depth", async () => {
  const samples = await loadClinicalSamples();
  const pneumonia = await loadPneumoniaMNIST();
  const rows = dataSummary(samples, pneumonia).objects() as Record<string, unknown>[];
  const cxr = rows.find((r) => r.name === "cxr-1")!;
  assert.deepEqual([cxr.width, cxr.height, cxr.bitDepth], [1024, 1024, 8]);
  const ct = rows.find((r) => r.name === "ct-abdomen-1")!;
  assert.deepEqual([ct.width, ct.height, ct.bitDepth], [512, 512, 12]);
  assert.ok((ct.max as number) < 4096 && (ct.max as number) > 255);
  assert.equal(rows.filter((r) => String(r.name).startsWith("pneumoniamnist/")).length, 3);
  assert.deepEqual(splitCounts(pneumonia).objects()[2], {
    split: "test",
    n: 468,
    normal: 234,
    pneumonia: 234,
  });
  const m = modalitiesFigure(samples);
  assert.equal(m.data.length, 6);
  assert.deepEqual(m.data.map((t) => t.zmax), [255, 4095, 2047, 2047, 65535, 65535]);
  assert.equal(histogramsFigure(samples).data.length, samples.length);
  assert.equal(pneumoniaSamplesFigure(pneumonia.train, 3).data.length, 6);
  for (const f of [m, modalitiesFigure(samples, "data")]) {
    assert.ok(JSON.stringify(f).length < 1_000_000);
  }
});

Deno.test({
  name: "the small CNN learns PneumoniaMNIST in 2 epochs (test AUC > 0.8)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const m = await trainPneumoniaCnn(await loadPneumoniaMNIST(), { epochs: 2, seed: 3 });
    assert.equal(m.history.length, 2);
    assert.equal(m.test.n, 468);
    assert.ok(m.test.auc > 0.8, `AUC ${m.test.auc}`);
    assert.ok(m.test.accuracy > 0.65, `accuracy ${m.test.accuracy}`);
  },
});
