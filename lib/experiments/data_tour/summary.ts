/**
 * The data tour's summary of the embedded data: one row per clinical file and per PneumoniaMNIST
 * split, at the real bit depth, and the images per class and split.
 *
 * @example
 * ```ts
 * import { splitCounts } from "./summary.ts";
 * import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * console.log(splitCounts(await loadPneumoniaMNIST()).numRows()); // 3
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { ClinicalSample } from "../../datasets/clinical.ts";
import type { SplitSet } from "../../datasets/medmnist.ts";
import { extent } from "../../stats/summary.ts";

/** Class names of PneumoniaMNIST, by label. */
export const CLASS_NAMES = ["normal", "pneumonia"] as const;
/** One row of the data summary: what a file holds, at its real bit depth. */
export interface DataSummaryRow {
  /** Sample or data set name. */
  name: string;
  /** Modality code (DX, CT, MR) or `"mixed"`. */
  modality: string;
  /** Columns. */
  width: number;
  /** Rows. */
  height: number;
  /** Bit depth. */
  bitDepth: number;
  /** Number of images. */
  images: number;
  /** Smallest stored value. */
  min: number;
  /** Largest stored value. */
  max: number;
  /** Mean stored value. */
  mean: number;
  /** Share of the full `2^bitDepth` range that the values use, `(max − min + 1) / 2^bitDepth`. */
  rangeUsed: number;
  /** File, relative to the repository. */
  file: string;
}
function relFile(path: string): string {
  const i = path.lastIndexOf("/data/");
  return i >= 0 ? path.slice(i + 1) : path;
}
/**
 * Summarises the clinical samples and PneumoniaMNIST as a table (one row per clinical file, one
 * per PneumoniaMNIST split).
 *
 * @param samples from `loadClinicalSamples()`
 * @param pneumonia from `loadPneumoniaMNIST()`
 * @returns an arquero table of {@linkcode DataSummaryRow}s
 * @example
 * ```ts
 * import { dataSummary } from "./summary.ts";
 * import { loadClinicalSamples, loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * const t = dataSummary(await loadClinicalSamples(), await loadPneumoniaMNIST());
 * console.log(t.numRows() > 3); // true
 * ```
 */
export function dataSummary(samples: readonly ClinicalSample[], pneumonia: SplitSet): ColumnTable {
  const rows: DataSummaryRow[] = samples.map((s) => {
    const st = extent(s.image.data);
    return {
      name: s.name,
      modality: s.image.modality ?? "?",
      width: s.image.width,
      height: s.image.height,
      bitDepth: s.image.bitDepth,
      images: 1,
      ...st,
      rangeUsed: (st.max - st.min + 1) / 2 ** s.image.bitDepth,
      file: relFile(s.path),
    };
  });
  for (const part of ["train", "val", "test"] as const) {
    const set = pneumonia[part];
    const st = extent(set.images);
    rows.push({
      name: `pneumoniamnist/${part}`,
      modality: "X-ray",
      width: set.width,
      height: set.height,
      bitDepth: 8,
      images: set.n,
      ...st,
      rangeUsed: (st.max - st.min + 1) / 256,
      file: relFile(pneumonia.source),
    });
  }
  return aq.from(rows);
}
/**
 * Counts the images of each class in each PneumoniaMNIST split.
 *
 * @param pneumonia the data set
 * @returns a table with columns `split`, `n`, `normal`, `pneumonia`
 * @example
 * ```ts
 * import { splitCounts } from "./summary.ts";
 * import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * const t = splitCounts(await loadPneumoniaMNIST());
 * console.log(t.objects()[0]); // { split: "train", n: 2428, normal: 1214, pneumonia: 1214 }
 * console.log(t.array("n").join()); // 2428,270,468
 * ```
 */
export function splitCounts(pneumonia: SplitSet): ColumnTable {
  const rows = (["train", "val", "test"] as const).map((split) => {
    const set = pneumonia[split];
    let pos = 0;
    for (let i = 0; i < set.n; i++) if (set.labels[i * set.labelWidth] === 1) pos++;
    return { split, n: set.n, normal: set.n - pos, pneumonia: pos };
  });
  return aq.from(rows);
}
