/**
 * QR packaging of what the decryptor needs besides the key: the header (and, when it fits, the
 * cipher image itself as a compact payload) split over one or more QR codes written as PNG
 * files, and read back from the PNG pixels by a real QR decoder (`jsqr`). The user key can get
 * its own QR code on request. Format: `SPEC.md` in this folder.
 *
 * @example
 * ```ts
 * import { decodeQrPng, encodeQrPngs } from "./qr.ts";
 * const pngs = await encodeQrPngs(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode(await decodeQrPng([pngs[0]]))); // "hello"
 * ```
 * @module
 */
import QRCode from "qrcode";
import jsQR from "jsqr";
import { join } from "node:path";
import { MedCryptError } from "../../core/errors.ts";
import { readFileChecked, writeFileAtomic } from "../../core/fs.ts";
import { decodePng, encodePng } from "../../image/png.ts";
import { medImage } from "../../image/types.ts";
import { sha256, toHex } from "../../core/bytes.ts";

/** Bytes of data per QR code (version ≤ 40 at error correction M holds up to 2,331). */
export const QR_CHUNK_BYTES = 1200;
/** Pixels per QR module in the PNGs. */
export const QR_SCALE = 4;
const MAGIC = [0x4d, 0x43, 0x51, 0x31]; // "MCQ1"
const KEY_MAGIC = [0x4d, 0x43, 0x4b, 0x31]; // "MCK1"
const CHUNK_HEAD = 4 + 1 + 1 + 8;

interface QrMatrix {
  modules: { size: number; data: Uint8Array };
}

function qrPng(bytes: Uint8Array): Uint8Array {
  const create = (QRCode as unknown as {
    create(
      segs: { data: Uint8Array; mode: "byte" }[],
      o: { errorCorrectionLevel: string },
    ): QrMatrix;
  }).create;
  const { size, data } = create([{ data: bytes, mode: "byte" }], { errorCorrectionLevel: "M" })
    .modules;
  const quiet = 4, side = (size + 2 * quiet) * QR_SCALE;
  const px = new Uint8Array(side * side).fill(255);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!data[y * size + x]) continue;
      for (let dy = 0; dy < QR_SCALE; dy++) {
        const row = ((y + quiet) * QR_SCALE + dy) * side + (x + quiet) * QR_SCALE;
        px.fill(0, row, row + QR_SCALE);
      }
    }
  }
  return encodePng(medImage(px, side, side));
}

function readQr(png: Uint8Array, name: string): Uint8Array {
  let img;
  try {
    img = decodePng(png, name);
  } catch (e) {
    throw new MedCryptError("bad-qr", `not a readable PNG: ${(e as Error).message}`, {
      file: name,
    });
  }
  const shift = img.bitDepth > 8 ? img.bitDepth - 8 : 0,
    up = img.bitDepth < 8 ? 255 / (2 ** img.bitDepth - 1) : 1;
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0; i < img.data.length; i++) {
    const v = (img.data[i] >> shift) * up;
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  const decode = jsQR as unknown as (
    d: Uint8ClampedArray,
    w: number,
    h: number,
  ) => { binaryData: number[] } | null;
  const code = decode(rgba, img.width, img.height);
  if (!code) {
    throw new MedCryptError(
      "bad-qr",
      "no readable QR code in this image (damaged, cropped or not a QR code)",
      { file: name },
    );
  }
  return Uint8Array.from(code.binaryData);
}

/**
 * Splits `blob` into QR codes and renders each as a PNG.
 *
 * @param blob the bytes to carry (up to 255 chunks)
 * @returns PNG files, in order
 * @example
 * ```ts
 * import { encodeQrPngs } from "./qr.ts";
 * console.log((await encodeQrPngs(new Uint8Array(3000))).length); // 3
 * ```
 */
export async function encodeQrPngs(blob: Uint8Array): Promise<Uint8Array[]> {
  const count = Math.max(1, Math.ceil(blob.length / QR_CHUNK_BYTES));
  if (count > 255) {
    throw new MedCryptError("too-large", `${blob.length} bytes need more than 255 QR codes`);
  }
  const digest = (await sha256(blob)).slice(0, 8);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const part = blob.subarray(i * QR_CHUNK_BYTES, (i + 1) * QR_CHUNK_BYTES);
    const chunk = new Uint8Array(CHUNK_HEAD + part.length);
    chunk.set(MAGIC, 0);
    chunk[4] = i;
    chunk[5] = count;
    chunk.set(digest, 6);
    chunk.set(part, CHUNK_HEAD);
    out.push(qrPng(chunk));
  }
  return out;
}

/**
 * Reads QR-code PNGs (any order) and reassembles the blob, checking that every chunk is there,
 * belongs to the same set, and that the whole matches its SHA-256.
 *
 * @param pngs the PNG files' bytes
 * @param names their names, for messages
 * @returns the blob
 * @example
 * ```ts
 * import { decodeQrPng, encodeQrPngs } from "./qr.ts";
 * const pngs = await encodeQrPngs(new Uint8Array([1, 2, 3]));
 * console.log((await decodeQrPng(pngs)).join()); // "1,2,3"
 * ```
 */
