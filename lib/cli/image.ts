/**
 * `deno task medcrypt` commands for images: `info`, `convert` and `resize`, each on one file or on
 * a folder (searched recursively; one line per file and a total, bad files reported and skipped).
 *
 * `info` reads `.npy`, `.png`, `.dcm` and `.npz` (an archive: its arrays are listed, and width,
 * height and bit depth are given when its `*_images` arrays share one image shape); a file with
 * another extension is recognised by its magic bytes. It prints the stored values and, when the
 * file has a rescale, the physical values and their unit (HU for CT). `--json` prints one object
 * whose keys always include `width`, `height`, `bitDepth`, `modality` and `unit` (null when
 * unknown) and `format`; for a folder, one such object per line with its `file`.
 *
 * `convert` and `resize` pick the output format from the extension (`.npy`, `.png`, `.dcm`; `--to`
 * for a folder), never overwrite an input, refuse existing outputs unless `--force` (all of them
 * checked before anything is written), and write atomically. They keep the bit depth unless
 * `--depth 8` (stretch the image's own range) or `--window` (a display window, 8-bit) is given.
 *
 * @example
 * ```ts
 * import { commands } from "./image.ts";
 * console.log(commands.map((c) => c.name)); // ["info", "convert", "resize"]
 * ```
 * @module
 */
import { dirname, extname, resolve } from "node:path";
import { MedCryptError, withFile } from "../core/errors.ts";
import { assertNotInput, readFileChecked, writeFileAtomic } from "../core/fs.ts";
import { readDicomInfo } from "../image/dicom.ts";
import { decodeImage, encodeImage, formatOf, type ImageFormat, sniffFormat } from "../image/io.ts";
import { readNpyHeader } from "../image/npy.ts";
import { listNpz, npzHeaders } from "../image/npz.ts";
import { resize, type ResizeMethod } from "../image/ops.ts";
import { readPngHeader } from "../image/png.ts";
import { type MedImage, medImage } from "../image/types.ts";
import {
  applyWindow,
  parseWindow,
  physicalUnit,
  toEightBit,
  unitDescription,
  WINDOW_PRESETS,
} from "../image/window.ts";
import { eachFile, eachFileJson, IMAGE_EXTENSIONS, listInputs, mirrorPath } from "./batch.ts";
import {
  oneOf,
  type Parsed,
  parseFlags,
  refuseExisting,
  type Spec,
  str,
  usageError,
} from "./flags.ts";
import type { Command } from "./types.ts";

/** Facts about a file, as `info --json` prints them. */
export interface ImageInfo {
  /** Columns (null for an archive without one image shape). */
  width: number | null;
  /** Rows. */
  height: number | null;
  /** Significant bits per pixel. */
  bitDepth: number | null;
  /** Modality code, or null when the file does not say. */
  modality: string | null;
  /** Unit of the physical values (`"HU"` for CT), or null when unknown. */
  unit: string | null;
  /** `"npy"`, `"png"`, `"dicom"` or `"npz"`. */
  format: string;
  /** Further format-specific facts. */
  [extra: string]: unknown;
}

// ---------------------------------------------------------------- numbers and words

/** A number for people: at most 6 significant digits, a real minus sign. */
function num(x: number): string {
  const s = String(Number(x.toPrecision(6)));
  return s.startsWith("-") ? `−${s.slice(1)}` : s;
}

