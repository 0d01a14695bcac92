/**
 * `deno task medcrypt cipher-metrics --plain PLAIN --cipher CIPHER [--json]`: the security metrics
 * of any same-size (plain, cipher) image pair (NPY, PNG or DICOM), or of every pair in two folders
 * (files paired by their path relative to the folder, without the extension).
 *
 * Judged at the container's bit depth (`bitDepth`: 8 when both images are ≤ 8-bit, else 16). Of the
 * cipher image: `entropy` (Shannon, bits, over 2^bitDepth bins), `chiSquare` (Pearson, against the
 * uniform histogram over 2^bitDepth bins), `correlation.horizontal|vertical|diagonal` (Pearson over
 * all adjacent pairs; null for a constant image); between the images: `npcr` and `uaci` (percent,
 * UACI normalised by 2^bitDepth − 1). The text output adds the critical values of the randomness
 * tests at α = 0.05 for the cipher image's size.
 *
 * @example
 * ```ts
 * import { commands } from "./metrics.ts";
 * console.log(commands.map((c) => c.name)); // ["cipher-metrics"]
 * ```
 * @module
 */
import { extname, join, relative } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import type { MedImage } from "../image/types.ts";
import { type PairMetrics, pairMetrics } from "../cipher_metrics/suite.ts";
import { chiSquareCritical } from "../cipher_metrics/histogram.ts";
import { entropyAcceptance } from "../cipher_metrics/entropy.ts";
import { correlationCritical, pairCount } from "../cipher_metrics/correlation.ts";
import { npcrCritical } from "../cipher_metrics/differential.ts";
import { eachFile, eachFileJson, IMAGE_EXTENSIONS, listInputs } from "./batch.ts";
import { need, parseFlags, type Spec, usageError } from "./flags.ts";
import { loadImage } from "./image.ts";
import type { Command } from "./types.ts";

const fmt = (x: number | null, d = 6) => (x === null ? "n/a" : x.toFixed(d));

const spec: Spec = {
  name: "cipher-metrics",
  summary:
    "entropy, χ², adjacent correlation of a cipher image; NPCR/UACI against its plain image (or of every pair in two folders)",
  flags: {
    plain: {
      required: true,
      type: "string",
      value: "FILE|DIR",
      help: "the plain image (.npy, .png, .dcm), or a folder of them (searched recursively)",
    },
    cipher: {
      required: true,
      type: "string",
      value: "FILE|DIR",
      help:
        "its cipher image, the same size; or, with a folder --plain, the folder of cipher images: `PLAIN/a/b.npy` is paired with `CIPHER/a/b.*` (same relative path, any image extension)",
    },
    json: {
      type: "boolean",
      help:
        "print JSON: one object for a pair; for folders one object per line (JSON Lines) with `file` (the plain image) and `cipher`, or `file` and `error`",
    },
  },
  examples: [
    "cipher-metrics --plain data/dicom/MR_small.dcm --cipher mr-cipher.png",
    "cipher-metrics --plain scans --cipher ciphers --json",
  ],
  notes: [
    "Metrics are judged at the container's bit depth (8 when both images are 8-bit or less, else 16). For a pair: entropy (bits), χ² against the uniform histogram, horizontal/vertical/diagonal adjacent correlation of the cipher image, and NPCR and UACI (percent) between plain and cipher, each with the critical value of its randomness test at α = 0.05.",
    "For folders: one line per plain image (`PLAIN: vs CIPHER: entropy …, NPCR … %, UACI … %, max |corr| …`) and a total; a plain image without a cipher image, or a pair that cannot be read or differs in size, is reported as FAILED and the rest go on; the exit code is 1 when any failed. Cipher images with no plain image are listed in a note.",
    "JSON keys: bitDepth, entropy, chiSquare, correlation {horizontal, vertical, diagonal} (null for a constant image), npcr, uaci.",
  ],
};

async function loadPair(plainPath: string, cipherPath: string) {
  const plain = await loadImage(plainPath);
  const cipher = await loadImage(cipherPath);
  if (plain.width !== cipher.width || plain.height !== cipher.height) {
    throw new MedCryptError(
      "size-mismatch",
      `is ${cipher.width}×${cipher.height} but the plain image \`${plainPath}\` is ${plain.width}×${plain.height}`,
      { file: cipherPath },
    );
  }
  return { plain, cipher, m: pairMetrics(plain, cipher) };
}

