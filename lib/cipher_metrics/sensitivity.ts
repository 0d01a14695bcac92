/**
 * Cipher-level measurements for any {@linkcode ImageCipher}: plaintext sensitivity (one pixel
 * changed → NPCR/UACI between the two cipher images), key sensitivity (one key bit flipped →
 * NPCR/UACI between the cipher images, and what decryption with the wrong key reveals), decryption
 * fidelity (PSNR/SSIM/bit-exactness), speed (MB/s and ms per image) and a key-space statement.
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { aesGcmCipher } from "../ciphers/aes.ts";
 * import { plaintextSensitivity } from "./sensitivity.ts";
 * const img = medImage(Uint8Array.from({ length: 4096 }, (_, i) => i % 251), 64, 64);
 * const [t] = await plaintextSensitivity(aesGcmCipher(), img, "key", { trials: 1 });
 * console.log(t.npcr > 99); // true
 * ```
 * @module
 */
import type { MedImage } from "../image/types.ts";
import { medImage } from "../image/types.ts";
import type { ImageCipher } from "../ciphers/types.ts";
import { Rng } from "../core/random.ts";
import { type DifferentialTest, differentialTest, npcr, uaci } from "./differential.ts";
import { psnr, ssim } from "./similarity.ts";
import { type UserKey, userKeyBytes } from "../ciphers/types.ts";

const ALPHAS = [0.05, 0.01, 0.001] as const;

/**
 * The user key with one bit flipped (bit 0 is the least significant bit of the first byte).
 *
 * @param key the key
 * @param bit which bit
 * @returns a new key as bytes
 * @example
 * ```ts
 * import { flipKeyBit } from "./sensitivity.ts";
 * console.log(flipKeyBit(new Uint8Array([0, 0]), 9).join()); // "0,2"
 * ```
 */
export function flipKeyBit(key: UserKey, bit: number): Uint8Array {
  const out = Uint8Array.from(userKeyBytes(key));
  out[(bit >>> 3) % out.length] ^= 1 << (bit & 7);
  return out;
}

/**
 * A copy of `img` with the pixel at `index` changed by +1 (mod 2^bitDepth).
 *
 * @param img the image
 * @param index pixel index
 * @returns the changed image
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { onePixelChanged } from "./sensitivity.ts";
 * console.log(onePixelChanged(medImage(new Uint8Array([255, 0]), 2, 1), 0).data.join()); // "0,0"
 * ```
 */
export function onePixelChanged(img: MedImage, index: number): MedImage {
  const data = img.data.slice();
  data[index] = (data[index] + 1) % 2 ** img.bitDepth;
  return medImage(data, img.width, img.height, { bitDepth: img.bitDepth });
}

/** Plaintext-sensitivity trial: where the pixel was changed, and the NPCR/UACI verdict. */
export type SensitivityTrial = DifferentialTest & { index: number };

/**
 * Plaintext sensitivity: encrypts the image and copies with one random pixel changed (+1), and runs
 * the NPCR/UACI randomness tests on each pair of cipher images (bit depth = the cipher's).
 *
 * @param cipher the cipher
 * @param img the plain image
 * @param key the key
 * @param options trials, seed of the pixel choice, α levels
 * @returns one verdict per trial
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { aesCtrFixedCipher } from "../ciphers/aes.ts";
 * import { plaintextSensitivity } from "./sensitivity.ts";
 * const img = medImage(new Uint8Array(4096), 64, 64);
 * const [t] = await plaintextSensitivity(aesCtrFixedCipher(), img, "key", { trials: 1 });
 * console.log(t.npcr.toFixed(4)); // "0.0244": one pixel of 4096 changes
 * ```
 */
export async function plaintextSensitivity<H>(
  cipher: ImageCipher<H>,
  img: MedImage,
  key: UserKey,
  options: { trials?: number; seed?: number; alphas?: readonly number[] } = {},
): Promise<SensitivityTrial[]> {
  const rng = new Rng(options.seed ?? 1);
  const base = (await cipher.encrypt(img, key)).cipher;
  const out: SensitivityTrial[] = [];
  for (let t = 0; t < (options.trials ?? 1); t++) {
    const index = rng.int(img.data.length);
    const other = (await cipher.encrypt(onePixelChanged(img, index), key)).cipher;
    out.push({ index, ...differentialTest(base, other, options.alphas ?? ALPHAS) });
  }
  return out;
}

/** Key-sensitivity measurements. */
export interface KeySensitivity {
  /** Which key bit was flipped. */
  bit: number;
  /** NPCR/UACI test between the cipher images under the two keys. */
  cipherDiff: DifferentialTest;
  /** Decrypting with the wrong key (unverified output) against the plain image; null if refused. */
  wrongKey: { npcr: number; uaci: number; psnr: number; ssim: number } | null;
  /** The error code when the cipher refused the wrong key even unverified, else null. */
  refused: string | null;
}

/**
 * Key sensitivity: flips one key bit; compares the two cipher images (NPCR/UACI test) and what
 * decryption with the flipped key gives (with `verify: false`) against the plain image.
 *
 * @param cipher the cipher
 * @param img the plain image
 * @param key the key
 * @param options which bit (default 0), α levels
 * @returns the measurements
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { aesGcmCipher } from "../ciphers/aes.ts";
 * import { keySensitivity } from "./sensitivity.ts";
 * const img = medImage(Uint8Array.from({ length: 4096 }, (_, i) => i % 200), 64, 64);
 * const k = await keySensitivity(aesGcmCipher(), img, "key");
 * console.log(k.cipherDiff.npcr > 99, k.wrongKey!.psnr < 15); // true true
 * ```
 */
