/**
 * DICOM reading (with `dicom-parser`) for uncompressed little-endian files, and a minimal
 * Secondary Capture writer.
 *
 * ## Reading ({@linkcode decodeDicom})
 * - Transfer syntaxes: implicit VR little endian (1.2.840.10008.1.2) and explicit VR little
 *   endian (1.2.840.10008.1.2.1). Every other syntax is refused with a message naming it:
 *   big endian, deflated, and the compressed ones (JPEG, JPEG-LS, JPEG 2000, RLE, …). A file
 *   without the 128-byte preamble and `DICM` prefix is read as implicit VR little endian when it
 *   starts with a group-0008 element; otherwise it is refused.
 * - One sample per pixel, `MONOCHROME1` or `MONOCHROME2`; Bits Allocated 8 or 16; Bits Stored
 *   and High Bit honoured (bits outside the stored ones are masked off).
 * - Bit depth = Bits Stored; `Uint8Array` when it is ≤ 8, else `Uint16Array`.
 * - Pixel Representation 1 (signed): values are sign-extended from Bits Stored bits and shifted by
 *   `2^(BitsStored-1)` to unsigned; the shift is folded into the rescale intercept
 *   (`intercept - slope · 2^(BitsStored-1)`), so `stored · slope + intercept` is still the
 *   physical value (e.g. Hounsfield units). Nothing is lost.
 * - `MONOCHROME1` (white is low) is inverted to `MONOCHROME2` (`max - v`) and the rescale adjusted
 *   (`slope → -slope`, `intercept → intercept + slope · max`), again losslessly.
 * - Rescale Slope/Intercept, Modality and Pixel Spacing are kept. Rescale Type (0028,1054), the
 *   unit of the physical values (`HU`, `OD`, …), is kept as `rescale.unit` when present (`US`,
 *   "unspecified", is the same as absent). Multi-frame files: frame 0 by default (option
 *   `frame`).
 * - The declared pixel data length must be Rows × Columns × Bits Allocated × frames (plus one pad
 *   byte to an even length), and element lengths must fit the file; both are checked before any
 *   pixel buffer is allocated.
 *
 * ## Writing ({@linkcode encodeDicom})
 * A Secondary Capture Image (1.2.840.10008.5.1.4.1.1.7), explicit VR little endian, MONOCHROME2,
 * unsigned, Bits Stored = bit depth, with Modality (`OT` when unknown), Pixel Spacing and
 * Rescale Slope/Intercept (and Rescale Type from `rescale.unit`) when the image has them, fresh
 * `2.25.` UIDs, and empty patient fields.
 *
 * @example
 * ```ts
 * import { decodeDicom } from "./dicom.ts";
 * const ct = decodeDicom(await Deno.readFile("data/dicom/CT_small.dcm"));
 * console.log(ct.width, ct.height, ct.bitDepth, ct.modality); // 128 128 16 CT
 * console.log(ct.rescale); // { slope: 1, intercept: -33792 }
 * ```
 * @module
 */
import dicomParser from "dicom-parser";
import { MedCryptError } from "../core/errors.ts";
import { type MedImage, medImage } from "./types.ts";

/** Implicit VR little endian. */
export const IMPLICIT_LE = "1.2.840.10008.1.2";
/** Explicit VR little endian. */
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";

const SYNTAX_NAMES: Record<string, string> = {
  "1.2.840.10008.1.2.1.99": "Deflated explicit VR little endian",
  "1.2.840.10008.1.2.2": "Explicit VR big endian",
  "1.2.840.10008.1.2.4.50": "JPEG baseline",
  "1.2.840.10008.1.2.4.51": "JPEG extended",
  "1.2.840.10008.1.2.4.57": "JPEG lossless",
  "1.2.840.10008.1.2.4.70": "JPEG lossless SV1",
  "1.2.840.10008.1.2.4.80": "JPEG-LS lossless",
  "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
  "1.2.840.10008.1.2.4.90": "JPEG 2000 lossless",
  "1.2.840.10008.1.2.4.91": "JPEG 2000",
  "1.2.840.10008.1.2.4.92": "JPEG 2000 multi-component lossless",
  "1.2.840.10008.1.2.4.93": "JPEG 2000 multi-component",
  "1.2.840.10008.1.2.4.100": "MPEG-2",
  "1.2.840.10008.1.2.4.102": "MPEG-4",
  "1.2.840.10008.1.2.4.201": "HTJ2K lossless",
  "1.2.840.10008.1.2.4.202": "HTJ2K lossless RPCL",
  "1.2.840.10008.1.2.4.203": "HTJ2K",
  "1.2.840.10008.1.2.5": "RLE lossless",
};

