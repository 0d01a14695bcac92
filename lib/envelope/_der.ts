/**
 * Just enough of a DER reader (X.690) to look inside key files before OpenSSL does: the
 * key-derivation cost of sealed keys and the parts of RSA private keys.
 *
 * @example
 * ```ts
 * import { children, intOf } from "./_der.ts";
 * console.log(intOf(children(new Uint8Array([2, 2, 1, 0]))![0])); // 256
 * ```
 * @module
 */
/** One DER tag-length-value. */
export interface Tlv {
  /** The tag byte. */
  tag: number;
  /** The value bytes. */
  body: Uint8Array;
}

/**
 * The TLVs directly inside `bytes`.
 *
 * @param bytes DER bytes
 * @returns the TLVs, or undefined if they do not parse
 * @example
 * ```ts
 * import { children } from "./_der.ts";
 * console.log(children(new Uint8Array([2, 1, 5, 4, 0]))?.map((t) => t.tag)); // [ 2, 4 ]
 * ```
 */
export function children(bytes: Uint8Array): Tlv[] | undefined {
  const out: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (i + 2 > bytes.length) return undefined;
    const tag = bytes[i];
    let len = bytes[i + 1];
    i += 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || i + n > bytes.length) return undefined;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + bytes[i + k];
      i += n;
    }
    if (i + len > bytes.length) return undefined;
    out.push({ tag, body: bytes.subarray(i, i + len) });
    i += len;
  }
  return out;
}

/**
 * @param t a TLV
 * @returns its INTEGER value (∞ when it does not fit in a double exactly, NaN if not an INTEGER)
 * @example
 * ```ts
 * import { intOf } from "./_der.ts";
 * console.log(intOf({ tag: 2, body: new Uint8Array([1, 0]) })); // 256
 * ```
 */
export function intOf(t: Tlv | undefined): number {
  if (t?.tag !== 0x02 || t.body.length === 0) return NaN;
  if (t.body.length > 7) return Infinity;
  return t.body.reduce((v, b) => v * 256 + b, 0);
}

/**
 * @param t a TLV
 * @returns its INTEGER value as a bigint (-1n if not an INTEGER)
 * @example
 * ```ts
 * import { bigIntOf } from "./_der.ts";
 * console.log(bigIntOf({ tag: 2, body: new Uint8Array([1, 0]) })); // 256n
 * ```
 */
export function bigIntOf(t: Tlv | undefined): bigint {
  if (t?.tag !== 0x02 || t.body.length === 0) return -1n;
  return t.body.reduce((v, b) => v * 256n + BigInt(b), 0n);
}

/** The OID 1.2.840.113549.1.1.1 (rsaEncryption), without tag and length. */
const RSA_ENCRYPTION = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/**
 * The integers of an RSA private key (PKCS#1 `RSAPrivateKey`), found in PKCS#1 or PKCS#8 DER.
 *
 * @param der the DER of a `RSA PRIVATE KEY` or `PRIVATE KEY` PEM
 * @returns n, e, d, p, q, dp, dq, qi; `"damaged"` for PKCS#8 whose rsaEncryption algorithm
 *   identifier is not followed by the NULL parameters RFC 8017 requires (parsers tolerate it, but
 *   the file was altered); undefined if the DER is not an RSA private key
 * @example
 * ```ts
 * import { rsaPrivateParts } from "./_der.ts";
 * console.log(rsaPrivateParts(new Uint8Array([0x30, 0]))); // undefined
 * ```
 */
export function rsaPrivateParts(der: Uint8Array): bigint[] | "damaged" | undefined {
  const [outer] = children(der) ?? [];
  if (outer?.tag !== 0x30) return undefined;
  let seq = children(outer.body) ?? [];
  if (seq[2]?.tag === 0x04) {
    // PKCS#8: version, algorithm, OCTET STRING { RSAPrivateKey }.
    const alg = seq[1]?.tag === 0x30 ? children(seq[1].body) ?? [] : [];
    const isRsa = alg[0]?.tag === 0x06 && RSA_ENCRYPTION.every((b, i) => alg[0].body[i] === b) &&
      alg[0].body.length === RSA_ENCRYPTION.length;
    const nullParams = alg.length === 2 && alg[1].tag === 0x05 && alg[1].body.length === 0;
    if (isRsa && (!nullParams || intOf(seq[0]) > 1)) return "damaged";
    const [inner] = children(seq[2].body) ?? [];
    seq = inner?.tag === 0x30 ? children(inner.body) ?? [] : [];
  }
  if (seq.length < 9 || !seq.slice(0, 9).every((t) => t.tag === 0x02)) return undefined;
  return seq.slice(1, 9).map(bigIntOf);
}
