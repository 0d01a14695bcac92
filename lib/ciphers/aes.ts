/**
 * Two reference image ciphers built on WebCrypto AES-256, behind the project's common
 * {@linkcode ImageCipher} interface (`lib/ciphers/types.ts`), so the security suite can measure them
 * beside the chaos and learned ciphers:
 *
 * - **AES-256-GCM** ({@linkcode aesGcmCipher}): a fresh random 96-bit IV per image; the cipher
 *   image is the ciphertext bytes reshaped into the container (8-bit for ≤ 8-bit data, else 16-bit
 *   little endian); the 16-byte tag and the IV travel in the header (dropped from the image).
 *   Decryption checks the tag. With `{ verify: false }` the payload is decrypted without the tag check
 *   (AES-CTR from GCM's first payload counter block IV ‖ 0x00000002, which is exactly GCM's keystream)
 *   — what an implementation that ignores the tag would output, used to measure wrong-key and noisy
 *   decryptions.
 * - **AES-256-CTR with a fixed nonce** ({@linkcode aesCtrFixedCipher}): the same key and the same
 *   all-zero counter block for every image. Its cipher images look perfectly random, but every image
 *   is XORed with the same keystream, so one known (plain, cipher) pair decrypts every other image.
 *   It is here to show that passing the statistics is not security.
 *
 * The AES key is the user key itself when it is 32 raw bytes, else SHA-256 of its bytes (a
 * passphrase is then only as strong as its own entropy; a real system would use a slow KDF).
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { aesGcmCipher } from "./aes.ts";
 * const img = medImage(new Uint16Array([1, 2, 3, 4]), 2, 2, { bitDepth: 12 });
 * const gcm = aesGcmCipher();
 * const { cipher, header } = await gcm.encrypt(img, "key");
 * console.log(cipher.bitDepth, (await gcm.decrypt(cipher, header, "key")).data.join()); // 16 "1,2,3,4"
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { type MedImage, medImage } from "../image/types.ts";
import type { ImageCipher } from "./types.ts";
import { type UserKey, userKeyBytes } from "./types.ts";
import { gcmDecrypt, gcmEncrypt } from "../core/aes_gcm.ts";
import { fromHex, toHex } from "../core/bytes.ts";

/** Header of the AES-GCM image cipher. */
export interface AesGcmHeader {
  /** Always `"aes-256-gcm/v1"`. */
  scheme: "aes-256-gcm/v1";
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Bit depth of the plain image. */
  bitDepth: number;
  /** The 96-bit IV, hex. */
  iv: string;
  /** The 128-bit tag, hex. */
  tag: string;
}

/** Header of the fixed-nonce AES-CTR image cipher. */
export interface AesCtrHeader {
  /** Always `"aes-256-ctr-fixed/v1"`. */
  scheme: "aes-256-ctr-fixed/v1";
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Bit depth of the plain image. */
  bitDepth: number;
}

/** A header field's hex as bytes; malformed hex is a bad header. */
function unhex(s: string, what: string): Uint8Array<ArrayBuffer> {
  try {
    return fromHex(s);
  } catch (e) {
    throw new MedCryptError("bad-header", `${what} is not hex`, { cause: e });
  }
}

/**
 * The 32-byte AES key for a user key: the key itself when it is 32 raw bytes, else its SHA-256.
 *
 * @param key the user key
 * @returns 32 bytes
 * @example
 * ```ts
 * import { aesKeyBytes } from "./aes.ts";
 * console.log((await aesKeyBytes("passphrase")).length); // 32
 * ```
 */
export async function aesKeyBytes(key: UserKey): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = userKeyBytes(key);
  if (bytes.length === 32) return Uint8Array.from(bytes);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", Uint8Array.from(bytes)));
}

async function importKey(key: UserKey, algo: "AES-GCM" | "AES-CTR"): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", await aesKeyBytes(key), { name: algo }, false, [
    "encrypt",
    "decrypt",
  ]);
}

