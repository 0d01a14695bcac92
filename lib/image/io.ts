/**
 * Reading and writing images by file extension: `.npy`, `.png`, `.dcm` (also `.dicom`).
 * Writes are atomic (temporary file, then rename) and never overwrite an input given in
 * `inputs`. Every failure is a {@linkcode MedCryptError} naming the file.
 *
 * @example
 * ```ts
 * import { readImage, writeImage } from "./io.ts";
 * const ct = await readImage("data/clinical/ct-abdomen-1.npy");
 * const dir = await Deno.makeTempDir();
 * await writeImage(`${dir}/ct.png`, ct);
 * console.log((await readImage(`${dir}/ct.png`)).bitDepth); // 12
 * ```
 * @module
 */
import { MedCryptError, withFile } from "../core/errors.ts";
import { assertNotInput, readFileChecked, writeFileAtomic } from "../core/fs.ts";
import { decodeDicom, encodeDicom, isDicom } from "./dicom.ts";
import { decodeNpy, encodeNpy, isNpy } from "./npy.ts";
import { decodePng, encodePng, isPng } from "./png.ts";
import type { MedImage } from "./types.ts";

/** The image file formats. */
export type ImageFormat = "npy" | "png" | "dicom";

/** Extensions of each readable/writable format. */
export const IMAGE_EXTENSIONS: Readonly<Record<string, ImageFormat>> = {
  ".npy": "npy",
  ".png": "png",
  ".dcm": "dicom",
  ".dicom": "dicom",
};

/**
 * The format implied by a file name's extension.
 *
 * @param path a file name
 * @returns the format, or `undefined` when the extension is not an image format
 * @example
 * ```ts
 * import { formatOf } from "./io.ts";
 * console.log(formatOf("scan.DCM"), formatOf("a.jpg")); // "dicom" undefined
 * ```
 */
export function formatOf(path: string): ImageFormat | undefined {
  const m = /\.[^./\\]+$/.exec(path.toLowerCase());
  return m ? IMAGE_EXTENSIONS[m[0]] : undefined;
}

function requireFormat(path: string, verb: string): ImageFormat {
  const f = formatOf(path);
  if (!f && path.toLowerCase().endsWith(".npz")) {
    throw new MedCryptError(
      "unknown-format",
      `is an .npz archive of arrays, not one image (\`deno task medcrypt info ${path}\` lists its arrays)`,
      { file: path },
    );
  }
  if (!f) {
    throw new MedCryptError(
      "unknown-format",
      `cannot ${verb} this file type; use one of ${Object.keys(IMAGE_EXTENSIONS).join(" ")}`,
      { file: path },
    );
  }
  return f;
}

/**
 * Decodes image bytes of a given format.
 *
 * @param bytes the file contents
 * @param format which decoder
 * @param file file name for error messages
 * @returns the image
 * @example
 * ```ts
 * import { decodeImage } from "./io.ts";
 * const mr = decodeImage(await Deno.readFile("data/dicom/MR_small.dcm"), "dicom");
 * console.log(mr.width); // 64
 * ```
 */
export function decodeImage(bytes: Uint8Array, format: ImageFormat, file?: string): MedImage {
  try {
    if (format === "npy") return decodeNpy(bytes, file);
    if (format === "png") return decodePng(bytes, file);
    return decodeDicom(bytes, file);
  } catch (e) {
    if (e instanceof MedCryptError) throw e;
    // Anything else escaping a decoder is a bug or a library failure on bad input.
    throw new MedCryptError("corrupt", `could not decode: ${(e as Error)?.message ?? e}`, {
      file,
      cause: e,
    });
  }
}

/**
 * Encodes an image in a given format.
 *
 * @param img the image
 * @param format which encoder
 * @returns the file bytes
 * @example
 * ```ts
 * import { encodeImage } from "./io.ts";
 * import { medImage } from "./types.ts";
 * console.log(encodeImage(medImage(new Uint8Array(4), 2, 2), "npy").length); // 132
 * ```
 */
export function encodeImage(img: MedImage, format: ImageFormat): Uint8Array {
  if (format === "npy") return encodeNpy(img);
  if (format === "png") return encodePng(img);
  return encodeDicom(img);
}

/**
 * Guesses the format of file contents from their magic bytes.
 *
 * @param bytes file contents
 * @returns the format, or `undefined`
 * @example
 * ```ts
 * import { sniffFormat } from "./io.ts";
 * console.log(sniffFormat(await Deno.readFile("data/clinical/cxr-1.npy"))); // "npy"
 * ```
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (isNpy(bytes)) return "npy";
  if (isPng(bytes)) return "png";
  if (isDicom(bytes)) return "dicom";
  return undefined;
}

/**
 * Reads an image file; the format comes from the extension (`.npy`, `.png`, `.dcm`).
 *
 * @param path the file
 * @returns the image
 * @example
 * ```ts
 * import { readImage } from "./io.ts";
 * const cxr = await readImage("data/clinical/cxr-1.npy");
 * console.log(cxr.width, cxr.bitDepth); // 1024 8
 * ```
 */
export async function readImage(path: string): Promise<MedImage> {
  const format = requireFormat(path, "read");
  const bytes = await readFileChecked(path);
  try {
    return decodeImage(bytes, format, path);
  } catch (e) {
    throw withFile(e, path);
  }
}

/**
 * Writes an image atomically; the format comes from the extension. Refuses to overwrite any
 * path in `inputs`.
 *
 * @param path where to write
 * @param img the image
 * @param inputs files that must not be overwritten (e.g. the file the image came from)
 * @returns nothing
 * @example
 * ```ts
 * import { readImage, writeImage } from "./io.ts";
 * import { medImage } from "./types.ts";
 * const dir = await Deno.makeTempDir();
 * await writeImage(`${dir}/a.dcm`, medImage(new Uint8Array([1, 2, 3, 4]), 2, 2));
 * const back = await readImage(`${dir}/a.dcm`);
 * console.log(back.modality, back.data); // OT Uint8Array(4) [ 1, 2, 3, 4 ]
 * const err = await writeImage(`${dir}/a.dcm`, back, [`${dir}/a.dcm`]).catch((e) => e);
 * console.log(err.code); // would-overwrite-input
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeImage(
  path: string,
  img: MedImage,
  inputs: readonly string[] = [],
): Promise<void> {
  const format = requireFormat(path, "write");
  assertNotInput(path, inputs);
  await writeFileAtomic(path, encodeImage(img, format));
}
