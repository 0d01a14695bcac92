/**
 * Encoding and parsing of the envelope header (SPEC.md §3–4) and the key schedule (HKDF, header
 * MAC) with WebCrypto.
 *
 * @example
 * ```ts
 * import { MAGIC } from "./_header.ts";
 * console.log(MAGIC.length); // 8
 * ```
 * @module
 */
import { toHex } from "../core/bytes.ts";
import { MedCryptError } from "../core/errors.ts";
import { chunkCount, type PayloadKeys, payloadLen, type SuiteId } from "./_layout.ts";

/** `\x89MCE\r\n\x1a\n`. */
export const MAGIC = new Uint8Array([0x89, 0x4d, 0x43, 0x45, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Format version written and read. */
export const VERSION = 1;
/** The RSA stanza type. */
export const RSA_TYPE = "RSA-OAEP-SHA256";
/** Size of the fixed part of the header (magic … recipient count). */
const FIXED = 38;
/** Smallest RSA-OAEP-SHA256 stanza body: fingerprint + wrapped key of a 2048-bit modulus. */
const MIN_RSA_BODY = 32 + 256;

/** One recipient stanza as stored. */
export interface Stanza {
  /** Stanza type, e.g. `RSA-OAEP-SHA256`. */
  type: string;
  /** Raw body. */
  body: Uint8Array;
}

/** A parsed header. */
export interface Header {
  /** Suite number. */
  suite: SuiteId;
  /** Chunk exponent. */
  exponent: number;
  /** Stream plaintext length L. */
  length: number;
  /** Payload nonce N. */
  nonce: Uint8Array;
  /** Stanzas in order. */
  stanzas: Stanza[];
  /** Clear metadata as stored (UTF-8 JSON text), if flags bit 0 is set; not validated here. */
  clearMetadata?: Uint8Array;
  /** Offset of the header MAC (= length of the bytes it authenticates). */
  macOffset: number;
  /** Header length including the MAC. */
  headerLen: number;
}

const te = new TextEncoder();
const ascii = new TextDecoder("ascii");

function ab(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u as Uint8Array<ArrayBuffer>;
}

/**
 * Serialises the header up to (not including) the MAC.
 *
 * @param h fields
 * @returns the bytes to MAC
 * @example
 * ```ts
 * import { encodeHeaderBody } from "./_header.ts";
 * const b = encodeHeaderBody({ suite: 1, exponent: 16, length: 4, nonce: new Uint8Array(16), stanzas: [{ type: "X", body: new Uint8Array(1) }] });
 * console.log(b.length); // 43
 * ```
 */
export function encodeHeaderBody(
  h: Pick<Header, "suite" | "exponent" | "length" | "nonce" | "stanzas" | "clearMetadata">,
): Uint8Array {
  const meta = h.clearMetadata;
  let size = FIXED + (meta ? 4 + meta.length : 0);
  for (const s of h.stanzas) size += 1 + s.type.length + 2 + s.body.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[8] = VERSION;
  out[9] = h.suite;
  out[10] = h.exponent;
  out[11] = meta ? 1 : 0;
  dv.setBigUint64(12, BigInt(h.length));
  out.set(h.nonce, 20);
  dv.setUint16(36, h.stanzas.length);
  let o = FIXED;
  for (const s of h.stanzas) {
    out[o++] = s.type.length;
    out.set(te.encode(s.type), o);
    o += s.type.length;
    dv.setUint16(o, s.body.length);
    o += 2;
    out.set(s.body, o);
    o += s.body.length;
  }
  if (meta) {
    dv.setUint32(o, meta.length);
    out.set(meta, o + 4);
  }
  return out;
}

/**
 * Thrown by {@linkcode parseHeader} when `bytes` ends inside the header but the file is longer: the
 * caller reads at least `need` bytes and parses again. Never thrown when `bytes` is the whole file.
 */
export class NeedMore extends Error {
  /** How many bytes the header needs at least. */
  readonly need: number;
  /** @param need bytes needed */
  constructor(need: number) {
    super(`need ${need} bytes`);
    this.need = need;
  }
}

/**
 * Parses a header from the start of `bytes` and checks every rule that needs no key (SPEC.md §3,
 * §4): magic, version, suite, chunk exponent, flags, `L ≥ 4`, recipient count, the size of
 * `RSA-OAEP-SHA256` stanza bodies and that no fingerprint appears twice. The MAC and the clear
 * metadata are checked by the caller once it has the file key.
 *
 * @param bytes the file's first bytes
 * @param fileSize the whole file's size (to tell "truncated" from "need to read more")
 * @param file name for messages
 * @returns the header; throws {@linkcode MedCryptError} for a bad header and {@linkcode NeedMore}
 *   when `bytes` is shorter than the header but the file is not
 * @example
 * ```ts
 * import { parseHeader } from "./_header.ts";
 * try {
 *   parseHeader(new Uint8Array(3), 3, "x.mce");
 * } catch (e) {
 *   console.log((e as Error).message.slice(0, 29)); // "`x.mce`: not a MedCrypt envel"
 * }
 * ```
 */
export function parseHeader(bytes: Uint8Array, fileSize: number, file?: string): Header {
  const err = (code: string, msg: string) => new MedCryptError(code, msg, { file });
  if (fileSize === 0) {
    throw err("empty-file", "the file is empty (0 bytes), so it is not an envelope");
  }
  const n = Math.min(8, bytes.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw err(
        "not-envelope",
        "not a MedCrypt envelope (the .mce magic bytes are missing); was it encrypted with `medcrypt encrypt`?",
      );
    }
  }
  const need = (k: number) => {
    if (k <= bytes.length) return;
    if (k > fileSize || bytes.length >= fileSize) {
      throw err(
        "truncated",
        `the file is truncated inside the envelope header (${fileSize} bytes, the header needs at least ${k})`,
      );
    }
    throw new NeedMore(k);
  };
  need(FIXED);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[8] !== VERSION) {
    throw err(
      "unsupported-version",
      `envelope format version ${bytes[8]} is not supported (this reader knows version ${VERSION})`,
    );
  }
  const suite = bytes[9];
  if (suite !== 1 && suite !== 2) {
    throw err("malformed-header", `unknown cipher suite ${suite} in the header (header damaged?)`);
  }
  const exponent = bytes[10];
  if (exponent < 10 || exponent > 24) {
    throw err("malformed-header", `chunk size 2^${exponent} is out of range (header damaged?)`);
  }
  const flags = bytes[11];
  if (flags & 0xfe) {
    throw err("malformed-header", `unknown header flags 0x${flags.toString(16)} (header damaged?)`);
  }
  const big = dv.getBigUint64(12);
  if (big < 4n) {
    throw err("malformed-header", `declared plaintext length ${big} is below 4 (header damaged?)`);
  }
  // Any u64 is accepted. Above 2^53 the double is rounded, but the file size computed from it
  // then exceeds every file size a double can hold, so the size check still rejects the file.
  const length = Number(big);
  const nonce = bytes.slice(20, 36);
  const count = dv.getUint16(36);
  if (count < 1 || count > 1024) {
    throw err("malformed-header", `recipient count ${count} is invalid (header damaged?)`);
  }
  let o = FIXED;
  const stanzas: Stanza[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    need(o + 1);
    const t = bytes[o];
    need(o + 1 + t + 2);
    const type = ascii.decode(bytes.subarray(o + 1, o + 1 + t));
    const b = dv.getUint16(o + 1 + t);
    need(o + 3 + t + b);
    const body = bytes.slice(o + 3 + t, o + 3 + t + b);
    if (type === RSA_TYPE) {
      if (b < MIN_RSA_BODY) {
        throw err(
          "malformed-header",
          `recipient ${
            i + 1
          } has a ${b}-byte ${RSA_TYPE} body; it must be at least ${MIN_RSA_BODY} (header damaged?)`,
        );
      }
      const fp = toHex(body.subarray(0, 32));
      if (seen.has(fp)) {
        throw err(
          "duplicate-recipient",
          `recipient ${i + 1} repeats the key SHA256:${fp.slice(0, 16)} of an earlier recipient`,
        );
      }
      seen.add(fp);
    }
    stanzas.push({ type, body });
    o += 3 + t + b;
  }
  let clearMetadata: Uint8Array | undefined;
  if (flags & 1) {
    need(o + 4);
    const m = dv.getUint32(o);
    need(o + 4 + m);
    clearMetadata = bytes.slice(o + 4, o + 4 + m);
    o += 4 + m;
  }
  need(o + 32);
  return {
    suite,
    exponent,
    length,
    nonce,
    stanzas,
    clearMetadata,
    macOffset: o,
    headerLen: o + 32,
  };
}

