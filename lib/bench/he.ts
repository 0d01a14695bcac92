/**
 * Benchmark suites for he.
 *
 * @example
 * ```ts
 * import { suites } from "./he.ts";
 * console.log(suites.map((s) => s.name));
 * ```
 * @module
 */
import type { BenchSuite } from "./types.ts";

/** The he suites. */
export const suites: BenchSuite[] = [];
