/**
 * The interface every image cipher of the project offers, and the user keys they take, so one security suite can measure them
 * all the same way: `encrypt(img, key) → { cipher, header }`, `decrypt(cipher, header, key)`.
 *
 * @example
 * ```ts
 * import type { ImageCipher } from "./types.ts";
 * const identity: ImageCipher<{ n: number }> = {
 *   name: "identity",
 *   encrypt: (img) => Promise.resolve({ cipher: img, header: { n: 0 } }),
 *   decrypt: (cipher) => Promise.resolve(cipher),
 * };
 * const img = { data: new Uint8Array([7]), width: 1, height: 1 } as never;
 * console.log((await identity.encrypt(img, "k")).header); // { n: 0 }
 * ```
 * @module
 */
import type { MedImage } from "../image/types.ts";
import { MedCryptError } from "../core/errors.ts";

const enc = new TextEncoder();

/** Bytes of a user key: a string is UTF-8 encoded. */
export type UserKey = string | Uint8Array;

/**
 * The user key as bytes; refuses an empty key.
 *
 * @param key a passphrase or raw bytes
 * @returns the bytes
 * @example
 * ```ts
 * import { userKeyBytes } from "./types.ts";
 * console.log(userKeyBytes("ab").length); // 2
 * ```
 */
export function userKeyBytes(key: UserKey): Uint8Array {
  const bytes = typeof key === "string" ? enc.encode(key) : key;
  if (bytes.length === 0) throw new MedCryptError("bad-key", "the user key is empty");
  return bytes;
}

/** What encryption returns: the cipher image and what the decryptor needs besides the key. */
export interface CipherResult<H> {
  /** The cipher image, same size as the (padded) input; 8-bit for ≤ 8-bit input, else 16-bit. */
  cipher: MedImage;
  /** The header (travels in the QR codes). */
  header: H;
}

/** Options of decryption. */
export interface CipherDecryptOptions {
  /**
   * Check the key (and, where the scheme allows, the decrypted image's hash) and throw a
   * `MedCryptError` with code `"wrong-key"` on mismatch (default `true`). Pass `false` to get the
   * wrong-key output itself, e.g. to measure that it reveals nothing.
   */
  verify?: boolean;
}

/** An image cipher. */
export interface ImageCipher<H> {
  /** Short name for tables, e.g. `"revcipher-exact"`. */
  name: string;
  /**
   * @param img the plain image
   * @param key the user key
   * @returns cipher image and header
   */
  encrypt(img: MedImage, key: UserKey): Promise<CipherResult<H>>;
  /**
   * @param cipher the cipher image
   * @param header the header produced with it
   * @param key the user key
   * @param options verification
   * @returns the decrypted image at the original shape and bit depth
   */
  decrypt(
    cipher: MedImage,
    header: H,
    key: UserKey,
    options?: CipherDecryptOptions,
  ): Promise<MedImage>;
}