/** Options of {@linkcode decodeDicom}. */
export interface DicomReadOptions {
  /** Which frame of a multi-frame file (default 0). */
  frame?: number;
}

function fail(code: string, detail: string, file?: string): never {
  throw new MedCryptError(code, detail, { file });
}

function hasPreamble(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 &&
    bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Returns true when `bytes` look like a DICOM Part 10 file (`DICM` at byte 128).
 *
 * @param bytes file contents
 * @returns whether the DICM prefix is present
 * @example
 * ```ts
 * import { isDicom } from "./dicom.ts";
 * console.log(isDicom(await Deno.readFile("data/dicom/MR_small.dcm"))); // true
 * ```
 */
export function isDicom(bytes: Uint8Array): boolean {
  return hasPreamble(bytes);
}

const LONG_VRS = new Set([
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "SQ",
  "SV",
  "UC",
  "UN",
  "UR",
  "UT",
  "UV",
]);

/** Reads the transfer syntax from the (always explicit little-endian) group 0002 meta header. */
function metaTransferSyntax(bytes: Uint8Array, file?: string): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 132;
  while (p + 8 <= bytes.length && view.getUint16(p, true) === 0x0002) {
    const elem = view.getUint16(p + 2, true);
    const vr = String.fromCharCode(bytes[p + 4], bytes[p + 5]);
    let len: number, start: number;
    if (LONG_VRS.has(vr)) {
      if (p + 12 > bytes.length) break;
      len = view.getUint32(p + 8, true);
      start = p + 12;
    } else {
      len = view.getUint16(p + 6, true);
      start = p + 8;
    }
    if (start + len > bytes.length) {
      fail("truncated", `DICOM meta element (0002,${elem.toString(16)}) runs past the end`, file);
    }
    if (elem === 0x0010) {
      return new TextDecoder("latin1").decode(bytes.subarray(start, start + len))
        .replace(/[\0 ]+$/, "");
    }
    p = start + len;
  }
  return undefined;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "string") return e;
  if (e && typeof e === "object" && "exception" in e) return describeError(e.exception);
  return String(e);
}

/** The DICOM facts `medcrypt info` reports, read without decoding pixels. */
export interface DicomInfo {
  /** Transfer syntax UID. */
  readonly transferSyntax: string;
  /** Columns. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** Bits Allocated. */
  readonly bitsAllocated: number;
  /** Bits Stored. */
  readonly bitsStored: number;
  /** Pixel Representation: 0 unsigned, 1 signed. */
  readonly signed: boolean;
  /** Number of Frames (1 when absent). */
  readonly frames: number;
  /** Photometric Interpretation. */
  readonly photometric: string;
  /** Modality, if present. */
  readonly modality?: string;
}

function parse(bytes: Uint8Array, file?: string): { ds: dicomParser.DataSet; ts: string } {
  let ts: string;
  let opts: dicomParser.ParseDicomOptions | undefined;
  if (hasPreamble(bytes)) {
    const found = metaTransferSyntax(bytes, file);
    if (!found) fail("bad-format", "DICOM meta header has no Transfer Syntax UID", file);
    ts = found;
  } else if (bytes.length >= 8 && bytes[0] === 0x08 && bytes[1] === 0x00) {
    ts = IMPLICIT_LE;
    opts = { TransferSyntaxUID: IMPLICIT_LE };
  } else {
    fail("bad-format", "not a DICOM file (no DICM prefix at byte 128)", file);
  }
  if (ts !== IMPLICIT_LE && ts !== EXPLICIT_LE) {
    const name = SYNTAX_NAMES[ts];
    const what = ts === "1.2.840.10008.1.2.2"
      ? "is big endian"
      : name
      ? "is compressed"
      : "is not supported";
    fail(
      "unsupported-syntax",
      `DICOM transfer syntax ${
        name ?? "unknown"
      } (${ts}) ${what}; only uncompressed little-endian DICOM (implicit or explicit VR) is supported`,
      file,
    );
  }
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, opts);
  } catch (e) {
    fail("corrupt", `DICOM could not be parsed: ${describeError(e)}`, file);
  }
  return { ds, ts };
}

