/**
 * NumPy `.npz` archives (a zip of `.npy` members, stored or deflated, zip64 included).
 *
 * The zip directory is parsed here, and every size it declares is checked against the file
 * before anything is allocated: a stored member must lie inside the file; a deflated member may
 * declare at most {@linkcode MAX_INFLATE_RATIO} times its compressed size, and never more than
 * {@linkcode MAX_NPZ_MEMBER} bytes; a `.npy` member's header is inflated first and must imply
 * exactly the declared size before the member's buffer is allocated; inflating (with `fflate`)
 * stops as soon as a stream yields more than declared; the length and CRC-32 must match. Every failure is a {@linkcode MedCryptError}.
 *
 * @example Write and read an archive
 * ```ts
 * import { decodeNpz, encodeNpz } from "./npz.ts";
 * const bytes = encodeNpz({ labels: { dtype: "u1", shape: [3], data: new Uint8Array([0, 1, 0]) } });
 * const arrays = decodeNpz(bytes);
 * console.log(arrays.get("labels")?.data); // Uint8Array [0, 1, 0]
 * ```
 * @module
 */
import { type Zippable, zipSync } from "fflate";
import { MedCryptError } from "../core/errors.ts";
import {
  decodeNpyArray,
  encodeNpyArray,
  MAX_NPY_HEADER,
  type NdArray,
  type NpyHeader,
  readNpyHeader,
} from "./npy.ts";
import { inflateBounded, type Inflated } from "./_inflate.ts";

/** How errors name a member: `archive.npz:member.npy`. */
const memberName = (e: NpzEntry, file?: string) => file ? `${file}:${e.path}` : e.path;

/** Largest accepted uncompressed member, in bytes (4 GiB − 1; typed arrays cap near there). */
export const MAX_NPZ_MEMBER = 0xffffffff;
/** Largest accepted ratio of declared uncompressed to compressed size (deflate's limit is ~1032). */
export const MAX_INFLATE_RATIO = 1100;
const MAX_ENTRIES = 65536;

/** One member of an archive, as its directory describes it. */
export interface NpzEntry {
  /** Member name without the `.npy` suffix, e.g. `"train_images"`. */
  readonly name: string;
  /** Name inside the zip, e.g. `"train_images.npy"`. */
  readonly path: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  /** Bytes in the archive. */
  readonly compressedSize: number;
  /** Bytes once extracted. */
  readonly size: number;
  /** CRC-32 of the extracted bytes. */
  readonly crc32: number;
  /** Offset of the member's local header. */
  readonly localOffset: number;
}

function fail(code: string, detail: string, file?: string): never {
  throw new MedCryptError(code, detail, { file });
}

let crcTable: Uint32Array | undefined;
/**
 * CRC-32 (IEEE 802.3), as zip and PNG use it.
 *
 * @param bytes the data
 * @returns the checksum
 * @example
 * ```ts
 * import { crc32 } from "./npz.ts";
 * console.log(crc32(new TextEncoder().encode("123456789"))); // 3421780262
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u64(view: DataView, off: number): number {
  const lo = view.getUint32(off, true), hi = view.getUint32(off + 4, true);
  return hi * 4294967296 + lo;
}

/**
 * Lists the members of a zip/npz archive from its central directory (no data is read).
 *
 * @param bytes the whole archive
 * @param file file name for error messages
 * @returns the members, in directory order
 * @example
 * ```ts
 * import { listNpz } from "./npz.ts";
 * const entries = listNpz(await Deno.readFile("data/pneumoniamnist.npz"));
 * console.log(entries.map((e) => e.name)); // ["train_images", "val_images", …]
 * ```
 */
