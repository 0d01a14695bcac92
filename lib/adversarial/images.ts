/**
 * The images category of the adversarial suite: malformed scans handed to every image reader.
 * A scan arrives from a PACS export, a colleague's script or an attacker, and the readers
 * (`readImage`, `describeFile` behind `medcrypt info`, `decodeNpz`) must refuse a bad one with
 * one line naming the file — without allocating what a forged header claims.
 *
 * Four kinds of input, for `.npy`, `.png`, `.dcm` and `.npz`:
 * 1. garbage: random bytes with and without each format's magic, an empty file, one byte, a
 *    text file under each extension;
 * 2. forged headers on tiny files: NPY shapes (100000, 100000), (2^31, 2^31), negative,
 *    fractional, 5-D; PNG IHDR 2^31-1 wide and 65535×65535 over a tiny IDAT, and a zlib bomb
 *    (a 6 MB IDAT inflating to 1 GiB); DICOM Rows/Columns 65535 over a tiny Pixel Data, element
 *    lengths 0xFFFFFFFE, an undefined-length sequence that never ends; NPZ directories declaring
 *    huge sizes and a zip-bomb member. The peak RSS of reading all of them is measured in a child
 *    process (limit 200 MB);
 * 3. what the readers do not support: NPY complex/object/half/string/date dtypes, invalid PNG
 *    depth/colour combinations and interlace methods, DICOM Bits Allocated 1/32, colour, and
 *    compressed or big-endian transfer syntaxes;
 * 4. truncation at seeded random offsets inside the header and inside the pixel data.
 *
 * Every case runs in process (both readers); a sample also goes through `medcrypt info FILE`
 * and `medcrypt convert IN OUT` (no output may be left). The long variant adds a few thousand
 * seeded truncations and forged sizes.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./mod.ts";
 * const r = await runSuite({ seed: 1, long: false, only: ["images"] });
 * console.log(r.tallies[0].wrongSuccesses); // 0
 * ```
 * @module
 */
import { join } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { describeFile } from "../cli/image.ts";
import { ROOT } from "../cli/_test_util.ts";
import { encodeDicom } from "../image/dicom.ts";
import { readImage } from "../image/io.ts";
import { decodeNpz, encodeNpz } from "../image/npz.ts";
import { encodeNpy } from "../image/npy.ts";
import { encodePng } from "../image/png.ts";
import { medImage } from "../image/types.ts";
import { concat, crc32, latin1, zeroDeflate, zeroZlib, zipOne } from "../image/_test_util.ts";
import { type AdversarialCase, runCli } from "./harness.ts";
import type { BuiltCases, CaseSource, Measurement, SuiteOptions } from "./types.ts";

/** One malformed file: its name (with the extension that picks the reader) and bytes. */
interface BadFile {
  /** What was done, for the case name. */
  what: string;
  /** File name inside the work folder, e.g. `"shape-huge.npy"`. */
  file: string;
  /** The bytes. */
  bytes: Uint8Array;
  /** What the refusal must say (after the file name). */
  problem: RegExp;
  /** A forged-header file: also read by the child whose peak RSS is measured. */
  forged?: boolean;
}

const te = new TextEncoder();

// ------------------------------------------------------------------------------------------ NPY

/** An NPY 1.0 file with header dict `dict` and `data` after it. */
function npy(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const body = dict.padEnd(Math.ceil((pre + dict.length + 1) / 64) * 64 - pre - 1, " ") + "\n";
  const head = new Uint8Array(pre);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(head.buffer);
  if (version === 1) v.setUint16(8, body.length, true);
  else v.setUint32(8, body.length, true);
  return concat(head, latin1(body), data);
}

const npyDict = (descr: string, shape: string, fortran = "False") =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

