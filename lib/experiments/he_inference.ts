/**
 * Experiments of `he_inference` for `deno task reproduce` and the notebooks.
 *
 * @example
 * ```ts
 * import { experiments } from "./he_inference.ts";
 * console.log(experiments.map((e) => e.name));
 * ```
 * @module
 */
import type { Experiment } from "./types.ts";

/** The experiments of this module. */
export const experiments: Experiment[] = [];
