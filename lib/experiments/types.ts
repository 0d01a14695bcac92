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
 *   run: () => Promise.resolve({ tables: {}, figures: {}, notes: ["hi"] }),
 * };
 * console.log((await hello.run({ scale: "quick", seed: 1, cacheDir: "." })).notes); // [ "hi" ]
 * ```
 * @module
 */
import type { ExperimentResult } from "../report/types.ts";

export type {
  ExperimentResult,
  Figures,
  NamedFigure,
  NamedTable,
  Tables,
} from "../report/types.ts";

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

/** An experiment registered with `deno task reproduce`. */
export interface Experiment {
  /** Short name used by `--only`, e.g. `"paper-a"`. */
  name: string;
  /** Human title. */
  title: string;
  /** Runs it. */
  run(ctx: ExperimentContext): Promise<ExperimentResult>;
}
