/**
 * The adversarial input suite: every reader and every command handed malformed input — altered,
 * truncated and forged envelopes, bad keys, dangerous output paths, forged image headers,
 * tampered learned-cipher images and QR headers, unusable `he-infer` inputs — and each outcome
 * classified ({@linkcode runCase}). Seeded: a run is reproduced from its seed. The quick variant
 * is part of `deno task test`; `deno task adversarial --long` runs ≥ 100k cases.
 *
 * One file per category builds its cases; so far `paths.ts` (the others of `CATEGORIES` are
 * still to be written, see {@linkcode IMPLEMENTED}).
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./mod.ts";
 * const r = await runSuite({ seed: 1, long: false, only: ["paths"] });
 * console.log(r.tallies[0].wrongSuccesses); // 0
 * ```
 * @module
 */

import { MedCryptError } from "../core/errors.ts";
import { CATEGORIES, type Category, failures, type Outcome, runCase, tally } from "./harness.ts";
import type { CategoryTally } from "./harness.ts";
import type { CaseSource, Measurement, SuiteOptions } from "./types.ts";

export * from "./harness.ts";
export * from "./report.ts";
export type * from "./types.ts";

/** What a suite run found. */
export interface SuiteResult {
  /** The seed the cases were drawn with. */
  seed: number;
  /** Whether it was the long variant. */
  long: boolean;
  /** Every outcome. */
  outcomes: Outcome[];
  /** Counts per category. */
  tallies: CategoryTally[];
  /** The outcomes that are failures of the tool. */
  failures: Outcome[];
  /** Measurements the categories made (e.g. peak RSS of the forged-header cases). */
  measurements: Measurement[];
}

/** Options of {@linkcode runSuite}. */
export interface RunSuiteOptions {
  /** Seed of every random choice. */
  seed: number;
  /** The long variant (≥ 100k cases in all). */
  long: boolean;
  /** Only these categories. */
  only?: readonly Category[];
  /** Called once a category's cases are built, with how many there are (for a progress bar). */
  onCategory?: (category: Category, cases: number) => void;
  /** Called after each case (for a progress bar). */
  onCase?: (o: Outcome, done: number) => void;
}

/**
 * The sources of cases, one per category; loaded lazily so that a run of one category does not
 * pay for the others' imports (tfjs, node-seal).
 */
const SOURCES: Partial<Record<Category, () => Promise<CaseSource>>> = {
  envelope: async () => (await import("./envelope.ts")).source,
  keys: async () => (await import("./keys.ts")).source,
  paths: async () => (await import("./paths.ts")).source,
  images: async () => (await import("./images.ts")).source,
  revcipher: async () => (await import("./revcipher.ts")).source,
  "he-infer": async () => (await import("./he_infer.ts")).source,
};

/**
 * The categories that have cases so far (the others of {@linkcode CATEGORIES} are still to be
 * written).
 */
export const IMPLEMENTED: readonly Category[] = CATEGORIES.filter((c) => SOURCES[c]);

/**
 * Runs the suite: builds each category's cases in a temporary folder of its own, runs them one
 * by one, and removes the folder.
 *
 * @param options seed, long or quick, categories
 * @returns the outcomes, tallies, failures and measurements
 */
export async function runSuite(options: RunSuiteOptions): Promise<SuiteResult> {
  const outcomes: Outcome[] = [];
  const measurements: Measurement[] = [];
  const categories = options.only?.length ? options.only : IMPLEMENTED;
  for (const category of categories) {
    const load = SOURCES[category];
    if (!load) {
      throw new MedCryptError("usage", `the ${category} category has no cases yet`);
    }
    const source = await load();
    const workDir = await Deno.makeTempDir({ prefix: `medcrypt-adversarial-${category}-` });
    const opt: SuiteOptions = { seed: options.seed, long: options.long, workDir };
    try {
      const built = await source.build(opt);
      options.onCategory?.(category, built.cases.length);
      try {
        for (const c of built.cases) {
          const o = await runCase(c);
          outcomes.push(o);
          options.onCase?.(o, outcomes.length);
        }
        measurements.push(...(await built.measure?.() ?? []));
      } finally {
        await built.close?.();
      }
    } finally {
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
    }
  }
  return {
    seed: options.seed,
    long: options.long,
    outcomes,
    tallies: tally(outcomes),
    failures: failures(outcomes),
    measurements,
  };
}
