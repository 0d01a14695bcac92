/**
 * Benchmark suites for nn.
 *
 * @example
 * ```ts
 * import { suites } from "./nn.ts";
 * console.log(suites.map((s) => s.name));
 * ```
 * @module
 */
import type { BenchSuite } from "./types.ts";

/** The nn suites. */
export const suites: BenchSuite[] = [];
