/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): a generic n-d array reader/writer
 * ({@linkcode NdArray}) and the conversion to and from a {@linkcode MedImage}.
 *
 * Reading is strict and bounded: the header is capped at {@linkcode MAX_NPY_HEADER} bytes, and the
 * size the header declares (`shape` × item size) is checked against the bytes actually present
 * before anything is allocated. Every failure is a {@linkcode MedCryptError}.
 *
 * ## Data types
 * `|b1 |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f4 <f8` (and their big-endian `>` forms) are read.
 * 64-bit integers come back as a `Float64Array` and are refused if a value is beyond 2^53.
 * Structured, complex, string and object arrays are refused.
 *
 * ## Conversion to a MedImage ({@linkcode ndArrayToImage})
 * - Shape: leading and trailing axes of length 1 are dropped (`(1, H, W)`, `(H, W, 1)`); what is
 *   left must be `(H, W)` (rows, columns). Stacks and colour arrays are refused (use
 *   {@linkcode decodeNpyArray}). Fortran-ordered arrays are transposed to row-major order.
 * - `|b1` → `Uint8Array`, bit depth 1. `|u1` → `Uint8Array`, bit depth 8.
 * - `<u2` (and wider unsigned integers whose values fit in 16 bits) → `Uint16Array` with
 *   `bitDepth = max(9, bit length of the largest value)`; so a 12-bit CT slice stored as `uint16`
 *   gets bit depth 12, and the container stays 16-bit (written back as `<u2`) even when the
 *   values are small. The same rule is used for 16-bit PNGs, so NPY → PNG → NPY is bit-exact.
 * - Signed integers (`|i1 <i2 <i4 <i8`) with no negative value are read like the unsigned kind.
 *   With negative values they are shifted so the minimum becomes 0 and the shift is kept in
 *   `rescale` (`slope 1, intercept min`): nothing is lost and `stored + intercept` is the value.
 *   `|i1` stays 8-bit; the others follow the 16-bit rule. A value span above 65535 is refused.
 * - Floats (`<f4 <f8`): NaN or infinity is refused. If every value is a whole number they follow
 *   the integer rules (`0..255` → 8-bit; otherwise the 16-bit rule, with a shift if negative).
 *   Otherwise (option `floats: "quantize"`, the default) values are mapped linearly onto
 *   `0..65535` (16-bit) with `rescale = { slope: (max - min) / 65535, intercept: min }`, which
 *   reproduces each value within half a step, `(max - min) / 131070`; with `floats: "refuse"`
 *   such arrays are refused.
 *
 * ## Writing ({@linkcode encodeNpy})
 * An 8-bit-or-less image becomes `|u1`, a deeper one `<u2`, format 1.0, C order. NPY keeps no
 * metadata: bit depth is re-derived on reading, and modality, spacing and rescale are dropped.
 *
 * @example Round trip of a 12-bit image
 * ```ts
 * import { decodeNpy, encodeNpy } from "./npy.ts";
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint16Array([0, 4095, 7, 1000]), 2, 2, { bitDepth: 12 });
 * const back = decodeNpy(encodeNpy(img));
 * console.log(back.bitDepth, back.data); // 12 Uint16Array [0, 4095, 7, 1000]
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { type MedImage, medImage } from "./types.ts";

/** The element types an {@linkcode NdArray} can hold (NumPy names without byte order). */
export type DType = "b1" | "u1" | "i1" | "u2" | "i2" | "u4" | "i4" | "u8" | "i8" | "f4" | "f8";

/** The typed arrays behind an {@linkcode NdArray}. */
export type NdData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * A dense n-d array in C (row-major) order. `u8`/`i8` data is held in a `Float64Array`
 * (exact up to 2^53).
 */
export interface NdArray {
  /** Element type. */
  readonly dtype: DType;
  /** Axis lengths; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Elements, `shape` product of them, row-major. */
  readonly data: NdData;
}

/** What an NPY header says, without the data. */
export interface NpyHeader {
  /** Format version, `[major, minor]`. */
  readonly version: readonly [number, number];
  /** Element type. */
  readonly dtype: DType;
  /** The `descr` string as written, e.g. `"<u2"`. */
  readonly descr: string;
  /** True when the data is stored big-endian. */
  readonly bigEndian: boolean;
  /** Axis lengths. */
  readonly shape: readonly number[];
  /** True when the data is stored column-major. */
  readonly fortranOrder: boolean;
  /** Byte offset of the data. */
  readonly dataOffset: number;
}

/** Options for {@linkcode decodeNpy} and {@linkcode ndArrayToImage}. */
export interface NpyImageOptions {
  /** File name for error messages. */
  file?: string;
  /** What to do with non-integral float data: map onto 16 bits (default) or refuse. */
  floats?: "quantize" | "refuse";
}

/** Largest accepted NPY header (the text dict plus padding), in bytes. */
export const MAX_NPY_HEADER = 65536;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEM_SIZE: Record<DType, number> = {
  b1: 1,
  u1: 1,
  i1: 1,
  u2: 2,
  i2: 2,
  u4: 4,
  i4: 4,
  u8: 8,
  i8: 8,
  f4: 4,
  f8: 8,
};
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(code: string, detail: string, file?: string): never {
  throw new MedCryptError(code, detail, { file });
}

/**
 * Returns true when `bytes` start with the NPY magic string.
 *
 * @param bytes file contents (at least the first 6 bytes)
 * @returns whether this looks like an NPY file
 * @example
 * ```ts
 * import { isNpy } from "./npy.ts";
 * console.log(isNpy(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]))); // true
 * ```
 */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

function parseDescr(descr: string, file?: string): { dtype: DType; bigEndian: boolean } {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (!m) fail("unsupported-dtype", `NPY dtype '${descr}' is not a plain numeric type`, file);
  const [, order, kind, sizeStr] = m;
  const dtype = `${kind}${sizeStr}` as DType;
  if (!(dtype in ITEM_SIZE)) {
    fail(
      "unsupported-dtype",
      `NPY dtype '${descr}' is not supported (supported: |b1 |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f4 <f8)`,
      file,
    );
  }
  if (ITEM_SIZE[dtype] > 1 && order === "|") {
    fail("bad-header", `NPY dtype '${descr}' needs a byte order`, file);
  }
  return { dtype, bigEndian: order === ">" };
}

/**
 * Parses and checks the header of an NPY file (magic, version, header length, dtype, shape, and
 * that the declared data fits the file exactly).
 *
 * @param bytes the whole file
 * @param file file name for error messages
 * @param fileLength the length of the whole file when `bytes` is only its start (a header read
 * before the rest is inflated); the declared data must fit it exactly
 * @returns the header
 * @example
 * ```ts
 * import { encodeNpyArray, readNpyHeader } from "./npy.ts";
 * const bytes = encodeNpyArray({ dtype: "u1", shape: [2, 3], data: new Uint8Array(6) });
 * console.log(readNpyHeader(bytes).shape); // [2, 3]
 * ```
 */
export function readNpyHeader(bytes: Uint8Array, file?: string, fileLength?: number): NpyHeader {
  if (bytes.length < 10 || !isNpy(bytes)) {
    fail(
      "bad-format",
      bytes.length < 10 && isNpy(bytes)
        ? `NPY file ends after ${bytes.length} bytes, inside its preamble`
        : "not an NPY file (the \\x93NUMPY magic is missing)",
      file,
    );
  }
  const major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) {
    fail(
      "unsupported-version",
      `NPY format version ${major}.${minor} is not 1.0, 2.0 or 3.0`,
      file,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number, start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else {
    if (bytes.length < 12) fail("truncated", `NPY file ends inside its preamble`, file);
    headerLen = view.getUint32(8, true);
    start = 12;
  }
  if (headerLen > MAX_NPY_HEADER) {
    fail("bad-header", `NPY header claims ${headerLen} bytes (limit ${MAX_NPY_HEADER})`, file);
  }
  if (start + headerLen > bytes.length) {
    fail(
      "truncated",
      `NPY file ends after ${bytes.length} bytes, inside its ${headerLen}-byte header`,
      file,
    );
  }
  const raw = bytes.subarray(start, start + headerLen);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true }).decode(raw);
  } catch {
    fail("bad-header", "NPY header is not valid text", file);
  }
  const dict = text.trim();
  if (!dict.startsWith("{") || !dict.endsWith("}")) {
    fail("bad-header", "NPY header is not a Python dict literal", file);
  }
  const q = `["']`;
  const descrM = new RegExp(`${q}descr${q}\\s*:\\s*${q}([^"']*)${q}`).exec(dict);
  if (!descrM) {
    if (new RegExp(`${q}descr${q}\\s*:\\s*\\[`).test(dict)) {
      fail("unsupported-dtype", "NPY holds a structured (record) array; only plain numbers", file);
    }
    fail("bad-header", "NPY header has no 'descr'", file);
  }
  const fortM = new RegExp(`${q}fortran_order${q}\\s*:\\s*(True|False)`).exec(dict);
  if (!fortM) fail("bad-header", "NPY header has no 'fortran_order' True/False", file);
  const shapeM = new RegExp(`${q}shape${q}\\s*:\\s*\\(([^)]*)\\)`).exec(dict);
  if (!shapeM) fail("bad-header", "NPY header has no 'shape' tuple", file);
  const parts = shapeM[1].split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length > 32) fail("bad-header", `NPY shape has ${parts.length} axes (limit 32)`, file);
  const shape = parts.map((p) => {
    if (!/^\d{1,15}L?$/.test(p)) fail("bad-header", `NPY shape entry '${p}' is not a size`, file);
    return parseInt(p, 10);
  });
  const { dtype, bigEndian } = parseDescr(descrM[1], file);
  const dataOffset = start + headerLen;
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) fail("bad-header", "NPY shape is absurdly large", file);
  }
  const need = count * ITEM_SIZE[dtype];
  const have = (fileLength ?? bytes.length) - dataOffset;
  if (need > have) {
    fail(
      "truncated",
      `NPY header declares ${need} data bytes (shape (${shape.join(", ")}) of ${
        descrM[1]
      }) but the file holds ${have}`,
      file,
    );
  }
  if (need < have) {
    fail(
      "bad-format",
      `NPY file has ${have - need} unexpected bytes after its ${need} data bytes`,
      file,
    );
  }
  return {
    version: [major, minor],
    dtype,
    descr: descrM[1],
    bigEndian,
    shape,
    fortranOrder: fortM[1] === "True",
    dataOffset,
  };
}