function npyForged(): BadFile[] {
  const tiny = new Uint8Array(16);
  const f = (what: string, file: string, shape: string, problem: RegExp, descr = "<u2") => ({
    what,
    file,
    bytes: npy(npyDict(descr, shape), tiny),
    problem,
    forged: true,
  });
  return [
    f("NPY shape (100000, 100000) on 16 bytes", "huge.npy", "(100000, 100000)", /declares/),
    f("NPY shape (2^31, 2^31)", "2p31.npy", "(2147483648, 2147483648)", /declares|large/),
    f("NPY shape (2^62, 4)", "2p62.npy", "(4611686018427387904, 4)", /not a size|large/),
    f("NPY negative shape", "neg.npy", "(-4, 2)", /not a size/),
    f("NPY non-integer shape", "frac.npy", "(2.5, 3)", /not a size/),
    f("NPY 5-D shape (100000,…)", "5d-huge.npy", `(${"100000, ".repeat(5)})`, /large|declares/),
    {
      what: "NPY 5-D shape filling the data",
      file: "5d.npy",
      bytes: npy(npyDict("|u1", "(2, 2, 2, 2, 2)"), new Uint8Array(32)),
      problem: /2-D|stack/,
      forged: true,
    },
    f("NPY 40 axes", "40d.npy", `(${"1, ".repeat(40)})`, /axes/, "|u1"),
    {
      what: "NPY v2 header length 0xFFFFFFF0",
      file: "hlen.npy",
      bytes: (() => {
        const b = npy(npyDict("<u2", "(2, 4)"), tiny, 2);
        new DataView(b.buffer).setUint32(8, 0xfffffff0, true);
        return b;
      })(),
      problem: /header claims/,
      forged: true,
    },
  ];
}

function npyUnsupported(): BadFile[] {
  const descrs = ["<c16", "<c8", "|O", "<f2", "<f16", "<U4", "|S8", "|V8", "<M8[ns]", "<m8", "|u2"];
  const out: BadFile[] = descrs.map((d, i) => ({
    what: `NPY dtype '${d}'`,
    file: `dtype-${i}.npy`,
    bytes: npy(npyDict(d, "(2, 2)"), new Uint8Array(64)),
    problem: /dtype .* (not|needs)/,
  }));
  out.push(
    {
      what: "NPY structured dtype",
      file: "dtype-rec.npy",
      bytes: npy(`{'descr': [('a', '<u2')], 'fortran_order': False, 'shape': (2, 2), }`),
      problem: /structured/,
    },
    {
      what: "NPY version 4.0",
      file: "v4.npy",
      bytes: npy(npyDict("|u1", "(2, 2)"), new Uint8Array(4), 4),
      problem: /version 4\.0/,
    },
    {
      what: "NPY colour (H, W, 3)",
      file: "rgb.npy",
      bytes: npy(npyDict("|u1", "(2, 2, 3)"), new Uint8Array(12)),
      problem: /colour|stack/,
    },
  );
  return out;
}

