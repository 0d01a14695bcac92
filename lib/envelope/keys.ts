/**
 * RSA keys for envelopes: generation (WebCrypto), PEM (SPKI / PKCS#8, optionally sealed with a
 * passphrase as standard PKCS#8 PBES2 + scrypt + AES-256-CBC) and JWK import/export, and SHA-256
 * fingerprints. Keys under 2048 bits are refused.
 *
 * @example Generate, export, re-import
 * ```ts
 * import { exportPrivatePem, exportPublicPem, generateKeyPair, importPrivatePem, importPublicPem } from "./keys.ts";
 * const pair = await generateKeyPair(2048);
 * const pub = await importPublicPem(await exportPublicPem(pair.publicKey));
 * const priv = await importPrivatePem(await exportPrivatePem(pair.privateKey));
 * console.log(pub.fingerprint === priv.fingerprint); // true
 * ```
 * @module
 */
import {
  createCipheriv,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  scryptSync,
} from "node:crypto";
import { toHex } from "../core/bytes.ts";
import { MedCryptError } from "../core/errors.ts";
import { readFileChecked } from "../core/fs.ts";
import { rsaPrivateParts } from "./_der.ts";
import { checkSealedCost, encodeSealed } from "./_sealed.ts";

/** Smallest RSA modulus accepted, in bits. */
export const MIN_RSA_BITS = 2048;

/** Sizes `generateKeyPair` offers. */
export type RsaBits = 2048 | 3072 | 4096;

