/**
 * Image ciphers behind one interface ({@linkcode ImageCipher}): the user keys they take and the
 * AES reference ciphers (AES-256-GCM, and AES-256-CTR with a fixed nonce). The chaotic-map
 * ciphers live in `chaos/`, the learned reversible cipher of paper B in `revcipher/`.
 *
 * @example
 * ```ts
 * import { aesGcmCipher } from "./mod.ts";
 * import { medImage } from "../image/types.ts";
 * const img = medImage(new Uint8Array(64).map((_, i) => i), 8, 8);
 * const gcm = aesGcmCipher();
 * const { cipher, header } = await gcm.encrypt(img, "key");
 * console.log((await gcm.decrypt(cipher, header, "key")).data.every((v, i) => v === img.data[i])); // true
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./aes.ts";
export * from "./uniform.ts";