// ------------------------------------------------------------------------------------------ PNG

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(latin1(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG with a forged IHDR (CRCs right) and the given zlib image data. */
function png(w: number, h: number, depth: number, colour: number, idat: Uint8Array, il = 0) {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, w);
  v.setUint32(4, h);
  ihdr.set([depth, colour, 0, 0, il], 8);
  return concat(
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", idat),
    pngChunk("IEND", new Uint8Array(0)),
  );
}

function pngForged(bombBytes: number): BadFile[] {
  const tiny = zeroZlib(64);
  const f = (what: string, file: string, w: number, h: number, problem: RegExp) => ({
    what,
    file,
    bytes: png(w, h, 8, 0, tiny),
    problem,
    forged: true,
  });
  return [
    f("PNG IHDR 2^31-1 × 1 on a tiny IDAT", "wide.png", 2 ** 31 - 1, 1, /above .* pixels/),
    f("PNG IHDR 65535×65535 on a tiny IDAT", "square.png", 65535, 65535, /above .* pixels/),
    f("PNG IHDR 16384×16384 on a tiny IDAT", "cap.png", 16384, 16384, /compressed bytes/),
    f("PNG IHDR 2^32-1 × 2^32-1", "max.png", 2 ** 32 - 1, 2 ** 32 - 1, /above .* pixels/),
    {
      what: `PNG zlib bomb: ${bombBytes >> 20} MiB of zeros behind a 100×100 IHDR`,
      file: "bomb.png",
      bytes: png(100, 100, 8, 0, zeroZlib(bombBytes)),
      problem: /inflates to more than/,
      forged: true,
    },
  ];
}

function pngUnsupported(): BadFile[] {
  const idat = zeroZlib(2 * 3);
  const combos: [number, number, number][] = [
    [3, 0, 0],
    [32, 0, 0],
    [4, 2, 0],
    [16, 3, 0],
    [8, 5, 0],
    [8, 7, 0],
    [1, 6, 0],
    [8, 0, 2],
  ];
  return combos.map(([depth, colour, il]) => ({
    what: `PNG bit depth ${depth}, colour type ${colour}, interlace ${il}`,
    file: `png-${depth}-${colour}-${il}.png`,
    bytes: png(2, 2, depth, colour, idat, il),
    problem: /invalid/,
  }));
}

// ---------------------------------------------------------------------------------------- DICOM

/** One explicit-VR element of a DICOM data set. */
interface Elem {
  group: number;
  elem: number;
  vr: string;
  value: Uint8Array;
  /** Written instead of the value's length (to forge lengths). */
  length?: number;
}

const LONG = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT"]);

/** Splits an explicit-VR little-endian Part 10 file (as `encodeDicom` writes) into elements. */
function dicomElements(bytes: Uint8Array): Elem[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Elem[] = [];
  for (let p = 132; p < bytes.length;) {
    const vr = String.fromCharCode(bytes[p + 4], bytes[p + 5]);
    const long = LONG.has(vr);
    const len = long ? v.getUint32(p + 8, true) : v.getUint16(p + 6, true);
    const start = p + (long ? 12 : 8);
    out.push({
      group: v.getUint16(p, true),
      elem: v.getUint16(p + 2, true),
      vr,
      value: bytes.slice(start, start + len),
    });
    p = start + len;
  }
  return out;
}

function dicomElement(e: Elem, implicit = false): Uint8Array {
  const long = implicit || LONG.has(e.vr);
  const head = new Uint8Array(implicit ? 8 : long ? 12 : 8);
  const v = new DataView(head.buffer);
  v.setUint16(0, e.group, true);
  v.setUint16(2, e.elem, true);
  const len = e.length ?? e.value.length;
  if (implicit) v.setUint32(4, len, true);
  else {
    head.set(latin1(e.vr), 4);
    if (long) v.setUint32(8, len, true);
    else v.setUint16(6, len, true);
  }
  return concat(head, e.value);
}

/** Writes elements back as a Part 10 file (fixing the meta group length), or as implicit VR. */
function dicomFile(elems: Elem[], implicit = false): Uint8Array {
  const body = elems.filter((e) => e.group !== 2 || !implicit);
  const meta = body.filter((e) => e.group === 2 && e.elem !== 0);
  const gl = new Uint8Array(4);
  new DataView(gl.buffer).setUint32(0, concat(...meta.map((e) => dicomElement(e))).length, true);
  const parts = body.map((e) =>
    e.group === 2 && e.elem === 0 ? dicomElement({ ...e, value: gl }) : dicomElement(e, implicit)
  );
  if (implicit) return concat(...parts);
  const pre = new Uint8Array(132);
  pre.set(latin1("DICM"), 128);
  return concat(pre, ...parts);
}

const us = (n: number) => new Uint8Array(new Uint16Array([n]).buffer);
const str = (s: string, pad = " ") => latin1(s.length % 2 ? s + pad : s);

/** A copy of `base` with elements replaced (by tag), added before the first with a larger tag. */
function dicomWith(base: Elem[], edits: Elem[]): Elem[] {
  const tag = (e: Elem) => e.group * 65536 + e.elem;
  const out = base.map((e) => edits.find((x) => tag(x) === tag(e)) ?? e);
  for (const x of edits) {
    if (out.some((e) => tag(e) === tag(x))) continue;
    const at = out.findIndex((e) => tag(e) > tag(x));
    out.splice(at < 0 ? out.length : at, 0, x);
  }
  return out;
}

const DCM = (g: number, e: number, vr: string, value: Uint8Array, length?: number): Elem => ({
  group: g,
  elem: e,
  vr,
  value,
  ...(length !== undefined ? { length } : {}),
});

function dicomForged(base: Elem[]): BadFile[] {
  const f = (what: string, file: string, elems: Elem[], problem: RegExp, implicit = false) => ({
    what,
    file,
    bytes: dicomFile(elems, implicit),
    problem,
    forged: true,
  });
  const rows = DCM(0x28, 0x10, "US", us(65535)), cols = DCM(0x28, 0x11, "US", us(65535));
  const item = concat(new Uint8Array([0xfe, 0xff, 0x00, 0xe0]), new Uint8Array(4).fill(0xff));
  return [
    f(
      "DICOM Rows/Columns 65535 over tiny Pixel Data",
      "rc.dcm",
      dicomWith(base, [rows, cols]),
      /need/,
    ),
    f(
      "DICOM Rows/Columns 65535, no preamble (implicit VR)",
      "rc-implicit.dcm",
      dicomWith(base, [rows, cols]),
      /need|parse/,
      true,
    ),
    f(
      "DICOM Rows 6 → 3: the Pixel Data holds twice the image",
      "rows-small.dcm",
      dicomWith(base, [DCM(0x28, 0x10, "US", us(3))]),
      /do not describe/,
    ),
    f(
      "DICOM Number of Frames 2147483647",
      "frames.dcm",
      dicomWith(base, [DCM(0x28, 0x08, "IS", str("2147483647"))]),
      /need/,
    ),
    f(
      "DICOM Pixel Data length 0xFFFFFFFE",
      "pixlen.dcm",
      base.map((e) => e.group === 0x7fe0 ? { ...e, length: 0xfffffffe } : e),
      /past|declares|overrun|beyond|end/i,
    ),
    f(
      "DICOM private OB element of length 0xFFFFFFFE",
      "oblen.dcm",
      dicomWith(base, [DCM(0x09, 0x1010, "OB", new Uint8Array(4), 0xfffffffe)]),
      /parse|overrun|past|end/i,
    ),
    f(
      "DICOM undefined-length sequence that never ends",
      "seq.dcm",
      dicomWith(base, [DCM(0x08, 0x1140, "SQ", item, 0xffffffff)]),
      /parse|sequence|has no (Rows|Columns|Pixel Data)|delimit|end/i,
    ),
  ];
}

function dicomUnsupported(base: Elem[], n: number): BadFile[] {
  const ts = (uid: string) => DCM(2, 0x10, "UI", str(uid, "\0"));
  const out: BadFile[] = [
    ["1.2.840.10008.1.2.4.90", /JPEG 2000 lossless .* compressed/],
    ["1.2.840.10008.1.2.4.50", /JPEG baseline .* compressed/],
    ["1.2.840.10008.1.2.5", /RLE .* compressed/],
    ["1.2.840.10008.1.2.2", /big endian/],
    ["1.2.840.10008.1.2.1.99", /Deflated/],
    ["1.2.3.4", /not supported/],
  ].map(([uid, re], i) => ({
    what: `DICOM transfer syntax ${uid}`,
    file: `ts-${i}.dcm`,
    bytes: dicomFile(dicomWith(base, [ts(uid as string)])),
    problem: re as RegExp,
  }));
  const pix = (bytes: number) => DCM(0x7fe0, 0x10, "OW", new Uint8Array(bytes));
  const bits = (a: number, s: number, bytes: number): Elem[] => [
    DCM(0x28, 0x100, "US", us(a)),
    DCM(0x28, 0x101, "US", us(s)),
    DCM(0x28, 0x102, "US", us(s - 1)),
    pix(bytes),
  ];
  out.push(
    {
      what: "DICOM Bits Allocated 32",
      file: "ba32.dcm",
      bytes: dicomFile(dicomWith(base, bits(32, 32, 4 * n))),
      problem: /Bits Allocated 32/,
    },
    {
      what: "DICOM Bits Allocated 1",
      file: "ba1.dcm",
      bytes: dicomFile(dicomWith(base, bits(1, 1, Math.ceil(n / 8) + 1))),
      problem: /Bits Allocated 1 /,
    },
    {
      what: "DICOM RGB, 3 samples per pixel",
      file: "rgb.dcm",
      bytes: dicomFile(dicomWith(base, [
        DCM(0x28, 0x2, "US", us(3)),
        DCM(0x28, 0x4, "CS", str("RGB")),
        pix(6 * n),
      ])),
      problem: /RGB with 3 samples/,
    },
    {
      what: "DICOM Bits Stored 14 in 8 allocated",
      file: "bs.dcm",
      bytes: dicomFile(dicomWith(base, bits(8, 14, n))),
      problem: /do not fit/,
    },
  );
  return out;
}

// ------------------------------------------------------------------------------------------ NPZ

/** Byte offsets of every zip record with signature `sig` in `b`. */
function zipRecords(b: Uint8Array, sig: number): number[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) if (v.getUint32(i, true) === sig) out.push(i);
  return out;
}

