/**
 * What an experiment hands to the report writer: named tables and figures, each a field of its
 * own so a notebook reads `result.tables.comparison` and a rename fails at type-check time.
 *
 * @example
 * ```ts
 * import type { ExperimentResult, NamedTable } from "./types.ts";
 * import * as aq from "arquero";
 * const result: ExperimentResult<{ sizes: NamedTable }> = {
 *   tables: { sizes: { name: "sizes", table: aq.table({ n: [1, 2, 3] }) } },
 *   figures: {},
 * };
 * console.log(result.tables.sizes.table.numRows()); // 3
 * ```
 * @module
 */
import type { ColumnTable } from "arquero";
import type { Figure } from "../viz/types.ts";

/** A named table. */
export interface NamedTable {
  /** File stem, e.g. `"paper_a_comparison"`; written as CSV, Markdown and HTML. */
  name: string;
  /** The table. */
  table: ColumnTable;
  /** One-line caption. */
  caption?: string;
}

/** A named figure. */
export interface NamedFigure {
  /** File stem, e.g. `"throughput_vs_size"`; written as HTML (and PNG when Chromium is there). */
  name: string;
  /** The figure. */
  figure: Figure;
}

/** Tables of a result, one field each (written in field order). */
export type Tables = Record<string, NamedTable>;
/** Figures of a result, one field each (written in field order). */
export type Figures = Record<string, NamedFigure>;

/** What an experiment returns: its tables and figures as named fields, and computed notes. */
export interface ExperimentResult<
  T extends Tables | NamedTable[] = Tables | NamedTable[],
  F extends Figures | NamedFigure[] = Figures | NamedFigure[],
> {
  /** Tables, one field each. */
  tables: T;
  /** Figures, one field each. */
  figures: F;
  /** Sentences worth reading (findings, what did not reproduce), each computed. */
  notes?: string[];
}
