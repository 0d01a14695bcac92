/**
 * The shape of an experiment: configuration in, tables and figures out. Each notebook and each
 * `deno task reproduce` entry calls one of these, so both show the same computation.
 *
 * @example
 * ```ts
 * import type { Experiment } from "./types.ts";
 * const hello: Experiment = {
 *   name: "hello",
 *   title: "Hello",
 *   run: () => Promise.resolve({ tables: [], figures: [], notes: ["hi"] }),
 * };
 * console.log(hello.name);
 * ```
 * @module
 */
import type { ColumnTable } from "arquero";
import type { Figure } from "../viz/types.ts";

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
}

/** A named table. */
export interface NamedTable {
  /** File stem, e.g. `"paper_a_comparison"`; written as CSV, Markdown and HTML. */
  name: string;
  /** The table. */
  table: ColumnTable;
  /** One-line caption. */
  caption?: string;
}

/** A named figure. */
export interface NamedFigure {
  /** File stem, e.g. `"throughput_vs_size"`; written as HTML (and PNG when Chromium is there). */
  name: string;
  /** The figure. */
  figure: Figure;
}

/** What an experiment returns. */
export interface ExperimentResult {
  /** Tables. */
  tables: NamedTable[];
  /** Figures. */
  figures: NamedFigure[];
  /** Sentences worth reading (findings, what did not reproduce), each computed. */
  notes?: string[];
}

/** An experiment registered with `deno task reproduce`. */
export interface Experiment {
  /** Short name used by `--only`, e.g. `"paper-a"`. */
  name: string;
  /** Human title. */
  title: string;
  /** Runs it. */
  run(ctx: ExperimentContext): Promise<ExperimentResult>;
}