export async function decodeQrPng(pngs: Uint8Array[], names?: string[]): Promise<Uint8Array> {
  if (pngs.length === 0) throw new MedCryptError("missing-qr", "no QR code images given");
  const chunks = new Map<number, Uint8Array>();
  let count = -1, digest = "";
  pngs.forEach((png, k) => {
    const name = names?.[k] ?? `QR image ${k + 1}`;
    const c = readQr(png, name);
    if (c.length < CHUNK_HEAD || MAGIC.some((m, i) => c[i] !== m)) {
      throw new MedCryptError("bad-qr", "QR code is not a medcrypt header chunk", { file: name });
    }
    if (c[5] === 0 || c[4] >= c[5]) {
      throw new MedCryptError("bad-qr", `QR code says it is number ${c[4] + 1} of ${c[5]}`, {
        file: name,
      });
    }
    const d = toHex(c.subarray(6, 14));
    if (count >= 0 && (c[5] !== count || d !== digest)) {
      throw new MedCryptError("bad-qr", "QR code belongs to another cipher image's set", {
        file: name,
      });
    }
    count = c[5];
    digest = d;
    chunks.set(c[4], c.subarray(CHUNK_HEAD));
  });
  const missing = [];
  for (let i = 0; i < count; i++) if (!chunks.has(i)) missing.push(i + 1);
  if (missing.length) {
    throw new MedCryptError(
      "missing-qr",
      `QR set incomplete: ${chunks.size} of ${count} codes read; missing number ${
        missing.join(", ")
      }`,
    );
  }
  const parts = [...Array(count).keys()].map((i) => chunks.get(i)!);
  const blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    blob.set(p, o);
    o += p.length;
  }
  if (toHex((await sha256(blob)).slice(0, 8)) !== digest) {
    throw new MedCryptError("bad-qr", "QR set does not match its checksum (damaged code?)");
  }
  return blob;
}

/**
 * Writes the QR set into `dir` as `header-<i>-of-<n>.png` (replacing an older set there).
 *
 * @param dir the folder (created if missing)
 * @param blob the bytes
 * @returns the paths written
 * @example
 * ```ts
 * import { writeQrSet } from "./qr.ts";
 * const dir = await Deno.makeTempDir();
 * console.log((await writeQrSet(dir, new Uint8Array([7]))).length); // 1
 * ```
 */
export async function writeQrSet(dir: string, blob: Uint8Array): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  for await (const e of Deno.readDir(dir)) {
    if (/^header-\d+-of-\d+\.png$/.test(e.name)) await Deno.remove(join(dir, e.name));
  }
  const pngs = await encodeQrPngs(blob);
  const paths: string[] = [];
  for (let i = 0; i < pngs.length; i++) {
    const p = join(dir, `header-${i + 1}-of-${pngs.length}.png`);
    await writeFileAtomic(p, pngs[i]);
    paths.push(p);
  }
  return paths;
}

/**
 * Reads the QR set of `dir` (every `header-*.png`).
 *
 * @param dir the folder
 * @returns the blob
 * @example
 * ```ts
 * import { readQrSet, writeQrSet } from "./qr.ts";
 * const dir = await Deno.makeTempDir();
 * await writeQrSet(dir, new Uint8Array([7, 8]));
 * console.log((await readQrSet(dir)).join()); // "7,8"
 * ```
 */
export async function readQrSet(dir: string): Promise<Uint8Array> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && /^header-.*\.png$/.test(e.name)) names.push(join(dir, e.name));
    }
  } catch {
    throw new MedCryptError("missing-qr", "QR folder not found", { file: dir });
  }
  if (names.length === 0) {
    throw new MedCryptError("missing-qr", "no header-*.png QR codes in this folder", { file: dir });
  }
  names.sort();
  const pngs = await Promise.all(names.map(readFileChecked));
  return await decodeQrPng(pngs, names);
}

/**
 * Renders the user key as its own QR code PNG (only on request: whoever scans it holds the key).
 *
 * @param key the key
 * @returns PNG bytes
 * @example
 * ```ts
 * import { decodeKeyQr, keyQrPng } from "./qr.ts";
 * console.log(decodeKeyQr(keyQrPng("s3cret"))); // "s3cret"
 * ```
 */
export function keyQrPng(key: string): Uint8Array {
  const k = new TextEncoder().encode(key);
  const b = new Uint8Array(4 + k.length);
  b.set(KEY_MAGIC);
  b.set(k, 4);
  return qrPng(b);
}

/**
 * Reads a key QR code PNG.
 *
 * @param png PNG bytes
 * @param name file name for messages
 * @returns the key
 * @example
 * ```ts
 * import { decodeKeyQr, keyQrPng } from "./qr.ts";
 * console.log(decodeKeyQr(keyQrPng("k"))); // "k"
 * ```
 */
export function decodeKeyQr(png: Uint8Array, name = "key QR"): string {
  const b = readQr(png, name);
  if (b.length < 5 || KEY_MAGIC.some((m, i) => b[i] !== m)) {
    throw new MedCryptError("bad-qr", "QR code is not a medcrypt key", { file: name });
  }
  return new TextDecoder().decode(b.subarray(4));
}