/**
 * @param h a header
 * @returns the exact size the whole envelope must have
 * @example
 * ```ts
 * import { expectedFileSize } from "./_header.ts";
 * console.log(expectedFileSize({ suite: 1, exponent: 10, length: 4, headerLen: 100 })); // 120
 * ```
 */
export function expectedFileSize(
  h: Pick<Header, "suite" | "exponent" | "length" | "headerLen">,
): number {
  return h.headerLen + payloadLen(h.suite, h.length, 2 ** h.exponent);
}

/**
 * @param h a header
 * @returns the number of payload chunks
 * @example
 * ```ts
 * import { headerChunks } from "./_header.ts";
 * console.log(headerChunks({ exponent: 10, length: 2048 })); // 2
 * ```
 */
export function headerChunks(h: Pick<Header, "exponent" | "length">): number {
  return chunkCount(h.length, 2 ** h.exponent);
}

async function hkdf(fileKey: Uint8Array, salt: Uint8Array, info: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", ab(fileKey), "HKDF", false, ["deriveBits"]);
  return new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: ab(salt), info: te.encode(info) },
      k,
      256,
    ),
  );
}

/**
 * @param fileKey K
 * @param headerBody header bytes before the MAC
 * @returns the 32-byte header MAC
 * @example
 * ```ts
 * import { headerMac } from "./_header.ts";
 * console.log((await headerMac(new Uint8Array(32), new Uint8Array(1))).length); // 32
 * ```
 */
