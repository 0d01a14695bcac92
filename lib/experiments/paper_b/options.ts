/**
 * Paper B's run parameters: the significance levels of every test, the two image sets, and the
 * sizes and counts of each part at quick and full scale.
 *
 * @example
 * ```ts
 * import { ALPHAS, paperBOptions } from "./options.ts";
 * console.log(ALPHAS, paperBOptions("full", 1).size); // [ 0.05, 0.01, 0.001 ] 256
 * ```
 * @module
 */
/**
 * Significance levels of every test.
 *
 * @example
 * ```ts
 * import { ALPHAS } from "./options.ts";
 * console.log(ALPHAS.length); // 3
 * ```
 */
export const ALPHAS = [0.05, 0.01, 0.001] as const;

/** The two image sets: 9–16-bit data in 16-bit containers, and 8-bit images. */
export type ImageSet = "16-bit" | "8-bit";

/**
 * The image sets in the order every part of the study visits them.
 *
 * @example
 * ```ts
 * import { IMAGE_SETS } from "./options.ts";
 * console.log(IMAGE_SETS); // [ "16-bit", "8-bit" ]
 * ```
 */
export const IMAGE_SETS: readonly ImageSet[] = ["16-bit", "8-bit"];

/** Options of the experiment's parts. */
export interface PaperBOptions {
  /** Side S of the square images every cipher sees. */
  size: number;
  /** PneumoniaMNIST test images in the 8-bit set. */
  pneumonia: number;
  /** Images (per set) used for robustness. */
  robustnessImages: number;
  /** Known-plaintext N values. */
  kpaNs: number[];
  /** Held-out images the known-plaintext attacker must decrypt. */
  kpaTest: number;
  /** Adam steps of the attacker networks. */
  kpaSteps: number;
  /** Side of the known-plaintext images (the attacker networks work per pixel). */
  kpaSize: number;
  /** Hidden channels of the convolutional attacker. */
  kpaChannels: number;
  /**
   * Side of the native-resolution crops judged on their own (`security_native`): every clinical
   * scan at least this large, its centre crop, no resampling.
   */
  nativeSize: number;
  /** Seed. */
  seed: number;
}

/**
 * The parameters for a scale.
 *
 * @param scale quick or full
 * @param seed seed of the run
 * @returns the options
 * @example
 * ```ts
 * import { paperBOptions } from "./options.ts";
 * console.log(paperBOptions("quick", 1).size); // 64
 * ```
 */
export function paperBOptions(scale: "quick" | "full", seed: number): PaperBOptions {
  return scale === "quick"
    ? {
      size: 64,
      pneumonia: 8,
      robustnessImages: 3,
      kpaNs: [1, 4, 16],
      kpaTest: 4,
      kpaSteps: 60,
      kpaSize: 32,
      kpaChannels: 12,
      nativeSize: 128,
      seed,
    }
    : {
      size: 256,
      pneumonia: 32,
      robustnessImages: 8,
      kpaNs: [1, 2, 4, 8, 16, 32, 64],
      kpaTest: 8,
      kpaSteps: 300,
      kpaSize: 64,
      kpaChannels: 24,
      nativeSize: 512,
      seed,
    };
}
