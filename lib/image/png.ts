/**
 * PNG reading and writing (with `fast-png`) at the image's real bit depth.
 *
 * ## Reading ({@linkcode decodePng})
 * - Grey 1/2/4/8-bit → `Uint8Array` with that bit depth; grey 16-bit → `Uint16Array`.
 * - Bit depth of a 16-bit PNG: the `MedCrypt:BitDepth` text chunk written by
 *   {@linkcode encodePng} when present and consistent with the values, else the NPY rule
 *   `max(9, bit length of the largest value)` — so NPY → PNG → NPY is bit-exact. An 8-bit PNG
 *   has bit depth 8 unless its text chunk says less (and the values fit).
 * - `MedCrypt:Modality` and `MedCrypt:PixelSpacing` text chunks (written by the encoder) are
 *   read back; rescale is not stored in PNG.
 * - Grey + alpha: the alpha channel is dropped. Colour (RGB, RGBA, palette): converted to grey with
 *   the ITU-R BT.601 luma `round(0.299 R + 0.587 G + 0.114 B)` at the file's depth (exact when
 *   R = G = B); alpha is ignored.
 *
 * Before anything is decoded the chunk structure is walked, the IHDR dimensions are checked
 * (at most {@linkcode MAX_PNG_PIXELS} pixels) and the image data is inflated into a buffer of
 * exactly the size the header implies, so a forged header cannot cause a huge allocation.
 *
 * ## Writing ({@linkcode encodePng})
 * Bit depth ≤ 8 → 8-bit grey PNG; deeper → 16-bit grey PNG; values are stored unscaled (a 12-bit
 * CT looks dark in an ordinary viewer: use `toFloat32`/windowing for display).
 *
 * @example
 * ```ts
 * import { decodePng, encodePng } from "./png.ts";
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint16Array([0, 4095, 1, 2]), 2, 2, { bitDepth: 12, modality: "CT" });
 * const back = decodePng(encodePng(img));
 * console.log(back.bitDepth, back.modality, back.data); // 12 "CT" Uint16Array [0, 4095, 1, 2]
 * ```
 * @module
 */
import { decode, encode } from "fast-png";
import { MedCryptError } from "../core/errors.ts";
import { type MedImage, medImage, type MedImageOptions } from "./types.ts";
import { inflateBounded, type Inflated } from "./_inflate.ts";

/** Largest accepted image, in pixels (2^28 = 16384 × 16384). */
export const MAX_PNG_PIXELS = 2 ** 28;
const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function fail(code: string, detail: string, file?: string): never {
  throw new MedCryptError(code, detail, { file });
}

/**
 * Returns true when `bytes` start with the PNG signature.
 *
 * @param bytes file contents
 * @returns whether this looks like a PNG
 * @example
 * ```ts
 * import { isPng } from "./png.ts";
 * console.log(isPng(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))); // true
 * ```
 */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIG.every((b, i) => bytes[i] === b);
}

/** What the IHDR chunk of a PNG says. */
export interface PngHeader {
  /** Columns. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  readonly depth: number;
  /** PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  readonly colorType: number;
  /** Samples per pixel. */
  readonly channels: number;
  /** 0 none, 1 Adam7. */
  readonly interlace: number;
}

/**
 * Walks the chunks of a PNG and checks its header and data sizes without decoding pixels.
 *
 * @param bytes the whole file
 * @param file file name for error messages
 * @returns the header
 * @example
 * ```ts
 * import { encodePng, readPngHeader } from "./png.ts";
 * import { medImage } from "./types.ts";
 * console.log(readPngHeader(encodePng(medImage(new Uint8Array(6), 3, 2))).width); // 3
 * ```
 */
export function readPngHeader(bytes: Uint8Array, file?: string): PngHeader {
  return scanPng(bytes, file).header;
}