/** A copy of `b` with 32-bit fields (little endian) set: `[offset, value]`. */
function patched(b: Uint8Array, fields: [number, number][]): Uint8Array {
  const out = b.slice();
  const v = new DataView(out.buffer);
  for (const [at, value] of fields) v.setUint32(at, value, true);
  return out;
}

function npzForged(bombBytes: number): BadFile[] {
  const arr = { dtype: "u1" as const, shape: [4, 4], data: new Uint8Array(16).fill(7) };
  const stored = encodeNpz({ train_images: arr });
  const deflated = encodeNpz({ train_images: arr }, { compress: true });
  const [cdS] = zipRecords(stored, 0x02014b50), [cdD] = zipRecords(deflated, 0x02014b50);
  const [eocd] = zipRecords(deflated, 0x06054b50);
  const small = npy(npyDict("|u1", "(10, 10)"), new Uint8Array(100));
  const f = (what: string, file: string, bytes: Uint8Array, problem: RegExp) => ({
    what,
    file,
    bytes,
    problem,
    forged: true,
  });
  return [
    f(
      "NPZ deflated member declaring 0xFFFFFFFE bytes",
      "usize.npz",
      patched(deflated, [[cdD + 24, 0xfffffffe]]),
      /implausible/,
    ),
    f(
      "NPZ stored member declaring 0xFFFFFFFE bytes",
      "ssize.npz",
      patched(stored, [[cdS + 24, 0xfffffffe], [cdS + 20, 0xfffffffe]]),
      /file ends first/,
    ),
    f(
      "NPZ directory size 0xFFFFFFF0",
      "cdsize.npz",
      patched(deflated, [[eocd + 12, 0xfffffff0]]),
      /outside/,
    ),
    f(
      `NPZ zip bomb: ${bombBytes >> 20} MiB of zeros declared and inflated`,
      "bomb.npz",
      zipOne("train_images.npy", zeroDeflate(bombBytes), bombBytes, 0),
      /not an NPY|magic/,
    ),
    f(
      `NPZ member: a valid 228-byte array (size, CRC) followed by ${bombBytes >> 20} MiB`,
      "overrun.npz",
      zipOne("train_images.npy", zeroDeflate(bombBytes, small), small.length, crc32(small)),
      /inflates to more than/,
    ),
  ];
}

