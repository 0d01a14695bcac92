/**
 * What an experiment hands to the report writer: named tables and figures, each a field of its
 * own so a notebook reads `result.tables.comparison` and a rename fails at type-check time.
 *
 * @example
 * ```ts
 * import type { ExperimentResult, NamedTable } from "./types.ts";
 * import * as aq from "arquero";
 * const result: ExperimentResult<{ sizes: NamedTable }> = {
 *   tables: { sizes: { name: "sizes", table: aq.table({ n: [1, 2, 3] }) } },
 *   figures: {},
 * };
 * console.log(result.tables.sizes.table.numRows()); // 3
 * ```
 * @module
 */
import type { ColumnTable } from "arquero";
import type { Figure } from "../viz/types.ts";
import type { JobRunner } from "../jobs/types.ts";

/** A named table. */
export interface NamedTable {
  /** File stem, e.g. `"paper_a_comparison"`; written as CSV, Markdown and HTML. */
  name: string;
  /** The table. */
  table: ColumnTable;
  /** One-line caption. */
  caption?: string;
  /**
   * Cells that depend on fresh cryptographic randomness no seed fixes (WebCrypto keys and
   * nonces, RSA-OAEP padding, CKKS encryption noise), so two runs of the same code differ there.
   * Recorded in `provenance.json`; the table comparison of reproduce runs reports them apart.
   */
  randomised?: RandomisedCells[];
}

/**
 * A block of table cells that differ from run to run by design.
 *
 * @example
 * ```ts
 * import type { RandomisedCells } from "./types.ts";
 * const cells: RandomisedCells = { columns: ["MIA AUC"], rows: [1, 2], reason: "AES-GCM nonces" };
 * console.log(cells.rows?.length); // 2
 * ```
 */
export interface RandomisedCells {
  /** Column names. */
  columns: string[];
  /** Row indices (0-based); every row when absent. */
  rows?: number[];
  /** Where the randomness comes from and why it is not seeded. */
  reason: string;
}

/** A named figure. */
export interface NamedFigure {
  /** File stem, e.g. `"throughput_vs_size"`; written as HTML (and PNG when Chromium is there). */
  name: string;
  /** The figure. */
  figure: Figure;
}

/** Tables of a result, one field each (written in field order). */
export type Tables = Record<string, NamedTable>;
/** Figures of a result, one field each (written in field order). */
export type Figures = Record<string, NamedFigure>;

/** What an experiment returns: its tables and figures as named fields, and computed notes. */
export interface ExperimentResult<
  T extends Tables | NamedTable[] = Tables | NamedTable[],
  F extends Figures | NamedFigure[] = Figures | NamedFigure[],
> {
  /** Tables, one field each. */
  tables: T;
  /** Figures, one field each. */
  figures: F;
  /** Sentences worth reading (findings, what did not reproduce), each computed. */
  notes?: string[];
}

/** How big a run: `quick` takes minutes on 2 cores, `full` the full-scale version. */
export type Scale = "quick" | "full";

/** What an experiment is given. */
export interface ExperimentContext {
  /** quick or full. */
  scale: Scale;
  /** Seed of every random choice in the run (recorded with the results). */
  seed: number;
  /** Folder for caches and checkpoints that may be reused by a later run (git-ignored). */
  cacheDir: string;
  /**
   * Where independent work (audit models) runs: in process when absent, else job threads or
   * BullMQ workers (`deno task reproduce --queue …`). Results do not depend on it.
   */
  jobs?: JobRunner;
}

/**
 * An experiment registered with `deno task reproduce`: configuration in, tables and figures out.
 * Each notebook and each `reproduce` entry calls one of these, so both show the same computation.
 *
 * @example
 * ```ts
 * import type { Experiment } from "./types.ts";
 * const hello: Experiment = {
 *   name: "hello",
 *   title: "Hello",
 *   run: () => Promise.resolve({ tables: {}, figures: {}, notes: ["hi"] }),
 * };
 * console.log((await hello.run({ scale: "quick", seed: 1, cacheDir: "." })).notes); // [ "hi" ]
 * ```
 */
export interface Experiment {
  /** Short name used by `--only`, e.g. `"paper-a"`. */
  name: string;
  /** Human title. */
  title: string;
  /** Runs it. */
  run(ctx: ExperimentContext): Promise<ExperimentResult>;
}