export async function headerMac(fileKey: Uint8Array, headerBody: Uint8Array): Promise<Uint8Array> {
  const macKey = await hkdf(fileKey, new Uint8Array(0), "medcrypt/v1 header");
  const k = await crypto.subtle.importKey(
    "raw",
    ab(macKey),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, ab(headerBody)));
}

/**
 * Constant-time comparison of two byte strings of equal length.
 *
 * @param a first
 * @param b second
 * @returns whether they are equal
 * @example
 * ```ts
 * import { equalBytes } from "./_header.ts";
 * console.log(equalBytes(new Uint8Array([1]), new Uint8Array([1]))); // true
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

let nextKeyId = 1;

/**
 * Derives the payload keys (SPEC.md §6).
 *
 * @param suite the suite
 * @param fileKey K
 * @param nonce N
 * @returns the keys
 * @example
 * ```ts
 * import { payloadKeys } from "./_header.ts";
 * console.log((await payloadKeys(1, new Uint8Array(32), new Uint8Array(16))).encKey.length); // 32
 * ```
 */
export async function payloadKeys(
  suite: SuiteId,
  fileKey: Uint8Array,
  nonce: Uint8Array,
): Promise<PayloadKeys> {
  if (suite === 1) {
    return {
      suite,
      encKey: await hkdf(fileKey, nonce, "medcrypt/v1 payload aes-256-gcm"),
      id: nextKeyId++,
    };
  }
  return {
    suite,
    encKey: await hkdf(fileKey, nonce, "medcrypt/v1 payload cbc enc"),
    macKey: await hkdf(fileKey, nonce, "medcrypt/v1 payload cbc mac"),
    ivKey: await hkdf(fileKey, nonce, "medcrypt/v1 payload cbc iv"),
    id: nextKeyId++,
  };
}
