import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { crop, resize, toFloat32 } from "./ops.ts";
import { medImage } from "./types.ts";

Deno.test("resize bilinear: identity, constant, 16-bit depth kept, spacing scaled", () => {
  const img = medImage(new Uint16Array([0, 1000, 2000, 4095]), 2, 2, {
    bitDepth: 12,
    pixelSpacing: [1, 1],
    modality: "CT",
  });
  assert.deepEqual(resize(img, 2, 2), img);
  const big = resize(img, 4, 4);
  assert.equal(big.bitDepth, 12);
  assert.ok(big.data instanceof Uint16Array);
  assert.deepEqual(big.pixelSpacing, [0.5, 0.5]);
  assert.equal(big.modality, "CT");
  // corners of an up-sampled image stay the source corners (edge clamping)
  assert.deepEqual([big.data[0], big.data[3], big.data[12], big.data[15]], [0, 1000, 2000, 4095]);
  const flat = medImage(new Uint8Array(9).fill(77), 3, 3);
  assert.ok(resize(flat, 7, 5).data.every((v) => v === 77));
});

Deno.test("resize area: exact block means when shrinking by an integer factor", () => {
  const data = new Uint8Array(16);
  for (let i = 0; i < 16; i++) data[i] = i * 10;
  const img = medImage(data, 4, 4);
  const half = resize(img, 2, 2, "area");
  // block (0..1, 0..1) = 0, 10, 40, 50 → 25
  assert.deepEqual([...half.data], [25, 45, 105, 125]);
});

Deno.test("crop cuts the right rectangle and refuses out-of-range boxes", () => {
  const img = medImage(Uint8Array.from({ length: 12 }, (_, i) => i), 4, 3);
  assert.deepEqual([...crop(img, 1, 1, 2, 2).data], [5, 6, 9, 10]);
  assert.throws(() => crop(img, 3, 0, 2, 1), MedCryptError);
  assert.throws(() => crop(img, 0, 0, 0, 1), MedCryptError);
});

Deno.test("toFloat32: full range and window in physical units", () => {
  const img = medImage(new Uint16Array([0, 2048, 4095]), 3, 1, {
    bitDepth: 12,
    rescale: { slope: 1, intercept: -1024 },
  });
  const f = toFloat32(img);
  assert.deepEqual([f[0], f[2]], [0, 1]);
  assert.ok(Math.abs(f[1] - 2048 / 4095) < 1e-7);
  // window [-1024, 1024] HU: 0 → 0, 2048 (=1024 HU) → 1, 4095 → clipped 1
  const w = toFloat32(img, { window: [-1024, 1024] });
  assert.deepEqual([...w], [0, 1, 1]);
  assert.throws(() => toFloat32(img, { window: [5, 5] }), MedCryptError);
});
