/**
 * What a claim is: the paper's words, the tables it is measured from, and a function that
 * computes the measurement and the verdict from those tables.
 *
 * @example
 * ```ts
 * import { f, interval, ratio } from "./types.ts";
 * console.log(f(3.14159, 2), interval(0.52, 0.497, 0.543), ratio(11.3)); // 3.14 0.520 [0.497, 0.543] 11× larger than
 * ```
 * @module
 */
import type { ResultTables } from "./results.ts";

/** How a claim came out. */
export type Verdict = "reproduced" | "refuted" | "not defined by the paper" | "not testable here";

/** Every verdict, in the order a page lists them. */
export const VERDICTS: readonly Verdict[] = [
  "reproduced",
  "refuted",
  "not defined by the paper",
  "not testable here",
];

/** A claim's measurement. */
export interface Measurement {
  /** What was measured, with its interval where there is one. */
  measured: string;
  /** The verdict. */
  verdict: Verdict;
  /** One line on why. */
  why: string;
}

/** One checkable claim of a paper. */
export interface Claim {
  /** Short id, e.g. `"A3"`. */
  id: string;
  /** What it is about. */
  topic: string;
  /** The paper's wording, short. */
  wording: string;
  /** The result tables it reads (`<experiment>/<table>`), linked from the page. */
  tables: string[];
  /** A figure that shows it (path under `figures/`). */
  figure?: string;
  /** Computes the measurement from the tables. */
  measure(tables: ResultTables): Measurement;
}

/**
 * @param x a number
 * @param digits decimals
 * @returns `x` with `digits` decimals, thousands separated
 * @example
 * ```ts
 * import { f } from "./types.ts";
 * console.log(f(1234.5, 1)); // 1,234.5
 * ```
 */
export function f(x: number, digits: number): string {
  return x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * @param value the estimate
 * @param low lower end of its 95 % interval
 * @param high upper end
 * @returns `value [low, high]` with three decimals
 * @example
 * ```ts
 * import { interval } from "./types.ts";
 * console.log(interval(0.5, 0.45, 0.55)); // 0.500 [0.450, 0.550]
 * ```
 */
export function interval(value: number, low: number, high: number): string {
  return `${value.toFixed(3)} [${low.toFixed(3)}, ${high.toFixed(3)}]`;
}

/**
 * @param r a ratio
 * @returns "N× larger than" or "N× smaller than"
 * @example
 * ```ts
 * import { ratio } from "./types.ts";
 * console.log(ratio(0.25)); // 4× smaller than
 * ```
 */
export function ratio(r: number): string {
  return r >= 1 ? `${f(r, 0)}× larger than` : `${f(1 / r, 0)}× smaller than`;
}