function required(ds: dicomParser.DataSet, tag: string, name: string, file?: string): number {
  const v = ds.uint16(tag);
  if (v === undefined) fail("bad-format", `DICOM has no ${name} ${tag}`, file);
  return v;
}

function info(ds: dicomParser.DataSet, ts: string, file?: string): DicomInfo {
  const frames = ds.intString("x00280008") ?? 1;
  const modality = ds.string("x00080060");
  return {
    transferSyntax: ts,
    width: required(ds, "x00280011", "Columns", file),
    height: required(ds, "x00280010", "Rows", file),
    bitsAllocated: required(ds, "x00280100", "Bits Allocated", file),
    bitsStored: ds.uint16("x00280101") ?? required(ds, "x00280100", "Bits Allocated", file),
    signed: ds.uint16("x00280103") === 1,
    frames: Number.isInteger(frames) && frames >= 1 ? frames : 1,
    photometric: (ds.string("x00280004") ?? "MONOCHROME2").trim(),
    ...(modality ? { modality } : {}),
  };
}

/**
 * Reads the image-describing attributes of a DICOM file without decoding its pixels.
 *
 * @param bytes the whole file
 * @param file file name for error messages
 * @returns the attributes
 * @example
 * ```ts
 * import { readDicomInfo } from "./dicom.ts";
 * const i = readDicomInfo(await Deno.readFile("data/dicom/MR_small.dcm"));
 * console.log(i.width, i.height, i.bitsStored, i.transferSyntax); // 64 64 16 "1.2.840.10008.1.2.1"
 * ```
 */
export function readDicomInfo(bytes: Uint8Array, file?: string): DicomInfo {
  const { ds, ts } = parse(bytes, file);
  return info(ds, ts, file);
}

/**
 * The Pixel Data element must lie inside the file and hold exactly Rows × Columns × frames
 * samples (one pad byte to even allowed); checked before the pixel buffer is allocated.
 */
function checkPixelLength(
  pix: dicomParser.Element,
  fileLength: number,
  h: DicomInfo,
  file?: string,
): void {
  const { width, height, frames } = h;
  const frameBytes = width * height * (h.bitsAllocated / 8);
  if (pix.dataOffset + pix.length > fileLength) {
    fail(
      "truncated",
      `DICOM pixel data declares ${pix.length} bytes at ${pix.dataOffset}; the file has ${fileLength}`,
      file,
    );
  }
  if (pix.length < frameBytes * frames) {
    fail(
      "truncated",
      `DICOM pixel data has ${pix.length} bytes; ${width}×${height}×${frames} frame(s) of ${h.bitsAllocated} bits need ${
        frameBytes * frames
      }`,
      file,
    );
  }
  // Longer is as wrong as shorter: Rows or Columns forged smaller (or Pixel Data forged longer)
  // would otherwise read part of the pixels as a smaller image. One pad byte to even is allowed.
  const whole = frameBytes * frames;
  if (pix.length > whole + (whole % 2)) {
    fail(
      "bad-format",
      `DICOM pixel data has ${pix.length} bytes; ${width}×${height}×${frames} frame(s) of ${h.bitsAllocated} bits are ${whole}, so Rows, Columns or Number of Frames do not describe it`,
      file,
    );
  }
}

/**
 * Decodes an uncompressed little-endian DICOM file into a {@linkcode MedImage} (rules in the module
 * documentation).
 *
 * @param bytes the whole file
 * @param file file name for error messages
 * @param options which frame
 * @returns the image
 * @example
 * ```ts
 * import { decodeDicom } from "./dicom.ts";
 * const mr = decodeDicom(await Deno.readFile("data/dicom/MR_small.dcm"), "MR_small.dcm");
 * console.log(mr.modality, mr.pixelSpacing); // "MR" [0.3125, 0.3125]
 * ```
 */
