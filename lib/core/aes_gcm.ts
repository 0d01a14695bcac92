/**
 * AES-256-GCM through WebCrypto, the one wrapper the library uses: encrypt and decrypt with an
 * explicit 96-bit nonce (authentication failures become a typed `auth-failed` error), and a
 * sealed form `nonce ‖ ciphertext ‖ tag` with a fresh random nonce.
 *
 * @example
 * ```ts
 * import { aesGcmOpen, aesGcmSeal } from "./aes_gcm.ts";
 * const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
 * const sealed = await aesGcmSeal(key, new Uint8Array([1, 2]));
 * console.log(sealed.length, await aesGcmOpen(key, sealed)); // 30 Uint8Array(2) [ 1, 2 ]
 * ```
 * @module
 */
import { MedCryptError } from "./errors.ts";

const view = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

/**
 * @param key an AES-GCM key
 * @param nonce 12 bytes, never reused with the same key
 * @param plaintext the data
 * @param aad additional authenticated data
 * @returns `ciphertext ‖ tag` (16-byte tag)
 * @example
 * ```ts
 * import { gcmEncrypt } from "./aes_gcm.ts";
 * const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
 * console.log((await gcmEncrypt(key, new Uint8Array(12), new Uint8Array(5))).length); // 21
 * ```
 */
export async function gcmEncrypt(
  key: CryptoKey,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const params: AesGcmParams = { name: "AES-GCM", iv: view(nonce) };
  if (aad) params.additionalData = view(aad);
  return new Uint8Array(await crypto.subtle.encrypt(params, key, view(plaintext)));
}

/**
 * @param key the AES-GCM key
 * @param nonce the 12-byte nonce used to encrypt
 * @param sealed `ciphertext ‖ tag`
 * @param aad the additional authenticated data used to encrypt
 * @param what what is being opened, for the error message
 * @returns the plaintext; throws `MedCryptError` `auth-failed` on a wrong key or altered bytes
 * @example
 * ```ts
 * import { gcmDecrypt } from "./aes_gcm.ts";
 * const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["decrypt"]);
 * await gcmDecrypt(key, new Uint8Array(12), new Uint8Array(20)).catch((e) => console.log(e.code)); // auth-failed
 * ```
 */
export async function gcmDecrypt(
  key: CryptoKey,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
  what = "the data",
): Promise<Uint8Array<ArrayBuffer>> {
  const params: AesGcmParams = { name: "AES-GCM", iv: view(nonce) };
  if (aad) params.additionalData = view(aad);
  try {
    return new Uint8Array(await crypto.subtle.decrypt(params, key, view(sealed)));
  } catch (e) {
    throw new MedCryptError(
      "auth-failed",
      `AES-GCM authentication failed: wrong key or ${what} was altered`,
      { cause: e },
    );
  }
}

/**
 * AES-256-GCM with a fresh random nonce: `nonce ‖ ciphertext ‖ tag`.
 *
 * @param key an AES-GCM key
 * @param data plaintext
 * @returns the sealed bytes (28 bytes longer than `data`)
 * @example
 * ```ts
 * import { aesGcmSeal } from "./aes_gcm.ts";
 * const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
 * console.log((await aesGcmSeal(key, new Uint8Array(4))).length); // 32
 * ```
 */
export async function aesGcmSeal(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ct = await gcmEncrypt(key, nonce, data);
  const out = new Uint8Array(12 + ct.length);
  out.set(nonce);
  out.set(ct, 12);
  return out;
}

/**
 * Opens {@linkcode aesGcmSeal}'s output.
 *
 * @param key the AES-GCM key
 * @param sealed `nonce ‖ ciphertext ‖ tag`
 * @returns the plaintext; throws `auth-failed` when the bytes were altered or the key is wrong
 * @example
 * ```ts
 * import { aesGcmOpen } from "./aes_gcm.ts";
 * const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["decrypt"]);
 * await aesGcmOpen(key, new Uint8Array(40)).catch((e) => console.log(e.code)); // auth-failed
 * ```
 */
export async function aesGcmOpen(key: CryptoKey, sealed: Uint8Array): Promise<Uint8Array> {
  if (sealed.length < 28) {
    throw new MedCryptError("truncated", `${sealed.length} bytes are too few for nonce and tag`);
  }
  return await gcmDecrypt(key, sealed.subarray(0, 12), sealed.subarray(12));
}