function report(
  plainPath: string,
  cipherPath: string,
  plain: MedImage,
  cipher: MedImage,
  m: PairMetrics,
): string {
  const n = cipher.data.length, k = 2 ** m.bitDepth;
  return [
    `plain  ${plainPath}: ${plain.width}×${plain.height}, ${plain.bitDepth}-bit`,
    `cipher ${cipherPath}: ${cipher.width}×${cipher.height}, ${cipher.bitDepth}-bit; judged at ${m.bitDepth} bits`,
    `entropy      ${fmt(m.entropy)} bits (uniform ${n} pixels: 95% in [${
      entropyAcceptance(n, k, 0.05).lo.toFixed(6)
    }, ${entropyAcceptance(n, k, 0.05).hi.toFixed(6)}])`,
    `chi-square   ${m.chiSquare.toFixed(2)} (df ${k - 1}; critical at α=0.05: ${
      chiSquareCritical(k - 1, 0.05).toFixed(2)
    })`,
    ...(["horizontal", "vertical", "diagonal"] as const).map((d) =>
      `corr ${d.padEnd(10)} ${fmt(m.correlation[d])} (|r| < ${
        correlationCritical(pairCount(cipher.width, cipher.height, d), 0.05).toFixed(6)
      } at α=0.05)`
    ),
    `NPCR         ${m.npcr.toFixed(4)} % (plain vs cipher; N*_0.05 = ${
      npcrCritical(n, m.bitDepth, 0.05).toFixed(4)
    } %)`,
    `UACI         ${m.uaci.toFixed(4)} % (normalised by ${k - 1})`,
  ].join("\n");
}

/** Path relative to the folder, without its extension: what pairs a plain and a cipher file. */
function pairKey(root: string, file: string): string {
  const rel = relative(root, file);
  const ext = extname(rel);
  return ext ? rel.slice(0, -ext.length) : rel;
}

async function runFolders(
  plainDir: string,
  cipherDir: string,
  files: string[],
  ciphers: string[],
  json: boolean,
) {
  const byKey = new Map<string, string[]>();
  for (const c of ciphers) {
    const k = pairKey(cipherDir, c);
    byKey.set(k, [...byKey.get(k) ?? [], c]);
  }
  const used = new Set<string>();
  const cipherOf = (f: string): string => {
    const k = pairKey(plainDir, f);
    const found = byKey.get(k);
    used.add(k);
    if (!found) {
      throw new MedCryptError(
        "no-cipher",
        `has no cipher image: no ${join(cipherDir, k)}.npy, .png or .dcm`,
        { file: f },
      );
    }
    if (found.length > 1) {
      throw new MedCryptError(
        "ambiguous-cipher",
        `has ${found.length} cipher images (${found.join(", ")}); keep one of them`,
        { file: f },
      );
    }
    return found[0];
  };
  const code = json
    ? await eachFileJson("cipher-metrics", files, async (f) => {
      const c = cipherOf(f);
      return { cipher: c, ...(await loadPair(f, c)).m };
    })
    : await eachFile("cipher-metrics", files, async (f) => {
      const c = cipherOf(f);
      const { m } = await loadPair(f, c);
      const corr = Object.values(m.correlation).filter((r): r is number => r !== null);
      const maxCorr = corr.length ? Math.max(...corr.map(Math.abs)).toFixed(4) : "n/a";
      return `vs ${c}: entropy ${fmt(m.entropy, 4)} bits (of ${m.bitDepth}), NPCR ${
        m.npcr.toFixed(2)
      } %, UACI ${m.uaci.toFixed(2)} %, max |corr| ${maxCorr}`;
    });
  const orphans = [...byKey].filter(([k]) => !used.has(k)).flatMap(([, v]) => v);
  if (orphans.length && !json) {
    console.log(
      `note: ${orphans.length} cipher image(s) have no plain image: ${
        orphans.slice(0, 5).join(", ")
      }${orphans.length > 5 ? ", …" : ""}`,
    );
  }
  return code;
}

const cipherMetrics: Command = {
  name: "cipher-metrics",
  summary: spec.summary,
  specs: [spec],
  async run(args) {
    const p = parseFlags(spec, args);
    const plainPath = need(spec, p, "plain");
    const cipherPath = need(spec, p, "cipher");
    const json = p.values.json === true;
    const plainIn = await listInputs(plainPath, IMAGE_EXTENSIONS);
    const cipherIn = await listInputs(cipherPath, IMAGE_EXTENSIONS);
    if (plainIn.folder !== cipherIn.folder) {
      usageError(
        spec,
        `--plain and --cipher must both be files or both be folders; --${
          plainIn.folder ? "plain" : "cipher"
        } is a folder and the other a file`,
      );
    }
    if (plainIn.folder) {
      return await runFolders(plainPath, cipherPath, plainIn.files, cipherIn.files, json);
    }
    const { plain, cipher, m } = await loadPair(plainPath, cipherPath);
    console.log(json ? JSON.stringify(m) : report(plainPath, cipherPath, plain, cipher, m));
    return 0;
  },
};

/** The metrics commands. */
export const commands: Command[] = [cipherMetrics];
