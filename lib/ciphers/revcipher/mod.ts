/**
 * The learned reversible image cipher of paper B, and its bit-exact variant.
 *
 * - {@linkcode revcipherExact}, {@linkcode revcipherPaper}: the two variants behind the common
 *   `ImageCipher` interface (`encrypt(img, key) → { cipher, header }`, `decrypt(cipher, header,
 *   key)`), using the model shipped in `data/models/revcipher/` unless given another.
 * - `encryptExact` / `decryptExact`, `encryptPaper` / `decryptPaper`: the variants themselves.
 * - `trainRevCipher`: pretraining, full training with noise/cropping, exact-variant training.
 * - `packQr` / `unpackQr`, `writeQrSet` / `readQrSet`: the header as QR-code PNGs.
 *
 * @example
 * ```ts
 * import { revcipherExact } from "./mod.ts";
 * import { medImage } from "../../image/types.ts";
 * const img = medImage(Uint16Array.from({ length: 64 }, (_, i) => i * 60), 8, 8, { bitDepth: 12 });
 * const { cipher, header } = await revcipherExact().encrypt(img, "key");
 * const back = await revcipherExact().decrypt(cipher, header, "key");
 * console.log(cipher.bitDepth, back.data.every((v, i) => v === img.data[i])); // 16 true
 * ```
 * @module
 */
export * from "./model.ts";
export * from "./header.ts";
export * from "./exact.ts";
export * from "./robust.ts";
export * from "./paper.ts";
export * from "./cipher.ts";
export * from "./qr.ts";
export * from "./losses.ts";
export * from "./train.ts";
export * from "./data.ts";
