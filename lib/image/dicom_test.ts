import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { decodeDicom, encodeDicom, readDicomInfo } from "./dicom.ts";
import { medImage } from "./types.ts";
import { errorCode } from "./_test_util.ts";

/** Writes DICOM elements by hand. `explicit` chooses explicit or implicit VR (little endian). */
class Builder {
  bytes: number[] = [];
  constructor(readonly explicit: boolean) {}
  el(group: number, elem: number, vr: string, value: number[]): this {
    if (value.length % 2) value = [...value, vr === "UI" ? 0 : 0x20];
    const u16 = (v: number) => [v & 0xff, v >> 8];
    const u32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
    this.bytes.push(...u16(group), ...u16(elem));
    if (!this.explicit) this.bytes.push(...u32(value.length));
    else if (["OB", "OW", "UN", "SQ", "UT"].includes(vr)) {
      this.bytes.push(vr.charCodeAt(0), vr.charCodeAt(1), 0, 0, ...u32(value.length));
    } else this.bytes.push(vr.charCodeAt(0), vr.charCodeAt(1), ...u16(value.length));
    this.bytes.push(...value);
    return this;
  }
  str(group: number, elem: number, vr: string, s: string): this {
    return this.el(group, elem, vr, [...s].map((c) => c.charCodeAt(0)));
  }
  us(group: number, elem: number, v: number): this {
    return this.el(group, elem, "US", [v & 0xff, v >> 8]);
  }
}

function part10(ts: string, body: number[]): Uint8Array {
  const meta = new Builder(true).str(2, 0x10, "UI", ts).bytes;
  const gl = new Builder(true).el(2, 0, "UL", [
    meta.length & 0xff,
    meta.length >> 8,
    0,
    0,
  ]).bytes;
  const out = new Uint8Array(132 + gl.length + meta.length + body.length);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set([...gl, ...meta, ...body], 132);
  return out;
}

function imageBody(
  explicit: boolean,
  opts: {
    bits: number;
    stored: number;
    high: number;
    signed: number;
    photo: string;
    rescaleType?: string;
  },
  pixels: number[],
) {
  const b = new Builder(explicit)
    .str(0x0008, 0x0060, "CS", "CT")
    .us(0x0028, 0x0002, 1)
    .str(0x0028, 0x0004, "CS", opts.photo)
    .us(0x0028, 0x0010, 1)
    .us(0x0028, 0x0011, pixels.length)
    .str(0x0028, 0x0030, "DS", "0.5\\0.25")
    .us(0x0028, 0x0100, opts.bits)
    .us(0x0028, 0x0101, opts.stored)
    .us(0x0028, 0x0102, opts.high)
    .us(0x0028, 0x0103, opts.signed)
    .str(0x0028, 0x1052, "DS", "-1024")
    .str(0x0028, 0x1053, "DS", "1");
  if (opts.rescaleType !== undefined) b.str(0x0028, 0x1054, "LO", opts.rescaleType);
  const raw = opts.bits === 8 ? pixels : pixels.flatMap((v) => [v & 0xff, (v >> 8) & 0xff]);
  return b.el(0x7fe0, 0x0010, opts.bits === 8 ? "OB" : "OW", raw).bytes;
}

Deno.test("hand-made explicit VR: 12-bit signed in 16, high bit 11, rescale folded", () => {
  // stored 12-bit two's complement: -2048, -1, 0, 2047; upper nibble holds junk (0xA)
  const vals = [-2048, -1, 0, 2047].map((v) => (v & 0xfff) | 0xa000);
  const bytes = part10(
    "1.2.840.10008.1.2.1",
    imageBody(true, { bits: 16, stored: 12, high: 11, signed: 1, photo: "MONOCHROME2" }, vals),
  );
  const img = decodeDicom(bytes);
  assert.equal(img.bitDepth, 12);
  assert.deepEqual([...img.data], [0, 2047, 2048, 4095]);
  assert.deepEqual(img.rescale, { slope: 1, intercept: -1024 - 2048 });
  const hu = [...img.data].map((v) => v * img.rescale!.slope + img.rescale!.intercept);
  assert.deepEqual(hu, [-2048 - 1024, -1 - 1024, -1024, 2047 - 1024]);
  assert.deepEqual(img.pixelSpacing, [0.5, 0.25]);
  assert.equal(img.modality, "CT");
});

Deno.test("hand-made implicit VR (with and without preamble), 8-bit, MONOCHROME1 inverted", () => {
  const body = imageBody(false, {
    bits: 8,
    stored: 8,
    high: 7,
    signed: 0,
    photo: "MONOCHROME1",
  }, [0, 10, 255]);
  for (const bytes of [part10("1.2.840.10008.1.2", body), new Uint8Array(body)]) {
    const img = decodeDicom(bytes);
    assert.equal(img.bitDepth, 8);
    assert.deepEqual([...img.data], [255, 245, 0]);
    const phys = [...img.data].map((v) => v * img.rescale!.slope + img.rescale!.intercept);
    assert.deepEqual(phys, [0 - 1024, 10 - 1024, 255 - 1024]);
  }
});

Deno.test("compressed and big-endian transfer syntaxes are refused by name", () => {
  const body = imageBody(true, { bits: 8, stored: 8, high: 7, signed: 0, photo: "MONOCHROME2" }, [
    1,
  ]);
  const cases: [string, RegExp][] = [
    [
      "1.2.840.10008.1.2.4.90",
      /JPEG 2000 lossless \(1\.2\.840\.10008\.1\.2\.4\.90\) is compressed/,
    ],
    ["1.2.840.10008.1.2.4.50", /JPEG baseline .* is compressed/],
    ["1.2.840.10008.1.2.5", /RLE lossless .* is compressed/],
    ["1.2.840.10008.1.2.2", /big endian/],
    ["1.2.840.10008.1.2.1.99", /Deflated/],
  ];
  for (const [ts, re] of cases) {
    assert.throws(() => decodeDicom(part10(ts, body), "x.dcm"), (e: unknown) => {
      assert.ok(e instanceof MedCryptError);
      assert.equal(e.code, "unsupported-syntax");
      assert.match(e.message, re);
      assert.match(e.message, /^`x\.dcm`: /);
      return true;
    });
  }
});

