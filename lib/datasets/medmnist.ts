/**
 * MedMNIST data sets from `.npz` files: the embedded PneumoniaMNIST subset, and any 2-D
 * MedMNIST file (any size: 28, 64, 128, 224; grey or RGB; binary, multi-class or multi-label)
 * that a user downloaded to a local path.
 *
 * @example
 * ```ts
 * import { loadPneumoniaMNIST } from "./medmnist.ts";
 * const { train, test } = await loadPneumoniaMNIST();
 * console.log(train.n, train.height, train.width, test.n); // 2428 28 28 468
 * ```
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MedCryptError } from "../core/errors.ts";
import { readFileChecked } from "../core/fs.ts";
import { decodeNpz } from "../image/npz.ts";
import type { NdArray } from "../image/npy.ts";
import { type MedImage, medImage, type MedImageOptions } from "../image/types.ts";

/** Images with labels, stored compactly (pixels `0..255`, row-major, then channels). */
export interface LabeledSet {
  /** `n * height * width * channels` pixels; image `i` starts at `i * height * width * channels`. */
  readonly images: Uint8Array;
  /** `n * labelWidth` labels; for single-label sets (`labelWidth` 1) `labels[i]` is the class. */
  readonly labels: Uint8Array;
  /** Number of images. */
  readonly n: number;
  /** Rows per image. */
  readonly height: number;
  /** Columns per image. */
  readonly width: number;
  /** 1 for grey, 3 for RGB (MedMNIST's Path/Derma/Blood sets). */
  readonly channels: number;
  /** Labels per image: 1, or the number of binary tasks of a multi-label set (ChestMNIST: 14). */
  readonly labelWidth: number;
}

/** A data set in its official three parts. */
export interface SplitSet {
  /** Training part. */
  readonly train: LabeledSet;
  /** Validation part. */
  readonly val: LabeledSet;
  /** Test part. */
  readonly test: LabeledSet;
  /**
   * Number of classes: `max label + 1` over all parts for a single-label set, or `labelWidth`
   * for a multi-label one.
   */
  readonly classes: number;
  /** The file it came from. */
  readonly source: string;
}

/** Path of the embedded PneumoniaMNIST subset, resolved from this module (works from any cwd). */
export const PNEUMONIAMNIST_PATH: string = fileURLToPath(
  new URL("../../data/pneumoniamnist.npz", import.meta.url),
);

function toU8(arr: NdArray, what: string, file: string): Uint8Array {
  if (arr.data instanceof Uint8Array) return arr.data;
  const out = new Uint8Array(arr.data.length);
  for (let i = 0; i < arr.data.length; i++) {
    const v = arr.data[i];
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw new MedCryptError(
        "bad-values",
        `${what} holds ${v} at ${i}; expected whole numbers 0..255`,
        { file },
      );
    }
    out[i] = v;
  }
  return out;
}

function part(arrays: Map<string, NdArray>, name: string, file: string): LabeledSet {
  const imgs = arrays.get(`${name}_images`), labs = arrays.get(`${name}_labels`);
  if (!imgs || !labs) {
    throw new MedCryptError(
      "bad-format",
      `not a MedMNIST archive: '${name}_images' or '${name}_labels' missing (has: ${
        [...arrays.keys()].join(", ")
      })`,
      { file },
    );
  }
  const s = imgs.shape;
  if ((s.length !== 3 && s.length !== 4) || (s.length === 4 && s[3] !== 3 && s[3] !== 1)) {
    throw new MedCryptError(
      "bad-shape",
      `'${name}_images' has shape (${
        s.join(", ")
      }); expected (n, h, w) or (n, h, w, 3) — 3-D MedMNIST sets are not supported`,
      { file },
    );
  }
  const n = s[0];
  const labelWidth = labs.shape.length === 1 ? 1 : labs.shape.slice(1).reduce((a, b) => a * b, 1);
  if (labs.shape[0] !== n) {
    throw new MedCryptError(
      "bad-shape",
      `'${name}_labels' has ${labs.shape[0]} rows for ${n} images`,
      { file },
    );
  }
  return {
    images: toU8(imgs, `${name}_images`, file),
    labels: toU8(labs, `${name}_labels`, file),
    n,
    height: s[1],
    width: s[2],
    channels: s.length === 4 ? s[3] : 1,
    labelWidth,
  };
}

/**
 * Loads any local 2-D MedMNIST `.npz` file (keys `{train,val,test}_{images,labels}`).
 *
 * @param path the `.npz` file, e.g. `~/.medmnist/dermamnist_64.npz`
 * @returns the three parts and the class count
 * @example
 * ```ts
 * import { loadMedMNIST, PNEUMONIAMNIST_PATH } from "./medmnist.ts";
 * const set = await loadMedMNIST(PNEUMONIAMNIST_PATH);
 * console.log(set.classes, set.val.n); // 2 270
 * ```
 */
export async function loadMedMNIST(path: string): Promise<SplitSet> {
  const arrays = decodeNpz(await readFileChecked(path), path);
  const train = part(arrays, "train", path);
  const val = part(arrays, "val", path);
  const test = part(arrays, "test", path);
  for (const p of [val, test]) {
    if (
      p.height !== train.height || p.width !== train.width || p.channels !== train.channels ||
      p.labelWidth !== train.labelWidth
    ) {
      throw new MedCryptError("bad-shape", "the parts differ in image or label shape", {
        file: path,
      });
    }
  }
  let classes = train.labelWidth;
  if (train.labelWidth === 1) {
    let max = 0;
    for (const p of [train, val, test]) for (const v of p.labels) if (v > max) max = v;
    classes = max + 1;
  }
  for (const [split, set] of [["train", train], ["val", val], ["test", test]] as const) {
    origins.set(set, { file: repoRelative(path), split });
  }
  return { train, val, test, classes, source: path };
}