export function listNpz(bytes: Uint8Array, file?: string): NpzEntry[] {
  const len = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    len < 22 || view.getUint32(0, true) !== 0x04034b50 && view.getUint32(0, true) !== 0x06054b50
  ) {
    fail("bad-format", "not a zip/npz archive (no zip signature at the start)", file);
  }
  // End of central directory: within the last 22 + 65535 bytes.
  let eocd = -1;
  for (let i = len - 22; i >= Math.max(0, len - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50 && i + 22 + view.getUint16(i + 20, true) <= len) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail("truncated", "zip end-of-directory record not found (file cut short?)", file);
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOff = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOff === 0xffffffff) {
    const locOff = eocd - 20;
    if (locOff < 0 || view.getUint32(locOff, true) !== 0x07064b50) {
      fail("bad-format", "zip64 archive without a zip64 locator", file);
    }
    const z64 = u64(view, locOff + 8);
    if (z64 + 56 > len || view.getUint32(z64, true) !== 0x06064b50) {
      fail("bad-format", "zip64 end-of-directory record missing or out of the file", file);
    }
    count = u64(view, z64 + 32);
    cdSize = u64(view, z64 + 40);
    cdOff = u64(view, z64 + 48);
  }
  if (count > MAX_ENTRIES) fail("bad-format", `zip directory claims ${count} members`, file);
  if (cdOff + cdSize > len || count * 46 > cdSize) {
    fail(
      "truncated",
      `zip directory (${count} members, ${cdSize} bytes at ${cdOff}) lies outside the ${len}-byte file`,
      file,
    );
  }
  const entries: NpzEntry[] = [];
  let p = cdOff;
  const end = cdOff + cdSize;
  for (let k = 0; k < count; k++) {
    if (p + 46 > end || view.getUint32(p, true) !== 0x02014b50) {
      fail("bad-format", `zip directory entry ${k} is damaged`, file);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let csize = view.getUint32(p + 20, true);
    let usize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let local = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > end) {
      fail("bad-format", `zip directory entry ${k} runs past the directory`, file);
    }
    const path = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1").decode(
      bytes.subarray(p + 46, p + 46 + nameLen),
    );
    // zip64 extra field: replaces whichever 32-bit fields are 0xffffffff, in order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = view.getUint16(e, true), sz = view.getUint16(e + 2, true);
      if (e + 4 + sz > eEnd) break;
      if (id === 1) {
        let q = e + 4;
        const take = () => {
          if (q + 8 > e + 4 + sz) fail("bad-format", `zip64 field of '${path}' is short`, file);
          const v = u64(view, q);
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = take();
        if (csize === 0xffffffff) csize = take();
        if (local === 0xffffffff) local = take();
      }
      e += 4 + sz;
    }
    if (flags & 1) fail("unsupported", `zip member '${path}' is encrypted`, file);
    if (method !== 0 && method !== 8) {
      fail(
        "unsupported",
        `zip member '${path}' uses compression method ${method} (only stored and deflated)`,
        file,
      );
    }
    entries.push({
      name: path.replace(/\.npy$/, ""),
      path,
      method,
      compressedSize: csize,
      size: usize,
      crc32: crc,
      localOffset: local,
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Inflates a deflated member, its declared size (and NPY header) checked before allocation. */
function inflateMember(raw: Uint8Array, entry: NpzEntry, file?: string): Uint8Array {
  if (entry.size > MAX_NPZ_MEMBER || entry.size > MAX_INFLATE_RATIO * entry.compressedSize + 64) {
    fail(
      "bad-format",
      `deflated zip member '${entry.path}' claims ${entry.size} bytes from ${entry.compressedSize}; implausible`,
      file,
    );
  }
  // A .npy member's header is read from the first bytes and must imply the declared size
  // before the member's buffer is allocated: a zip bomb is refused after ~64 KiB.
  const check = entry.path.endsWith(".npy")
    ? (prefix: Uint8Array) => readNpyHeader(prefix, memberName(entry, file), entry.size)
    : undefined;
  let r: Inflated;
  try {
    r = inflateBounded(raw, entry.size, { check, prefixBytes: MAX_NPY_HEADER + 12 });
  } catch (e) {
    if (e instanceof MedCryptError) throw e;
    fail("corrupt", `zip member '${entry.path}' does not inflate: ${(e as Error).message}`, file);
  }
  if (r.more || r.produced !== entry.size) {
    fail(
      "corrupt",
      `zip member '${entry.path}' inflates to ${
        r.more ? "more than " : ""
      }${r.produced} bytes, not ${entry.size}`,
      file,
    );
  }
  return r.out;
}

/**
 * Extracts the raw bytes of one member, with every size checked before allocation.
 *
 * @param bytes the whole archive
 * @param entry a member from {@linkcode listNpz}
 * @param file file name for error messages
 * @returns the member's bytes (a view into `bytes` when stored)
 * @example
 * ```ts
 * import { extractNpzMember, listNpz } from "./npz.ts";
 * const bytes = await Deno.readFile("data/pneumoniamnist.npz");
 * const [first] = listNpz(bytes);
 * console.log(extractNpzMember(bytes, first).length === first.size); // true
 * ```
 */
export function extractNpzMember(bytes: Uint8Array, entry: NpzEntry, file?: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = entry.localOffset;
  if (lo + 30 > bytes.length || view.getUint32(lo, true) !== 0x04034b50) {
    fail(
      "bad-format",
      `zip member '${entry.path}': local header missing or outside the file`,
      file,
    );
  }
  const start = lo + 30 + view.getUint16(lo + 26, true) + view.getUint16(lo + 28, true);
  if (start + entry.compressedSize > bytes.length) {
    fail(
      "truncated",
      `zip member '${entry.path}' declares ${entry.compressedSize} bytes but the file ends first`,
      file,
    );
  }
  const raw = bytes.subarray(start, start + entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) {
      fail("bad-format", `stored zip member '${entry.path}' has mismatched sizes`, file);
    }
    out = raw;
  } else {
    out = inflateMember(raw, entry, file);
  }
  if (crc32(out) !== entry.crc32) {
    fail("corrupt", `zip member '${entry.path}' fails its CRC-32 check (damaged)`, file);
  }
  return out;
}

/**
 * Reads the NPY header of every member (for listing an archive), without decoding data.
 *
 * @param bytes the whole archive
 * @param file file name for error messages
 * @returns member name → NPY header
 * @example
 * ```ts
 * import { npzHeaders } from "./npz.ts";
 * const h = npzHeaders(await Deno.readFile("data/pneumoniamnist.npz"));
 * console.log(h.get("train_images")?.shape); // [2428, 28, 28]
 * ```
 */
export function npzHeaders(bytes: Uint8Array, file?: string): Map<string, NpyHeader> {
  const out = new Map<string, NpyHeader>();
  for (const e of listNpz(bytes, file)) {
    const member = extractNpzMember(bytes, e, file);
    out.set(e.name, readNpyHeader(member, file ? `${file}:${e.path}` : e.path));
  }
  return out;
}

/**
 * Decodes every `.npy` member of an archive.
 *
 * @param bytes the whole archive
 * @param file file name for error messages
 * @returns member name (without `.npy`) → array
 * @example
 * ```ts
 * import { decodeNpz } from "./npz.ts";
 * const arrays = decodeNpz(await Deno.readFile("data/pneumoniamnist.npz"));
 * console.log(arrays.get("test_labels")?.shape); // [468, 1]
 * ```
 */
export function decodeNpz(bytes: Uint8Array, file?: string): Map<string, NdArray> {
  const out = new Map<string, NdArray>();
  for (const e of listNpz(bytes, file)) {
    if (!e.path.endsWith(".npy")) continue;
    const member = extractNpzMember(bytes, e, file);
    out.set(e.name, decodeNpyArray(member, file ? `${file}:${e.path}` : e.path));
  }
  return out;
}

/**
 * Encodes named arrays as an `.npz` archive (like `numpy.savez`, or `savez_compressed` with
 * `{ compress: true }`).
 *
 * @param arrays name → array (`.npy` is appended to each name)
 * @param options `compress: true` deflates the members
 * @returns the archive bytes
 * @example
 * ```ts
 * import { encodeNpz, listNpz } from "./npz.ts";
 * const bytes = encodeNpz({ a: { dtype: "u2", shape: [2], data: new Uint16Array([1, 2]) } }, { compress: true });
 * console.log(listNpz(bytes)[0].method); // 8
 * ```
 */
export function encodeNpz(
  arrays: Record<string, NdArray>,
  options: { compress?: boolean } = {},
): Uint8Array {
  const files: Zippable = {};
  for (const [name, arr] of Object.entries(arrays)) {
    files[`${name}.npy`] = [encodeNpyArray(arr), { level: options.compress ? 6 : 0 }];
  }
  return zipSync(files, { mtime: new Date("1980-01-01T00:00:00Z") });
}