export function decodeDicom(
  bytes: Uint8Array,
  file?: string,
  options: DicomReadOptions = {},
): MedImage {
  const { ds, ts } = parse(bytes, file);
  const h = info(ds, ts, file);
  const spp = ds.uint16("x00280002") ?? 1;
  if (spp !== 1 || !/^MONOCHROME[12]$/.test(h.photometric)) {
    fail(
      "unsupported",
      `DICOM image is ${h.photometric} with ${spp} samples per pixel; only grey (MONOCHROME1/2) is supported`,
      file,
    );
  }
  if (h.bitsAllocated !== 8 && h.bitsAllocated !== 16) {
    fail("unsupported", `DICOM Bits Allocated ${h.bitsAllocated} is not 8 or 16`, file);
  }
  const stored = h.bitsStored;
  const highBit = ds.uint16("x00280102") ?? stored - 1;
  if (
    stored < 1 || stored > h.bitsAllocated || highBit < stored - 1 || highBit >= h.bitsAllocated
  ) {
    fail(
      "bad-format",
      `DICOM Bits Stored ${stored} / High Bit ${highBit} do not fit Bits Allocated ${h.bitsAllocated}`,
      file,
    );
  }
  const { width, height, frames } = h;
  if (width < 1 || height < 1) fail("bad-format", `DICOM image is ${width}×${height}`, file);
  const frame = options.frame ?? 0;
  if (!Number.isInteger(frame) || frame < 0 || frame >= frames) {
    fail("bad-argument", `frame ${frame} does not exist (the file has ${frames})`, file);
  }
  const pix = ds.elements.x7fe00010;
  if (!pix) fail("bad-format", "DICOM has no Pixel Data (7FE0,0010)", file);
  if (pix.encapsulatedPixelData || pix.hadUndefinedLength) {
    fail(
      "bad-format",
      "DICOM pixel data is encapsulated although the syntax is uncompressed",
      file,
    );
  }
  const bpp = h.bitsAllocated / 8;
  const n = width * height;
  const frameBytes = n * bpp;
  checkPixelLength(pix, bytes.length, h, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset + pix.dataOffset + frame * frameBytes);
  const shift = highBit - stored + 1;
  const mask = stored === 32 ? 0xffffffff : 2 ** stored - 1;
  const half = 2 ** (stored - 1);
  const out = stored <= 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const raw = bpp === 1 ? view.getUint8(i) : view.getUint16(i * 2, true);
    let v = (raw >> shift) & mask;
    if (h.signed) v = v ^ half; // two's complement → offset binary: v_signed + half
    out[i] = v;
  }
  let slope = ds.floatString("x00281053") ?? 1;
  let intercept = ds.floatString("x00281052") ?? 0;
  if (!Number.isFinite(slope) || slope === 0) slope = 1;
  if (!Number.isFinite(intercept)) intercept = 0;
  const type = ds.string("x00281054")?.trim();
  const unit = type && type !== "US" ? type : undefined;
  let rescaled = ds.elements.x00281053 !== undefined || ds.elements.x00281052 !== undefined ||
    unit !== undefined;
  if (h.signed) {
    intercept -= slope * half;
    rescaled = true;
  }
  if (h.photometric === "MONOCHROME1") {
    for (let i = 0; i < n; i++) out[i] = mask - out[i];
    intercept += slope * mask;
    slope = -slope;
    rescaled = true;
  }
  const sp = ds.string("x00280030")?.split("\\").map(Number);
  const pixelSpacing = sp && sp.length === 2 && sp.every((v) => Number.isFinite(v) && v > 0)
    ? [sp[0], sp[1]] as const
    : undefined;
  return medImage(out, width, height, {
    bitDepth: stored,
    ...(h.modality ? { modality: h.modality } : {}),
    ...(pixelSpacing ? { pixelSpacing } : {}),
    ...(rescaled ? { rescale: { slope, intercept, ...(unit ? { unit } : {}) } } : {}),
  });
}

// ---------------------------------------------------------------- writer

function newUid(): string {
  const r = crypto.getRandomValues(new Uint8Array(16));
  let v = 0n;
  for (const b of r) v = (v << 8n) | BigInt(b);
  return `2.25.${v}`;
}

