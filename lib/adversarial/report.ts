/**
 * The suite's result as the tables the closing note of an issue quotes: one row per category
 * (cases tried, refused with a clear message, unclear refusals, wrong successes, crashes, hangs,
 * partial outputs), the measurements with their limits, and every failure by name.
 *
 * @example
 * ```ts
 * import { suiteMarkdown } from "./report.ts";
 * const md = suiteMarkdown({
 *   seed: 1,
 *   long: false,
 *   tallies: [{ category: "keys", cases: 2, refused: 2, unclear: 0, wrongSuccesses: 0, crashes: 0, hangs: 0, partialOutputs: 0 }],
 *   failures: [],
 *   measurements: [{ name: "peak RSS", value: 80, unit: "MB", limit: 200 }],
 * });
 * console.log(md.split("\n")[2]); // | keys | 2 | 2 | 0 | 0 | 0 | 0 | 0 |
 * ```
 * @module
 */
import * as aq from "arquero";
import { tableToMarkdown } from "../viz/tables.ts";
import type { CategoryTally, Outcome } from "./harness.ts";
import type { Measurement } from "./types.ts";

/** What {@linkcode suiteMarkdown} needs of a suite run. */
export interface SuiteSummary {
  /** The seed. */
  seed: number;
  /** Whether it was the long variant. */
  long: boolean;
  /** Counts per category. */
  tallies: readonly CategoryTally[];
  /** The failures. */
  failures: readonly Outcome[];
  /** The measurements. */
  measurements: readonly Measurement[];
}

/**
 * @param r the suite run
 * @returns Markdown: the tally table, the measurements, the failures (or a line saying none)
 */
export function suiteMarkdown(r: SuiteSummary): string {
  const tallies = tableToMarkdown(aq.from(r.tallies.map((t) => ({
    category: t.category,
    cases: t.cases,
    "refused, clear message": t.refused,
    "refused, unclear": t.unclear,
    "wrong successes": t.wrongSuccesses,
    "crashes / stack traces": t.crashes,
    hangs: t.hangs,
    "partial outputs left": t.partialOutputs,
  }))));
  const parts = [tallies];
  if (r.measurements.length) {
    parts.push(tableToMarkdown(aq.from(r.measurements.map((m) => ({
      measurement: m.name,
      value: Number(m.value.toFixed(1)),
      unit: m.unit,
      limit: m.limit ?? "",
      ok: m.limit === undefined || m.value <= m.limit ? "yes" : "NO",
    })))));
  }
  parts.push(
    r.failures.length
      ? `${r.failures.length} failures:\n` +
        r.failures.map((f) =>
          `- ${f.category} / ${f.name}: ${f.kind} (${f.detail})${
            f.leftovers.length ? `, left ${f.leftovers.join(", ")}` : ""
          }`
        ).join("\n")
      : `No failure (seed ${r.seed}, ${r.long ? "long" : "quick"} variant).`,
  );
  return parts.join("\n\n") + "\n";
}
