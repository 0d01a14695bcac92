/**
 * Training and held-out images for the learned cipher: PneumoniaMNIST (upsampled) and crops of
 * the embedded clinical images, at a chosen square size. The held-out clinical images are never
 * cropped into the training pool.
 *
 * @example
 * ```ts
 * import { cipherImages } from "./data.ts";
 * const d = await cipherImages({ size: 32, trainCount: 8, heldOutCount: 2, seed: 1 });
 * console.log(d.pool.n, d.heldOut.length > 0); // 8 true
 * ```
 * @module
 */
import { Rng } from "../../core/random.ts";
import { crop, resize, toFloat32 } from "../../image/ops.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { loadClinicalSamples } from "../../datasets/clinical.ts";
import { loadPneumoniaMNIST } from "../../datasets/medmnist.ts";
import type { ImagePool } from "./train.ts";

/** Clinical images held out from training (used only for evaluation). */
export const HELD_OUT_CLINICAL: readonly string[] = ["ct-abdomen-4", "mr-brain-4", "mr-pelvis-2"];

/** Options of {@linkcode cipherImages}. */
export interface CipherImagesOptions {
  /** Side of the square images (even). */
  size: number;
  /** Training images (half PneumoniaMNIST train, half clinical crops). */
  trainCount: number;
  /** Held-out PneumoniaMNIST test images (the held-out clinical images are added). */
  heldOutCount: number;
  /** Seed of the choice of images and crops. */
  seed: number;
  /**
   * Where training images come from: `"mixed"` (default: half PneumoniaMNIST upsampled, half
   * clinical crops) or `"clinical"` (random crops and resizes of the clinical scans only, at their
   * native bit depth: what a 256×256 model trains on, since a 28×28 image upsampled that far is
   * a blur).
   */
  sources?: "mixed" | "clinical";
}

/** Training pool and held-out images. */
export interface CipherImages {
  /** Training images as floats. */
  pool: ImagePool;
  /** Held-out images at their real bit depth, `size×size`, with names. */
  heldOut: { name: string; image: MedImage }[];
}

function square(img: MedImage, size: number, rng: Rng): MedImage {
  // random square crop of at least half the short side, then area/bilinear resize
  const m = Math.min(img.width, img.height);
  const side = Math.max(size, Math.floor(m * (0.5 + 0.5 * rng.next())));
  const s = Math.min(side, m);
  const x = rng.int(img.width - s + 1), y = rng.int(img.height - s + 1);
  const c = crop(img, x, y, s, s);
  return s === size ? c : resize(c, size, size, s > size ? "area" : "bilinear");
}

function centre(img: MedImage, size: number): MedImage {
  const m = Math.min(img.width, img.height);
  const c = crop(img, (img.width - m) >> 1, (img.height - m) >> 1, m, m);
  return m === size ? c : resize(c, size, size, m > size ? "area" : "bilinear");
}

/**
 * Builds the training pool and the held-out set.
 *
 * @param options size, counts, seed
 * @returns pool and held-out images
 * @example
 * ```ts
 * import { cipherImages } from "./data.ts";
 * const d = await cipherImages({ size: 16, trainCount: 4, heldOutCount: 1, seed: 2 });
 * console.log(d.pool.size); // 16
 * ```
 */
export async function cipherImages(options: CipherImagesOptions): Promise<CipherImages> {
  const { size, trainCount, heldOutCount, seed } = options;
  const rng = new Rng(seed);
  const pm = await loadPneumoniaMNIST();
  const clinical = await loadClinicalSamples();
  const trainClinical = clinical.filter((c) =>
    !HELD_OUT_CLINICAL.includes(c.name) && c.image.width >= 64
  );
  const images = new Float32Array(trainCount * size * size);
  const pmOf = (set: typeof pm.train, i: number) =>
    medImage(set.images.slice(i * 28 * 28, (i + 1) * 28 * 28), 28, 28);
  for (let k = 0; k < trainCount; k++) {
    const img = k % 2 === 0 && options.sources !== "clinical"
      ? resize(pmOf(pm.train, rng.int(pm.train.n)), size, size, "bilinear")
      : square(trainClinical[rng.int(trainClinical.length)].image, size, rng);
    images.set(toFloat32(img), k * size * size);
  }
  const heldOut: CipherImages["heldOut"] = [];
  const picks = rng.permutation(pm.test.n).slice(0, heldOutCount);
  for (const i of picks) {
    heldOut.push({
      name: `pneumoniamnist-test-${i}`,
      image: resize(pmOf(pm.test, i), size, size, "bilinear"),
    });
  }
  for (const c of clinical.filter((c) => HELD_OUT_CLINICAL.includes(c.name))) {
    heldOut.push({ name: c.name, image: centre(c.image, size) });
  }
  return { pool: { images, n: trainCount, size }, heldOut };
}
