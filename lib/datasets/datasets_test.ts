import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { encodeNpz } from "../image/npz.ts";
import {
  loadClinicalSamples,
  loadMedMNIST,
  loadPneumoniaMNIST,
  memberMask,
  seededSplit,
  subset,
  toFloatBatch,
} from "./mod.ts";

Deno.test("PneumoniaMNIST: sizes and class balance of the embedded subset", async () => {
  const { train, val, test, classes } = await loadPneumoniaMNIST();
  assert.deepEqual([train.n, val.n, test.n], [2428, 270, 468]);
  assert.deepEqual([train.height, train.width, train.channels, train.labelWidth], [28, 28, 1, 1]);
  assert.equal(classes, 2);
  assert.equal(train.images.length, 2428 * 784);
  assert.equal(train.labels.reduce((a, b) => a + b, 0), 1214);
  assert.equal(test.labels.reduce((a, b) => a + b, 0), 234);
});

Deno.test("loadPneumoniaMNIST works from another working directory", async () => {
  const cwd = Deno.cwd();
  Deno.chdir(await Deno.makeTempDir());
  try {
    assert.equal((await loadPneumoniaMNIST()).val.n, 270);
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("loadMedMNIST: RGB, multi-label, deflated; bad archives refused", async () => {
  const dir = await Deno.makeTempDir();
  const part = (n: number, label: number[]) => ({
    images: { dtype: "u1" as const, shape: [n, 4, 4, 3], data: new Uint8Array(n * 48).fill(n) },
    labels: { dtype: "i8" as const, shape: [n, 2], data: new Float64Array(label) },
  });
  const p = { train: part(2, [0, 1, 1, 0]), val: part(1, [1, 1]), test: part(1, [0, 0]) };
  const arrays = Object.fromEntries(
    Object.entries(p).flatMap(([k, v]) => [[`${k}_images`, v.images], [`${k}_labels`, v.labels]]),
  );
  await Deno.writeFile(`${dir}/rgb.npz`, encodeNpz(arrays, { compress: true }));
  const set = await loadMedMNIST(`${dir}/rgb.npz`);
  assert.deepEqual([set.train.channels, set.train.labelWidth, set.classes], [3, 2, 2]);
  assert.deepEqual([...set.train.labels], [0, 1, 1, 0]);
  const b = toFloatBatch(set.train);
  assert.deepEqual(b.shape, [2, 4, 4, 3]);
  assert.deepEqual([...b.yOneHot], [0, 1, 1, 0]);

  delete arrays.val_labels;
  await Deno.writeFile(`${dir}/broken.npz`, encodeNpz(arrays));
  await assert.rejects(() => loadMedMNIST(`${dir}/broken.npz`), (e: unknown) => {
    assert.ok(e instanceof MedCryptError);
    assert.match(e.message, /broken\.npz.*val_labels/);
    return true;
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("seededSplit: disjoint, sized, deterministic, seed-dependent", () => {
  const [a, b, c] = seededSplit(101, [0.6, 0.3, 0.1], 5);
  assert.deepEqual([a.length, b.length, c.length], [61, 30, 10]);
  const all = new Set([...a, ...b, ...c]);
  assert.equal(all.size, 101);
  assert.deepEqual(seededSplit(101, [0.6, 0.3, 0.1], 5)[0], a);
  assert.notDeepEqual(seededSplit(101, [0.6, 0.3, 0.1], 6)[0], a);
  assert.throws(() => seededSplit(10, [0.8, 0.3], 1), MedCryptError);
});

Deno.test("memberMask: exact count, deterministic", () => {
  const m = memberMask(1000, 9, 0.3);
  assert.equal(m.reduce((a, b) => a + b, 0), 300);
  assert.deepEqual(memberMask(1000, 9, 0.3), m);
  assert.notDeepEqual(memberMask(1000, 10, 0.3), m);
});

Deno.test("toFloatBatch and subset on PneumoniaMNIST", async () => {
  const { val } = await loadPneumoniaMNIST();
  const s = subset(val, [3, 1]);
  assert.deepEqual(s.images.subarray(0, 784), val.images.subarray(3 * 784, 4 * 784));
  const b = toFloatBatch(val, [3, 1]);
  assert.equal(b.x[100], Math.fround(val.images[3 * 784 + 100] / 255));
  assert.deepEqual([...b.y], [val.labels[3], val.labels[1]]);
  assert.equal(b.yOneHot[b.y[0]], 1);
  assert.throws(() => toFloatBatch(val, [270]), MedCryptError);
});

Deno.test("clinical samples: every embedded file with its real size and bit depth", async () => {
  const s = await loadClinicalSamples();
  const got = Object.fromEntries(
    s.map((x) => [x.name, [x.image.width, x.image.height, x.image.bitDepth, x.image.modality]]),
  );
  assert.deepEqual(got, {
    "ct-abdomen-1": [512, 512, 12, "CT"],
    "ct-abdomen-2": [512, 512, 12, "CT"],
    "ct-abdomen-3": [512, 512, 11, "CT"],
    "ct-abdomen-4": [512, 512, 12, "CT"],
    "cxr-1": [1024, 1024, 8, "DX"],
    "mr-brain-1": [240, 240, 11, "MR"],
    "mr-brain-2": [240, 240, 11, "MR"],
    "mr-brain-3": [240, 240, 12, "MR"],
    "mr-brain-4": [240, 240, 11, "MR"],
    "mr-pelvis-1": [320, 320, 11, "MR"],
    "mr-pelvis-2": [320, 320, 11, "MR"],
    "CT_small": [128, 128, 16, "CT"],
    "MR_small": [64, 64, 16, "MR"],
  });
});
