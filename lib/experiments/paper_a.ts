/**
 * Experiments of `paper_a` for `deno task reproduce` and the notebooks.
 *
 * @example
 * ```ts
 * import { experiments } from "./paper_a.ts";
 * console.log(experiments.map((e) => e.name));
 * ```
 * @module
 */
import type { Experiment } from "./types.ts";

/** The experiments of this module. */
export const experiments: Experiment[] = [];