// -------------------------------------------------------------------------- garbage, seed files

/** Valid files of each format, the starting point of the truncations. */
function seedFiles(rng: Rng): { name: string; ext: string; bytes: Uint8Array; pixelAt: number }[] {
  const px16 = new Uint16Array(24 * 20).map(() => rng.int(4096));
  const px8 = new Uint8Array(17 * 9).map(() => rng.int(256));
  const img16 = medImage(px16, 24, 20, { bitDepth: 12, modality: "CT" });
  const img8 = medImage(px8, 17, 9);
  const npy16 = encodeNpy(img16), npy8 = encodeNpy(img8);
  const dcm16 = encodeDicom(img16), dcm8 = encodeDicom(img8);
  const npz = encodeNpz({ train_images: { dtype: "u1", shape: [1, 9, 17], data: px8 } }, {
    compress: true,
  });
  const png16 = encodePng(img16), png8 = encodePng(img8);
  return [
    { name: "12-bit NPY", ext: "npy", bytes: npy16, pixelAt: npy16.length - px16.length * 2 },
    { name: "8-bit NPY", ext: "npy", bytes: npy8, pixelAt: npy8.length - px8.length },
    { name: "16-bit PNG", ext: "png", bytes: png16, pixelAt: 33 + 8 },
    { name: "8-bit PNG", ext: "png", bytes: png8, pixelAt: 33 + 8 },
    { name: "12-bit DICOM", ext: "dcm", bytes: dcm16, pixelAt: dcm16.length - px16.length * 2 },
    { name: "8-bit DICOM", ext: "dcm", bytes: dcm8, pixelAt: dcm8.length - px8.length - 1 },
    { name: "NPZ", ext: "npz", bytes: npz, pixelAt: 30 + "train_images.npy".length },
  ];
}