/** An RSA public key a file can be encrypted to. */
export interface PublicKey {
  /** Discriminator. */
  readonly kind: "public";
  /** WebCrypto RSA-OAEP (SHA-256) key with usage `encrypt`. */
  readonly key: CryptoKey;
  /** Modulus size in bits. */
  readonly bits: number;
  /** Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo (SPEC.md §4.1). */
  readonly fingerprint: string;
  /** The DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
}

/** An RSA private key that can open envelopes. */
export interface PrivateKey {
  /** Discriminator. */
  readonly kind: "private";
  /** WebCrypto RSA-OAEP (SHA-256) key with usage `decrypt`. */
  readonly key: CryptoKey;
  /** Modulus size in bits. */
  readonly bits: number;
  /** Fingerprint of the matching public key. */
  readonly fingerprint: string;
  /** The matching public key. */
  readonly publicKey: PublicKey;
}

/** A generated key pair. */
export interface KeyPair {
  /** Public half. */
  publicKey: PublicKey;
  /** Private half. */
  privateKey: PrivateKey;
}

/** scrypt parameters used to seal private keys (SPEC.md §9). */
export const SCRYPT_PARAMS = { N: 2 ** 14, r: 8, p: 2 } as const;

const OAEP = { name: "RSA-OAEP", hash: "SHA-256" } as const;

/**
 * @param fingerprint a full hex fingerprint
 * @returns the short display form `SHA256:` + first 16 hex digits
 * @example
 * ```ts
 * import { shortFingerprint } from "./keys.ts";
 * console.log(shortFingerprint("ab".repeat(32))); // "SHA256:abababababababab"
 * ```
 */
export function shortFingerprint(fingerprint: string): string {
  return `SHA256:${fingerprint.slice(0, 16)}`;
}

/**
 * @param spki DER SubjectPublicKeyInfo
 * @returns its lower-case hex SHA-256
 * @example
 * ```ts
 * import { fingerprintOf } from "./keys.ts";
 * console.log((await fingerprintOf(new Uint8Array([1]))).length); // 64
 * ```
 */
export async function fingerprintOf(spki: Uint8Array): Promise<string> {
  return toHex(
    new Uint8Array(await crypto.subtle.digest("SHA-256", spki as Uint8Array<ArrayBuffer>)),
  );
}

function checkBits(bits: number, file?: string): void {
  if (bits < MIN_RSA_BITS) {
    throw new MedCryptError(
      "weak-key",
      `RSA key is ${bits} bits; at least ${MIN_RSA_BITS} are required (make a new one with \`deno task medcrypt keygen\`)`,
      { file },
    );
  }
}

async function publicFromSpki(spki: Uint8Array, file?: string): Promise<PublicKey> {
  const key = await crypto.subtle.importKey("spki", spki as Uint8Array<ArrayBuffer>, OAEP, true, [
    "encrypt",
  ]);
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  checkBits(bits, file);
  return { kind: "public", key, bits, spki, fingerprint: await fingerprintOf(spki) };
}

const big = (b64url: string | undefined) => {
  const bin = atob((b64url ?? "").replace(/-/g, "+").replace(/_/g, "/"));
  return bin.length ? BigInt(`0x${toHex(Uint8Array.from(bin, (c) => c.charCodeAt(0)))}`) : 0n;
};

/**
 * Refuses a private key whose parts do not agree. RSA implementations decrypt with the CRT
 * parameters, and some recompute them on import, so a damaged `dp`, `dq`, `qi` or `d` can go
 * unnoticed: the key file is damaged even when decryption still works. Checks n = p·q,
 * d·e ≡ 1 mod p−1 and q−1, dp = d mod p−1, dq = d mod q−1 and qi·q ≡ 1 mod p.
 */
function checkRsaParts(parts: bigint[], file?: string): void {
  const [n, e, d, p, q, dp, dq, qi] = parts;
  const ok = p > 1n && q > 1n && n === p * q && (d * e) % (p - 1n) === 1n &&
    (d * e) % (q - 1n) === 1n && dp === d % (p - 1n) && dq === d % (q - 1n) &&
    (qi * q) % p === 1n;
  if (!ok) {
    throw new MedCryptError(
      "bad-key",
      "the private key is damaged: its parts do not agree (n = p·q, d, dp, dq, qi)",
      { file },
    );
  }
}

async function privateFromPkcs8(pkcs8: Uint8Array, file?: string): Promise<PrivateKey> {
  const key = await crypto.subtle.importKey("pkcs8", pkcs8 as Uint8Array<ArrayBuffer>, OAEP, true, [
    "decrypt",
  ]);
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  checkBits(bits, file);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  checkRsaParts([jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map(big), file);
  const pubKey = await crypto.subtle.importKey(
    "jwk",
    { kty: "RSA", n: jwk.n, e: jwk.e, alg: "RSA-OAEP-256", ext: true },
    OAEP,
    true,
    ["encrypt"],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pubKey));
  const publicKey = await publicFromSpki(spki, file);
  return { kind: "private", key, bits, fingerprint: publicKey.fingerprint, publicKey };
}

/**
 * Generates an RSA-OAEP (SHA-256) key pair with WebCrypto.
 *
 * @param bits modulus size: 2048, 3072 (default) or 4096
 * @returns the pair
 * @example
 * ```ts
 * import { generateKeyPair } from "./keys.ts";
 * const { publicKey } = await generateKeyPair(2048);
 * console.log(publicKey.bits); // 2048
 * ```
 */
export async function generateKeyPair(bits: RsaBits = 3072): Promise<KeyPair> {
  if (![2048, 3072, 4096].includes(bits)) {
    throw new MedCryptError("usage", `RSA key size must be 2048, 3072 or 4096 bits, not ${bits}`);
  }
  const pair = await crypto.subtle.generateKey(
    { ...OAEP, modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["encrypt", "decrypt"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const privateKey = await privateFromPkcs8(pkcs8);
  return { publicKey: privateKey.publicKey, privateKey };
}

function pem(label: string, der: Uint8Array): string {
  let b64 = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    b64 += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  b64 = btoa(b64);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The DER inside the first PEM block (empty if its base64 does not decode). */
function pemBody(text: string): Uint8Array {
  const m = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END/.exec(text);
  try {
    return Uint8Array.from(atob((m?.[1] ?? "").replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    return new Uint8Array();
  }
}

function pemLabel(text: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
}

/**
 * @param key a public key
 * @returns `-----BEGIN PUBLIC KEY-----` PEM (SPKI)
 * @example
 * ```ts
 * import { exportPublicPem, generateKeyPair } from "./keys.ts";
 * const pem = await exportPublicPem((await generateKeyPair(2048)).publicKey);
 * console.log(pem.split("\n")[0]); // -----BEGIN PUBLIC KEY-----
 * console.log(pem.trimEnd().split("\n").at(-1)); // -----END PUBLIC KEY-----
 * ```
 */
export function exportPublicPem(key: PublicKey): Promise<string> {
  return Promise.resolve(pem("PUBLIC KEY", key.spki));
}

function sealPkcs8(pkcs8: Uint8Array, passphrase: string): Uint8Array {
  const salt = new Uint8Array(randomBytes(16));
  const iv = new Uint8Array(randomBytes(16));
  const { N, r, p } = SCRYPT_PARAMS;
  const dk = scryptSync(passphrase, salt, 32, { N, r, p, maxmem: 256 * N * r + 4 * 1024 * 1024 });
  // AES-256-CBC from node:crypto; PKCS#7 padding as PBES2 requires.
  return encodeSealed(SCRYPT_PARAMS, salt, iv, encryptCbc(dk, iv, pkcs8));
}

function encryptCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-256-cbc", key, iv);
  const a = c.update(data), b = c.final();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Exports a private key as PEM: plain PKCS#8, or with `passphrase` a standard
 * `ENCRYPTED PRIVATE KEY` (PBES2, scrypt N=2^14 r=8 p=2, AES-256-CBC) that OpenSSL and
 * PyCryptodome read.
 *
 * @param key the private key
 * @param options `passphrase` to seal it with
 * @returns the PEM text
 * @example
 * ```ts
 * import { exportPrivatePem, generateKeyPair } from "./keys.ts";
 * const { privateKey } = await generateKeyPair(2048);
 * console.log((await exportPrivatePem(privateKey)).split("\n")[0]); // -----BEGIN PRIVATE KEY-----
 * const sealed = await exportPrivatePem(privateKey, { passphrase: "s3cret" });
 * console.log(sealed.split("\n")[0]); // -----BEGIN ENCRYPTED PRIVATE KEY-----
 * ```
 */
export async function exportPrivatePem(
  key: PrivateKey,
  options: { passphrase?: string } = {},
): Promise<string> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key.key));
  if (options.passphrase === undefined) return pem("PRIVATE KEY", pkcs8);
  if (options.passphrase.length === 0) {
    throw new MedCryptError("usage", "the passphrase is empty");
  }
  return pem("ENCRYPTED PRIVATE KEY", sealPkcs8(pkcs8, options.passphrase));
}

function nodeKeyError(e: unknown, what: string, file?: string): MedCryptError {
  return new MedCryptError("bad-key", `not a readable ${what}: ${(e as Error).message}`, {
    file,
    cause: e,
  });
}

function checkRsa(k: KeyObject, file?: string): void {
  if (k.asymmetricKeyType !== "rsa") {
    throw new MedCryptError(
      "bad-key",
      `this is a ${k.asymmetricKeyType ?? "non-RSA"} key; envelopes need an RSA key`,
      { file },
    );
  }
  checkBits(k.asymmetricKeyDetails?.modulusLength ?? 0, file);
}

/**
 * Reads a public key from PEM (`PUBLIC KEY` SPKI or `RSA PUBLIC KEY` PKCS#1). A private-key PEM
 * is also accepted (its public half is used).
 *
 * @param text the PEM text
 * @param options `file` to name in error messages
 * @returns the key
 * @example
 * ```ts
 * import { exportPublicPem, generateKeyPair, importPublicPem } from "./keys.ts";
 * const k = await importPublicPem(await exportPublicPem((await generateKeyPair(2048)).publicKey));
 * console.log(k.bits); // 2048
 * ```
 */
export async function importPublicPem(
  text: string,
  options: { file?: string } = {},
): Promise<PublicKey> {
  const label = pemLabel(text);
  if (!label) {
    throw new MedCryptError("bad-key", "not a PEM key file (no -----BEGIN …----- line)", options);
  }
  if (label === "ENCRYPTED PRIVATE KEY") {
    throw new MedCryptError(
      "not-public-key",
      "this is a passphrase-protected private key; give the recipient's public key (public.pem)",
      options,
    );
  }
  let k: KeyObject;
  try {
    k = createPublicKey(text);
  } catch (e) {
    throw nodeKeyError(e, "public key", options.file);
  }
  checkRsa(k, options.file);
  const spki = new Uint8Array(k.export({ type: "spki", format: "der" }));
  return await publicFromSpki(spki, options.file);
}

/**
 * Reads a private key from PEM: `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or
 * `ENCRYPTED PRIVATE KEY` (needs `passphrase`).
 *
 * @param text the PEM text
 * @param options `passphrase` for a sealed key, `file` for messages
 * @returns the key
 * @example
 * ```ts
 * import { exportPrivatePem, generateKeyPair, importPrivatePem } from "./keys.ts";
 * const { privateKey } = await generateKeyPair(2048);
 * const pemText = await exportPrivatePem(privateKey, { passphrase: "pw" });
 * console.log((await importPrivatePem(pemText, { passphrase: "pw" })).bits); // 2048
 * ```
 */
export async function importPrivatePem(
  text: string,
  options: { passphrase?: string; file?: string } = {},
): Promise<PrivateKey> {
  const file = options.file;
  const label = pemLabel(text);
  if (!label) {
    throw new MedCryptError("bad-key", "not a PEM key file (no -----BEGIN …----- line)", { file });
  }
  if (label === "PUBLIC KEY" || label === "RSA PUBLIC KEY") {
    throw new MedCryptError(
      "not-private-key",
      "this is a public key; decrypting needs the matching private key (private.pem)",
      { file },
    );
  }
  let k: KeyObject;
  if (label === "ENCRYPTED PRIVATE KEY") {
    if (options.passphrase === undefined) {
      throw new MedCryptError(
        "passphrase-required",
        "this private key is protected by a passphrase; supply it (--passphrase-env VAR)",
        { file },
      );
    }
    checkSealedCost(pemBody(text), file);
    try {
      k = createPrivateKey({ key: text, format: "pem", passphrase: options.passphrase });
    } catch (e) {
      throw new MedCryptError(
        "wrong-passphrase",
        "wrong passphrase: the private key could not be unsealed",
        { file, cause: e },
      );
    }
  } else {
    // Checked on the file's own bytes: OpenSSL recomputes damaged CRT parameters on import.
    const parts = rsaPrivateParts(pemBody(text));
    if (parts === "damaged") {
      throw new MedCryptError(
        "bad-key",
        "the private key is damaged: its algorithm identifier is not rsaEncryption with NULL parameters",
        { file },
      );
    }
    if (parts) checkRsaParts(parts, file);
    try {
      k = createPrivateKey(text);
    } catch (e) {
      throw nodeKeyError(e, "private key", file);
    }
  }
  checkRsa(k, file);
  const pkcs8 = new Uint8Array(k.export({ type: "pkcs8", format: "der" }));
  return await privateFromPkcs8(pkcs8, file);
}

/**
 * Reads a public key file (PEM, or JWK when the file is JSON).
 *
 * @param path the file
 * @returns the key
 * @example
 * ```ts
 * import { exportPublicPem, generateKeyPair, readPublicKey } from "./keys.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/p.pem`, await exportPublicPem((await generateKeyPair(2048)).publicKey));
 * console.log((await readPublicKey(`${dir}/p.pem`)).bits); // 2048
 * ```
 */
export async function readPublicKey(path: string): Promise<PublicKey> {
  const text = new TextDecoder().decode(await readFileChecked(path));
  if (text.trimStart().startsWith("{")) {
    const k = await importJwk(parseJson(text, path), { file: path });
    return k.kind === "public" ? k : k.publicKey;
  }
  return await importPublicPem(text, { file: path });
}

/**
 * Reads a private key file (PEM or JWK).
 *
 * @param path the file
 * @param options `passphrase` when the key is sealed
 * @returns the key
 * @example
 * ```ts
 * import { exportPrivatePem, generateKeyPair, readPrivateKey } from "./keys.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/k.pem`, await exportPrivatePem((await generateKeyPair(2048)).privateKey));
 * console.log((await readPrivateKey(`${dir}/k.pem`)).kind); // "private"
 * ```
 */
export async function readPrivateKey(
  path: string,
  options: { passphrase?: string } = {},
): Promise<PrivateKey> {
  const text = new TextDecoder().decode(await readFileChecked(path));
  if (text.trimStart().startsWith("{")) {
    const k = await importJwk(parseJson(text, path), { file: path });
    if (k.kind !== "private") {
      throw new MedCryptError(
        "not-private-key",
        "this is a public key; decrypting needs the matching private key",
        { file: path },
      );
    }
    return k;
  }
  return await importPrivatePem(text, { ...options, file: path });
}

function parseJson(text: string, file: string): JsonWebKey {
  try {
    return JSON.parse(text) as JsonWebKey;
  } catch (e) {
    throw new MedCryptError("bad-key", `not valid JSON: ${(e as Error).message}`, { file });
  }
}

/**
 * @param key a public or private key
 * @returns its JWK (RFC 7517), `alg: "RSA-OAEP-256"`
 * @example
 * ```ts
 * import { exportJwk, generateKeyPair } from "./keys.ts";
 * console.log((await exportJwk((await generateKeyPair(2048)).publicKey)).kty); // "RSA"
 * ```
 */
export async function exportJwk(key: PublicKey | PrivateKey): Promise<JsonWebKey> {
  return await crypto.subtle.exportKey("jwk", key.key);
}

/**
 * @param jwk an RSA JWK (public if it has no `d`)
 * @param options `file` for messages
 * @returns the key
 * @example
 * ```ts
 * import { exportJwk, generateKeyPair, importJwk } from "./keys.ts";
 * const { privateKey } = await generateKeyPair(2048);
 * console.log((await importJwk(await exportJwk(privateKey))).kind); // "private"
 * ```
 */
export async function importJwk(
  jwk: JsonWebKey,
  options: { file?: string } = {},
): Promise<PublicKey | PrivateKey> {
  if (jwk.kty !== "RSA" || typeof jwk.n !== "string") {
    throw new MedCryptError("bad-key", "not an RSA JWK (kty must be RSA with n and e)", options);
  }
  const clean = { ...jwk, alg: "RSA-OAEP-256", key_ops: undefined, use: undefined, ext: true };
  try {
    if (jwk.d !== undefined) {
      const k = await crypto.subtle.importKey("jwk", clean, OAEP, true, ["decrypt"]);
      return await privateFromPkcs8(
        new Uint8Array(await crypto.subtle.exportKey("pkcs8", k)),
        options.file,
      );
    }
    const k = await crypto.subtle.importKey("jwk", clean, OAEP, true, ["encrypt"]);
    return await publicFromSpki(
      new Uint8Array(await crypto.subtle.exportKey("spki", k)),
      options.file,
    );
  } catch (e) {
    if (e instanceof MedCryptError) throw e;
    throw new MedCryptError("bad-key", `not a usable RSA JWK: ${(e as Error).message}`, {
      ...options,
      cause: e,
    });
  }
}
