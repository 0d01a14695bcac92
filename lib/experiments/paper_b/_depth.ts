/**
 * The 8-bit version of an image, as paper B's 8-bit set uses it. Private to the experiment:
 * `lib/image/ops.ts` has no bit-depth reduction yet, and this one (keep the top 8 significant
 * bits) is the study's choice, not a general display or windowing rule.
 *
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { to8bit } from "./_depth.ts";
 * console.log(to8bit(medImage(new Uint16Array([4095]), 1, 1, { bitDepth: 12 })).data[0]); // 255
 * ```
 * @module
 */
import { type MedImage, medImage } from "../../image/types.ts";

/**
 * An 8-bit version of an image: its top 8 significant bits (v >> (bitDepth − 8)).
 *
 * @param img the image
 * @returns the 8-bit image (the same image when already ≤ 8-bit)
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { to8bit } from "./_depth.ts";
 * console.log(to8bit(medImage(new Uint16Array([1000]), 1, 1, { bitDepth: 12 })).data[0]); // 62
 * ```
 */
export function to8bit(img: MedImage): MedImage {
  if (img.bitDepth <= 8) return img;
  const s = img.bitDepth - 8;
  return medImage(Uint8Array.from(img.data, (v) => v >>> s), img.width, img.height, {
    bitDepth: 8,
    modality: img.modality,
  });
}