function range(img: MedImage): [number, number] {
  let min = Infinity, max = -Infinity;
  for (const v of img.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** The physical range of stored `min..max` under a rescale, low to high. */
function physicalRange(
  r: { slope: number; intercept: number },
  min: number,
  max: number,
): [number, number] {
  const a = min * r.slope + r.intercept, b = max * r.slope + r.intercept;
  return a <= b ? [a, b] : [b, a];
}

/** A path as it can be pasted into a shell. */
function q(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

// ---------------------------------------------------------------- reading

/**
 * Reads one image (`.npy`, `.png`, `.dcm`, or a file whose bytes say which), naming the file in
 * every error; an `.npz` archive is refused with the command that lists its arrays.
 *
 * @param path the file
 * @returns the image
 * @example
 * ```ts
 * import { loadImage } from "./image.ts";
 * const ct = await loadImage("data/dicom/CT_small.dcm");
 * console.log(ct.width, ct.modality); // 128 "CT"
 * ```
 */
export async function loadImage(path: string): Promise<MedImage> {
  const bytes = await readFileChecked(path);
  try {
    const format = formatOf(path) ?? sniffFormat(bytes);
    if (!format) {
      if (path.toLowerCase().endsWith(".npz") || (bytes[0] === 0x50 && bytes[1] === 0x4b)) {
        throw new MedCryptError(
          "unknown-format",
          `is an .npz archive of arrays, not one image (\`deno task medcrypt info ${
            q(path)
          }\` lists its arrays)`,
        );
      }
      throw new MedCryptError(
        "unknown-format",
        "not a recognised image file (expected .npy, .png or .dcm)",
      );
    }
    return decodeImage(bytes, format, path);
  } catch (e) {
    throw withFile(e, path);
  }
}

function imageFacts(img: MedImage): Record<string, unknown> {
  const [min, max] = range(img);
  return {
    width: img.width,
    height: img.height,
    bitDepth: img.bitDepth,
    modality: img.modality ?? null,
    unit: physicalUnit(img) ?? null,
    min,
    max,
    container: img.data instanceof Uint8Array ? "uint8" : "uint16",
    ...(img.pixelSpacing ? { pixelSpacing: img.pixelSpacing } : {}),
    ...(img.rescale ? { rescale: img.rescale } : {}),
  };
}

function guessFormat(path: string, bytes: Uint8Array): ImageFormat | "npz" {
  if (path.toLowerCase().endsWith(".npz")) return "npz";
  const byExt = formatOf(path);
  if (byExt) return byExt;
  const sniffed = sniffFormat(bytes);
  if (sniffed) return sniffed;
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) return "npz";
  throw new MedCryptError(
    "unknown-format",
    "not a recognised image file (expected .npy, .png, .dcm or .npz)",
    { file: path },
  );
}

/**
 * Describes a file: image facts for `.npy`/`.png`/`.dcm`, the array list for `.npz`.
 *
 * @param path the file
 * @returns the facts
 * @example
 * ```ts
 * import { describeFile } from "./image.ts";
 * const i = await describeFile("data/dicom/CT_small.dcm");
 * console.log(i.width, i.height, i.bitDepth, i.modality, i.unit, i.format); // 128 128 16 "CT" "HU" "dicom"
 * ```
 */
export async function describeFile(path: string): Promise<ImageInfo> {
  const bytes = await readFileChecked(path);
  try {
    const format = guessFormat(path, bytes);
    if (format === "npz") {
      const entries = listNpz(bytes, path);
      const headers = npzHeaders(bytes, path);
      const arrays = entries.map((e) => {
        const h = headers.get(e.name);
        return {
          name: e.name,
          dtype: h?.descr ?? null,
          shape: h?.shape ?? null,
          stored: e.method === 0 ? "stored" : "deflated",
        };
      });
      const imgs = arrays.filter((a) => a.name.endsWith("_images") && a.shape);
      const shapes = new Set(imgs.map((a) => `${a.shape?.[1]}x${a.shape?.[2]}x${a.dtype}`));
      const one = shapes.size === 1 && imgs[0].shape && imgs[0].shape.length >= 3
        ? imgs[0]
        : undefined;
      return {
        width: one ? one.shape![2] : null,
        height: one ? one.shape![1] : null,
        bitDepth: one ? (one.dtype === "|u1" ? 8 : null) : null,
        modality: null,
        unit: null,
        format: "npz",
        archive: true,
        images: imgs.reduce((a, b) => a + (b.shape?.[0] ?? 0), 0),
        arrays,
      };
    }
    const img = decodeImage(bytes, format, path);
    const extra: Record<string, unknown> = {};
    if (format === "npy") {
      const h = readNpyHeader(bytes, path);
      Object.assign(extra, {
        npyVersion: `${h.version[0]}.${h.version[1]}`,
        dtype: h.descr,
        shape: h.shape,
        fortranOrder: h.fortranOrder,
      });
    } else if (format === "png") {
      const h = readPngHeader(bytes, path);
      Object.assign(extra, { pngDepth: h.depth, pngColorType: h.colorType });
    } else {
      const h = readDicomInfo(bytes, path);
      Object.assign(extra, {
        transferSyntax: h.transferSyntax,
        bitsAllocated: h.bitsAllocated,
        bitsStored: h.bitsStored,
        signed: h.signed,
        frames: h.frames,
        photometric: h.photometric,
      });
    }
    return { ...imageFacts(img), format, ...extra } as ImageInfo;
  } catch (e) {
    throw withFile(e, path);
  }
}

// ---------------------------------------------------------------- info

type Rescale = { slope: number; intercept: number };
type NpzArray = { name: string; dtype: string | null; shape: number[] | null; stored: string };

function unitWords(unit: string | null): string {
  if (!unit) return "(no unit stated)";
  const d = unitDescription(unit);
  return d ? `${unit} (${d})` : unit;
}

function printInfo(path: string, i: ImageInfo): void {
  const lines = [`file:      ${path}`, `format:    ${i.format}`];
  if (i.format === "npz") {
    const arrays = i.arrays as NpzArray[];
    lines.push(`archive:   ${arrays.length} arrays`);
    for (const a of arrays) {
      lines.push(
        `  ${a.name.padEnd(16)} ${a.dtype ?? "?"} (${(a.shape ?? []).join(", ")}) ${a.stored}`,
      );
    }
    if (i.width !== null) {
      lines.push(`images:    ${i.images} of ${i.width} × ${i.height}, ${i.bitDepth ?? "?"}-bit`);
    }
  } else {
    const min = i.min as number, max = i.max as number, r = i.rescale as Rescale | undefined;
    lines.push(`size:      ${i.width} × ${i.height}`);
    lines.push(`bit depth: ${i.bitDepth} (${i.container} container)`);
    lines.push(`modality:  ${i.modality ?? "unknown"}`);
    if (r) {
      const [lo, hi] = physicalRange(r, min, max);
      lines.push(
        `values:    ${min} .. ${max} stored = ${num(lo)} .. ${num(hi)}${
          i.unit ? ` ${i.unit}` : ""
        }`,
      );
      lines.push(
        `rescale:   physical = stored × ${num(r.slope)} ${r.intercept < 0 ? "−" : "+"} ${
          num(Math.abs(r.intercept))
        } ${unitWords(i.unit)}`,
      );
    } else {
      lines.push(`values:    ${min} .. ${max} (stored; no rescale to physical values)`);
    }
    if (i.pixelSpacing) lines.push(`spacing:   ${(i.pixelSpacing as number[]).join(" × ")} mm`);
    if (i.dtype) {
      lines.push(
        `npy:       ${i.npyVersion}, ${i.dtype}, shape (${(i.shape as number[]).join(", ")})${
          i.fortranOrder ? ", Fortran order" : ""
        }`,
      );
    }
    if (i.transferSyntax) {
      lines.push(
        `dicom:     ${i.transferSyntax}, ${i.bitsStored}/${i.bitsAllocated} bits ${
          i.signed ? "signed" : "unsigned"
        }, ${i.photometric}, ${i.frames} frame(s)`,
      );
    }
  }
  console.log(lines.join("\n"));
}

/** The one-line summary `info DIR` prints for a file. */
function infoLine(i: ImageInfo): string {
  if (i.format === "npz") {
    const n = (i.arrays as unknown[]).length;
    return `npz archive, ${n} arrays${
      i.width !== null
        ? `, ${i.images} images of ${i.width} × ${i.height}, ${i.bitDepth ?? "?"}-bit`
        : ""
    }`;
  }
  const min = i.min as number, max = i.max as number, r = i.rescale as Rescale | undefined;
  let values = `values ${min}..${max}`;
  if (r) {
    const [lo, hi] = physicalRange(r, min, max);
    values += ` stored = ${num(lo)}..${num(hi)} ${i.unit ?? "(no unit stated)"}`;
  }
  return `${i.width} × ${i.height}, ${i.bitDepth}-bit, ${
    i.modality ?? "modality unknown"
  }, ${values}`;
}

const infoSpec: Spec = {
  name: "info",
  summary: "describe an image (.npy .png .dcm) or archive (.npz), or every one in a folder",
  positionals: "FILE|DIR",
  positionalHelp:
    "an image (.npy, .png, .dcm; another extension is recognised by its bytes) or an .npz archive; a folder is searched recursively for .npy, .png, .dcm (extension-less DICOM too) and .npz files",
  flags: {
    json: {
      type: "boolean",
      help:
        "print JSON instead of text: one object for a file; for a folder one object per line (JSON Lines) with its `file`, or `file` and `error` for a file that could not be read",
    },
  },
  examples: [
    "info data/dicom/CT_small.dcm",
    "info data/clinical",
    "info data/pneumoniamnist.npz --json",
  ],
  notes: [
    "For a file: size, bit depth (and the 8- or 16-bit container), modality, the stored value range and, when the file has a rescale (DICOM, signed or float NPY), the physical range and the rescale with its unit (DICOM Rescale Type, or HU for CT); then pixel spacing and format details. For an .npz archive: its arrays, and the image size when its *_images arrays share one.",
    "For a folder: one line per file (`FILE: 512 × 512, 12-bit, CT, values 0..4095 ...`) and a total; a file that cannot be read is reported as `FILE: FAILED: why` and the rest go on; the exit code is 1 when any failed.",
    "JSON keys always present: width, height, bitDepth, modality, unit (each null when unknown) and format; images add min, max (stored), container, and pixelSpacing and rescale when known.",
  ],
};

async function runInfo(args: string[]): Promise<number> {
  const p = parseFlags(infoSpec, args);
  if (p.positionals.length !== 1) usageError(infoSpec, "expected one FILE or DIR");
  const [path] = p.positionals;
  const json = p.values.json === true;
  const { folder, files } = await listInputs(path, [...IMAGE_EXTENSIONS, ".npz"]);
  if (!folder) {
    const info = await describeFile(path);
    if (json) console.log(JSON.stringify(info));
    else printInfo(path, info);
    return 0;
  }
  if (json) return await eachFileJson("info", files, describeFile);
  return await eachFile("info", files, async (f) => infoLine(await describeFile(f)));
}

// ---------------------------------------------------------------- convert and resize

const FORMATS = ["png", "npy", "dcm"] as const;
const FORMAT_OF: Record<(typeof FORMATS)[number], ImageFormat> = {
  png: "png",
  npy: "npy",
  dcm: "dicom",
};
const PRESETS = Object.keys(WINDOW_PRESETS).join(", ");

/** What a transform did, for the summary line. */
interface Done {
  img: MedImage;
  words: string[];
}

/** The `--depth 8` / `--window` part shared by `convert` and `resize`. */
function depthStep(spec: Spec, p: Parsed): (img: MedImage, file: string) => Done {
  const depth = str(p, "depth");
  if (depth !== undefined && depth !== "8") {
    usageError(spec, `--depth must be 8, not '${depth}' (without --depth the bit depth is kept)`);
  }
  const win = str(p, "window");
  if (win !== undefined && !Object.hasOwn(WINDOW_PRESETS, win)) {
    try {
      parseWindow(win, medImage(new Uint8Array(1), 1, 1));
    } catch (e) {
      usageError(spec, `--window: ${(e as Error).message}`);
    }
  }
  return (img, file) => {
    if (win !== undefined) {
      let w;
      try {
        w = parseWindow(win, img);
      } catch (e) {
        throw withFile(e, file);
      }
      const unit = physicalUnit(img);
      const name = Object.hasOwn(WINDOW_PRESETS, win) ? `${win} ` : "";
      return {
        img: applyWindow(img, w),
        words: [
          `window ${name}(centre ${num(w.center)}, width ${num(w.width)}${
            unit ? ` ${unit}` : img.rescale ? "" : " stored"
          }) to 0..255`,
        ],
      };
    }
    if (depth !== undefined) {
      if (img.bitDepth === 8 && img.data instanceof Uint8Array) {
        return { img, words: ["already 8-bit"] };
      }
      const [min, max] = range(img);
      return { img: toEightBit(img), words: [`stretched ${min}..${max} to 0..255`] };
    }
    return { img, words: [] };
  };
}

/** One image write of `convert`/`resize`: its summary, and whether it is a deep PNG. */
interface Written {
  line: string;
  deepPng?: { bits: number; hu: boolean };
  /** The rescale (and unit) the output format could not keep. */
  lostRescale?: string;
}

async function writeOne(
  input: string,
  output: string,
  format: ImageFormat,
  transform: (img: MedImage, file: string) => Done,
  makeFolder: boolean,
): Promise<Written> {
  const src = await loadImage(input);
  const { img, words } = transform(src, input);
  if (makeFolder) await Deno.mkdir(dirname(output), { recursive: true });
  await writeFileAtomic(output, encodeImage(img, format));
  const name = format === "dicom" ? "dcm" : format;
  return {
    line: `wrote ${output} (${name}, ${img.width} × ${img.height}, ${img.bitDepth}-bit${
      words.length ? `; ${words.join(", ")}` : ""
    })`,
    ...(format === "png" && img.bitDepth > 8
      ? { deepPng: { bits: img.bitDepth, hu: physicalUnit(img) === "HU" } }
      : {}),
    ...(format !== "dicom" && img.rescale ? { lostRescale: rescaleWords(img) } : {}),
  };
}

function rescaleWords(img: MedImage): string {
  const r = img.rescale!, unit = physicalUnit(img);
  return `physical = stored × ${num(r.slope)} ${r.intercept < 0 ? "−" : "+"} ${
    num(Math.abs(r.intercept))
  }${unit ? ` ${unit}` : ""}`;
}

/** The note after writing a format that dropped the rescale. */
function lostRescaleNote(
  spec: Spec,
  args: string[],
  output: string,
  words: string,
  folder: boolean,
): void {
  const again = args.filter((a) => a !== "--force").map((a, k, all) =>
    folder
      ? (all[k - 1] === "--to" ? "dcm" : a.startsWith("--to=") ? "--to=dcm" : a)
      : (a === output ? `${stem(a)}.dcm` : a)
  );
  console.log(
    `note: ${
      folder ? "some outputs" : "the output"
    } dropped the rescale to physical values (${words}${
      folder ? ", …" : ""
    }): only .dcm keeps it: \`deno task medcrypt ${spec.name} ${again.map(q).join(" ")}\``,
  );
}

function stem(path: string): string {
  const e = extname(path);
  return e ? path.slice(0, -e.length) : path;
}

/** The note after writing PNGs deeper than 8 bits without a window. */
function deepPngNote(spec: Spec, args: string[], bits: number, hu: boolean, many: boolean) {
  const again = args.filter((a) => a !== "--force").map(q).join(" ");
  const what = many
    ? `the PNGs keep all their bits (up to ${bits}; 16-bit PNG)`
    : `the PNG keeps all ${bits} bits (16-bit PNG)`;
  const how = hu
    ? "use --window (e.g. --window soft-tissue for CT)"
    : "use --depth 8, or --window C,W in the image's own values (the CT presets need values in HU, and these are not)";
  const fix = hu ? "--window soft-tissue" : "--depth 8";
  console.log(
    `note: ${what} and many viewers show it near-black; for an 8-bit preview ${how}: \`deno task medcrypt ${spec.name} ${again} ${fix} --force\``,
  );
}

/** `convert`/`resize` on a file or a folder. */
async function runWrites(
  spec: Spec,
  args: string[],
  p: Parsed,
  transform: (img: MedImage, file: string) => Done,
): Promise<number> {
  if (p.positionals.length !== 2) usageError(spec, "expected IN and OUT");
  const [input, output] = p.positionals;
  const force = p.values.force === true;
  const to = str(p, "to") === undefined ? undefined : oneOf(spec, p, "to", FORMATS, "png");
  const { folder, files } = await listInputs(input, IMAGE_EXTENSIONS);
  if (!folder) {
    const format = formatOf(output);
    if (!format) {
      throw new MedCryptError(
        "unknown-format",
        "cannot write this file type; use .npy, .png or .dcm (or --to with a folder IN)",
        { file: output },
      );
    }
    if (to !== undefined && FORMAT_OF[to] !== format) {
      usageError(spec, `--to ${to} is for a folder IN; OUT's extension already says ${format}`);
    }
    assertNotInput(output, [input]);
    await refuseExisting([output], force);
    const w = await writeOne(input, output, format, transform, false);
    console.log(w.line);
    if (w.deepPng) deepPngNote(spec, args, w.deepPng.bits, w.deepPng.hu, false);
    if (w.lostRescale) lostRescaleNote(spec, args, output, w.lostRescale, false);
    return 0;
  }
  if (to === undefined) {
    usageError(
      spec,
      `IN is a folder: give --to ${FORMATS.join("|")} for the format of the outputs`,
    );
  }
  const outInfo = await Deno.stat(output).catch(() => undefined);
  if (outInfo && !outInfo.isDirectory) {
    throw new MedCryptError("usage", "is a file; with a folder IN, OUT must be a folder", {
      file: output,
    });
  }
  const outs = new Map<string, string>();
  const seen = new Map<string, string>();
  const inputs = new Set(files.map((f) => resolve(f)));
  for (const f of files) {
    const out = mirrorPath(input, f, output, `.${to}`, true);
    const key = resolve(out);
    const other = seen.get(key);
    if (other !== undefined) {
      throw new MedCryptError(
        "output-collision",
        `would be written from both \`${other}\` and \`${f}\`; move one of them aside`,
        { file: out },
      );
    }
    if (inputs.has(key)) {
      throw new MedCryptError(
        "would-overwrite-input",
        `is an input and would be written from \`${f}\`; choose another OUT folder`,
        { file: out },
      );
    }
    seen.set(key, f);
    outs.set(f, out);
  }
  await refuseExisting([...outs.values()], force);
  let deep = 0, hu = false, lost: string | undefined;
  const code = await eachFile(spec.name, files, async (f) => {
    const w = await writeOne(f, outs.get(f)!, FORMAT_OF[to], transform, true);
    if (w.deepPng) {
      deep = Math.max(deep, w.deepPng.bits);
      hu ||= w.deepPng.hu;
    }
    lost ??= w.lostRescale;
    return w.line;
  });
  if (deep) deepPngNote(spec, args, deep, hu, true);
  if (lost) lostRescaleNote(spec, args, output, lost, true);
  return code;
}

const depthFlags = {
  depth: {
    type: "string",
    value: "8",
    help:
      "write an 8-bit copy that stretches the image's own stored range (min..max) onto 0..255 (without it the bit depth is kept)",
  },
  window: {
    type: "string",
    value: "C,W|PRESET",
    help:
      `write an 8-bit preview through a display window: centre,width in physical values (HU for CT; stored values when there is no rescale), or a CT preset in HU: ${PRESETS} (implies 8-bit)`,
  },
  to: {
    type: "string",
    value: FORMATS.join("|"),
    help:
      "the output format when IN is a folder: OUT gets the same tree of files, each with this extension",
  },
} as const;

const formatNote =
  "Formats: .npy keeps the pixels only; .png keeps modality and spacing; .dcm keeps modality, spacing and the rescale (so HU survive only in .dcm). Images deeper than 8 bits are written as 16-bit PNG/NPY/DICOM with every bit kept; such a PNG looks near-black in most viewers: give --window or --depth 8 for an 8-bit preview.";
const safetyNote =
  "OUT is written atomically and never over an input; an existing OUT is refused unless --force. With a folder IN every output is checked before anything is written; each file gets one line, a file that cannot be read is reported and the rest go on, and the exit code is 1 when any failed.";

const convertSpec: Spec = {
  name: "convert",
  summary: "convert images between .npy, .png and .dcm (a file, or a folder tree)",
  positionals: "IN OUT",
  positionalHelp:
    "IN is an image (.npy, .png, .dcm) or a folder of them (searched recursively); OUT is the file to write, its format from its extension (.npy, .png, .dcm), or for a folder IN the folder to write the same tree into (with --to)",
  flags: { ...depthFlags },
  writes: true,
  examples: [
    "convert data/clinical/ct-abdomen-1.npy ct.png",
    "convert data/dicom/CT_small.dcm ct-preview.png --window lung",
    "convert data/clinical/mr-brain-1.npy mr.png --depth 8",
    "convert data/clinical png-tree --to png",
  ],
  notes: [
    "Prints one line per written file: `wrote OUT (png, 512 × 512, 12-bit)`, with what was done to the values.",
    formatNote,
    safetyNote,
  ],
};

const resizeSpec: Spec = {
  name: "resize",
  summary: "resize an image (or a folder tree of them), optionally to 8 bits",
  positionals: "IN OUT",
  positionalHelp:
    "IN is an image (.npy, .png, .dcm) or a folder of them (searched recursively); OUT is the file to write, its format from its extension (.npy, .png, .dcm), or for a folder IN the folder to write the same tree into (with --to)",
  flags: {
    size: {
      required: true,
      type: "string",
      value: "N|WxH",
      help: "the new size: N for N × N, or width x height such as 64x32",
    },
    method: {
      type: "string",
      value: "area|bilinear",
      default: "area when neither side grows, else bilinear",
      help:
        "area averages the pixels each new pixel covers (best for shrinking); bilinear interpolates between the 4 nearest",
    },
    ...depthFlags,
  },
  writes: true,
  examples: [
    "resize data/clinical/cxr-1.npy cxr28.png --size 28 --depth 8",
    "resize data/dicom/CT_small.dcm ct64.npy --size 64 --window soft-tissue",
    "resize data/clinical small --size 64x64 --to npy",
  ],
  notes: [
    "The values are resized at the image's own bit depth first; then --depth 8 or --window makes them 8-bit. Prints one line per written file: `wrote OUT (png, 28 × 28, 8-bit; 512 × 512 by area, stretched 0..2072 to 0..255)`.",
    formatNote,
    safetyNote,
  ],
};

function parseSize(spec: Spec, p: Parsed): [number, number] {
  const s = str(p, "size");
  if (s === undefined || s === "") usageError(spec, "needs --size N|WxH");
  const m = /^\s*(\d+)\s*(?:[x×]\s*(\d+)\s*)?$/i.exec(s);
  const w = m ? Number(m[1]) : NaN, h = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(w >= 1 && h >= 1 && w <= 16384 && h <= 16384)) {
    usageError(
      spec,
      `--size must be N or WxH with sides in 1..16384 (e.g. 28 or 64x32), not '${s}'`,
    );
  }
  return [w, h];
}

async function runConvert(args: string[]): Promise<number> {
  const p = parseFlags(convertSpec, args);
  return await runWrites(convertSpec, args, p, depthStep(convertSpec, p));
}

async function runResize(args: string[]): Promise<number> {
  const p = parseFlags(resizeSpec, args);
  const [w, h] = parseSize(resizeSpec, p);
  const given = str(p, "method") === undefined
    ? undefined
    : oneOf(resizeSpec, p, "method", ["area", "bilinear"] as const, "area");
  const depth = depthStep(resizeSpec, p);
  return await runWrites(resizeSpec, args, p, (img, file) => {
    const method: ResizeMethod = given ?? (w <= img.width && h <= img.height ? "area" : "bilinear");
    let small: MedImage;
    try {
      small = resize(img, w, h, method);
    } catch (e) {
      throw withFile(e, file);
    }
    const done = depth(small, file);
    return { img: done.img, words: [`${img.width} × ${img.height} by ${method}`, ...done.words] };
  });
}

/** The image commands. */
export const commands: Command[] = [
  { name: "info", summary: infoSpec.summary, specs: [infoSpec], run: runInfo },
  { name: "convert", summary: convertSpec.summary, specs: [convertSpec], run: runConvert },
  { name: "resize", summary: resizeSpec.summary, specs: [resizeSpec], run: runResize },
];
