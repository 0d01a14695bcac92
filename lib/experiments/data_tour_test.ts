import assert from "node:assert/strict";
import { loadClinicalSamples, loadPneumoniaMNIST } from "../datasets/mod.ts";
import {
  dataSummary,
  histogramsFigure,
  modalitiesFigure,
  pneumoniaSamplesFigure,
  roc,
  splitCounts,
  trainPneumoniaCnn,
} from "./data_tour.ts";

Deno.test("roc: AUC matches the pairwise definition, ties count one half", () => {
  assert.equal(roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).auc, 0.75);
  assert.equal(roc([0, 1], [0.5, 0.5]).auc, 0.5);
  assert.equal(roc([0, 0, 1], [0.1, 0.2, 0.9]).auc, 1);
  const r = roc([1, 0, 1, 0, 1], [0.9, 0.8, 0.7, 0.2, 0.1]);
  // Pairs (pos, neg) ranked right: 0.9>0.8,0.2; 0.7>0.2; 0.1>none → 3 of 6.
  assert.equal(r.auc, 0.5);
  assert.deepEqual([r.fpr[0], r.tpr[0], r.fpr.at(-1), r.tpr.at(-1)], [0, 0, 1, 1]);
});

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