export async function keySensitivity<H>(
  cipher: ImageCipher<H>,
  img: MedImage,
  key: UserKey,
  options: { bit?: number; alphas?: readonly number[] } = {},
): Promise<KeySensitivity> {
  const bit = options.bit ?? 0;
  const other = flipKeyBit(key, bit);
  const a = await cipher.encrypt(img, key);
  const b = await cipher.encrypt(img, other);
  const cipherDiff = differentialTest(a.cipher, b.cipher, options.alphas ?? ALPHAS);
  let wrongKey: KeySensitivity["wrongKey"] = null, refused: string | null = null;
  try {
    const dec = await cipher.decrypt(a.cipher, a.header, other, { verify: false });
    wrongKey = {
      npcr: npcr(img, dec),
      uaci: uaci(img, dec),
      psnr: psnr(img, dec),
      ssim: ssim(img, dec),
    };
  } catch (e) {
    refused = (e as { code?: string }).code ?? String(e);
  }
  return { bit, cipherDiff, wrongKey, refused };
}

/** How well decryption restores the image. */
export interface Fidelity {
  /** PSNR in dB (Infinity when exact). */
  psnr: number;
  /** SSIM. */
  ssim: number;
  /** Bit-exact round trip. */
  exact: boolean;
}

/**
 * Decryption fidelity of a plain/decrypted pair at the plain image's bit depth.
 *
 * @param plain the original
 * @param decrypted what decryption gave
 * @returns PSNR, SSIM, exactness
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { fidelity } from "./sensitivity.ts";
 * const a = medImage(new Uint8Array([1, 2, 3, 4]), 2, 2);
 * console.log(fidelity(a, a).exact); // true
 * ```
 */
export function fidelity(plain: MedImage, decrypted: MedImage): Fidelity {
  let exact = plain.data.length === decrypted.data.length;
  for (let i = 0; exact && i < plain.data.length; i++) exact = plain.data[i] === decrypted.data[i];
  return { psnr: psnr(plain, decrypted), ssim: ssim(plain, decrypted), exact };
}

/** Speed of a cipher on one image. */
export interface Speed {
  /** Mean milliseconds to encrypt one image. */
  encryptMs: number;
  /** Mean milliseconds to decrypt one image. */
  decryptMs: number;
  /** Plain pixel bytes (container bytes) encrypted per second, in MB/s (10⁶ bytes). */
  encryptMBps: number;
  /** Same for decryption. */
  decryptMBps: number;
}

/**
 * Measures encryption and decryption time (mean over `reps` runs after one warm-up).
 *
 * @param cipher the cipher
 * @param img the plain image
 * @param key the key
 * @param reps repetitions
 * @returns ms per image and MB/s
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { aesCtrFixedCipher } from "../ciphers/aes.ts";
 * import { measureSpeed } from "./sensitivity.ts";
 * const s = await measureSpeed(aesCtrFixedCipher(), medImage(new Uint8Array(4096), 64, 64), "k", 2);
 * console.log(s.encryptMs > 0); // true
 * ```
 */
export async function measureSpeed<H>(
  cipher: ImageCipher<H>,
  img: MedImage,
  key: UserKey,
  reps = 3,
): Promise<Speed> {
  const bytes = img.data.length * (img.bitDepth <= 8 ? 1 : 2);
  let r = await cipher.encrypt(img, key);
  await cipher.decrypt(r.cipher, r.header, key);
  let te = 0, td = 0;
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    r = await cipher.encrypt(img, key);
    te += performance.now() - t;
    t = performance.now();
    await cipher.decrypt(r.cipher, r.header, key);
    td += performance.now() - t;
  }
  const encryptMs = te / reps, decryptMs = td / reps;
  return {
    encryptMs,
    decryptMs,
    encryptMBps: bytes / 1e6 / (Math.max(encryptMs, 1e-3) / 1000),
    decryptMBps: bytes / 1e6 / (Math.max(decryptMs, 1e-3) / 1000),
  };
}

/** A key-space statement. */
export interface KeySpace {
  /** log2 of the number of keys an attacker must search (effective). */
  bits: number;
  /** How it was derived. */
  note: string;
}

/**
 * The effective key space of a user key: 8 bits per byte of a random raw key, capped by the
 * 256-bit hash or AES key everything derives from; for a passphrase, what the caller says its
 * entropy is.
 *
 * @param key the user key
 * @param options entropy of a passphrase in bits if known, and the cap (default 256)
 * @returns the statement
 * @example
 * ```ts
 * import { keySpace } from "./sensitivity.ts";
 * console.log(keySpace(new Uint8Array(32)).bits, keySpace("six words", { passphraseBits: 77 }).bits); // 256 77
 * ```
 */
export function keySpace(
  key: UserKey,
  options: { passphraseBits?: number; capBits?: number } = {},
): KeySpace {
  const cap = options.capBits ?? 256;
  if (typeof key === "string") {
    const b = Math.min(cap, options.passphraseBits ?? 8 * new TextEncoder().encode(key).length);
    return {
      bits: b,
      note: options.passphraseBits !== undefined
        ? `passphrase with ≈ ${options.passphraseBits} bits of entropy, capped at ${cap}`
        : `passphrase: at most 8 bits per byte (an upper bound; real passphrases have far less), capped at ${cap}`,
    };
  }
  const b = Math.min(cap, 8 * key.length);
  return {
    bits: b,
    note:
      `random ${key.length}-byte key, capped at the ${cap}-bit key/hash everything derives from`,
  };
}