class DicomWriter {
  parts: Uint8Array[] = [];
  length = 0;
  #push(b: Uint8Array) {
    this.parts.push(b);
    this.length += b.length;
  }
  element(group: number, elem: number, vr: string, value: Uint8Array) {
    const long = LONG_VRS.has(vr);
    const head = new Uint8Array(long ? 12 : 8);
    const v = new DataView(head.buffer);
    v.setUint16(0, group, true);
    v.setUint16(2, elem, true);
    head[4] = vr.charCodeAt(0);
    head[5] = vr.charCodeAt(1);
    if (long) v.setUint32(8, value.length, true);
    else v.setUint16(6, value.length, true);
    this.#push(head);
    this.#push(value);
  }
  str(group: number, elem: number, vr: string, s: string) {
    const pad = vr === "UI" ? "\0" : " ";
    const text = s.length % 2 ? s + pad : s;
    this.element(group, elem, vr, Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
  }
  us(group: number, elem: number, v: number) {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    this.element(group, elem, "US", b);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function ds(v: number): string {
  // Decimal String: at most 16 characters.
  for (let digits = 12; digits >= 1; digits--) {
    const s = String(Number(v.toPrecision(digits)));
    if (s.length <= 16) return s;
  }
  return "0";
}

/**
 * Encodes a {@linkcode MedImage} as a DICOM Secondary Capture file (explicit VR little endian).
 *
 * @param img the image
 * @returns the file bytes
 * @example
 * ```ts
 * import { decodeDicom, encodeDicom } from "./dicom.ts";
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint16Array([0, 4095, 12, 7]), 2, 2, { bitDepth: 12, modality: "CT" });
 * const back = decodeDicom(encodeDicom(img));
 * console.log(back.bitDepth, back.modality, back.data); // 12 "CT" Uint16Array [0, 4095, 12, 7]
 * ```
 */
export function encodeDicom(img: MedImage): Uint8Array {
  const sopClass = "1.2.840.10008.5.1.4.1.1.7";
  const sopInstance = newUid();
  const meta = new DicomWriter();
  meta.element(0x0002, 0x0001, "OB", new Uint8Array([0, 1]));
  meta.str(0x0002, 0x0002, "UI", sopClass);
  meta.str(0x0002, 0x0003, "UI", sopInstance);
  meta.str(0x0002, 0x0010, "UI", EXPLICIT_LE);
  meta.str(0x0002, 0x0012, "UI", "2.25.329800735698586629295641978511506172918");
  meta.str(0x0002, 0x0013, "SH", "MEDCRYPT_LAB");
  const metaBody = meta.bytes();
  const groupLen = new Uint8Array(4);
  new DataView(groupLen.buffer).setUint32(0, metaBody.length, true);
  const w = new DicomWriter();
  w.element(0x0002, 0x0000, "UL", groupLen);
  w.parts.push(metaBody);
  w.length += metaBody.length;
  w.str(0x0008, 0x0016, "UI", sopClass);
  w.str(0x0008, 0x0018, "UI", sopInstance);
  w.str(0x0008, 0x0060, "CS", img.modality ?? "OT");
  w.str(0x0008, 0x0064, "CS", "WSD");
  w.str(0x0010, 0x0010, "PN", "");
  w.str(0x0010, 0x0020, "LO", "");
  w.str(0x0020, 0x000d, "UI", newUid());
  w.str(0x0020, 0x000e, "UI", newUid());
  w.us(0x0028, 0x0002, 1);
  w.str(0x0028, 0x0004, "CS", "MONOCHROME2");
  w.us(0x0028, 0x0010, img.height);
  w.us(0x0028, 0x0011, img.width);
  if (img.pixelSpacing) {
    w.str(0x0028, 0x0030, "DS", `${ds(img.pixelSpacing[0])}\\${ds(img.pixelSpacing[1])}`);
  }
  const wide = !(img.data instanceof Uint8Array);
  w.us(0x0028, 0x0100, wide ? 16 : 8);
  w.us(0x0028, 0x0101, img.bitDepth);
  w.us(0x0028, 0x0102, img.bitDepth - 1);
  w.us(0x0028, 0x0103, 0);
  if (img.rescale) {
    w.str(0x0028, 0x1052, "DS", ds(img.rescale.intercept));
    w.str(0x0028, 0x1053, "DS", ds(img.rescale.slope));
    if (img.rescale.unit) w.str(0x0028, 0x1054, "LO", img.rescale.unit.slice(0, 64));
  }
  const n = img.width * img.height;
  const pix = new Uint8Array(wide ? n * 2 : n + (n % 2));
  if (wide) {
    const v = new DataView(pix.buffer);
    for (let i = 0; i < n; i++) v.setUint16(i * 2, img.data[i], true);
  } else pix.set(img.data);
  w.element(0x7fe0, 0x0010, wide ? "OW" : "OB", pix);
  const body = w.bytes();
  const out = new Uint8Array(132 + body.length);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set(body, 132);
  return out;
}
