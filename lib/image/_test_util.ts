/**
 * Helpers shared by the image readers' tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";

/**
 * Runs `fn`, which must throw a {@linkcode MedCryptError}, and returns the error's code.
 *
 * @param fn the call that must fail
 * @returns the code of the typed error it threw
 */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MedCryptError, `expected MedCryptError, got ${e}`);
    return e.code;
  }
  assert.fail("expected an error");
}

/**
 * Bytes of a latin-1 string.
 *
 * @param s the string
 * @returns one byte per character
 */
export const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/**
 * The parts one after the other.
 *
 * @param parts byte arrays
 * @returns their concatenation
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** CRC-32 (zip, PNG), to forge files whose checksums are right so the size checks are reached. */
export { crc32 } from "./npz.ts";

/**
 * A raw deflate stream of `n` zero bytes in one fixed-Huffman block: a literal 0, then copies of
 * "258 bytes at distance 1" (13 bits each: ~1030:1, deflate's best), so a bomb inflating to GBs
 * is built without ever holding the GBs; `prefix` bytes come first, as literals.
 */
export function zeroDeflate(n: number, prefix: Uint8Array = new Uint8Array(0)): Uint8Array {
  const reps = Math.floor((n - 1) / 258), tail = n - 1 - reps * 258;
  const bits = 3 + 9 * prefix.length + 8 + reps * 13 + tail * 8 + 7;
  const out = new Uint8Array(Math.ceil(bits / 8));
  let pos = 0;
  const bit = (b: number) => {
    if (b) out[pos >> 3] |= 1 << (pos & 7);
    pos++;
  };
  const code = (c: number, len: number) => { // Huffman codes go most significant bit first
    for (let i = len - 1; i >= 0; i--) bit((c >> i) & 1);
  };
  bit(1), bit(1), bit(0); // BFINAL, BTYPE = 01 (fixed Huffman)
  for (const v of prefix) v < 144 ? code(0x30 + v, 8) : code(0x190 + v - 144, 9); // literals
  code(0x30, 8); // literal 0
  for (let r = 0; r < reps; r++) code(0xc5 << 5, 13); // length 258 (code 285), distance 1
  for (let t = 0; t < tail; t++) code(0x30, 8);
  code(0, 7); // end of block
  return out;
}

/** `zeroDeflate` in a zlib wrapper (header, Adler-32 of the zeros), as PNG's IDAT holds it. */
export function zeroZlib(n: number): Uint8Array {
  const adler = ((n % 65521) * 65536 + 1) >>> 0;
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, adler);
  return concat(new Uint8Array([0x78, 0x01]), zeroDeflate(n), trailer);
}

/** A one-member zip of `data` (raw deflate, declaring `size` and `crc`), as numpy writes it. */
export function zipOne(name: string, data: Uint8Array, size: number, crc: number): Uint8Array {
  const n = latin1(name);
  const local = new Uint8Array(30);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(4, 20, true);
  lv.setUint16(8, 8, true);
  lv.setUint32(14, crc, true);
  lv.setUint32(18, data.length, true);
  lv.setUint32(22, size, true);
  lv.setUint16(26, n.length, true);
  const cd = new Uint8Array(46);
  const cv = new DataView(cd.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(4, 20, true);
  cv.setUint16(6, 20, true);
  cv.setUint16(10, 8, true);
  cv.setUint32(16, crc, true);
  cv.setUint32(20, data.length, true);
  cv.setUint32(24, size, true);
  cv.setUint16(28, n.length, true);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 1, true);
  ev.setUint16(10, 1, true);
  ev.setUint32(12, 46 + n.length, true);
  ev.setUint32(16, 30 + n.length + data.length, true);
  return concat(local, n, data, cd, n, eocd);
}
