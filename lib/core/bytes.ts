/**
 * Byte helpers used everywhere: hex text, concatenation, SHA-256 (WebCrypto) and byte search.
 *
 * @example
 * ```ts
 * import { fromHex, sha256Hex, toHex } from "./bytes.ts";
 * console.log(toHex(fromHex("00ff10"))); // "00ff10"
 * console.log((await sha256Hex(new TextEncoder().encode("abc"))).slice(0, 16)); // "ba7816bf8f01cfea"
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { MedCryptError } from "./errors.ts";

/**
 * @param bytes bytes
 * @returns lowercase hex, two digits per byte
 * @example
 * ```ts
 * import { toHex } from "./bytes.ts";
 * console.log(toHex(new Uint8Array([1, 255]))); // "01ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * @param hex hex text of even length (either case)
 * @returns the bytes; throws a `MedCryptError` (`bad-hex`) on anything else
 * @example
 * ```ts
 * import { fromHex } from "./bytes.ts";
 * console.log(fromHex("01FF").join()); // "1,255"
 * ```
 */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) {
    throw new MedCryptError("bad-hex", `'${hex.slice(0, 20)}…' is not hex of even length`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * @param parts byte arrays
 * @returns one new array holding them in order
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * console.log(concatBytes(new Uint8Array([1]), new Uint8Array([2, 3]))); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * SHA-256 with WebCrypto.
 *
 * @param data bytes
 * @returns the 32-byte digest
 * @example
 * ```ts
 * import { sha256, toHex } from "./bytes.ts";
 * console.log(toHex(await sha256(new Uint8Array())).slice(0, 8)); // "e3b0c442"
 * ```
 */
export async function sha256(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concatBytes(data)));
}

/**
 * @param data bytes
 * @returns the SHA-256 digest as lowercase hex
 * @example
 * ```ts
 * import { sha256Hex } from "./bytes.ts";
 * console.log((await sha256Hex(new Uint8Array())).length); // 64
 * ```
 */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(await sha256(data));
}

/**
 * Whether `needle` occurs in `hay` (plain byte search, native speed: stores of CKKS
 * ciphertexts hold hundreds of MB).
 *
 * @param hay the bytes searched
 * @param needle the bytes looked for
 * @returns true when found (always for an empty needle)
 * @example
 * ```ts
 * import { containsBytes } from "./bytes.ts";
 * console.log(containsBytes(new Uint8Array([1, 2, 3]), new Uint8Array([2, 3]))); // true
 * ```
 */
export function containsBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength)
    .indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength)) >= 0;
}