/**
 * The pixels as container bytes: one byte per pixel up to 8 bits, two (little endian) above.
 *
 * @param img the image
 * @returns a fresh byte array
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { containerBytes } from "./aes.ts";
 * console.log(containerBytes(medImage(new Uint16Array([513]), 1, 1)).join()); // "1,2"
 * ```
 */
export function containerBytes(img: MedImage): Uint8Array<ArrayBuffer> {
  if (img.data instanceof Uint8Array) return Uint8Array.from(img.data);
  const out = new Uint8Array(img.data.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < img.data.length; i++) dv.setUint16(2 * i, img.data[i], true);
  return out;
}

/**
 * Bytes reshaped into an image of the container's depth (8 or 16 bits, little endian).
 *
 * @param bytes pixel bytes (length w·h or 2·w·h)
 * @param width width
 * @param height height
 * @param bitDepth bit depth to declare (≤ 8 for bytes, else 16-bit container)
 * @returns the image
 * @example
 * ```ts
 * import { imageFromBytes } from "./aes.ts";
 * console.log(imageFromBytes(new Uint8Array([1, 2]), 1, 1, 16).data[0]); // 513
 * ```
 */
export function imageFromBytes(
  bytes: Uint8Array,
  width: number,
  height: number,
  bitDepth: number,
): MedImage {
  const n = width * height;
  if (bitDepth <= 8) {
    if (bytes.length !== n) {
      throw new MedCryptError(
        "bad-shape",
        `${bytes.length} bytes do not make ${width}×${height} 8-bit pixels`,
      );
    }
    return medImage(Uint8Array.from(bytes), width, height, { bitDepth });
  }
  if (bytes.length !== 2 * n) {
    throw new MedCryptError(
      "bad-shape",
      `${bytes.length} bytes do not make ${width}×${height} 16-bit pixels`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = dv.getUint16(2 * i, true);
  if (bitDepth < 16) {
    const max = 2 ** bitDepth - 1;
    for (let i = 0; i < n; i++) {
      if (data[i] > max) {
        throw new MedCryptError("wrong-key", `decrypted pixel ${i} is ${data[i]}, above ${max}`);
      }
    }
  }
  return medImage(data, width, height, { bitDepth });
}

function checkShape(
  cipher: MedImage,
  h: { width: number; height: number; bitDepth: number },
): void {
  if (cipher.width !== h.width || cipher.height !== h.height) {
    throw new MedCryptError(
      "bad-shape",
      `cipher is ${cipher.width}×${cipher.height}, header says ${h.width}×${h.height}`,
    );
  }
  const want = h.bitDepth <= 8 ? 8 : 16;
  if ((cipher.bitDepth <= 8 ? 8 : 16) !== want) {
    throw new MedCryptError(
      "bad-bit-depth",
      `cipher is ${cipher.bitDepth}-bit, header expects a ${want}-bit cipher`,
    );
  }
}

function clampTo(bytes: Uint8Array, w: number, h: number, bitDepth: number): MedImage {
  // unverified output: keep the low bits so it is a valid image of the original depth
  if (bitDepth <= 8) {
    const m = 2 ** bitDepth - 1;
    return medImage(bytes.map((v) => v & m), w, h, { bitDepth });
  }
  const img = imageFromBytes(bytes, w, h, 16);
  const m = 2 ** bitDepth - 1;
  return medImage(img.data.map((v) => v & m), w, h, { bitDepth });
}

/**
 * AES-256-GCM on the pixel bytes, random IV per image (see the module doc).
 *
 * @returns the cipher
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { aesGcmCipher } from "./aes.ts";
 * const gcm = aesGcmCipher();
 * const img = medImage(new Uint8Array(16), 4, 4);
 * const a = await gcm.encrypt(img, "k"), b = await gcm.encrypt(img, "k");
 * console.log(a.header.iv !== b.header.iv); // true
 * ```
 */
export function aesGcmCipher(): ImageCipher<AesGcmHeader> {
  return {
    name: "aes-256-gcm",
    async encrypt(img, key) {
      const k = await importKey(key, "AES-GCM");
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = await gcmEncrypt(k, iv, containerBytes(img));
      const body = ct.subarray(0, ct.length - 16), tag = ct.subarray(ct.length - 16);
      return {
        cipher: imageFromBytes(body, img.width, img.height, img.bitDepth <= 8 ? 8 : 16),
        header: {
          scheme: "aes-256-gcm/v1",
          width: img.width,
          height: img.height,
          bitDepth: img.bitDepth,
          iv: toHex(iv),
          tag: toHex(tag),
        },
      };
    },
    async decrypt(cipher, header, key, options = {}) {
      if (header.scheme !== "aes-256-gcm/v1") {
        throw new MedCryptError(
          "bad-header",
          `header scheme '${header.scheme}' is not aes-256-gcm/v1`,
        );
      }
      checkShape(cipher, header);
      const iv = unhex(header.iv, "IV"), tag = unhex(header.tag, "tag");
      if (iv.length !== 12 || tag.length !== 16) {
        throw new MedCryptError("bad-header", "IV must be 12 bytes and tag 16 bytes");
      }
      const body = containerBytes(cipher);
      if (options.verify ?? true) {
        const k = await importKey(key, "AES-GCM");
        const all = new Uint8Array(body.length + 16);
        all.set(body);
        all.set(tag, body.length);
        const plain = await gcmDecrypt(k, iv, all, undefined, "the cipher image");
        return imageFromBytes(plain, header.width, header.height, header.bitDepth);
      }
      // Unauthenticated: GCM's payload keystream is AES-CTR from IV ‖ 00000002.
      const k = await importKey(key, "AES-CTR");
      const counter = new Uint8Array(16);
      counter.set(iv);
      counter[15] = 2;
      const plain = new Uint8Array(
        await crypto.subtle.decrypt({ name: "AES-CTR", counter, length: 32 }, k, body),
      );
      return clampTo(plain, header.width, header.height, header.bitDepth);
    },
  };
}

/**
 * AES-256-CTR with a fixed key and a FIXED all-zero counter block for every image: insecure on
 * purpose (see the module doc).
 *
 * @returns the cipher
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { aesCtrFixedCipher } from "./aes.ts";
 * const ctr = aesCtrFixedCipher();
 * const zero = await ctr.encrypt(medImage(new Uint8Array(4), 2, 2), "k");
 * const one = await ctr.encrypt(medImage(new Uint8Array([5, 0, 0, 0]), 2, 2), "k");
 * console.log(zero.cipher.data[0] ^ one.cipher.data[0]); // 5: the same keystream every time
 * ```
 */
export function aesCtrFixedCipher(): ImageCipher<AesCtrHeader> {
  const run = async (bytes: Uint8Array<ArrayBuffer>, key: UserKey) => {
    const k = await importKey(key, "AES-CTR");
    return new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-CTR", counter: new Uint8Array(16), length: 64 },
        k,
        bytes,
      ),
    );
  };
  return {
    name: "aes-256-ctr-fixed-nonce",
    async encrypt(img, key) {
      const ct = await run(containerBytes(img), key);
      return {
        cipher: imageFromBytes(ct, img.width, img.height, img.bitDepth <= 8 ? 8 : 16),
        header: {
          scheme: "aes-256-ctr-fixed/v1",
          width: img.width,
          height: img.height,
          bitDepth: img.bitDepth,
        },
      };
    },
    async decrypt(cipher, header, key, options = {}) {
      if (header.scheme !== "aes-256-ctr-fixed/v1") {
        throw new MedCryptError(
          "bad-header",
          `header scheme '${header.scheme}' is not aes-256-ctr-fixed/v1`,
        );
      }
      checkShape(cipher, header);
      const plain = await run(containerBytes(cipher), key);
      return (options.verify ?? true)
        ? imageFromBytes(plain, header.width, header.height, header.bitDepth)
        : clampTo(plain, header.width, header.height, header.bitDepth);
    },
  };
}
