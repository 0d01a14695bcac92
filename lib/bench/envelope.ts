/**
 * Benchmark suites for envelope.
 *
 * @example
 * ```ts
 * import { suites } from "./envelope.ts";
 * console.log(suites.map((s) => s.name));
 * ```
 * @module
 */
import type { BenchSuite } from "./types.ts";

/** The envelope suites. */
export const suites: BenchSuite[] = [];