function makeTyped(dtype: DType, n: number): NdData {
  switch (dtype) {
    case "b1":
    case "u1":
      return new Uint8Array(n);
    case "i1":
      return new Int8Array(n);
    case "u2":
      return new Uint16Array(n);
    case "i2":
      return new Int16Array(n);
    case "u4":
      return new Uint32Array(n);
    case "i4":
      return new Int32Array(n);
    case "f4":
      return new Float32Array(n);
    case "u8":
    case "i8":
    case "f8":
      return new Float64Array(n);
  }
}

/** Reads `count` elements at `offset` into a fresh typed array (handles alignment and order). */
function readElements(
  bytes: Uint8Array,
  offset: number,
  count: number,
  dtype: DType,
  bigEndian: boolean,
  file?: string,
): NdData {
  const size = ITEM_SIZE[dtype];
  const out = makeTyped(dtype, count);
  if (dtype === "u8" || dtype === "i8") {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 8);
    const f = out as Float64Array;
    for (let i = 0; i < count; i++) {
      const v = dtype === "u8"
        ? view.getBigUint64(i * 8, !bigEndian)
        : view.getBigInt64(i * 8, !bigEndian);
      if (v > 9007199254740991n || v < -9007199254740991n) {
        fail("unsupported-dtype", `NPY ${dtype} element ${i} (${v}) is beyond 2^53`, file);
      }
      f[i] = Number(v);
    }
    return f;
  }
  const dst = new Uint8Array(out.buffer);
  dst.set(bytes.subarray(offset, offset + count * size));
  if (size > 1 && bigEndian === HOST_LE) {
    for (let i = 0; i < dst.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) {
        const t = dst[a];
        dst[a] = dst[b];
        dst[b] = t;
      }
    }
  }
  if (dtype === "b1") {
    for (let i = 0; i < dst.length; i++) if (dst[i] > 1) dst[i] = 1;
  }
  return out;
}

