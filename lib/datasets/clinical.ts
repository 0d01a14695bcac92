/**
 * The embedded clinical samples (`data/clinical/*.npy` and `data/dicom/*.dcm`) as
 * {@linkcode MedImage}s at their real bit depth.
 *
 * NPY files carry no metadata, so the modality of an NPY sample comes from its file name:
 * `ct-…` → `"CT"`, `mr-…` → `"MR"`, `cxr-…` → `"DX"` (a digital projection radiograph; the source,
 * NIH ChestX-ray14, does not record CR vs DX). DICOM samples keep what their header says.
 *
 * @example
 * ```ts
 * import { loadClinicalSamples } from "./clinical.ts";
 * const samples = await loadClinicalSamples();
 * console.log(samples.length); // 13
 * const cxr = samples.find((s) => s.name === "cxr-1")!.image;
 * console.log(cxr.width, cxr.height, cxr.bitDepth, cxr.modality); // 1024 1024 8 DX
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import type { MedImage } from "../image/types.ts";
import { readImage } from "../image/io.ts";

/** A named sample image. */
export interface ClinicalSample {
  /** File name without extension, e.g. `"ct-abdomen-1"` or `"CT_small"`. */
  readonly name: string;
  /** Path of the file it was read from. */
  readonly path: string;
  /** The image. */
  readonly image: MedImage;
}

/** The folder holding the embedded data, resolved from this module (works from any cwd). */
export const DATA_DIR: string = fileURLToPath(new URL("../../data/", import.meta.url));

const MODALITY: [RegExp, string][] = [[/^ct-/, "CT"], [/^mr-/, "MR"], [/^cxr-/, "DX"]];

/**
 * Loads every embedded clinical image: the NPY slices in `data/clinical/` (sorted by name), then
 * the DICOM files in `data/dicom/`.
 *
 * @param dataDir the data folder (default: the repository's `data/`)
 * @returns the samples
 * @example
 * ```ts
 * import { loadClinicalSamples } from "./clinical.ts";
 * const ct = (await loadClinicalSamples()).find((s) => s.name === "ct-abdomen-1");
 * console.log(ct?.image.modality, ct?.image.bitDepth); // "CT" 12
 * ```
 */
export async function loadClinicalSamples(dataDir: string = DATA_DIR): Promise<ClinicalSample[]> {
  const out: ClinicalSample[] = [];
  for (const [sub, ext] of [["clinical", ".npy"], ["dicom", ".dcm"]] as const) {
    const dir = `${dataDir.replace(/\/$/, "")}/${sub}`;
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.toLowerCase().endsWith(ext)) names.push(e.name);
    }
    names.sort();
    for (const f of names) {
      const path = `${dir}/${f}`;
      const name = f.slice(0, -ext.length);
      let image = await readImage(path);
      const modality = MODALITY.find(([re]) => re.test(name))?.[1];
      if (image.modality === undefined && modality) image = { ...image, modality };
      out.push({ name, path, image });
    }
  }
  return out;
}
