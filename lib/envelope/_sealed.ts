/**
 * Passphrase-sealed private keys as PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958) with PBES2
 * (RFC 8018), scrypt (RFC 7914) and AES-256-CBC: the DER writer, and the check of a sealed key's
 * key-derivation cost before OpenSSL is asked to unseal it. A sealed key is input like any
 * other: its scrypt or PBKDF2 parameters are chosen by whoever wrote the file, and forged ones
 * (scrypt p = 65535, PBKDF2 with 2^31 iterations) would keep the reader busy for hours or make
 * it allocate gigabytes before it could say "wrong passphrase".
 *
 * @example
 * ```ts
 * import { encodeSealed, sealedKdf } from "./_sealed.ts";
 * const der = encodeSealed({ N: 2 ** 14, r: 8, p: 2 }, new Uint8Array(16), new Uint8Array(16), new Uint8Array(32));
 * console.log(sealedKdf(der)); // { kdf: "scrypt", N: 16384, r: 8, p: 2 }
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { children, intOf, type Tlv } from "./_der.ts";

/** Scrypt parameters. */
export interface ScryptParams {
  /** CPU/memory cost (a power of two). */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** What a sealed key says about its key derivation. */
export type SealedKdf =
  | ({ kdf: "scrypt" } & ScryptParams)
  | { kdf: "pbkdf2"; iterations: number }
  | { kdf: "other" };

/**
 * The most a sealed key may ask for: scrypt memory `128·N·r` up to 128 MiB and work `N·r·p` up to
 * 2^22 (16 times what this tool writes), PBKDF2 up to ten million iterations (a few seconds).
 */
export const SEALED_LIMITS = { scryptMemory: 128 * 2 ** 20, scryptWork: 2 ** 22, pbkdf2: 1e7 };

/** Whether `t` is the OBJECT IDENTIFIER encoded (with tag and length) in `o`. */
const same = (t: Tlv | undefined, o: Uint8Array) =>
  t?.tag === 0x06 && t.body.length === o.length - 2 && t.body.every((b, i) => b === o[i + 2]);

// ---- DER writer
function derLen(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const head = [tag, ...derLen(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head);
  let o = head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function derInt(n: number): Uint8Array {
  const bytes: number[] = [];
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, new Uint8Array(bytes));
}

const oid = (...b: number[]) => new Uint8Array([0x06, b.length, ...b]);
const OID_PBES2 = oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d);
const OID_PBKDF2 = oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c);
const OID_SCRYPT = oid(0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b);
const OID_AES256_CBC = oid(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a);

/**
 * Encodes an `EncryptedPrivateKeyInfo` (PBES2, scrypt, AES-256-CBC) around `ciphertext`.
 *
 * @param params the scrypt parameters the key was sealed with
 * @param salt the scrypt salt
 * @param iv the AES-CBC IV
 * @param ciphertext the AES-256-CBC encryption of the PKCS#8 key
 * @returns the DER bytes
 * @example
 * ```ts
 * import { encodeSealed } from "./_sealed.ts";
 * const der = encodeSealed({ N: 16384, r: 8, p: 2 }, new Uint8Array(16), new Uint8Array(16), new Uint8Array(32));
 * console.log(der[0], der.length); // 48 131
 * ```
 */
export function encodeSealed(
  params: ScryptParams,
  salt: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const { N, r, p } = params;
  const scryptParams = tlv(0x30, tlv(0x04, salt), derInt(N), derInt(r), derInt(p), derInt(32));
  const pbes2 = tlv(
    0x30,
    tlv(0x30, OID_SCRYPT, scryptParams),
    tlv(0x30, OID_AES256_CBC, tlv(0x04, iv)),
  );
  return tlv(0x30, tlv(0x30, OID_PBES2, pbes2), tlv(0x04, ciphertext));
}

/**
 * Reads the key-derivation parameters of a sealed key.
 *
 * @param der the `EncryptedPrivateKeyInfo` DER
 * @returns the KDF and its parameters; `other` for schemes without a cost this reader knows, or
 *   DER it cannot parse (OpenSSL then says what is wrong)
 * @example
 * ```ts
 * import { sealedKdf } from "./_sealed.ts";
 * console.log(sealedKdf(new Uint8Array([0x30, 0x00]))); // { kdf: "other" }
 * ```
 */
export function sealedKdf(der: Uint8Array): SealedKdf {
  const [outer] = children(der) ?? [];
  const [alg] = outer?.tag === 0x30 ? children(outer.body) ?? [] : [];
  const [algOid, params] = alg?.tag === 0x30 ? children(alg.body) ?? [] : [];
  if (!params || params.tag !== 0x30) return { kdf: "other" };
  const inner = children(params.body) ?? [];
  if (!same(algOid, OID_PBES2)) {
    // PBES1 and PKCS#12 schemes: SEQUENCE { salt OCTET STRING, iterations INTEGER }.
    return inner[0]?.tag === 0x04 && inner[1]?.tag === 0x02
      ? { kdf: "pbkdf2", iterations: intOf(inner[1]) }
      : { kdf: "other" };
  }
  const [kdfOid, kdfParams] = inner[0]?.tag === 0x30 ? children(inner[0].body) ?? [] : [];
  const f = kdfParams?.tag === 0x30 ? children(kdfParams.body) ?? [] : [];
  if (same(kdfOid, OID_SCRYPT)) {
    return { kdf: "scrypt", N: intOf(f[1]), r: intOf(f[2]), p: intOf(f[3]) };
  }
  if (same(kdfOid, OID_PBKDF2)) return { kdf: "pbkdf2", iterations: intOf(f[1]) };
  return { kdf: "other" };
}

/**
 * Refuses a sealed key whose key derivation would cost more than {@linkcode SEALED_LIMITS}.
 *
 * @param der the `EncryptedPrivateKeyInfo` DER
 * @param file the key file, for the message
 * @throws {MedCryptError} `sealed-key-cost` naming the parameters
 * @example
 * ```ts
 * import { checkSealedCost, encodeSealed } from "./_sealed.ts";
 * const der = encodeSealed({ N: 16384, r: 8, p: 65535 }, new Uint8Array(16), new Uint8Array(16), new Uint8Array(32));
 * try { checkSealedCost(der, "k.pem"); } catch (e) { console.log((e as Error).message.slice(0, 40)); } // `k.pem`: the key's scrypt parameters (N=
 * ```
 */
export function checkSealedCost(der: Uint8Array, file?: string): void {
  const k = sealedKdf(der);
  const L = SEALED_LIMITS;
  if (k.kdf === "scrypt") {
    const { N, r, p } = k;
    const ok = [N, r, p].every((v) => Number.isSafeInteger(v) && v > 0) &&
      128 * N * r <= L.scryptMemory && N * r * p <= L.scryptWork;
    if (!ok) {
      throw new MedCryptError(
        "sealed-key-cost",
        `the key's scrypt parameters (N=${N}, r=${r}, p=${p}) are invalid or would take more than ${
          L.scryptMemory / 2 ** 20
        } MiB or ${
          L.scryptWork / (8 * 2 ** 14 * 2)
        }× this tool's work to unseal; the file is forged or damaged`,
        { file },
      );
    }
  } else if (k.kdf === "pbkdf2" && !(k.iterations > 0 && k.iterations <= L.pbkdf2)) {
    throw new MedCryptError(
      "sealed-key-cost",
      `the key's PBKDF2 iteration count (${k.iterations}) is invalid or above ${L.pbkdf2}; the file is forged or damaged`,
      { file },
    );
  }
}
