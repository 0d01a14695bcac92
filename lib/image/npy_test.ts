import assert from "node:assert/strict";
import {
  decodeNpy,
  decodeNpyArray,
  encodeNpy,
  encodeNpyArray,
  ndArrayToImage,
  readNpyHeader,
} from "./npy.ts";
import { medImage } from "./types.ts";
import { errorCode } from "./_test_util.ts";

/** Builds an NPY file by hand: magic, version, header length, header text, data. */
function npy(version: 1 | 2 | 3, dict: string, data: number[]): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const header = new TextEncoder().encode(dict + "\n");
  const out = new Uint8Array(pre + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  out.set(header, pre);
  out.set(data, pre + header.length);
  return out;
}

Deno.test("hand-made <u2 v1.0 file: values, shape, bit depth", () => {
  // 2×3, values 1, 2, 3, 4095, 0, 256 little endian.
  const bytes = npy(1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }", [
    1,
    0,
    2,
    0,
    3,
    0,
    0xff,
    0x0f,
    0,
    0,
    0,
    1,
  ]);
  const img = decodeNpy(bytes);
  assert.equal(img.width, 3);
  assert.equal(img.height, 2);
  assert.equal(img.bitDepth, 12);
  assert.deepEqual([...img.data], [1, 2, 3, 4095, 0, 256]);
  assert.ok(img.data instanceof Uint16Array);
});

Deno.test("versions 2.0 and 3.0 (utf-8 header) read the same", () => {
  const dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }";
  for (const v of [2, 3] as const) {
    const img = decodeNpy(npy(v, dict, [7, 9]));
    assert.deepEqual([...img.data], [7, 9]);
    assert.equal(readNpyHeader(npy(v, dict, [7, 9])).version[0], v);
  }
});

Deno.test("Fortran order is transposed to row-major (2-D and 3-D)", () => {
  // C-order [[1,2,3],[4,5,6]] stored column-major: 1,4,2,5,3,6
  const img = decodeNpy(
    npy(1, "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", [1, 4, 2, 5, 3, 6]),
  );
  assert.deepEqual([...img.data], [1, 2, 3, 4, 5, 6]);
  // shape (2,2,2): element (i,j,k) = 100i + 10j + k, stored with i fastest
  const f: number[] = [];
  for (let k = 0; k < 2; k++) {
    for (let j = 0; j < 2; j++) for (let i = 0; i < 2; i++) f.push(100 * i + 10 * j + k);
  }
  const arr = decodeNpyArray(
    npy(1, "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }", f),
  );
  assert.deepEqual([...arr.data], [0, 1, 10, 11, 100, 101, 110, 111]);
});

Deno.test("big-endian >u2 and >f8 are byte-swapped", () => {
  const img = decodeNpy(
    npy(1, "{'descr': '>u2', 'fortran_order': False, 'shape': (1, 2), }", [0x0f, 0xff, 0, 1]),
  );
  assert.deepEqual([...img.data], [4095, 1]);
  const f = new Uint8Array(8);
  new DataView(f.buffer).setFloat64(0, 1.5, false);
  const arr = decodeNpyArray(npy(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", [
    ...f,
  ]));
  assert.equal(arr.data[0], 1.5);
});

Deno.test("conversion rules: b1, i1, i2 with negatives, f4 integral, f8 quantized", () => {
  const b1 = decodeNpy(npy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 3), }", [
    0,
    1,
    1,
  ]));
  assert.equal(b1.bitDepth, 1);
  assert.deepEqual([...b1.data], [0, 1, 1]);

  const i1 = ndArrayToImage({ dtype: "i1", shape: [1, 2], data: new Int8Array([-128, 127]) });
  assert.equal(i1.bitDepth, 8);
  assert.deepEqual([...i1.data], [0, 255]);
  assert.deepEqual(i1.rescale, { slope: 1, intercept: -128 });

  // <i2 CT-like values in Hounsfield units: shifted, nothing lost
  const hu = [-1024, -1000, 0, 40, 3071];
  const i2 = ndArrayToImage({ dtype: "i2", shape: [1, 5], data: new Int16Array(hu) });
  assert.equal(i2.bitDepth, 12); // span 3071 + 1024 = 4095 needs 12 bits
  const back = [...i2.data].map((v) => v * i2.rescale!.slope + i2.rescale!.intercept);
  assert.deepEqual(back, hu);

  const pos = ndArrayToImage({ dtype: "i2", shape: [1, 2], data: new Int16Array([0, 600]) });
  assert.equal(pos.rescale, undefined);
  assert.equal(pos.bitDepth, 10);

  const f4 = ndArrayToImage({ dtype: "f4", shape: [1, 3], data: new Float32Array([0, 128, 255]) });
  assert.ok(f4.data instanceof Uint8Array);
  assert.equal(f4.bitDepth, 8);

  const vals = [0.1, 0.25, 0.9, 0.33333];
  const f8 = ndArrayToImage({ dtype: "f8", shape: [2, 2], data: new Float64Array(vals) });
  assert.equal(f8.bitDepth, 16);
  const { slope, intercept } = f8.rescale!;
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(f8.data[i] * slope + intercept - vals[i]) <= slope / 2 + 1e-12);
  }
  assert.equal(
    errorCode(() =>
      ndArrayToImage({ dtype: "f8", shape: [1, 2], data: new Float64Array([0.5, 1]) }, {
        floats: "refuse",
      })
    ),
    "bad-values",
  );
  assert.equal(
    errorCode(() =>
      ndArrayToImage({ dtype: "f4", shape: [1, 2], data: new Float32Array([0, NaN]) })
    ),
    "bad-values",
  );
  assert.equal(
    errorCode(() =>
      ndArrayToImage({ dtype: "i4", shape: [1, 2], data: new Int32Array([0, 70000]) })
    ),
    "bad-values",
  );
});

