/**
 * Medical images at their real bit depth: the {@linkcode MedImage} value, NPY/NPZ, PNG and DICOM
 * readers and writers, and resize/crop/window operations.
 *
 * Conversion rules for every format are documented in its module: `npy.ts` (dtypes → MedImage),
 * `png.ts` (colour → grey, bit depth), `dicom.ts` (signed data, rescale, MONOCHROME1,
 * refused transfer syntaxes).
 *
 * @example
 * ```ts
 * import { readImage, resize, toFloat32 } from "./mod.ts";
 * const ct = await readImage("data/clinical/ct-abdomen-1.npy");
 * const small = resize(ct, 64, 64, "area");
 * console.log(ct.bitDepth, small.bitDepth, toFloat32(small).length); // 12 12 4096
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./npy.ts";
export * from "./npz.ts";
export * from "./png.ts";
export * from "./dicom.ts";
export * from "./io.ts";
export * from "./ops.ts";
export * from "./window.ts";