/** Reorders column-major data into row-major order. */
function fortranToC(data: NdData, shape: readonly number[]): NdData {
  const nd = shape.length;
  if (nd < 2) return data;
  const n = data.length;
  const out = new (data.constructor as new (n: number) => NdData)(n);
  if (nd === 2) {
    const [r, c] = shape;
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) out[i * c + j] = data[j * r + i];
    }
    return out;
  }
  // General case: walk the C-order index with an odometer, tracking the F-order offset.
  const fStride = new Array<number>(nd);
  let s = 1;
  for (let k = 0; k < nd; k++) {
    fStride[k] = s;
    s *= shape[k];
  }
  const idx = new Array<number>(nd).fill(0);
  let fOff = 0;
  for (let i = 0; i < n; i++) {
    out[i] = data[fOff];
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]++;
      fOff += fStride[k];
      if (idx[k] < shape[k]) break;
      fOff -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Decodes an NPY file into a generic {@linkcode NdArray} (row-major, any number of axes).
 *
 * @param bytes the whole file
 * @param file file name for error messages
 * @returns the array
 * @example
 * ```ts
 * import { decodeNpyArray, encodeNpyArray } from "./npy.ts";
 * const bytes = encodeNpyArray({ dtype: "u1", shape: [3, 1], data: new Uint8Array([0, 1, 1]) });
 * const labels = decodeNpyArray(bytes);
 * console.log(labels.shape, labels.data); // [3, 1] Uint8Array [0, 1, 1]
 * ```
 */
