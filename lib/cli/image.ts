/**
 * `deno task medcrypt` commands for images: `info FILE [--json]` and `convert IN OUT [--force]`.
 *
 * `info` reads `.npy`, `.png`, `.dcm` and `.npz` (an archive: its arrays are listed, and width,
 * height and bit depth are given when its `*_images` arrays share one image shape); a file with
 * another extension is recognised by its magic bytes. `--json` prints one object whose keys always
 * include `width`, `height`, `bitDepth`, `modality` (null when unknown) and `format`.
 *
 * `convert` picks the output format from the extension (`.npy`, `.png`, `.dcm`), refuses an
 * unknown extension, never overwrites the input, refuses an existing output unless `--force`,
 * and writes atomically.
 *
 * @example
 * ```ts
 * import { commands } from "./image.ts";
 * console.log(commands.map((c) => c.name)); // ["info", "convert"]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { MedCryptError, withFile } from "../core/errors.ts";
import { assertNotInput, readFileChecked, writeFileAtomic } from "../core/fs.ts";
import { readDicomInfo } from "../image/dicom.ts";
import { decodeImage, encodeImage, formatOf, type ImageFormat, sniffFormat } from "../image/io.ts";
import { readNpyHeader } from "../image/npy.ts";
import { listNpz, npzHeaders } from "../image/npz.ts";
import { readPngHeader } from "../image/png.ts";
import type { MedImage } from "../image/types.ts";
import type { Command } from "./types.ts";

function parse(args: string[], usage: string, booleans: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(booleans.map((b) => [b, { type: "boolean" as const }])),
    });
  } catch (e) {
    throw new MedCryptError("usage", `${(e as Error).message.split("\n")[0]} (usage: ${usage})`);
  }
}

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
  /** `"npy"`, `"png"`, `"dicom"` or `"npz"`. */
  format: string;
  /** Further format-specific facts. */
  [extra: string]: unknown;
}

function imageFacts(img: MedImage): Record<string, unknown> {
  let min = Infinity, max = -Infinity;
  for (const v of img.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {
    width: img.width,
    height: img.height,
    bitDepth: img.bitDepth,
    modality: img.modality ?? null,
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
 * console.log(i.width, i.height, i.bitDepth, i.modality, i.format); // 128 128 16 "CT" "dicom"
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

function printInfo(path: string, i: ImageInfo): void {
  const lines = [`file:      ${path}`, `format:    ${i.format}`];
  if (i.format === "npz") {
    lines.push(`archive:   ${(i.arrays as unknown[]).length} arrays`);
    for (
      const a of i.arrays as { name: string; dtype: string; shape: number[]; stored: string }[]
    ) {
      lines.push(`  ${a.name.padEnd(16)} ${a.dtype} (${a.shape.join(", ")}) ${a.stored}`);
    }
    if (i.width !== null) {
      lines.push(`images:    ${i.images} of ${i.width} × ${i.height}, ${i.bitDepth ?? "?"}-bit`);
    }
  } else {
    lines.push(`size:      ${i.width} × ${i.height}`);
    lines.push(`bit depth: ${i.bitDepth} (${i.container} container)`);
    lines.push(`modality:  ${i.modality ?? "unknown"}`);
    lines.push(`values:    ${i.min} .. ${i.max} (stored)`);
    if (i.rescale) {
      const r = i.rescale as { slope: number; intercept: number };
      lines.push(
        `rescale:   physical = stored × ${r.slope} ${r.intercept < 0 ? "−" : "+"} ${
          Math.abs(r.intercept)
        }`,
      );
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

const infoUsage = "info FILE [--json]";
const convertUsage = "convert IN OUT [--force]";

/** The image commands. */
export const commands: Command[] = [
  {
    name: "info",
    summary: "describe an image (.npy .png .dcm) or archive (.npz): size, bit depth, modality",
    usage: infoUsage,
    async run(args) {
      const { values, positionals } = parse(args, infoUsage, ["json"]);
      if (positionals.length !== 1) {
        throw new MedCryptError("usage", `expected one FILE (usage: ${infoUsage})`);
      }
      const info = await describeFile(positionals[0]);
      if (values.json) console.log(JSON.stringify(info));
      else printInfo(positionals[0], info);
      return 0;
    },
  },
  {
    name: "convert",
    summary: "convert an image between .npy, .png and .dcm (format from the extension)",
    usage: convertUsage,
    async run(args) {
      const { values, positionals } = parse(args, convertUsage, ["force"]);
      if (positionals.length !== 2) {
        throw new MedCryptError("usage", `expected IN and OUT (usage: ${convertUsage})`);
      }
      const [input, output] = positionals;
      const outFormat = formatOf(output);
      if (!outFormat) {
        throw new MedCryptError(
          "unknown-format",
          "cannot write this file type; use .npy, .png or .dcm",
          { file: output },
        );
      }
      assertNotInput(output, [input]);
      if (!values.force) {
        let exists = false;
        try {
          await Deno.lstat(output);
          exists = true;
        } catch { /* does not exist */ }
        if (exists) {
          throw new MedCryptError("exists", "output exists; pass --force to replace it", {
            file: output,
          });
        }
      }
      const bytes = await readFileChecked(input);
      let img: MedImage;
      try {
        const inFormat = formatOf(input) ?? sniffFormat(bytes);
        if (!inFormat) {
          throw new MedCryptError(
            "unknown-format",
            "not a recognised image file (expected .npy, .png or .dcm)",
          );
        }
        img = decodeImage(bytes, inFormat, input);
      } catch (e) {
        throw withFile(e, input);
      }
      await writeFileAtomic(output, encodeImage(img, outFormat));
      console.log(
        `wrote ${output} (${outFormat}, ${img.width} × ${img.height}, ${img.bitDepth}-bit)`,
      );
      return 0;
    },
  },
];
