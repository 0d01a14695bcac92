/**
 * The learned cipher behind the common `ImageCipher` interface (`lib/ciphers/types.ts`), plus
 * `revEncrypt` / `revDecrypt` that pick the variant, and the packaging of a header (with an
 * optional cipher payload) into the bytes the QR codes carry.
 *
 * @example
 * ```ts
 * import { revcipherExact } from "./cipher.ts";
 * import { medImage } from "../../image/types.ts";
 * const c = revcipherExact();
 * const img = medImage(new Uint8Array([1, 2, 3, 4]), 2, 2);
 * const { cipher, header } = await c.encrypt(img, "k");
 * console.log((await c.decrypt(cipher, header, "k")).data.join()); // "1,2,3,4"
 * ```
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";
import type { MedImage } from "../../image/types.ts";
import { decodePng, encodePng } from "../../image/png.ts";
import type { CipherDecryptOptions, CipherResult, ImageCipher } from "../types.ts";
import { loadDefaultModel, type RevCipherModel } from "./model.ts";
import { decryptExact, encryptExact } from "./exact.ts";
import { isRobustSize, recoverCipher, ROBUST_PARITY } from "./robust.ts";
import { decryptPaper, encryptPaper, type PaperEncryptOptions } from "./paper.ts";
import { decodeHeader, encodeHeader, type RevHeader } from "./header.ts";
import { type UserKey } from "../types.ts";

/** The variants. */
export type Variant = "exact" | "paper";

/**
 * Encrypts with the chosen variant of the learned cipher.
 *
 * @param img plain image
 * @param key user key
 * @param variant `"exact"` (bit-exact) or `"paper"` (lossy, paper B's architecture)
 * @param model the model (default: the shipped one)
 * @param options paper variant: `measure` records the decryption error in the header
 * @returns cipher and header
 * @example
 * ```ts
 * import { revEncrypt } from "./cipher.ts";
 * import { medImage } from "../../image/types.ts";
 * const r = await revEncrypt(medImage(new Uint8Array(4), 2, 2), "k", "paper");
 * console.log(r.header.variant); // "paper"
 * ```
 */
export async function revEncrypt(
  img: MedImage,
  key: UserKey,
  variant: Variant,
  model?: RevCipherModel,
  options: PaperEncryptOptions = {},
): Promise<CipherResult<RevHeader>> {
  const m = model ?? await loadDefaultModel();
  return variant === "exact"
    ? await encryptExact(img, key, m)
    : await encryptPaper(img, key, m, options);
}

/**
 * Decrypts with the variant named in the header. An exact cipher with its erasure code
 * (`robust.ts`, recognised by its height) is corrected first.
 *
 * @param cipher cipher image
 * @param header header
 * @param key user key
 * @param model the model (default: the shipped one)
 * @param options verification
 * @returns the decrypted image
 * @example
 * ```ts
 * import { revDecrypt, revEncrypt } from "./cipher.ts";
 * import { medImage } from "../../image/types.ts";
 * const { cipher, header } = await revEncrypt(medImage(new Uint8Array([5, 6, 7, 8]), 2, 2), "k", "exact");
 * console.log((await revDecrypt(cipher, header, "k")).data.join()); // "5,6,7,8"
 * ```
 */
