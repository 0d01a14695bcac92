/**
 * The images of paper B's study. Every cipher sees the same S × S pixels (area averaging for the
 * clinical images): the 16-bit set is every embedded clinical image above 8 bits at its real bit
 * depth; the 8-bit set holds their 8-bit versions (top 8 significant bits), the 8-bit chest X-ray
 * and seeded PneumoniaMNIST test images. The known-plaintext study uses smaller images of its own:
 * PneumoniaMNIST (8-bit), and 12-bit crops of clinical slices with held-out slices for testing.
 *
 * @example
 * ```ts
 * import { paperBImages } from "./images.ts";
 * import { paperBOptions } from "./options.ts";
 * const imgs = await paperBImages(paperBOptions("quick", 1));
 * console.log(imgs.filter((i) => i.set === "16-bit").length); // 12
 * ```
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";
import { Rng } from "../../core/random.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { crop, resize } from "../../image/ops.ts";
import { loadClinicalSamples } from "../../datasets/clinical.ts";
import { imageAt, loadPneumoniaMNIST } from "../../datasets/medmnist.ts";
import type { ImageSet, PaperBOptions } from "./options.ts";
import { to8bit } from "./_depth.ts";

/** A test image. */
export interface TestImage {
  /** Name, e.g. `"ct-abdomen-1"` or `"pneumonia-test-3"`. */
  name: string;
  /** `"16-bit"` (9–16-bit data in a 16-bit container) or `"8-bit"`. */
  set: ImageSet;
  /** The pixels. */
  image: MedImage;
}

/**
 * Loads every embedded image at S × S: the 16-bit set, then the 8-bit set (see the module doc).
 *
 * @param options size, PneumoniaMNIST count, seed
 * @returns the images, 16-bit set first
 * @example
 * ```ts
 * import { paperBImages } from "./images.ts";
 * import { paperBOptions } from "./options.ts";
 * const imgs = await paperBImages(paperBOptions("quick", 1));
 * console.log(imgs.length, imgs[0].set, imgs[0].image.width); // 33 "16-bit" 64
 * ```
 */
export async function paperBImages(
  options: Pick<PaperBOptions, "size" | "pneumonia" | "seed">,
): Promise<TestImage[]> {
  const S = options.size;
  const out: TestImage[] = [];
  const clinical = await loadClinicalSamples();
  for (const s of clinical) {
    const img = resize(s.image, S, S, "area");
    if (img.bitDepth > 8) out.push({ name: s.name, set: "16-bit", image: img });
  }
  for (const s of clinical) {
    const img = resize(s.image, S, S, "area");
    out.push({
      name: img.bitDepth > 8 ? `${s.name} (8-bit)` : s.name,
      set: "8-bit",
      image: to8bit(img),
    });
  }
  const { test } = await loadPneumoniaMNIST();
  const idx = new Rng(options.seed).permutation(test.n).slice(0, options.pneumonia);
  for (const i of idx) {
    const img = imageAt(test, i, { modality: "DX" });
    out.push({ name: `pneumonia-test-${i}`, set: "8-bit", image: resize(img, S, S, "bilinear") });
  }
  return out;
}

/**
 * The clinical scans at their own resolution: the centre `size` × `size` crop of every embedded
 * clinical scan at least that large (no resampling), in the 16-bit set at its real bit depth and
 * in the 8-bit set as its 8-bit version — the CT slices (512 × 512) and the chest X-ray at 512.
 *
 * @param size side of the crops
 * @returns the crops, 16-bit set first
 * @example
 * ```ts
 * import { nativeImages } from "./images.ts";
 * const imgs = await nativeImages(512);
 * console.log(imgs[0].image.width, imgs.every((i) => i.name.includes("native"))); // 512 true
 * ```
 */
export async function nativeImages(size: number): Promise<TestImage[]> {
  const big = (await loadClinicalSamples()).filter((s) =>
    s.image.width >= size && s.image.height >= size
  );
  if (big.length === 0) {
    throw new MedCryptError(
      "missing-data",
      `no embedded clinical scan is ${size}×${size} or larger`,
    );
  }
  const crops = big.map((s) => ({
    name: `${s.name} (native ${size}×${size} crop)`,
    image: crop(
      s.image,
      Math.floor((s.image.width - size) / 2),
      Math.floor((s.image.height - size) / 2),
      size,
      size,
    ),
  }));
  return [
    ...crops.filter((c) => c.image.bitDepth > 8).map((c) => ({ ...c, set: "16-bit" as const })),
    ...crops.map((c) => ({
      name: c.image.bitDepth > 8 ? `${c.name} (8-bit)` : c.name,
      set: "8-bit" as const,
      image: c.image.bitDepth > 8 ? to8bit(c.image) : c.image,
    })),
  ];
}

