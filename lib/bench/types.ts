/**
 * Benchmark suites for `deno task bench`: each measures its subject beside a baseline measured
 * in the same run and reports ratios (never absolute timings checked against constants).
 *
 * @example
 * ```ts
 * import type { BenchSuite } from "./types.ts";
 * const s: BenchSuite = { name: "noop", run: () => Promise.resolve([]) };
 * console.log(s.name, (await s.run({ quick: true })).length); // noop 0
 * ```
 * @module
 */

/** One row of a benchmark table. */
export interface BenchRow {
  /** What was measured, e.g. `"wasm (im2col grads)"`. */
  subject: string;
  /** The case, e.g. `"2 MB"` or `"64×64 batch 32"`. */
  case: string;
  /** The measured value. */
  value: number;
  /** Its unit, e.g. `"images/s"`, `"GB/s"`, `"ms"`. */
  unit: string;
  /** The baseline's value in the same run, if any. */
  baseline?: number;
  /** The baseline's name, e.g. `"openssl speed"`. */
  baselineName?: string;
  /** value / baseline for throughputs, baseline / value for latencies (so > 1 is better). */
  ratio?: number;
  /** A goal on the ratio, if the issue sets one. */
  goal?: number;
}

/** A named suite. */
export interface BenchSuite {
  /** Short name used by `deno task bench --only NAME`. */
  name: string;
  /** Runs it; `quick` makes it take seconds rather than minutes. */
  run(options: { quick: boolean }): Promise<BenchRow[]>;
}
