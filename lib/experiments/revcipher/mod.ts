/**
 * Experiment `revcipher` (for `deno task reproduce` and notebook 08): paper B's learned cipher —
 * training curves, plain / cipher / decrypted / wrong-key panels, why the exact variant computes
 * in fixed point (tfjs backends round differently), and the exact vs paper comparison (decryption
 * PSNR/SSIM, wrong-key leakage, key and plaintext sensitivity, diffusion with and without the
 * learned coupling, noise and cropping, speed). Quick scale evaluates the shipped 64×64 model;
 * full scale trains a 256×256 model (resumable, in the cache folder) and evaluates it at 256×256.
 *
 * @example
 * ```ts
 * import { experiments } from "./mod.ts";
 * console.log(experiments.map((e) => e.name)); // [ "revcipher" ]
 * ```
 * @module
 */
import * as aq from "arquero";
import type {
  Experiment,
  ExperimentContext,
  ExperimentResult,
  NamedFigure,
  NamedTable,
} from "../../report/types.ts";
import { mean } from "../../stats/summary.ts";
import { cipherImages, HELD_OUT_CLINICAL } from "../../ciphers/revcipher/mod.ts";
import { loadClinicalSamples } from "../../datasets/clinical.ts";
import { experimentModel } from "./model.ts";
import { evaluateVariant, summarise } from "./evaluate.ts";
import { backendRoundingTable } from "./rounding.ts";
import { damageCurve, damageFigure, damageNote, damageSummary } from "./damage.ts";
import type { MedImage } from "../../image/types.ts";
import { panelsFigure, trainingCurveFigures } from "./figures.ts";
import { publicSeedNote, publicSeedTable } from "./public_seed.ts";

export * from "./model.ts";
export * from "./evaluate.ts";
export * from "./rounding.ts";
export * from "./figures.ts";
export * from "./damage.ts";
export * from "./public_seed.ts";

/** The tables and figures of experiment `revcipher`, one field each. */
export type RevcipherResult = ExperimentResult<
  {
    backendRounding: NamedTable;
    summary: NamedTable;
    perImage: NamedTable;
    damage: NamedTable;
    damageCases: NamedTable;
    publicSeed: NamedTable;
  },
  {
    trainingLoss: NamedFigure;
    trainingTerms: NamedFigure;
    panels: NamedFigure;
    damage: NamedFigure;
  }
>;

/**
 * Runs the experiment.
 *
 * @param ctx scale, seed, cache folder
 * @returns tables, figures and notes
 * @example
 * ```ts ignore
 * import { runRevcipher } from "./mod.ts";
 * const r = await runRevcipher({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables.summary.table.numRows() > 0); // true
 * ```
 */
export async function runRevcipher(ctx: ExperimentContext): Promise<RevcipherResult> {
  const full = ctx.scale === "full";
  const { model, history, size } = await experimentModel(ctx);
  const heldOut = await heldOutImages(size, full, ctx.seed + 1);
  const exact = await evaluateVariant(heldOut, "exact", model, ctx.seed);
  const paper = await evaluateVariant(heldOut, "paper", model, ctx.seed);
  const all = exact.concat(paper);
  const [curves, terms] = trainingCurveFigures(history);
  const panels = await panelsFigure(heldOut.slice(0, 1).concat(heldOut.slice(-2, -1)), model);
  const rounding = await backendRoundingTable(model);
  // the curve at the model's size (the native 512×512 CT is in the security evaluation only)
  const damageCases = await damageCurve(
    heldOut.filter((h) => h.image.width === size),
    model,
    ctx.seed,
    full ? 1 : 3,
  );
  const damage = damageSummary(damageCases);
  const publicSeed = await publicSeedTable(
    heldOut.filter((h) => h.image.width === size),
    model,
    ctx.seed,
  );
  const overhead = damageCases.get("size overhead", 0) as number;
  return {
    tables: {
      backendRounding: {
        name: "backend_rounding",
        table: rounding,
        caption:
          "Float coupling CNN on tfjs cpu vs wasm: outputs that differ, and pixel shifts that would",
      },
      summary: {
        name: "revcipher_summary",
        table: summarise(all),
        caption: "Exact vs paper variant, means over held-out images",
      },
      perImage: {
        name: "revcipher_per_image",
        table: all,
        caption: "Per held-out image and variant",
      },
      damage: {
        name: "revcipher_damage",
        table: damage,
        caption:
          "Exact variant with its Reed–Solomon erasure code (--robust) under a centred crop and " +
          "salt-and-pepper noise: share of cases decrypted bit for bit, with and without the code, " +
          "beside the paper variant's decrypted PSNR under the same damage",
      },
      damageCases: {
        name: "revcipher_damage_cases",
        table: damageCases,
        caption: "Every case of the damage curve (image, damage, fraction, noise seed)",
      },
      publicSeed: {
        name: "revcipher_public_seed",
        table: publicSeed,
        caption: "What must be shared to decrypt: the trained network, or an untrained one " +
          "rebuilt from a public seed, and how each variant fares with it",
      },
    },
    figures: {
      trainingLoss: { name: "training_loss", figure: curves },
      trainingTerms: { name: "training_terms", figure: terms },
      panels: { name: "panels", figure: panels },
      damage: { name: "damage_curve", figure: damageFigure(damage, overhead) },
    },
    notes: revcipherNotes({
      rounding,
      model,
      history,
      size,
      full,
      heldOut,
      exact,
      paper,
      damage,
      overhead,
      publicSeed,
    }),
  };
}