export async function revDecrypt(
  cipher: MedImage,
  header: RevHeader,
  key: UserKey,
  model?: RevCipherModel,
  options: CipherDecryptOptions = {},
): Promise<MedImage> {
  const m = model ?? await loadDefaultModel();
  if (header.variant !== "exact") return await decryptPaper(cipher, header, key, m, options);
  const { cipherWidth: w, cipherHeight: h, cipherBits: bits } = header;
  if (cipher.width !== w || cipher.height === h || !isRobustSize(cipher, w, h, bits)) {
    return await decryptExact(cipher, header, key, m, options);
  }
  // a robust cipher: correct its codewords, then decrypt and verify as usual
  const r = recoverCipher(cipher, w, h, bits);
  try {
    return await decryptExact(r.cipher, header, key, m, options);
  } catch (e) {
    if (r.failed && e instanceof MedCryptError && e.code === "integrity") {
      throw new MedCryptError(
        "too-damaged",
        `the robust cipher is damaged beyond what its erasure code corrects: ${r.failed} of ` +
          `${r.codewords} codewords had more than ${ROBUST_PARITY / 2} wrong bytes ` +
          `(${r.corrected} bytes were corrected); nothing was decrypted`,
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * The exact variant as an {@linkcode ImageCipher} named `"revcipher-exact"`.
 *
 * @param model the model (default: the shipped one)
 * @returns the cipher
 * @example
 * ```ts
 * import { revcipherExact } from "./cipher.ts";
 * console.log(revcipherExact().name); // "revcipher-exact"
 * ```
 */
export function revcipherExact(model?: RevCipherModel): ImageCipher<RevHeader> {
  return {
    name: "revcipher-exact",
    encrypt: (img, key) => revEncrypt(img, key, "exact", model),
    decrypt: (c, h, key, o) => revDecrypt(c, h, key, model, o),
  };
}

/**
 * The paper variant as an {@linkcode ImageCipher} named `"revcipher-paper"`.
 *
 * @param model the model (default: the shipped one)
 * @returns the cipher
 * @example
 * ```ts
 * import { revcipherPaper } from "./cipher.ts";
 * console.log(revcipherPaper().name); // "revcipher-paper"
 * ```
 */
export function revcipherPaper(model?: RevCipherModel): ImageCipher<RevHeader> {
  return {
    name: "revcipher-paper",
    encrypt: (img, key) => revEncrypt(img, key, "paper", model),
    decrypt: (c, h, key, o) => revDecrypt(c, h, key, model, o),
  };
}

/** What the QR codes carry: the header and, optionally, the cipher image. */
export interface QrPackage {
  /** The header. */
  header: RevHeader;
  /** The cipher image, when it was embedded. */
  cipher?: MedImage;
}

/**
 * Packs a header and optionally the cipher image (as PNG bytes): `u32 LE header length ‖
 * header JSON ‖ cipher PNG`.
 *
 * @param header the header
 * @param cipher the cipher image to embed, if any
 * @returns the bytes for the QR codes
 * @example
 * ```ts
 * import { packQr, unpackQr } from "./cipher.ts";
 * import { revEncrypt } from "./cipher.ts";
 * import { medImage } from "../../image/types.ts";
 * const r = await revEncrypt(medImage(new Uint8Array(4), 2, 2), "k", "exact");
 * console.log(unpackQr(packQr(r.header, r.cipher)).cipher?.width); // 2
 * ```
 */
export function packQr(header: RevHeader, cipher?: MedImage): Uint8Array {
  const h = encodeHeader(header), c = cipher ? encodePng(cipher) : new Uint8Array();
  const out = new Uint8Array(4 + h.length + c.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 4);
  out.set(c, 4 + h.length);
  return out;
}

/**
 * Unpacks {@linkcode packQr}'s bytes, validating the header.
 *
 * @param bytes the bytes
 * @returns header and optional cipher
 * @example
 * ```ts
 * import { unpackQr } from "./cipher.ts";
 * try {
 *   unpackQr(new Uint8Array(2));
 * } catch (e) {
 *   console.log((e as Error).message); // "QR data too short for a header"
 * }
 * ```
 */
export function unpackQr(bytes: Uint8Array): QrPackage {
  if (bytes.length < 4) throw new MedCryptError("bad-header", "QR data too short for a header");
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + n > bytes.length) throw new MedCryptError("bad-header", "QR data truncated");
  const header = decodeHeader(bytes.subarray(4, 4 + n));
  const rest = bytes.subarray(4 + n);
  return rest.length ? { header, cipher: decodePng(rest, "embedded cipher") } : { header };
}
