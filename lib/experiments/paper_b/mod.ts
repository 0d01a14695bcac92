/**
 * Paper B's security evaluation, measured (experiment `paper-b`): every cipher on the same images,
 * every statistic with its published critical value for the image size and bit depth, pass rates
 * over ALL embedded images at α = 0.05 / 0.01 / 0.001 (16-bit data first, 8-bit versions beside),
 * robustness to noise and cropping, speed, key space, and the attacks that separate a secure cipher
 * from one that only looks random (known plaintext, chosen plaintext, differential).
 *
 * Ciphers (`ciphers.ts`): AES-256-GCM (random IV per image), AES-256-CTR with a FIXED nonce and key
 * (passes the statistics, falls to one known plaintext), the classic logistic-map
 * permutation–diffusion cipher in its textbook form (1 round, key independent of the image) and
 * hardened (2 rounds, key bound to the image hash), the learned cipher's two variants (exact and
 * paper, with the shipped model), and a "uniform random" reference that is not a cipher at all:
 * fresh uniform noise, whose pass rates show what an ideal cipher scores (≈ 1 − α per test).
 *
 * Images (`images.ts`; quick: S = 64, full: S = 256). The seed fixes the key (`runKey`) and
 * everything else (pixel choices, noise, image samples) except AES-GCM's IVs, which WebCrypto
 * draws per image: those rows are declared randomised in the tables. Each step is a function of its own, so a
 * notebook can run them one by one: {@linkcode paperBImages}, {@linkcode cipherEntries},
 * {@linkcode evaluateAll}, {@linkcode decryptionSummaries}, {@linkcode robustnessStudy},
 * {@linkcode chosenPlaintextStudy}, {@linkcode knownPlaintextStudy}, then
 * {@linkcode paperBTables} and {@linkcode paperBFigures}.
 *
 * @example
 * ```ts ignore
 * import { runPaperB } from "./mod.ts";
 * const r = await runPaperB({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables.security.name, r.figures.cipherImages.name); // security_long cipher_images
 * ```
 * @module
 */
import type { ExperimentResult } from "../../report/types.ts";
import type { Experiment, ExperimentContext } from "../../report/types.ts";
import { provenance } from "../../core/provenance.ts";
import { paperBOptions } from "./options.ts";
import { paperBImages } from "./images.ts";
import { cipherEntries } from "./ciphers.ts";
import { evaluateAll, type ImageRecord } from "./security.ts";
import { decryptionSummaries, type DecryptionSummary } from "./speed.ts";
import { type RobustnessStudy, robustnessStudy } from "./robustness.ts";
import {
  type AttackRow,
  attackSummaries,
  type AttackSummary,
  chosenPlaintextStudy,
  type ChosenRow,
  knownPlaintextStudy,
} from "./plaintext_attacks.ts";
import { type PaperBFigures, paperBFigures } from "./figures.ts";
import { type PaperBTables, paperBTables } from "./tables.ts";
import { paperBNotes } from "./notes.ts";
import { headerLeakStudy } from "./header_leaks.ts";
import { keySpaceStudy } from "./key_space.ts";
import { nativeExperiment } from "./native.ts";

export * from "./options.ts";
export * from "./images.ts";
export * from "./native.ts";
export * from "./ciphers.ts";
export * from "./security.ts";
export * from "./critical_values.ts";
export * from "./speed.ts";
export * from "./robustness.ts";
export * from "./plaintext_attacks.ts";
export * from "./figures.ts";
export * from "./tables.ts";
export * from "./notes.ts";
export * from "./header_leaks.ts";
export * from "./key_space.ts";

/** Everything the experiment computed: named tables and figures, and the typed results behind them. */
export interface PaperBResult extends ExperimentResult<PaperBTables, PaperBFigures> {
  /** The tables, one field each. */
  tables: PaperBTables;
  /** The figures, one field each. */
  figures: PaperBFigures;
  /** Per-image records (cipher × image). */
  records: ImageRecord[];
  /** Decryption, wrong-key output, speed and key space per decryptable cipher. */
  decryption: DecryptionSummary[];
  /** The robustness study. */
  robustness: RobustnessStudy;
  /** Known-plaintext points. */
  knownPlaintext: AttackRow[];
  /** Chosen-plaintext rows. */
  chosenPlaintext: ChosenRow[];
  /** The attacks per cipher, with the verdicts. */
  attacks: AttackSummary[];
}

/**
 * Runs the whole paper-B evaluation. The parts run in a fixed order (statistics, speed,
 * robustness, chosen plaintext, known plaintext, figures), since they share the ciphers' state:
 * the uniform reference's noise stream and the random IVs of AES-GCM.
 *
 * @param ctx scale, seed, cache folder
 * @returns tables, figures, notes and the typed results
 * @example
 * ```ts ignore
 * import { runPaperB } from "./mod.ts";
 * const r = await runPaperB({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.attacks.filter((a) => a.sets["16-bit"].broken).map((a) => a.cipher)); // e.g. [ "AES-256-CTR fixed nonce", "chaos classic (textbook)" ]
 * ```
 */
export async function runPaperB(ctx: ExperimentContext): Promise<PaperBResult> {
  const opt = paperBOptions(ctx.scale, ctx.seed);
  const images = await paperBImages(opt);
  const lineup = await cipherEntries(ctx.seed);
  const { ciphers } = lineup;
  const records = await evaluateAll(ciphers, images, ctx.seed);
  const decryption = await decryptionSummaries(ciphers, images, records);
  const robustness = await robustnessStudy(ciphers, images, opt.robustnessImages, ctx.seed);
  const chosen = await chosenPlaintextStudy(ciphers, images);
  const kpa = await knownPlaintextStudy(ciphers, opt);
  const attacks = attackSummaries(ciphers, kpa, chosen);
  const headerLeaks = await headerLeakStudy(images, ctx.seed);
  const keySpace = await keySpaceStudy(images[0].image, ctx.seed);
  const figures = await paperBFigures({ opt, images, ciphers, records, robustness, kpa });
  const tables = paperBTables(
    {
      records,
      decryption,
      attacks,
      kpa,
      chosen,
      robustness: robustness.rows,
      headerLeaks,
      keySpace,
    },
    opt,
  );
  const prov = provenance({
    params: {
      ...opt,
      experiment: "paper-b",
      ciphers: ciphers.map((c) => c.label),
      keys: "SHA-256 of 'medcrypt paper-b key <seed>' (runKey)",
    },
    seed: ctx.seed,
  });
  for (const f of Object.values(figures)) {
    f.figure.provenance = {
      ...prov,
      params: { ...prov.params, ...(f.figure.provenance?.params ?? {}) },
    };
  }
  return {
    tables,
    figures,
    notes: paperBNotes(records, attacks, lineup, opt),
    records,
    decryption,
    robustness,
    knownPlaintext: kpa,
    chosenPlaintext: chosen,
    attacks,
  };
}

/**
 * The experiments of this module, for `deno task reproduce --only paper-b`.
 *
 * @example
 * ```ts
 * import { experiments } from "./mod.ts";
 * console.log(experiments.map((e) => e.name)); // [ "paper-b", "paper-b-native" ]
 * ```
 */
export const experiments: Experiment[] = [{
  name: "paper-b",
  title: "Paper B: image-cipher security table, robustness and attacks",
  run: (ctx) => runPaperB(ctx),
}, nativeExperiment];
