/**
 * Robustness part of paper B: each decryptable cipher's cipher images of the first few images of
 * each set are hit by noise or cropping ({@linkcode PERTURBATIONS}), then decrypted without
 * verification to see what survives; how often the verified decryption refuses is recorded too.
 *
 * @example
 * ```ts
 * import { robustnessStudy } from "./robustness.ts";
 * const r = await robustnessStudy([], [], 2, 1);
 * console.log(r.rows.length, r.examples.length); // 0 0
 * ```
 * @module
 */
import type { MedImage } from "../../image/types.ts";
import { progress } from "../../core/progress.ts";
import { PERTURBATIONS, perturbedDecryption } from "../../cipher_metrics/robustness.ts";
import { PSNR_CAP } from "../../attacks/cipher/known_plaintext.ts";
import { IMAGE_SETS, type ImageSet } from "./options.ts";
import type { CipherEntry } from "./ciphers.ts";
import type { TestImage } from "./images.ts";

/** Robustness of one cipher to one perturbation. */
export interface RobustnessRow {
  /** Cipher label. */
  cipher: string;
  /** Image set. */
  set: ImageSet;
  /** Perturbation. */
  perturbation: string;
  /** Mean PSNR of the unverified decryption against the plain image (exact = 100 dB). */
  psnr: number;
  /** Mean SSIM. */
  ssim: number;
  /** Fraction of perturbed cipher images the verified decryption refused. */
  refused: number;
}

/** A titled image: an unverified decryption of a perturbed cipher image. */
export interface TitledImage {
  /** `"<cipher>: <perturbation>"`. */
  title: string;
  /** The decrypted image. */
  image: MedImage;
}

/** What the robustness study returns. */
export interface RobustnessStudy {
  /** One row per cipher, set and perturbation. */
  rows: RobustnessRow[];
  /** Decryptions of the first 16-bit image under "salt & pepper 5%" and "crop 1/4", per cipher. */
  examples: TitledImage[];
}

/** The perturbations whose decryptions the examples figure shows. */
const EXAMPLE_PERTURBATIONS = new Set(["salt & pepper 5%", "crop 1/4"]);

/**
 * Decrypts perturbed cipher images (unverified, to see what survives) and records how often the
 * verified decryption refuses them; image `k` of a set gets noise seed `seed + k`.
 *
 * @param ciphers the ciphers (the reference, which does not decrypt, is skipped)
 * @param images images (the first `count` of each set are used)
 * @param count images per set
 * @param seed noise seed
 * @returns rows, and example decryptions of the first 16-bit image
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { cipherEntries } from "./ciphers.ts";
 * import { robustnessStudy } from "./robustness.ts";
 * const images = [
 *   { name: "a", set: "16-bit" as const, image: medImage(new Uint16Array(1024).fill(900), 32, 32, { bitDepth: 12 }) },
 *   { name: "b", set: "8-bit" as const, image: medImage(new Uint8Array(1024).fill(9), 32, 32) },
 * ];
 * const gcm = (await cipherEntries(1)).ciphers.filter((c) => c.label === "AES-256-GCM");
 * const r = await robustnessStudy(gcm, images, 1, 1);
 * console.log(r.rows.length, r.rows.every((x) => x.refused === 1), r.examples.length); // 14 true 2
 * ```
 */
export async function robustnessStudy(
  ciphers: readonly CipherEntry[],
  images: readonly TestImage[],
  count: number,
  seed: number,
): Promise<RobustnessStudy> {
  const rows: RobustnessRow[] = [];
  const examples: TitledImage[] = [];
  const dec = ciphers.filter((c) => c.decryptable);
  const bar = progress("paper-b robustness", dec.length * IMAGE_SETS.length);
  for (const c of dec) {
    for (const set of IMAGE_SETS) {
      const plains = images.filter((i) => i.set === set).slice(0, count).map((t) => t.image);
      for (const p of PERTURBATIONS) {
        const r = await perturbedDecryption(c.cipher, c.key, plains, p, seed, {
          psnrCap: PSNR_CAP,
        });
        rows.push({
          cipher: c.label,
          set,
          perturbation: p.name,
          psnr: r.psnr,
          ssim: r.ssim,
          refused: r.refused,
        });
        if (set === "16-bit" && EXAMPLE_PERTURBATIONS.has(p.name) && r.decrypted.length) {
          examples.push({ title: `${c.label}: ${p.name}`, image: r.decrypted[0] });
        }
      }
      bar.tick();
    }
  }
  bar.done();
  return { rows, examples };
}