/**
 * The first image of a set.
 *
 * @param images the images
 * @param set the set
 * @returns the image
 * @throws {MedCryptError} `"missing-data"` when the set has no image
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { firstOf } from "./images.ts";
 * const img = { name: "a", set: "8-bit" as const, image: medImage(new Uint8Array(1), 1, 1) };
 * console.log(firstOf([img], "8-bit").name); // "a"
 * ```
 */
export function firstOf(images: readonly TestImage[], set: ImageSet): TestImage {
  const t = images.find((i) => i.set === set);
  if (!t) {
    throw new MedCryptError(
      "missing-data",
      `paper B needs at least one ${set} image; the image list has none`,
    );
  }
  return t;
}

/** Plain images of the known-plaintext study: what the attacker knows, and what it must decrypt. */
export interface KnownPlaintextImages {
  /** Images whose cipher images the attacker holds with them (as many as the largest N). */
  train: MedImage[];
  /** Held-out images the attacker must decrypt. */
  test: MedImage[];
}

/** Clinical slices whose crops are only ever test images of the known-plaintext study. */
const HELD_OUT = new Set(["ct-abdomen-4", "mr-brain-4", "mr-pelvis-2"]);

/**
 * The known-plaintext images at `kpaSize` × `kpaSize`: for the 8-bit set, seeded PneumoniaMNIST
 * train and test images (bilinear resize); for the 16-bit set, seeded random crops (values capped
 * at 12 bits) of the training slices, and of three held-out slices for the test images.
 *
 * @param options `kpaSize`, `kpaNs`, `kpaTest`, seed
 * @param set which set
 * @returns train and test images
 * @example
 * ```ts
 * import { knownPlaintextImages } from "./images.ts";
 * import { paperBOptions } from "./options.ts";
 * const { train, test } = await knownPlaintextImages(paperBOptions("quick", 1), "16-bit");
 * console.log(train.length, test.length, test[0].bitDepth); // 16 4 12
 * ```
 */
export async function knownPlaintextImages(
  options: Pick<PaperBOptions, "kpaSize" | "kpaNs" | "kpaTest" | "seed">,
  set: ImageSet,
): Promise<KnownPlaintextImages> {
  const S = options.kpaSize, rng = new Rng(options.seed + 17);
  const need = Math.max(...options.kpaNs);
  if (set === "8-bit") {
    const pm = await loadPneumoniaMNIST();
    const tr = rng.permutation(pm.train.n).slice(0, need),
      te = rng.permutation(pm.test.n).slice(0, options.kpaTest);
    return {
      train: Array.from(tr, (i) => resize(imageAt(pm.train, i), S, S, "bilinear")),
      test: Array.from(te, (i) => resize(imageAt(pm.test, i), S, S, "bilinear")),
    };
  }
  // Slices at least twice the crop side, so crops from one slice differ.
  const clinical = (await loadClinicalSamples()).filter((s) =>
    s.image.bitDepth > 8 && s.image.width >= S * 2
  );
  const cropFrom = (img: MedImage) => {
    const x0 = rng.int(img.width - S + 1), y0 = rng.int(img.height - S + 1);
    const d = new Uint16Array(S * S);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        d[y * S + x] = Math.min(4095, img.data[(y0 + y) * img.width + x0 + x]);
      }
    }
    return medImage(d, S, S, { bitDepth: 12 });
  };
  const trainSrc = clinical.filter((s) => !HELD_OUT.has(s.name)),
    testSrc = clinical.filter((s) => HELD_OUT.has(s.name));
  return {
    train: Array.from({ length: need }, (_, i) => cropFrom(trainSrc[i % trainSrc.length].image)),
    test: Array.from(
      { length: options.kpaTest },
      (_, i) => cropFrom(testSrc[i % testSrc.length].image),
    ),
  };
}
