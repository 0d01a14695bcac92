/**
 * The `MedImage` value: a 2-D grey medical image at its real bit depth.
 *
 * @example
 * ```ts
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint16Array(4), 2, 2, { bitDepth: 12, modality: "CT" });
 * console.log(img.width, img.bitDepth); // 2 12
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";

/** Pixels: `Uint8Array` for bit depths up to 8, `Uint16Array` for 9 to 16. */
export type Pixels = Uint8Array | Uint16Array;

/**
 * A grey image, row-major, `data[y * width + x]`. Values are stored (unsigned) values; the
 * physical value is `stored * rescale.slope + rescale.intercept` when `rescale` is present (signed
 * DICOM data is shifted to unsigned and the shift folded into the intercept, so nothing is lost).
 */
export interface MedImage {
  /** Row-major pixels; `Uint8Array` when `bitDepth <= 8`, else `Uint16Array`. */
  readonly data: Pixels;
  /** Columns. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** Significant bits per pixel, 1..16; every value is `< 2 ** bitDepth`. */
  readonly bitDepth: number;
  /** DICOM-style modality code such as `"CT"`, `"MR"`, `"CR"`, `"DX"`, if known. */
  readonly modality?: string;
  /** Physical size of a pixel in mm, `[row spacing, column spacing]`, if known. */
  readonly pixelSpacing?: readonly [number, number];
  /** Linear map from stored to physical values (e.g. Hounsfield units), if known. */
  readonly rescale?: {
    readonly slope: number;
    readonly intercept: number;
    /** Unit of the physical values, e.g. `"HU"` (DICOM Rescale Type, or implied by CT). */
    readonly unit?: string;
  };
}

/** Optional fields of a {@linkcode MedImage}. */
export interface MedImageOptions {
  /** Significant bits; default 8 for `Uint8Array`, 16 for `Uint16Array`. */
  bitDepth?: number;
  /** Modality code. */
  modality?: string;
  /** Pixel spacing in mm. */
  pixelSpacing?: readonly [number, number];
  /** Stored-to-physical rescale. */
  rescale?: { slope: number; intercept: number; unit?: string };
}

/**
 * Builds a checked {@linkcode MedImage}: the pixel count must be `width * height`, the array type
 * must fit the bit depth, and no value may exceed `2 ** bitDepth - 1`.
 *
 * @param data row-major pixels
 * @param width columns
 * @param height rows
 * @param options bit depth, modality, spacing, rescale
 * @returns the image
 * @example
 * ```ts
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint8Array([0, 255, 1, 2]), 2, 2);
 * console.log(img.bitDepth); // 8
 * ```
 */
export function medImage(
  data: Pixels,
  width: number,
  height: number,
  options: MedImageOptions = {},
): MedImage {
  const bitDepth = options.bitDepth ?? (data instanceof Uint8Array ? 8 : 16);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new MedCryptError(
      "bad-shape",
      `image shape ${width}×${height} is not a positive whole size`,
    );
  }
  if (data.length !== width * height) {
    throw new MedCryptError(
      "bad-shape",
      `${data.length} pixels do not make a ${width}×${height} image`,
    );
  }
  if (!Number.isInteger(bitDepth) || bitDepth < 1 || bitDepth > 16) {
    throw new MedCryptError("bad-bit-depth", `bit depth ${bitDepth} is outside 1..16`);
  }
  if ((bitDepth <= 8) !== (data instanceof Uint8Array)) {
    throw new MedCryptError(
      "bad-bit-depth",
      `bit depth ${bitDepth} needs a ${bitDepth <= 8 ? "Uint8Array" : "Uint16Array"}`,
    );
  }
  if (bitDepth < (data instanceof Uint8Array ? 8 : 16)) {
    const max = 2 ** bitDepth - 1;
    for (let i = 0; i < data.length; i++) {
      if (data[i] > max) {
        throw new MedCryptError(
          "bad-bit-depth",
          `pixel ${i} is ${data[i]}, above ${max} for ${bitDepth}-bit data`,
        );
      }
    }
  }
  return {
    data,
    width,
    height,
    bitDepth,
    ...(options.modality !== undefined ? { modality: options.modality } : {}),
    ...(options.pixelSpacing !== undefined ? { pixelSpacing: options.pixelSpacing } : {}),
    ...(options.rescale !== undefined ? { rescale: options.rescale } : {}),
  };
}