const MAGIC: Record<string, Uint8Array> = {
  npy: new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]),
  png: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  dcm: concat(new Uint8Array(128), latin1("DICM")),
  npz: new Uint8Array([0x50, 0x4b, 0x03, 0x04]),
};

function garbage(rng: Rng): BadFile[] {
  const out: BadFile[] = [];
  const random = (n: number) => new Uint8Array(n).map(() => rng.int(256));
  for (const ext of ["npy", "png", "dcm", "npz"]) {
    const junk = random(200 + rng.int(800));
    out.push(
      {
        what: `random bytes as .${ext}`,
        file: `junk.${ext}`,
        bytes: junk,
        problem: /not a|no zip|magic|signature|DICM/,
      },
      {
        what: `.${ext} magic, then random bytes`,
        file: `magic-junk.${ext}`,
        bytes: concat(MAGIC[ext], random(200 + rng.int(800))),
        problem: /./,
      },
      {
        what: `empty .${ext}`,
        file: `empty.${ext}`,
        bytes: new Uint8Array(0),
        problem: /not a|no zip|signature|empty/,
      },
      {
        what: `1-byte .${ext}`,
        file: `one.${ext}`,
        bytes: random(1),
        problem: /not a|no zip|signature/,
      },
      {
        what: `text file named .${ext}`,
        file: `text.${ext}`,
        bytes: te.encode("Patient: Jane Doe\nThis is a referral letter, not a scan.\n"),
        problem: /not a|no zip|signature|DICM/,
      },
    );
  }
  return out;
}

/** Truncations of each seed file: `perRegion` cuts in the header and as many in the pixels. */
function truncations(rng: Rng, perRegion: number): BadFile[] {
  const out: BadFile[] = [];
  for (const s of seedFiles(rng)) {
    for (const inPixels of [false, true]) {
      for (let k = 0; k < perRegion; k++) {
        const cut = inPixels
          ? s.pixelAt + rng.int(s.bytes.length - s.pixelAt)
          : 1 + rng.int(s.pixelAt - 1);
        out.push({
          what: `${s.name} cut to ${cut} of ${s.bytes.length} bytes (${
            inPixels ? "pixel data" : "header"
          })`,
          file: `cut-${s.ext}-${cut}.${s.ext}`,
          bytes: s.bytes.slice(0, cut),
          problem: /./,
        });
      }
    }
  }
  return out;
}

/**
 * Seeded forged sizes (long variant): an NPY shape, a PNG IHDR, DICOM Rows/Columns or an NPZ
 * member size that does not match the data present, in either direction.
 */
