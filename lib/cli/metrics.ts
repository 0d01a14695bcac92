/**
 * `deno task medcrypt cipher-metrics --plain PLAIN --cipher CIPHER [--json]`: the security metrics
 * of any same-size (plain, cipher) image pair (NPY, PNG or DICOM, read with `readImage`).
 *
 * Judged at the container's bit depth (`bitDepth`: 8 when both images are ≤ 8-bit, else 16). Of the
 * cipher image: `entropy` (Shannon, bits, over 2^bitDepth bins), `chiSquare` (Pearson, against the
 * uniform histogram over 2^bitDepth bins), `correlation.horizontal|vertical|diagonal` (Pearson over
 * all adjacent pairs; null for a constant image); between the images: `npcr` and `uaci` (percent,
 * UACI normalised by 2^bitDepth − 1). The text output adds the verdicts of the randomness tests at
 * α = 0.05 / 0.01 / 0.001 for the cipher image's size.
 *
 * @example
 * ```ts
 * import { commands } from "./metrics.ts";
 * console.log(commands.map((c) => c.name)); // ["cipher-metrics"]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { MedCryptError, withFile } from "../core/errors.ts";
import { readImage } from "../image/mod.ts";
import type { MedImage } from "../image/types.ts";
import { pairMetrics } from "../cipher_metrics/suite.ts";
import { chiSquareCritical } from "../cipher_metrics/histogram.ts";
import { entropyAcceptance } from "../cipher_metrics/entropy.ts";
import { correlationCritical, pairCount } from "../cipher_metrics/correlation.ts";
import { npcrCritical } from "../cipher_metrics/differential.ts";
import type { Command } from "./types.ts";

const USAGE = "cipher-metrics --plain PLAIN --cipher CIPHER [--json]";

async function load(path: string): Promise<MedImage> {
  try {
    return await readImage(path);
  } catch (e) {
    throw withFile(e, path);
  }
}

const fmt = (x: number | null, d = 6) => (x === null ? "n/a" : x.toFixed(d));

const cipherMetrics: Command = {
  name: "cipher-metrics",
  summary: "entropy, χ², adjacent correlation of a cipher image; NPCR/UACI against its plain image",
  usage: USAGE,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        strict: true,
        options: {
          plain: { type: "string" },
          cipher: { type: "string" },
          json: { type: "boolean" },
        },
      }));
    } catch (e) {
      throw new MedCryptError("usage", `${(e as Error).message.split("\n")[0]} (usage: ${USAGE})`);
    }
    if (!values.plain || !values.cipher) {
      throw new MedCryptError("usage", `both --plain and --cipher are needed (usage: ${USAGE})`);
    }
    const plain = await load(values.plain);
    const cipher = await load(values.cipher);
    if (plain.width !== cipher.width || plain.height !== cipher.height) {
      throw new MedCryptError(
        "size-mismatch",
        `is ${cipher.width}×${cipher.height} but the plain image \`${values.plain}\` is ${plain.width}×${plain.height}`,
        { file: values.cipher },
      );
    }
    const m = pairMetrics(plain, cipher);
    if (values.json) {
      console.log(JSON.stringify(m));
      return 0;
    }
    const n = cipher.data.length, k = 2 ** m.bitDepth;
    const lines = [
      `plain  ${values.plain}: ${plain.width}×${plain.height}, ${plain.bitDepth}-bit`,
      `cipher ${values.cipher}: ${cipher.width}×${cipher.height}, ${cipher.bitDepth}-bit; judged at ${m.bitDepth} bits`,
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
    ];
    console.log(lines.join("\n"));
    return 0;
  },
};

/** The metrics commands. */
export const commands: Command[] = [cipherMetrics];
