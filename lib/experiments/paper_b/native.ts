/**
 * Experiment `paper-b-native`: paper B's security statistics on the clinical scans at their own
 * resolution. Paper B's table is at 256×256 (every image resampled to it); here every cipher sees
 * the centre crop of each embedded scan at least that large, without resampling — at `--full`
 * 512×512 (the CT slices and the chest X-ray), at quick 128×128 — judged with the critical values
 * of that size. The learned cipher runs with both shipped models: the 64×64 one of `paper-b` and
 * the 256×256 one trained at paper B's own scale.
 *
 * @example
 * ```ts ignore
 * import { runPaperBNative } from "./native.ts";
 * const r = await runPaperBNative({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables.map((t) => t.name)); // [ "security_native", "security_native_long", "critical_values_native" ]
 * ```
 * @module
 */
import type {
  Experiment,
  ExperimentContext,
  ExperimentResult,
  NamedTable,
} from "../../report/types.ts";
import { cipherEntries, type CipherEntry, type CipherLineup } from "./ciphers.ts";
import { loadRevCipherModel, revcipherExact, revcipherPaper } from "../../ciphers/revcipher/mod.ts";
import { MODEL_256_DIR } from "../revcipher/model.ts";
import { nativeImages } from "./images.ts";
import { compactSecurityTable, evaluateAll, type ImageRecord, securityTable } from "./security.ts";
import { criticalValueTable } from "./critical_values.ts";
import { gcmCells } from "./tables.ts";
import { STATISTICS } from "./notes.ts";

/**
 * The crop side at each scale.
 *
 * @param scale quick or full
 * @returns 512 at full, 128 at quick
 * @example
 * ```ts
 * import { nativeSize } from "./native.ts";
 * console.log(nativeSize("full")); // 512
 * ```
 */
export function nativeSize(scale: ExperimentContext["scale"]): number {
  return scale === "full" ? 512 : 128;
}

/**
 * One line per cipher: on how many crops all six statistics pass at α = 0.001.
 *
 * @param records the per-image records
 * @param lineup the ciphers
 * @param size the crop side
 * @returns the notes
 * @example
 * ```ts
 * import { nativeNotes } from "./native.ts";
 * console.log(nativeNotes([], { ciphers: [] }, 512)[0].startsWith("Images: 0")); // true
 * ```
 */
export function nativeNotes(
  records: readonly ImageRecord[],
  lineup: Pick<CipherLineup, "ciphers">,
  size: number,
): string[] {
  const images = new Set(records.map((r) => r.image)).size;
  return [
    `Images: ${images} centre crops of ${size}×${size} at the scans' own resolution (no resampling); one key derived from the run's seed.`,
    ...lineup.ciphers.map((c) => {
      const recs = records.filter((r) => r.cipher === c.label);
      const ok = recs.filter((r) => STATISTICS.every((m) => m.get(r)!.pass["0.001"])).length;
      const npcr = recs.filter((r) =>
        r.plaintext.npcrPass["0.001"] && r.plaintext.uaciPass["0.001"]
      ).length;
      return `${c.label}: all six statistics pass at α = 0.001 on ${ok}/${recs.length} crops; one-pixel NPCR and UACI both pass on ${npcr}/${recs.length}.`;
    }),
  ];
}

/**
 * The line-up with the learned cipher twice: with the shipped 64×64 model (as in `paper-b`) and
 * with the shipped 256×256 one (paper B's own scale), each label saying which.
 */
async function withModel256(lineup: CipherLineup): Promise<CipherLineup> {
  const learned = lineup.ciphers.filter((c) => c.label.startsWith("learned cipher"));
  if (!learned.length) return lineup;
  const m256 = await loadRevCipherModel(MODEL_256_DIR);
  const at = (c: CipherEntry, side: number): CipherEntry => ({
    ...c,
    label: c.label.replace(/\)$/, `, ${side}×${side} model)`),
    ...(side === 256
      ? {
        cipher: c.label.includes("exact") ? revcipherExact(m256) : revcipherPaper(m256),
        note: c.note.replace("shipped 64×64 model", "shipped 256×256 model"),
      }
      : {}),
  });
  return {
    ...lineup,
    ciphers: [
      ...lineup.ciphers.filter((c) => !learned.includes(c)),
      ...learned.map((c) => at(c, 64)),
      ...learned.map((c) => at(c, 256)),
    ],
  };
}

function withGcm(t: NamedTable): NamedTable {
  const cells = gcmCells(t.table);
  return cells.length ? { ...t, randomised: cells } : t;
}

/**
 * Runs the statistics of every cipher of paper B's line-up on the native-resolution crops.
 *
 * @param ctx scale and seed
 * @returns the compact and long tables, the critical values for that size, and notes
 * @example
 * ```ts ignore
 * import { runPaperBNative } from "./native.ts";
 * const r = await runPaperBNative({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.notes?.[0]);
 * ```
 */
export async function runPaperBNative(ctx: ExperimentContext): Promise<ExperimentResult> {
  const size = nativeSize(ctx.scale);
  const images = await nativeImages(size);
  const lineup = await withModel256(await cipherEntries(ctx.seed));
  const records = await evaluateAll(lineup.ciphers, images, ctx.seed);
  const long = securityTable(records);
  const tables: NamedTable[] = [
    withGcm({
      name: "security_native",
      table: compactSecurityTable(long),
      caption:
        `Pass rates (% of images) at α = 0.05 / 0.01 / 0.001 on ${size}×${size} centre crops of the clinical scans at their own resolution (no resampling), critical values computed for that size and bit depth`,
    }),
    withGcm({
      name: "security_native_long",
      table: long,
      caption: "Every cipher × set × metric on the native crops: mean value and pass rate (%)",
    }),
    {
      name: "critical_values_native",
      table: criticalValueTable(size, ctx.scale === "full" ? 4000 : 200, ctx.seed),
      caption: `Critical values used for ${size}×${size} images`,
    },
  ];
  return { tables, figures: [], notes: nativeNotes(records, lineup, size) };
}

/** The experiment, for `deno task reproduce --only paper-b-native`. */
export const nativeExperiment: Experiment = {
  name: "paper-b-native",
  title: "Paper B's security statistics on the clinical scans at their own resolution",
  run: (ctx) => runPaperBNative(ctx),
};
