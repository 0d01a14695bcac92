/**
 * Robustness of an image cipher to damage of its cipher image: salt-and-pepper noise, Gaussian
 * noise and cropping ({@linkcode perturb}), and what a decryption of the damaged cipher image
 * gives back ({@linkcode perturbedDecryption}): PSNR and SSIM against the plain image, and how
 * often the verified decryption refuses it (an authenticated cipher should refuse every time).
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { perturb, PERTURBATIONS } from "./robustness.ts";
 * const img = medImage(new Uint8Array(64).fill(100), 8, 8);
 * const cropped = perturb(img, PERTURBATIONS[5], 1); // "crop 1/4": a 4 × 4 corner set to 0
 * console.log(PERTURBATIONS[5].name, cropped.data.filter((v) => v === 0).length); // "crop 1/4" 16
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { type MedImage, medImage } from "../image/types.ts";
import type { ImageCipher, UserKey } from "../ciphers/types.ts";
import { psnr, ssim } from "./similarity.ts";

/** A perturbation of a cipher image. */
export interface Perturbation {
  /** Label, e.g. `"salt & pepper 5%"`. */
  name: string;
  /** Kind. */
  kind: "salt-pepper" | "gaussian" | "crop";
  /** Level in [0, 1]: density, σ as a fraction of the range, or the cropped area fraction. */
  level: number;
}

/**
 * The perturbations of paper B's robustness study: two noise densities, two noise levels and
 * three crop sizes.
 *
 * @example
 * ```ts
 * import { PERTURBATIONS } from "./robustness.ts";
 * console.log(PERTURBATIONS.length, PERTURBATIONS[0].name); // 7 "salt & pepper 1%"
 * ```
 */
export const PERTURBATIONS: readonly Perturbation[] = [
  { name: "salt & pepper 1%", kind: "salt-pepper", level: 0.01 },
  { name: "salt & pepper 5%", kind: "salt-pepper", level: 0.05 },
  { name: "Gaussian σ=1%", kind: "gaussian", level: 0.01 },
  { name: "Gaussian σ=5%", kind: "gaussian", level: 0.05 },
  { name: "crop 1/16", kind: "crop", level: 1 / 16 },
  { name: "crop 1/4", kind: "crop", level: 1 / 4 },
  { name: "crop 1/2", kind: "crop", level: 1 / 2 },
];

/**
 * Applies a perturbation to a (cipher) image: salt-and-pepper (pixels set to 0 or the maximum
 * 2^bitDepth − 1 with probability `level`), Gaussian noise (σ = level × range, rounded, clamped), or
 * cropping (the area fraction `level` set to 0: the left half for 1/2, otherwise a top-left
 * rectangle whose sides are √level of the image's).
 *
 * @param img the image
 * @param p the perturbation
 * @param seed seed of the noise (cropping draws none)
 * @returns the perturbed copy, at the image's bit depth
 * @throws {MedCryptError} `"bad-argument"` when the level is outside [0, 1]
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { perturb } from "./robustness.ts";
 * const img = medImage(new Uint8Array(16).fill(9), 4, 4);
 * console.log(perturb(img, { name: "c", kind: "crop", level: 0.25 }, 1).data.filter((v) => v === 0).length); // 4
 * ```
 */
export function perturb(img: MedImage, p: Perturbation, seed: number): MedImage {
  if (!(p.level >= 0 && p.level <= 1)) {
    throw new MedCryptError(
      "bad-argument",
      `perturbation "${p.name}" has level ${p.level}; give a fraction in [0, 1]`,
    );
  }
  const rng = new Rng(seed);
  const max = 2 ** img.bitDepth - 1;
  const data = img.data.slice();
  const { width: w, height: h } = img;
  if (p.kind === "salt-pepper") {
    for (let i = 0; i < data.length; i++) {
      if (rng.next() < p.level) {
        data[i] = rng.next() < 0.5 ? 0 : max;
      }
    }
  } else if (p.kind === "gaussian") {
    for (let i = 0; i < data.length; i++) {
      data[i] = Math.max(0, Math.min(max, Math.round(data[i] + rng.normal() * p.level * max)));
    }
  } else {
    // Half the image is a band (the left half), the smaller crops a corner square.
    const cw = p.level === 0.5 ? Math.round(w / 2) : Math.round(w * Math.sqrt(p.level));
    const ch = p.level === 0.5 ? h : Math.round(h * Math.sqrt(p.level));
    for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) data[y * w + x] = 0;
  }
  return medImage(data, w, h, { bitDepth: img.bitDepth });
}

/** What survives one perturbation of the cipher images of a few plain images. */
export interface PerturbedDecryption {
  /** Mean PSNR (dB, each capped at `psnrCap`) of the unverified decryptions against the plain images. */
  psnr: number;
  /** Mean SSIM of the unverified decryptions. */
  ssim: number;
  /** Fraction of perturbed cipher images the verified decryption refused (threw on). */
  refused: number;
  /** The unverified decryptions, one per plain image, in order. */
  decrypted: MedImage[];
}

/** Options of {@linkcode perturbedDecryption}. */
export interface PerturbedDecryptionOptions {
  /** Upper bound of each image's PSNR, so an exact decryption (∞ dB) can be averaged. Default ∞. */
  psnrCap?: number;
}

/**
 * Encrypts each plain image, perturbs its cipher image (image `k` with noise seed `seed + k`),
 * tries the verified decryption (counting refusals), then decrypts without verification to see
 * what survives.
 *
 * @param cipher a cipher that decrypts
 * @param key the key
 * @param plains the plain images
 * @param p the perturbation
 * @param seed noise seed of the first image
 * @param options the PSNR cap
 * @returns mean PSNR and SSIM, the refused fraction and the decryptions
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { aesGcmCipher } from "../ciphers/aes.ts";
 * import { perturbedDecryption, PERTURBATIONS } from "./robustness.ts";
 * const img = medImage(Uint8Array.from({ length: 1024 }, (_, i) => i % 200), 32, 32);
 * const r = await perturbedDecryption(aesGcmCipher(), "key", [img], PERTURBATIONS[4], 1, { psnrCap: 100 });
 * console.log(r.refused); // 1
 * ```
 */
export async function perturbedDecryption<H>(
  cipher: ImageCipher<H>,
  key: UserKey,
  plains: readonly MedImage[],
  p: Perturbation,
  seed: number,
  options: PerturbedDecryptionOptions = {},
): Promise<PerturbedDecryption> {
  const cap = options.psnrCap ?? Infinity;
  let ps = 0, ss = 0, refused = 0;
  const decrypted: MedImage[] = [];
  for (const [k, plain] of plains.entries()) {
    const enc = await cipher.encrypt(plain, key);
    const bad = perturb(enc.cipher, p, seed + k);
    try {
      await cipher.decrypt(bad, enc.header, key);
    } catch {
      // Any refusal counts: a wrong tag, a hash mismatch, a malformed cipher image.
      refused++;
    }
    const dec = await cipher.decrypt(bad, enc.header, key, { verify: false });
    ps += Math.min(psnr(plain, dec), cap);
    ss += ssim(plain, dec);
    decrypted.push(dec);
  }
  const n = plains.length;
  return { psnr: ps / n, ssim: ss / n, refused: refused / n, decrypted };
}
