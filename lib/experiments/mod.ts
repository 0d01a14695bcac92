/**
 * Every experiment behind `deno task reproduce` and the notebooks, in run order.
 *
 * @example
 * ```ts
 * import { allExperiments } from "./mod.ts";
 * const names = allExperiments().map((e) => e.name);
 * console.log(names.length, names[0], names.at(-1)); // 8 data paper-b
 * console.log(names.includes("paper-a"), names.includes("envelope")); // true true
 * ```
 * @module
 */
import type { Experiment } from "../report/types.ts";
import { experiments as dataTour } from "./data_tour/mod.ts";
import { experiments as envelope } from "./envelope/mod.ts";
import { experiments as he } from "./he_inference/mod.ts";
import { experiments as paperA } from "./paper_a/mod.ts";
import { experiments as chaoticKeys } from "./chaotic_keys/mod.ts";
import { experiments as revcipher } from "./revcipher/mod.ts";
import { experiments as paperB } from "./paper_b/mod.ts";

export type * from "../report/types.ts";

/**
 * @returns the registered experiments, in the order `reproduce` runs them
 * @example
 * ```ts
 * import { allExperiments } from "./mod.ts";
 * console.log(Array.isArray(allExperiments())); // true
 * ```
 */
export function allExperiments(): Experiment[] {
  return [...dataTour, ...envelope, ...he, ...paperA, ...chaoticKeys, ...revcipher, ...paperB];
}
