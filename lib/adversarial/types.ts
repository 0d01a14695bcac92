/**
 * The types a category file of the adversarial suite implements.
 *
 * @example
 * ```ts
 * import type { CaseSource } from "./types.ts";
 * const none: CaseSource = { category: "keys", build: () => Promise.resolve({ cases: [] }) };
 * console.log(none.category); // keys
 * ```
 * @module
 */
import type { AdversarialCase, Category } from "./harness.ts";

/** What a category is given to build its cases. */
export interface SuiteOptions {
  /** Seed of every random choice (offsets, bits, sizes). */
  seed: number;
  /** The long variant: many more cases. */
  long: boolean;
  /** An empty folder of the category's own for fixtures and outputs; removed afterwards. */
  workDir: string;
}

/** A measurement with its limit, e.g. the peak RSS of the forged-header cases. */
export interface Measurement {
  /** What was measured. */
  name: string;
  /** The value. */
  value: number;
  /** Its unit, e.g. `"MB"`. */
  unit: string;
  /** The most it may be, if there is a limit. */
  limit?: number;
}

/** A category's cases, and what to do after them. */
export interface BuiltCases {
  /** The cases, run in order. */
  cases: AdversarialCase[];
  /** Measurements made once every case has run. */
  measure?(): Promise<Measurement[]>;
  /** Releases what the cases used (workers, servers). */
  close?(): Promise<void>;
}

/** One category of the suite. */
export interface CaseSource {
  /** The category. */
  category: Category;
  /** Builds the cases (fixtures go under `options.workDir`). */
  build(options: SuiteOptions): Promise<BuiltCases>;
}