/** Where a loaded part of a MedMNIST file came from: enough to load it again on another machine. */
export interface SetOrigin {
  /** The `.npz` file: relative to the repository root when inside it (`data/…`), else as given. */
  file: string;
  /** Which part. */
  split: "train" | "val" | "test";
}

const origins = new WeakMap<LabeledSet, SetOrigin>();
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

function repoRelative(path: string): string {
  const abs = resolve(path);
  return abs.startsWith(REPO_ROOT) ? abs.slice(REPO_ROOT.length) : abs;
}

/**
 * Where a set loaded by {@linkcode loadMedMNIST} came from (undefined for sets built otherwise,
 * such as subsets): what a job payload names instead of carrying the pixels.
 *
 * @param set a loaded part
 * @returns its origin
 * @example
 * ```ts
 * import { loadPneumoniaMNIST, setOrigin } from "./medmnist.ts";
 * const { test } = await loadPneumoniaMNIST();
 * console.log(setOrigin(test)); // { file: "data/pneumoniamnist.npz", split: "test" }
 * ```
 */
export function setOrigin(set: LabeledSet): SetOrigin | undefined {
  return origins.get(set);
}

/**
 * Loads the part an origin names (relative files from this checkout's root).
 *
 * @param origin file and part
 * @returns the part
 * @example
 * ```ts
 * import { loadSetOrigin } from "./medmnist.ts";
 * const val = await loadSetOrigin({ file: "data/pneumoniamnist.npz", split: "val" });
 * console.log(val.n); // 270
 * ```
 */
export async function loadSetOrigin(origin: SetOrigin): Promise<LabeledSet> {
  const file = isAbsolute(origin.file) ? origin.file : join(REPO_ROOT, origin.file);
  return (await loadMedMNIST(file))[origin.split];
}

/**
 * Loads PneumoniaMNIST: by default the embedded class-balanced subset
 * (`data/pneumoniamnist.npz`: 2428 / 270 / 468 images of 28×28, label 0 normal, 1 pneumonia).
 *
 * @param path another PneumoniaMNIST `.npz` (e.g. the official `pneumoniamnist_128.npz`)
 * @returns the three parts
 * @example
 * ```ts
 * import { loadPneumoniaMNIST } from "./medmnist.ts";
 * const { val } = await loadPneumoniaMNIST();
 * console.log(val.labels.length); // 270
 * ```
 */
export function loadPneumoniaMNIST(path: string = PNEUMONIAMNIST_PATH): Promise<SplitSet> {
  return loadMedMNIST(path);
}

/**
 * Takes a subset of a {@linkcode LabeledSet} by index (copies the pixels).
 *
 * @param set the source set
 * @param indices which images, in order
 * @returns the subset
 * @example
 * ```ts
 * import { loadPneumoniaMNIST, subset } from "./medmnist.ts";
 * const { test } = await loadPneumoniaMNIST();
 * console.log(subset(test, [0, 5, 7]).n); // 3
 * ```
 */
export function subset(set: LabeledSet, indices: ArrayLike<number>): LabeledSet {
  const size = set.height * set.width * set.channels;
  const n = indices.length;
  const images = new Uint8Array(n * size);
  const labels = new Uint8Array(n * set.labelWidth);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    images.set(pixelsAt(set, i), k * size);
    labels.set(
      set.labels.subarray(i * set.labelWidth, (i + 1) * set.labelWidth),
      k * set.labelWidth,
    );
  }
  return { ...set, images, labels, n };
}

/**
 * The pixels of image `i` of a set, as a view (no copy).
 *
 * @param set the set
 * @param i the image's index
 * @returns `height * width * channels` pixels
 * @example
 * ```ts
 * import { loadPneumoniaMNIST, pixelsAt } from "./medmnist.ts";
 * const { test } = await loadPneumoniaMNIST();
 * console.log(pixelsAt(test, 2).length); // 784
 * ```
 */
export function pixelsAt(set: LabeledSet, i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i >= set.n) {
    throw new MedCryptError("bad-index", `index ${i} is outside 0..${set.n - 1}`);
  }
  const size = set.height * set.width * set.channels;
  return set.images.subarray(i * size, (i + 1) * size);
}

/**
 * Image `i` of a grey set as a {@linkcode MedImage} (the pixels are copied).
 *
 * @param set the set (one channel)
 * @param i the image's index
 * @param meta modality and other metadata of the image
 * @returns the image
 * @example
 * ```ts
 * import { imageAt, loadPneumoniaMNIST } from "./medmnist.ts";
 * const { test } = await loadPneumoniaMNIST();
 * const img = imageAt(test, 0, { modality: "CR" });
 * console.log(img.width, img.height, img.modality); // 28 28 CR
 * ```
 */
export function imageAt(
  set: LabeledSet,
  i: number,
  meta: MedImageOptions = {},
): MedImage {
  if (set.channels !== 1) {
    throw new MedCryptError(
      "bad-argument",
      `imageAt takes a grey set, this one has ${set.channels} channels`,
    );
  }
  return medImage(pixelsAt(set, i).slice(), set.width, set.height, meta);
}