export function decodeNpyArray(bytes: Uint8Array, file?: string): NdArray {
  const h = readNpyHeader(bytes, file);
  const count = h.shape.reduce((a, b) => a * b, 1);
  let data = readElements(bytes, h.dataOffset, count, h.dtype, h.bigEndian, file);
  if (h.fortranOrder) data = fortranToC(data, h.shape);
  return { dtype: h.dtype, shape: h.shape, data };
}

function bitLength(v: number): number {
  return v <= 0 ? 0 : Math.floor(Math.log2(v)) + 1;
}

/**
 * Converts a 2-D {@linkcode NdArray} into a {@linkcode MedImage} by the rules in the module
 * documentation.
 *
 * @param arr the array (axes of length 1 at either end are dropped)
 * @param options file name for errors; float policy
 * @returns the image
 * @example
 * ```ts
 * import { ndArrayToImage } from "./npy.ts";
 * const img = ndArrayToImage({ dtype: "i2", shape: [1, 3], data: new Int16Array([-1000, 0, 2000]) });
 * console.log(img.data, img.rescale); // Uint16Array [0, 1000, 3000] { slope: 1, intercept: -1000 }
 * ```
 */
export function ndArrayToImage(arr: NdArray, options: NpyImageOptions = {}): MedImage {
  const file = options.file;
  const shape = [...arr.shape];
  while (shape.length > 2 && shape[0] === 1) shape.shift();
  while (shape.length > 2 && shape[shape.length - 1] === 1) shape.pop();
  if (shape.length !== 2) {
    fail(
      "not-an-image",
      shape.length < 2
        ? `array of shape (${arr.shape.join(", ")}) is not a 2-D image`
        : `array of shape (${
          arr.shape.join(", ")
        }) is not one grey 2-D image (a stack or colour image?)`,
      file,
    );
  }
  const [height, width] = shape;
  if (height < 1 || width < 1) {
    fail("not-an-image", `image shape ${height}×${width} is empty`, file);
  }
  const d = arr.data;
  const n = d.length;
  let min = Infinity, max = -Infinity, integral = true;
  for (let i = 0; i < n; i++) {
    const v = d[i];
    if (!Number.isFinite(v)) {
      fail("bad-values", `array holds ${v} at element ${i}; it cannot be an image`, file);
    }
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && !Number.isInteger(v)) integral = false;
  }
  const isFloat = arr.dtype === "f4" || arr.dtype === "f8";
  if (arr.dtype === "b1") return medImage(Uint8Array.from(d), width, height, { bitDepth: 1 });
  const shift = min < 0 ? -min : 0;
  const rescale = shift ? { rescale: { slope: 1, intercept: min } } : {};
  const narrow = arr.dtype === "u1" || arr.dtype === "i1" ||
    (isFloat && integral && min >= 0 && max <= 255);
  if (integral && narrow) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = d[i] + shift;
    return medImage(out, width, height, { bitDepth: 8, ...rescale });
  }
  if (integral) {
    const span = max + shift;
    if (span > 65535) {
      fail(
        "bad-values",
        `values span ${min}..${max}, more than 16 bits; not representable as a MedImage`,
        file,
      );
    }
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = d[i] + shift;
    return medImage(out, width, height, { bitDepth: Math.max(9, bitLength(span)), ...rescale });
  }
  if (options.floats === "refuse") {
    fail("bad-values", `float array holds non-integral values (${arr.dtype}); refused`, file);
  }
  const range = max - min;
  const scale = range > 0 ? 65535 / range : 0;
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round((d[i] - min) * scale);
  return medImage(out, width, height, {
    bitDepth: 16,
    rescale: { slope: range > 0 ? range / 65535 : 1, intercept: min },
  });
}

