/**
 * What a recipient must hold to decrypt, measured: the trained network's weights, or only a
 * public seed from which an untrained network is rebuilt. Paper B says decryption needs "only the
 * encrypted image and the key"; in this scheme it also needs the network, and this table shows
 * what changes when the network comes from a public seed instead of training.
 *
 * @example
 * ```ts
 * import { sharedBytes } from "./public_seed.ts";
 * import { DEFAULT_CONFIG, initModel } from "../../ciphers/revcipher/model.ts";
 * console.log(sharedBytes(await initModel(DEFAULT_CONFIG, 1)) > 1000); // true
 * ```
 * @module
 */
import * as aq from "arquero";
import { initModel, type RevCipherModel } from "../../ciphers/revcipher/model.ts";
import type { MedImage } from "../../image/types.ts";
import { mean } from "../../stats/summary.ts";
import { evaluateVariant } from "./evaluate.ts";

/** The seed anyone can rebuild the untrained network from. */
export const PUBLIC_SEED = 1;

/**
 * Bytes of the network's weights as float32 (what must travel to a recipient besides the
 * cipher and the key, when the network is not public).
 *
 * @param model the network
 * @returns bytes
 * @example
 * ```ts
 * import { sharedBytes } from "./public_seed.ts";
 * import { DEFAULT_CONFIG, initModel } from "../../ciphers/revcipher/model.ts";
 * const m = await initModel(DEFAULT_CONFIG, 1);
 * console.log(sharedBytes(m) % 4); // 0
 * ```
 */
export function sharedBytes(model: RevCipherModel): number {
  let n = 0;
  for (const t of model.tensors.values()) n += t.data.length * 4;
  return n;
}

/**
 * The trained network beside an untrained one rebuilt from {@linkcode PUBLIC_SEED}: what must be
 * shared, and the exact and paper variants' round trip, diffusion and key sensitivity with each.
 *
 * @param images held-out images
 * @param trained the trained network
 * @param seed seed of the keys and perturbations (the same for both networks)
 * @returns one row per network and variant
 * @example
 * ```ts ignore
 * import { publicSeedTable } from "./public_seed.ts";
 * const t = await publicSeedTable(images, model, 1);
 * console.log(t.numRows()); // 4
 * ```
 */
export async function publicSeedTable(
  images: readonly { name: string; image: MedImage }[],
  trained: RevCipherModel,
  seed: number,
): Promise<aq.ColumnTable> {
  const untrained = await initModel(trained.config, PUBLIC_SEED);
  const rows: Record<string, unknown>[] = [];
  for (
    const [label, model, share] of [
      ["trained network", trained, `weights, ${sharedBytes(trained)} bytes`],
      [`untrained, public seed ${PUBLIC_SEED}`, untrained, "nothing (seed and code are public)"],
    ] as const
  ) {
    for (const variant of ["exact", "paper"] as const) {
      const t = await evaluateVariant(images, variant, model, seed);
      const col = (c: string) => {
        const v = (t.array(c) as number[]).filter(Number.isFinite);
        return v.length ? mean(v) : NaN; // an exact round trip has no finite PSNR
      };
      const psnrs = t.array("decryptPsnr") as number[];
      rows.push({
        network: label,
        variant,
        "shared besides key and cipher": share,
        images: t.numRows(),
        "bit-exact round trips": psnrs.filter((p) => p === Infinity).length,
        "decryption PSNR dB (finite, mean)": col("decryptPsnr"),
        "NPCR key bit %": col("keyNpcr"),
        "UACI key bit %": col("keyUaci"),
        "NPCR one pixel %": col("plainNpcr"),
        "fixed-key diffusion %": variant === "exact" ? col("fixedKeyNpcr") : NaN,
        "cipher entropy": col("cipherEntropy"),
        "PSNR after a 1/16 crop dB": col("psnr crop-1/16"),
      });
    }
  }
  return aq.from(rows);
}

/**
 * One sentence for the notes: what is shared, and whether the public-seed network still
 * decrypts exactly and diffuses.
 *
 * @param t the table of {@linkcode publicSeedTable}
 * @returns the note
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { publicSeedNote } from "./public_seed.ts";
 * const row = (network: string, variant: string, exact: number, d: number) => ({
 *   network, variant, images: 2, "bit-exact round trips": exact,
 *   "shared besides key and cipher": "x", "fixed-key diffusion %": d,
 *   "decryption PSNR dB (finite, mean)": 30, "NPCR key bit %": 99.6,
 * });
 * const t = aq.from([row("a", "exact", 2, 5), row("a", "paper", 0, NaN), row("b", "exact", 2, 1), row("b", "paper", 0, NaN)]);
 * console.log(publicSeedNote(t).startsWith("Decryption needs the network")); // true
 * ```
 */
export function publicSeedNote(t: aq.ColumnTable): string {
  const r = t.objects() as Record<string, number | string>[];
  const [te, tp, ue, up] = r;
  const f = (v: number | string, d = 2) => Number(v).toFixed(d);
  return `Decryption needs the network as well as the key (${
    te["shared besides key and cipher"]
  }). ` +
    `An untrained network rebuilt from a public seed needs nothing shared: the exact variant ` +
    `still decrypts bit for bit (${ue["bit-exact round trips"]}/${ue.images}; trained ` +
    `${te["bit-exact round trips"]}/${te.images}) with key-bit NPCR ${f(ue["NPCR key bit %"])} % ` +
    `(trained ${f(te["NPCR key bit %"])} %) and fixed-key diffusion ` +
    `${f(ue["fixed-key diffusion %"])} % (trained ${f(te["fixed-key diffusion %"])} %); the ` +
    `paper variant decrypts at ${f(up["decryption PSNR dB (finite, mean)"])} dB untrained vs ` +
    `${f(tp["decryption PSNR dB (finite, mean)"])} dB trained. Key sensitivity comes from the ` +
    `key streams either way; the diffusion under fixed key streams and the paper variant's ` +
    `fidelity come from training.`;
}