function forgedSizes(rng: Rng, count: number): BadFile[] {
  const out: BadFile[] = [];
  const size = () => 1 + Math.floor(2 ** (rng.next() * 20));
  const base = dicomElements(encodeDicom(medImage(new Uint16Array(12 * 10), 12, 10)));
  for (let k = 0; k < count; k++) {
    const a = size(), b = size();
    switch (k % 4) {
      case 0: {
        if (a * b === 6 * 7) continue;
        out.push({
          what: `NPY shape (${a}, ${b}) over 42 bytes`,
          file: `size-${k}.npy`,
          bytes: npy(npyDict("|u1", `(${a}, ${b})`), new Uint8Array(42)),
          problem: /declares|unexpected bytes/,
        });
        break;
      }
      case 1: {
        if ((1 + a) * b === 18 * 9) continue;
        out.push({
          what: `PNG IHDR ${a}×${b} over the data of 17×9`,
          file: `size-${k}.png`,
          bytes: png(a, b, 8, 0, zeroZlib(18 * 9)),
          problem: /inflates to|compressed bytes|above .* pixels/,
        });
        break;
      }
      case 2: {
        const r = a & 0xffff || 1, c = b & 0xffff || 1;
        if (r * c === 120) continue;
        out.push({
          what: `DICOM Rows ${r}, Columns ${c} over 240 bytes of Pixel Data`,
          file: `size-${k}.dcm`,
          bytes: dicomFile(
            dicomWith(base, [DCM(0x28, 0x10, "US", us(r)), DCM(0x28, 0x11, "US", us(c))]),
          ),
          problem: /need|do not describe/,
        });
        break;
      }
      default: {
        const arr = { dtype: "u1" as const, shape: [3, 5], data: new Uint8Array(15).fill(k) };
        const z = encodeNpz({ train_images: arr }, { compress: true });
        const [cd] = zipRecords(z, 0x02014b50);
        const real = new DataView(z.buffer).getUint32(cd + 24, true);
        const fake = (a * 64 + b) % 0xffffffff;
        if (fake === real) continue;
        out.push({
          what: `NPZ member size ${real} forged to ${fake}`,
          file: `size-${k}.npz`,
          bytes: patched(z, [[cd + 24, fake]]),
          problem: /inflates|implausible|NPY|not/,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------- cases

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The refusal names the file (an NPZ member as `file:member`), then says `problem`. */
function namesFile(path: string, problem: RegExp, cli = false): RegExp {
  const at = `\`${escape(path)}(:[^\`]*)?\`: `;
  return new RegExp(`${cli ? "" : "^"}${at}.*(${problem.source})`, problem.flags);
}

type Reader = [name: string, read: (path: string) => Promise<unknown>];

const READERS: Record<string, Reader[]> = {
  image: [["readImage", readImage], ["describeFile", describeFile]],
  npz: [["describeFile", describeFile], [
    "decodeNpz",
    async (p) => decodeNpz(await Deno.readFile(p), p),
  ]],
};

/**
 * Hands `path` to every reader of its kind: resolves (a wrong success) when one accepts it;
 * otherwise rejects with the first refusal that does not match `expect`, or the first refusal.
 */
async function readAll(path: string, expect: RegExp): Promise<unknown> {
  let first: unknown, bad: unknown;
  for (const [name, read] of READERS[path.endsWith(".npz") ? "npz" : "image"]) {
    try {
      await read(path);
      return `${name} accepted it`;
    } catch (e) {
      first ??= e;
      if (!(e instanceof MedCryptError) || !expect.test(e.message)) bad ??= e;
    }
  }
  throw bad ?? first;
}

function readerCase(dir: string, f: BadFile): AdversarialCase {
  const path = join(dir, f.file);
  const message = namesFile(path, f.problem);
  return {
    category: "images",
    name: f.what,
    message,
    async run() {
      await Deno.writeFile(path, f.bytes);
      try {
        return await readAll(path, message);
      } finally {
        await Deno.remove(path).catch(() => {});
      }
    },
  };
}

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

/** `medcrypt info FILE`, or `medcrypt convert FILE OUT.png` (no output may be left). */
function cliCase(dir: string, f: BadFile, convert: boolean): AdversarialCase {
  const path = join(dir, `cli-${f.file}`);
  const out = join(dir, `cli-out-${f.file}.png`);
  return {
    category: "images",
    name: `${convert ? "convert" : "info"} (CLI): ${f.what}`,
    message: namesFile(path, f.problem, true),
    async run() {
      await Deno.writeFile(path, f.bytes);
      try {
        return await (convert ? runCli("convert", path, out) : runCli("info", path));
      } finally {
        await Deno.remove(path).catch(() => {});
      }
    },
    async leftovers() {
      const left = (await exists(out)) ? [out] : [];
      for await (const e of Deno.readDir(dir)) {
        if (e.name.startsWith(".tmp-")) left.push(join(dir, e.name));
      }
      return left;
    },
  };
}

/** A spread sample for the CLI: every `step`-th file, alternating `info` and `convert`. */
function cliSample(dir: string, files: BadFile[], step: number): AdversarialCase[] {
  const picks = files.filter((_, i) => i % step === 0);
  return picks.map((f, i) => cliCase(dir, f, f.file.endsWith(".npz") ? false : i % 2 === 1));
}

// ---------------------------------------------------------------------------- peak RSS (child)

const CHILD = (root: string) => `
import { readImage } from "${new URL("lib/image/io.ts", `file://${root}`)}";
import { decodeNpz } from "${new URL("lib/image/npz.ts", `file://${root}`)}";
import { describeFile } from "${new URL("lib/cli/image.ts", `file://${root}`)}";
let accepted = 0;
for (const p of Deno.args) {
  const readers = p.endsWith(".npz")
    ? [describeFile, async (f) => decodeNpz(await Deno.readFile(f), f)]
    : [readImage, describeFile];
  for (const read of readers) {
    try { await read(p); accepted++; } catch { /* refused: what we want */ }
  }
}
const hwm = /VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
console.log(JSON.stringify({ hwmKB: hwm ? Number(hwm[1]) : -1, accepted }));
`;

/** Runs the child reader over `paths` and returns its peak RSS (MB) and how many it accepted. */
async function childPeak(dir: string, paths: string[]): Promise<{ mb: number; accepted: number }> {
  const script = join(dir, "peak_rss_child.ts");
  await Deno.writeTextFile(script, CHILD(ROOT));
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", join(ROOT, "deno.json"), script, ...paths],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout).trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !text.startsWith("{")) {
    throw new MedCryptError(
      "child-failed",
      `the peak-RSS child failed: ${new TextDecoder().decode(r.stderr).trim().slice(0, 300)}`,
    );
  }
  const { hwmKB, accepted } = JSON.parse(text);
  return { mb: Math.round(hwmKB / 1024), accepted };
}

/** The peak RSS of a child reading every forged-header file, and of one reading a valid scan. */
async function measurePeak(dir: string, forged: BadFile[]): Promise<Measurement[]> {
  const sub = join(dir, "forged");
  await Deno.mkdir(sub, { recursive: true });
  const paths: string[] = [];
  for (const f of forged) {
    paths.push(join(sub, f.file));
    await Deno.writeFile(paths.at(-1)!, f.bytes);
  }
  const valid = join(sub, "valid.npy");
  await Deno.writeFile(valid, encodeNpy(medImage(new Uint16Array(512 * 512), 512, 512)));
  const all = await childPeak(dir, paths);
  const base = await childPeak(dir, [valid]);
  await Deno.remove(sub, { recursive: true });
  return [
    {
      name:
        `peak RSS of the forged-header cases (${forged.length} files; ${all.accepted} accepted)`,
      value: all.accepted ? Infinity : all.mb,
      unit: "MB",
      limit: 200,
    },
    {
      name: "peak RSS of the same child reading one valid 512×512 scan",
      value: base.mb,
      unit: "MB",
    },
  ];
}

/** The images category. */
export const source: CaseSource = {
  category: "images",
  build(options: SuiteOptions): Promise<BuiltCases> {
    const rng = new Rng(options.seed);
    const dir = options.workDir;
    const bomb = 1 << 30;
    const base = dicomElements(encodeDicom(medImage(new Uint16Array(8 * 6), 8, 6)));
    const files: BadFile[] = [
      ...garbage(rng),
      ...npyForged(),
      ...pngForged(bomb),
      ...dicomForged(base),
      ...npzForged(bomb),
      ...npyUnsupported(),
      ...pngUnsupported(),
      ...dicomUnsupported(base, 48),
      ...truncations(rng, options.long ? 120 : 4),
      ...(options.long ? forgedSizes(rng, 2000) : forgedSizes(rng, 24)),
    ];
    const forged = files.filter((f) => f.forged);
    const cases = [
      ...files.map((f) => readerCase(dir, f)),
      ...cliSample(dir, files.filter((f) => f.bytes.length < 1 << 20), options.long ? 12 : 8),
    ];
    return Promise.resolve({ cases, measure: () => measurePeak(dir, forged) });
  },
};