/**
 * Decodes an NPY file holding one 2-D grey image into a {@linkcode MedImage}.
 *
 * @param bytes the whole file
 * @param fileOrOptions file name for error messages, or full options
 * @returns the image
 * @example
 * ```ts
 * import { decodeNpy } from "./npy.ts";
 * const img = decodeNpy(await Deno.readFile("data/clinical/ct-abdomen-1.npy"));
 * console.log(img.width, img.height, img.bitDepth); // 512 512 12
 * ```
 */
export function decodeNpy(
  bytes: Uint8Array,
  fileOrOptions?: string | NpyImageOptions,
): MedImage {
  const options = typeof fileOrOptions === "string" ? { file: fileOrOptions } : fileOrOptions ?? {};
  return ndArrayToImage(decodeNpyArray(bytes, options.file), options);
}

/**
 * Encodes an {@linkcode NdArray} as an NPY 1.0 file (little endian, C order). `u8`/`i8`
 * arrays (held as `Float64Array`) are written as 64-bit integers.
 *
 * @param arr the array
 * @returns the file bytes
 * @example
 * ```ts
 * import { encodeNpyArray } from "./npy.ts";
 * const bytes = encodeNpyArray({ dtype: "f4", shape: [2], data: new Float32Array([0.5, 1]) });
 * console.log(bytes.length % 64); // 8 (64-byte aligned header, then 2 × 4 bytes)
 * ```
 */
export function encodeNpyArray(arr: NdArray): Uint8Array {
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) {
    throw new MedCryptError(
      "bad-shape",
      `${arr.data.length} elements do not fill shape (${arr.shape.join(", ")})`,
    );
  }
  const size = ITEM_SIZE[arr.dtype];
  const descr = (size === 1 ? "|" : "<") + arr.dtype;
  const shapeStr = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(", ")})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, " ") + "\n";
  if (dict.length > 65535) throw new MedCryptError("bad-shape", "NPY header too long");
  const out = new Uint8Array(total + count * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = dict.length & 0xff;
  out[9] = dict.length >> 8;
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  const view = new DataView(out.buffer, total);
  const d = arr.data;
  if (arr.dtype === "u8" || arr.dtype === "i8") {
    for (let i = 0; i < count; i++) {
      const v = BigInt(Math.round(d[i]));
      if (arr.dtype === "u8") view.setBigUint64(i * 8, v, true);
      else view.setBigInt64(i * 8, v, true);
    }
  } else if (HOST_LE || size === 1) {
    out.set(new Uint8Array(d.buffer, d.byteOffset, count * size), total);
  } else {
    const b = new Uint8Array(d.buffer, d.byteOffset, count * size);
    for (let i = 0; i < b.length; i += size) {
      for (let k = 0; k < size; k++) out[total + i + k] = b[i + size - 1 - k];
    }
  }
  return out;
}

/**
 * Encodes a {@linkcode MedImage} as NPY: `|u1` when `bitDepth <= 8`, else `<u2`; shape
 * `(height, width)`.
 *
 * @param img the image
 * @returns the file bytes
 * @example
 * ```ts
 * import { encodeNpy } from "./npy.ts";
 * import { medImage } from "./types.ts";
 * const bytes = encodeNpy(medImage(new Uint8Array([1, 2, 3, 4]), 2, 2));
 * console.log(bytes.length); // 132
 * ```
 */
export function encodeNpy(img: MedImage): Uint8Array {
  return encodeNpyArray({
    dtype: img.data instanceof Uint8Array ? "u1" : "u2",
    shape: [img.height, img.width],
    data: img.data,
  });
}