/** What {@linkcode revcipherNotes} summarises. */
interface NoteInputs {
  rounding: aq.ColumnTable;
  model: { id: string };
  history: { step: number[]; seconds: number[] };
  size: number;
  full: boolean;
  heldOut: readonly unknown[];
  exact: aq.ColumnTable;
  paper: aq.ColumnTable;
  damage: aq.ColumnTable;
  overhead: number;
  publicSeed: aq.ColumnTable;
}

/** The experiment's notes, each computed from its tables. */
function revcipherNotes(
  { rounding, model, history, size, full, heldOut, exact, paper, damage, overhead, publicSeed }:
    NoteInputs,
): string[] {
  const colMean = (t: aq.ColumnTable, c: string) =>
    mean((t.array(c) as number[]).filter(Number.isFinite));
  const bitExact = exact.filter(
    aq.escape((d: { decryptPsnr: number }) => d.decryptPsnr === Infinity),
  ).numRows();
  return [
    `tfjs cpu vs wasm, same float coupling CNNs: ${rounding.get("floatOutputsDiffer", 0)} of ` +
    `${rounding.get("outputs", 0)} outputs differ; rounded to pixel shifts ` +
    `${rounding.get("pixelShiftsDiffer", 0)} (8-bit) and ${rounding.get("pixelShiftsDiffer", 1)} ` +
    `(16-bit) differ, so the exact variant computes them in fixed-point integers in ` +
    `TypeScript instead (no tfjs at inference).`,
    `Model ${model.id}, ${size}×${size}, trained ${history.step.length} steps in ` +
    `${(history.seconds.at(-1) ?? 0).toFixed(0)} s (${full ? "this run" : "shipped model"}).`,
    `Paper variant on ${heldOut.length} held-out images: decryption PSNR ` +
    `${colMean(paper, "decryptPsnr").toFixed(2)} dB, SSIM ${
      colMean(paper, "decryptSsim").toFixed(3)
    }; exact variant: bit-exact (${bitExact}/${heldOut.length}).`,
    `Wrong key (one bit): SSIM with the plain image ${
      colMean(exact, "wrongKeySsim").toFixed(3)
    } (exact), ${colMean(paper, "wrongKeySsim").toFixed(3)} (paper).`,
    `Diffusion of a one-level pixel change under fixed key streams (exact): ` +
    `${colMean(exact, "fixedKeyNpcr").toFixed(2)} % of pixels with the learned coupling vs ` +
    `${colMean(exact, "fixedKeyNpcrNoNet").toFixed(2)} % without it; with the image hash ` +
    `re-derived (the real scheme) ${colMean(exact, "plainNpcr").toFixed(2)} %.`,
    `Noise: paper variant decrypted PSNR after 1 % salt-and-pepper ${
      colMean(paper, "psnr salt-pepper-1%").toFixed(2)
    } dB, after a 1/16 crop ${colMean(paper, "psnr crop-1/16").toFixed(2)} dB; exact variant ` +
    `${colMean(exact, "psnr salt-pepper-1%").toFixed(2)} dB and ${
      colMean(exact, "psnr crop-1/16").toFixed(2)
    } dB (it has no redundancy: a damaged cipher fails its hash check).`,
    damageNote(damage, overhead),
    publicSeedNote(publicSeed),
  ];
}

/**
 * The held-out images of a run: PneumoniaMNIST test images and the held-out clinical scans at
 * the model's size, and at full scale the held-out CT at its native size as well.
 */
async function heldOutImages(
  size: number,
  full: boolean,
  seed: number,
): Promise<{ name: string; image: MedImage }[]> {
  const { heldOut } = await cipherImages({ size, trainCount: 1, heldOutCount: 4, seed });
  if (full) {
    // the model never saw any crop of this CT
    const ct = (await loadClinicalSamples()).find((c) => c.name === HELD_OUT_CLINICAL[0])!;
    heldOut.push({
      name: `${ct.name} (native ${ct.image.width}×${ct.image.height})`,
      image: ct.image,
    });
  }
  return heldOut;
}

/** The experiments of this module. */
export const experiments: Experiment[] = [{
  name: "revcipher",
  title: "Learned reversible cipher: exact vs paper variant",
  run: runRevcipher,
}];
