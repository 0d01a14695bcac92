import assert from "node:assert/strict";
import * as aq from "arquero";
import {
  barFigure,
  binValues,
  downsampleRows,
  histogramFigure,
  imageFigure,
  imageGridFigure,
  lineFigure,
  rocFigure,
  tableFigure,
} from "./figures.ts";
import { figureBundle } from "./jupyter.ts";
import { medImage } from "../image/types.ts";

const ramp12 = medImage(
  new Uint16Array(1024 * 1024).map((_, i) => i % 4096),
  1024,
  1024,
  { bitDepth: 12, modality: "CT" },
);

Deno.test("imageFigure spans the real bit depth, keeps stored values, downsamples large images", () => {
  const f = imageFigure(ramp12);
  const t = f.data[0];
  assert.equal(t.type, "heatmap");
  assert.deepEqual([t.zmin, t.zmax], [0, 4095]);
  const z = t.z as number[][];
  assert.equal(z.length, 256);
  assert.equal(z[0].length, 256);
  // 4×4 block means of the ramp: row 0 block 0 holds columns 0..3 of rows 0..3.
  let sum = 0;
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) sum += (y * 1024 + x) % 4096;
  const expect0 = sum / 16;
  assert.equal(z[0][0], Math.round(expect0));
  assert.equal(t.dx, 4);
  assert.equal(f.provenance?.params.bitDepth, 12);
  assert.ok(JSON.stringify(f).length < 1_000_000);
  const small = medImage(new Uint8Array([0, 255, 7, 9]), 2, 2);
  const s = imageFigure(small).data[0];
  assert.deepEqual(s.z, [[0, 255], [7, 9]]);
  assert.deepEqual([s.zmin, s.zmax], [0, 255]);
  assert.deepEqual(
    [
      imageFigure(small, { range: "data" }).data[0].zmin,
      imageFigure(small, { range: "data" }).data[0].zmax,
    ],
    [0, 255],
  );
  assert.equal(imageFigure(small, { range: [5, 10] }).data[0].zmax, 10);
});

Deno.test("downsampleRows handles sizes that do not divide", () => {
  const img = medImage(new Uint8Array([1, 2, 3, 4, 5, 6]), 3, 2);
  assert.deepEqual(downsampleRows(img, 2), { rows: [[3, 5]], factor: 2 });
});

Deno.test("imageGridFigure: one heatmap per panel on its own axes, under 1 MB", () => {
  const panels = Array.from({ length: 8 }, (_, i) => ({ title: `p${i}`, image: ramp12 }));
  const f = imageGridFigure(panels, { columns: 4 });
  assert.equal(f.data.length, 8);
  assert.deepEqual(f.data.map((t) => t.xaxis), ["x", "x2", "x3", "x4", "x5", "x6", "x7", "x8"]);
  assert.ok(f.layout.yaxis8);
  assert.ok(JSON.stringify(f).length < 1_000_000, `${JSON.stringify(f).length} bytes`);
  assert.throws(() => imageGridFigure([]), /at least one image/);
});

Deno.test("binValues bins with a closed last bin and ignores out-of-range values", () => {
  assert.deepEqual(binValues([0, 0.5, 1, 2, 4, 5], 4, [0, 4]).counts, [2, 1, 1, 1]);
  const f = histogramFigure([{ name: "a", values: ramp12.data }], { bins: 16, range: [0, 4096] });
  assert.deepEqual(f.data[0].y, new Array(16).fill(65536));
  const n = histogramFigure([{ values: [1, 1, 2, 3] }], { bins: 3, normalize: true });
  assert.deepEqual(n.data[0].y, [0.5, 0.25, 0.25]);
});

Deno.test("rocFigure clips zero rates on log–log axes and adds the chance line", () => {
  const f = rocFigure([{ name: "a", fpr: [0, 0.1, 1], tpr: [0, 0.5, 1], auc: 0.7 }], {
    minRate: 1e-3,
  });
  assert.deepEqual(f.data[0].x, [1e-3, 0.1, 1]);
  assert.equal(f.data[0].name, "a (AUC 0.700)");
  assert.equal(f.data[1].name, "chance");
  assert.deepEqual((f.layout.yaxis as { range: number[] }).range, [-3, 0]);
  const lin = rocFigure([{ name: "a", fpr: [0, 1], tpr: [0, 1] }], { logLog: false });
  assert.equal((lin.layout.xaxis as { type: string }).type, "linear");
});

Deno.test("line, bar and table figures are JSON-safe and record provenance", () => {
  const l = lineFigure([{ x: new Float32Array([1, 2]), y: new Float64Array([3, Infinity]) }], {
    seed: 3,
    params: { a: 1 },
  });
  assert.equal(JSON.stringify(l.data[0].y), "[3,null]");
  assert.equal(l.provenance?.seed, 3);
  assert.equal(l.provenance?.params.a, 1);
  assert.throws(() => barFigure(["a", "b"], [{ values: [1] }]), /1 values for 2 categories/);
  const t = tableFigure(aq.table({ a: [1.234567], b: ["x"] }));
  assert.deepEqual((t.data[0].cells as { values: unknown[][] }).values, [[1.235], ["x"]]);
});

Deno.test("figureBundle: plotly JSON and a small HTML fallback when no PNG is made", async () => {
  const b = await figureBundle(imageFigure(ramp12), { png: false });
  assert.ok(b["application/vnd.plotly.v1+json"]);
  assert.ok(String(b["text/html"]).includes("no Plotly renderer"));
  assert.equal(b["image/png"], undefined);
  assert.ok(JSON.stringify(b).length < 1_000_000);
});