Deno.test("shapes: singleton axes dropped, stacks and 1-D refused", () => {
  const a = ndArrayToImage({ dtype: "u1", shape: [1, 2, 3, 1], data: new Uint8Array(6) });
  assert.equal(a.width, 3);
  assert.equal(a.height, 2);
  assert.equal(
    errorCode(() => ndArrayToImage({ dtype: "u1", shape: [2, 2, 3], data: new Uint8Array(12) })),
    "not-an-image",
  );
  assert.equal(
    errorCode(() => ndArrayToImage({ dtype: "u1", shape: [4], data: new Uint8Array(4) })),
    "not-an-image",
  );
});

Deno.test("bad files are refused with typed errors", () => {
  const good = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }";
  assert.equal(errorCode(() => decodeNpy(new Uint8Array([1, 2, 3]))), "bad-format");
  const v9 = npy(1, good, [1, 2, 3, 4]);
  v9[6] = 9;
  assert.equal(errorCode(() => decodeNpy(v9)), "unsupported-version");
  assert.equal(errorCode(() => decodeNpy(npy(1, good, [1, 2, 3]))), "truncated");
  assert.equal(errorCode(() => decodeNpy(npy(1, good, [1, 2, 3, 4, 5]))), "bad-format");
  assert.equal(
    errorCode(() =>
      decodeNpy(npy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", []))
    ),
    "unsupported-dtype",
  );
  assert.equal(
    errorCode(() =>
      decodeNpy(npy(1, "{'descr': [('a', '<u2')], 'fortran_order': False, 'shape': (1,), }", []))
    ),
    "unsupported-dtype",
  );
  // a forged shape is caught before allocation
  assert.equal(
    errorCode(() =>
      decodeNpy(npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999, 99999), }", []))
    ),
    "truncated",
  );
  const hugeHeader = npy(2, good, [1, 2, 3, 4]);
  new DataView(hugeHeader.buffer).setUint32(8, 0x7fffffff, true);
  assert.equal(errorCode(() => decodeNpy(hugeHeader)), "bad-header");
  assert.equal(
    errorCode(() => decodeNpy(npy(1, "{'descr': '|u1', 'shape': (1,), }", [1]))),
    "bad-header",
  );
});

Deno.test("writer: |u1 / <u2, 64-byte aligned, round trip and numpy-readable header", () => {
  const img16 = medImage(new Uint16Array([0, 65535, 4096, 3]), 2, 2);
  const bytes = encodeNpy(img16);
  const h = readNpyHeader(bytes);
  assert.equal(h.descr, "<u2");
  assert.equal(h.dataOffset % 64, 0);
  assert.deepEqual(h.shape, [2, 2]);
  assert.deepEqual([...decodeNpy(bytes).data], [0, 65535, 4096, 3]);
  const img8 = medImage(new Uint8Array([1, 2, 3]), 3, 1, { bitDepth: 2 });
  assert.equal(readNpyHeader(encodeNpy(img8)).descr, "|u1");
  // u8/i8 arrays round-trip through the generic writer
  const i8 = decodeNpyArray(
    encodeNpyArray({ dtype: "i8", shape: [2], data: new Float64Array([-5, 2 ** 40]) }),
  );
  assert.deepEqual([...i8.data], [-5, 2 ** 40]);
});

async function sha16(data: Uint8Array | Uint16Array): Promise<string> {
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...d.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("embedded clinical NPYs match numpy's C-order bytes (SHA-256 computed by numpy 2.4)", async () => {
  // name, width, max, sha256(np.ascontiguousarray(a).tobytes())[:16] — reference values from
  // numpy.load, an independent reader (several of these files are Fortran-ordered).
  const ref: [string, number, number, number, string][] = [
    ["ct-abdomen-1", 512, 2072, 12, "a7230271716d9dcf"],
    ["ct-abdomen-3", 512, 1894, 11, "13032180a8adc804"],
    ["cxr-1", 1024, 255, 8, "ab30bbf7c6b0698e"],
    ["mr-brain-3", 240, 2084, 12, "267b4154bce3e8bb"],
    ["mr-pelvis-1", 320, 1148, 11, "f89acd5837c92bff"],
    ["mr-pelvis-2", 320, 1206, 11, "a8310adfe8e8af5a"],
  ];
  for (const [name, w, max, bits, hash] of ref) {
    const bytes = await Deno.readFile(new URL(`../../data/clinical/${name}.npy`, import.meta.url));
    const img = decodeNpy(bytes, name);
    assert.equal(img.width, w, name);
    assert.equal(img.height, w, name);
    assert.equal(Array.from(img.data).reduce((a, b) => Math.max(a, b), 0), max, name);
    assert.equal(img.bitDepth, bits, name);
    assert.equal(await sha16(img.data), hash, name);
    assert.deepEqual(decodeNpy(encodeNpy(img)).data, img.data, name);
  }
});
