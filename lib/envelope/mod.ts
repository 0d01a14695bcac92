/**
 * Hybrid AES-256 + RSA-OAEP envelopes for medical images and files at rest and in transit (the
 * `.mce` format of `SPEC.md`): keys, in-memory and streaming file encryption, image-aware
 * encryption that carries shape, bit depth and modality, and the payload engines (OpenSSL via
 * FFI on every core, `node:crypto`, WebCrypto).
 *
 * @example
 * ```ts
 * import { closeWorkers, decrypt, encrypt, generateKeyPair } from "./mod.ts";
 * const { publicKey, privateKey } = await generateKeyPair(2048);
 * const env = await encrypt(new Uint8Array([1, 2, 3]), publicKey);
 * console.log((await decrypt(env, privateKey)).data); // Uint8Array(3) [ 1, 2, 3 ]
 * closeWorkers();
 * ```
 * @module
 */
export * from "./keys.ts";
export * from "./envelope.ts";
export * from "./image.ts";
export { availableEngines, closeWorkers, getEngine, opensslWithThreads } from "./engines.ts";
export type { ChunkEngine, EngineName } from "./engines.ts";