Deno.test("embedded DICOMs: values agree with a plain struct reading of Pixel Data", async () => {
  // Reference values read with Python's struct from the raw (7FE0,0010) bytes: int16 at
  // index 0, 1 and (row 5, column 7), min and max.
  const ref = [
    ["CT_small", 128, "CT", [175, 180, 186, 128, 2191], -1024],
    ["MR_small", 64, "MR", [905, 1019, 847, 127, 2145], 0],
  ] as const;
  for (const [name, w, modality, [v0, v1, v57, min, max], intercept] of ref) {
    const img = decodeDicom(
      await Deno.readFile(new URL(`../../data/dicom/${name}.dcm`, import.meta.url)),
    );
    assert.deepEqual([img.width, img.height, img.bitDepth, img.modality], [w, w, 16, modality]);
    const phys = (i: number) => img.data[i] * img.rescale!.slope + img.rescale!.intercept;
    assert.equal(phys(0), v0 + intercept);
    assert.equal(phys(1), v1 + intercept);
    assert.equal(phys(w * 5 + 7), v57 + intercept);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < img.data.length; i++) {
      lo = Math.min(lo, phys(i));
      hi = Math.max(hi, phys(i));
    }
    assert.deepEqual([lo, hi], [min + intercept, max + intercept]);
  }
  const info = readDicomInfo(
    await Deno.readFile(new URL("../../data/dicom/CT_small.dcm", import.meta.url)),
  );
  assert.deepEqual([info.bitsAllocated, info.bitsStored, info.signed], [16, 16, true]);
});

Deno.test("Secondary Capture writer round-trips 8- and 16-bit images", () => {
  const img = medImage(new Uint16Array([0, 1, 2047, 4095, 5, 6]), 3, 2, {
    bitDepth: 12,
    modality: "CT",
    pixelSpacing: [0.7, 0.7],
    rescale: { slope: 1, intercept: -1024 },
  });
  assert.deepEqual(decodeDicom(encodeDicom(img)), img);
  const img8 = medImage(new Uint8Array([9, 8, 7]), 3, 1);
  const back = decodeDicom(encodeDicom(img8));
  assert.deepEqual([...back.data], [9, 8, 7]);
  assert.equal(back.modality, "OT");
});

Deno.test("bad DICOM: not DICOM, truncated pixel data, missing rows", () => {
  assert.equal(errorCode(() => decodeDicom(new Uint8Array(200))), "bad-format");
  const body = imageBody(
    true,
    { bits: 16, stored: 16, high: 15, signed: 0, photo: "MONOCHROME2" },
    [
      1,
      2,
      3,
    ],
  );
  const full = part10("1.2.840.10008.1.2.1", body);
  const short = full.slice(0, full.length - 2);
  assert.ok(["truncated", "corrupt"].includes(errorCode(() => decodeDicom(short))));
  const noRows = part10("1.2.840.10008.1.2.1", new Builder(true).us(0x0028, 0x0011, 3).bytes);
  assert.equal(errorCode(() => decodeDicom(noRows)), "bad-format");
});

Deno.test("Rows forged smaller than the Pixel Data: refused, not read as a part of the image", () => {
  const b = encodeDicom(medImage(new Uint16Array(12 * 10).fill(7), 12, 10));
  const v = new DataView(b.buffer);
  for (let i = 132; i + 10 < b.length; i += 2) {
    if (v.getUint16(i, true) === 0x28 && v.getUint16(i + 2, true) === 0x10) {
      v.setUint16(i + 8, 5, true); // Rows 10 → 5: 120 of the 240 bytes would be read
      break;
    }
  }
  assert.throws(() => decodeDicom(b, "r.dcm"), /240 bytes; 12×5×1 frame\(s\) of 16 bits are 120/);
  // an 8-bit image of odd size keeps its pad byte
  assert.equal(decodeDicom(encodeDicom(medImage(new Uint8Array(15), 5, 3))).height, 3);
});

Deno.test("Rescale Type (0028,1054) is read into rescale.unit and written back", () => {
  const opts = { bits: 16, stored: 16, high: 15, signed: 0, photo: "MONOCHROME2" };
  const withType = (t?: string) =>
    decodeDicom(
      part10("1.2.840.10008.1.2.1", imageBody(true, { ...opts, rescaleType: t }, [1, 2])),
    );
  assert.deepEqual(withType("HU").rescale, { slope: 1, intercept: -1024, unit: "HU" });
  assert.deepEqual(withType("OD ").rescale, { slope: 1, intercept: -1024, unit: "OD" });
  // "US" (unspecified) and absent both leave the unit unknown
  assert.deepEqual(withType("US").rescale, { slope: 1, intercept: -1024 });
  assert.deepEqual(withType().rescale, { slope: 1, intercept: -1024 });
  const img = medImage(new Uint16Array([0, 1, 2, 3]), 2, 2, {
    bitDepth: 12,
    rescale: { slope: 0.5, intercept: 3, unit: "OD" },
  });
  assert.deepEqual(decodeDicom(encodeDicom(img)).rescale, { slope: 0.5, intercept: 3, unit: "OD" });
});
