/**
 * All benchmark suites and a printer for their rows.
 *
 * @example
 * ```ts
 * import { allSuites, formatRows } from "./mod.ts";
 * console.log(allSuites().map((s) => s.name)); // [ "nn", "envelope", "he", "service" ]
 * console.log(formatRows([]).split("\n").length); // 2 (the header and its rule)
 * ```
 * @module
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { suites as nn } from "./nn.ts";
import { suites as envelope } from "./envelope.ts";
import { suites as he } from "./he.ts";
import { suites as service } from "./service.ts";
import { suites as jobs } from "./jobs.ts";
import { suites as ciphers } from "./ciphers.ts";
import { suites as named } from "./named.ts";

export type * from "./types.ts";

/**
 * @returns every registered suite
 * @example
 * ```ts
 * import { allSuites } from "./mod.ts";
 * console.log(Array.isArray(allSuites())); // true
 * ```
 */
export function allSuites(): BenchSuite[] {
  return [...nn, ...envelope, ...he, ...service, ...jobs, ...ciphers, ...named];
}

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/**
 * Formats rows as a Markdown table (subject, case, value, baseline, ratio, goal, verdict).
 *
 * @param rows the rows
 * @returns the Markdown text
 * @example
 * ```ts
 * import { formatRows } from "./mod.ts";
 * const row = { subject: "a", case: "c", value: 2, unit: "x/s", baseline: 1, ratio: 2 };
 * const md = formatRows([row]);
 * console.log(md.split("\n")[2]); // | a | c | 2.00 x/s | 1.00 x/s (baseline) | 2.00× |  |
 * ```
 */
export function formatRows(rows: BenchRow[]): string {
  const head =
    "| subject | case | value | baseline | ratio | goal |\n| --- | --- | --- | --- | --- | --- |";
  const body = rows.map((r) =>
    `| ${r.subject} | ${r.case} | ${fmt(r.value)} ${r.unit} | ${
      r.baseline !== undefined
        ? `${fmt(r.baseline)} ${r.unit} (${r.baselineName ?? "baseline"})`
        : ""
    } | ${r.ratio !== undefined ? fmt(r.ratio) + "×" : ""} | ${
      r.goal !== undefined
        ? `≥ ${r.goal}× ${r.ratio !== undefined && r.ratio >= r.goal ? "✓ met" : "✗ not met"}`
        : ""
    } |`
  );
  return [head, ...body].join("\n");
}