function scanPng(bytes: Uint8Array, file?: string): { header: PngHeader; idat: Uint8Array } {
  if (!isPng(bytes)) fail("bad-format", "not a PNG file (signature missing)", file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  let header: PngHeader | undefined;
  const idats: Uint8Array[] = [];
  let idatLen = 0, sawEnd = false;
  while (p < bytes.length) {
    if (p + 12 > bytes.length) {
      fail("truncated", `PNG ends inside a chunk header at byte ${p}`, file);
    }
    const len = view.getUint32(p, false);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    if (len > 0x7fffffff || p + 12 + len > bytes.length) {
      fail(
        "truncated",
        `PNG chunk '${type}' at byte ${p} declares ${len} bytes past the end`,
        file,
      );
    }
    if (!header && type !== "IHDR") fail("bad-format", "PNG does not start with IHDR", file);
    if (type === "IHDR") {
      if (len !== 13) fail("bad-format", "PNG IHDR chunk has the wrong length", file);
      const width = view.getUint32(p + 8, false), height = view.getUint32(p + 12, false);
      const depth = bytes[p + 16], colorType = bytes[p + 17];
      const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
      if (!channels) fail("bad-format", `PNG colour type ${colorType} is invalid`, file);
      const okDepth = colorType === 0 ? [1, 2, 4, 8, 16] : colorType === 3 ? [1, 2, 4, 8] : [8, 16];
      if (!okDepth.includes(depth)) {
        fail("bad-format", `PNG bit depth ${depth} is invalid for colour type ${colorType}`, file);
      }
      if (width < 1 || height < 1 || width * height > MAX_PNG_PIXELS) {
        fail(
          "bad-format",
          `PNG size ${width}×${height} is empty or above ${MAX_PNG_PIXELS} pixels`,
          file,
        );
      }
      if (bytes[p + 18] !== 0 || bytes[p + 19] !== 0 || bytes[p + 20] > 1) {
        fail("bad-format", "PNG compression, filter or interlace method is invalid", file);
      }
      header = { width, height, depth, colorType, channels, interlace: bytes[p + 20] };
    } else if (type === "IDAT") {
      idats.push(bytes.subarray(p + 8, p + 8 + len));
      idatLen += len;
    } else if (type === "IEND") {
      sawEnd = true;
      break;
    }
    p += 12 + len;
  }
  if (!header) fail("bad-format", "PNG has no IHDR chunk", file);
  if (idatLen === 0) fail("truncated", "PNG has no image data (IDAT)", file);
  if (!sawEnd) fail("truncated", "PNG ends without its IEND chunk (file cut short?)", file);
  const idat = new Uint8Array(idatLen);
  let o = 0;
  for (const c of idats) {
    idat.set(c, o);
    o += c.length;
  }
  return { header, idat };
}

/** Bytes the filtered, inflated image data must have. */
function expectedRaw(h: PngHeader): number {
  const bpp = h.channels * h.depth;
  const row = (w: number) => (w > 0 ? 1 + Math.ceil((w * bpp) / 8) : 0);
  if (h.interlace === 0) return h.height * row(h.width);
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [
    1,
    0,
    2,
    2,
  ], [0, 1, 1, 2]];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((h.width - x0) / dx), hh = Math.ceil((h.height - y0) / dy);
    if (w > 0 && hh > 0) total += hh * row(w);
  }
  return total;
}

function readText(text: Record<string, string>): Partial<MedImageOptions> & { depth?: number } {
  const out: Partial<MedImageOptions> & { depth?: number } = {};
  const bd = Number(text["MedCrypt:BitDepth"]);
  if (Number.isInteger(bd) && bd >= 1 && bd <= 16) out.depth = bd;
  const mod = text["MedCrypt:Modality"];
  if (mod && /^[A-Z]{1,16}$/.test(mod)) out.modality = mod;
  const ps = (text["MedCrypt:PixelSpacing"] ?? "").split("\\").map(Number);
  if (ps.length === 2 && ps.every((v) => Number.isFinite(v) && v > 0)) {
    out.pixelSpacing = [ps[0], ps[1]];
  }
  return out;
}

/**
 * Decodes a PNG into a grey {@linkcode MedImage} by the rules in the module documentation.
 *
 * @param bytes the whole file
 * @param file file name for error messages
 * @returns the image
 * @example
 * ```ts
 * import { decodePng, encodePng } from "./png.ts";
 * import { medImage } from "./types.ts";
 * console.log(decodePng(encodePng(medImage(new Uint8Array([9, 8]), 2, 1))).data); // Uint8Array [9, 8]
 * ```
 */
export function decodePng(bytes: Uint8Array, file?: string): MedImage {
  const { header: h, idat } = scanPng(bytes, file);
  const need = expectedRaw(h);
  // Deflate expands at most ~1032:1, so the declared size must be reachable from the data
  // present; checked before the output buffer is allocated.
  if (need > idat.length * 1100 + 1024) {
    fail(
      "truncated",
      `PNG header declares ${h.width}×${h.height} (${need} bytes of image data) but only ${idat.length} compressed bytes are present`,
      file,
    );
  }
  // Inflated a little at a time and stopped as soon as it exceeds what the header implies, so a
  // zlib bomb behind a small IHDR costs neither memory nor the time of inflating it.
  let raw: Inflated;
  try {
    raw = inflateBounded(idat, need, { zlib: true });
  } catch (e) {
    fail("corrupt", `PNG image data does not inflate: ${(e as Error).message}`, file);
  }
  if (raw.more || raw.produced !== need) {
    fail(
      "corrupt",
      `PNG image data inflates to ${
        raw.more ? "more than " : ""
      }${raw.produced} bytes; its header implies ${need}`,
      file,
    );
  }
  let png;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (e) {
    fail("corrupt", `PNG could not be decoded: ${(e as Error).message}`, file);
  }
  const { width, height } = png;
  const n = width * height;
  const depth = png.depth;
  const ch = png.channels;
  const src = png.data;
  // Unpack sub-byte samples (fast-png leaves them packed, one padded row at a time).
  const sample = (i: number, c: number): number => {
    if (depth >= 8) return src[i * ch + c];
    const rowBytes = Math.ceil((width * depth * ch) / 8);
    const y = Math.floor(i / width), x = i - y * width;
    const bit = (x * ch + c) * depth;
    const byte = src[y * rowBytes + (bit >> 3)];
    return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  const wide = depth === 16;
  const out = wide ? new Uint16Array(n) : new Uint8Array(n);
  if (h.colorType === 3) {
    const pal = png.palette ?? [];
    for (let i = 0; i < n; i++) {
      const c = pal[sample(i, 0)];
      if (!c) fail("corrupt", `PNG pixel ${i} uses a palette index beyond the palette`, file);
      out[i] = Math.round(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]);
    }
  } else if (ch >= 3) {
    for (let i = 0; i < n; i++) {
      out[i] = Math.round(0.299 * src[i * ch] + 0.587 * src[i * ch + 1] + 0.114 * src[i * ch + 2]);
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = sample(i, 0);
  }
  const meta = readText(png.text ?? {});
  let max = 0;
  for (let i = 0; i < n; i++) if (out[i] > max) max = out[i];
  const derived = wide ? Math.max(9, max > 0 ? Math.floor(Math.log2(max)) + 1 : 0) : 8;
  let bitDepth = depth < 8 && h.colorType === 0 ? depth : derived;
  if (meta.depth !== undefined && (meta.depth > 8) === wide && max < 2 ** meta.depth) {
    bitDepth = meta.depth;
  }
  return medImage(out, width, height, {
    bitDepth,
    ...(meta.modality ? { modality: meta.modality } : {}),
    ...(meta.pixelSpacing ? { pixelSpacing: meta.pixelSpacing } : {}),
  });
}

/**
 * Encodes a {@linkcode MedImage} as a grey PNG (8-bit when `bitDepth <= 8`, else 16-bit), with
 * the bit depth, modality and pixel spacing in `tEXt` chunks.
 *
 * @param img the image
 * @returns the file bytes
 * @example
 * ```ts
 * import { encodePng, isPng } from "./png.ts";
 * import { medImage } from "./types.ts";
 * console.log(isPng(encodePng(medImage(new Uint8Array(4), 2, 2)))); // true
 * ```
 */
export function encodePng(img: MedImage): Uint8Array {
  const text: Record<string, string> = { "MedCrypt:BitDepth": String(img.bitDepth) };
  if (img.modality) text["MedCrypt:Modality"] = img.modality;
  if (img.pixelSpacing) text["MedCrypt:PixelSpacing"] = img.pixelSpacing.join("\\");
  return encode({
    width: img.width,
    height: img.height,
    data: img.data,
    depth: img.data instanceof Uint8Array ? 8 : 16,
    channels: 1,
    text,
  });
}
