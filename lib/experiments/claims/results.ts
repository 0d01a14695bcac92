/**
 * The tables a claims page is computed from: the CSV files `deno task reproduce` wrote under
 * `figures/`, read back by name (`"paper-a/paper_a_comparison"`), so a claim reads exactly the
 * numbers a reader can open.
 *
 * @example
 * ```ts
 * import { resultTables } from "./results.ts";
 * const t = resultTables("figures");
 * console.log(t.rows("paper-a/paper_a_comparison").map((r) => r.method)); // [ "Plaintext", "AES", "AES+RSA", "HE" ]
 * ```
 * @module
 */
import * as aq from "arquero";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MedCryptError } from "../../core/errors.ts";

/** One table row, column name → value (numbers parsed, booleans parsed). */
export type ResultRow = Record<string, unknown>;

/** The result tables of a figures folder. */
export interface ResultTables {
  /** The folder. */
  dir: string;
  /**
   * Every row of a table.
   *
   * @param name `<experiment>/<table>`, without `.csv`
   * @returns the rows; throws `missing-result` naming the file when it is not there
   */
  rows(name: string): ResultRow[];
  /**
   * The one row where `column` equals `value`.
   *
   * @param name the table
   * @param where column → value pairs that must all match
   * @returns the row; throws `missing-result` when no row or several rows match
   */
  row(name: string, where: Record<string, unknown>): ResultRow;
  /** Tables read so far (what a claim is based on). */
  read: Set<string>;
}

function number(v: unknown, where: string): number {
  const x = typeof v === "number" ? v : Number(v);
  if (v === null || v === undefined || v === "" || Number.isNaN(x) && v !== "NaN") {
    throw new MedCryptError("missing-result", `${where} holds no number (${String(v)})`);
  }
  return x;
}

/**
 * A number from a row, with an error naming the table and column when it is not one.
 *
 * @param row a row of {@linkcode ResultTables.row}
 * @param column the column
 * @param table the table's name, for the message
 * @returns the number
 * @example
 * ```ts
 * import { num } from "./results.ts";
 * console.log(num({ auc: "0.52" }, "auc", "t")); // 0.52
 * ```
 */
export function num(row: ResultRow, column: string, table = "the table"): number {
  if (!(column in row)) {
    throw new MedCryptError(
      "missing-result",
      `${table} has no column "${column}" (it has ${Object.keys(row).join(", ")})`,
    );
  }
  return number(row[column], `${table}, column "${column}"`);
}

/**
 * Opens the result tables of a figures folder (files are read when first asked for).
 *
 * @param dir the folder `deno task reproduce` wrote (default `figures`)
 * @returns the tables
 * @example
 * ```ts
 * import { num, resultTables } from "./results.ts";
 * const t = resultTables("figures");
 * const he = t.row("paper-a/paper_a_comparison", { method: "HE" });
 * console.log(num(he, "latency median (ms)") > 0); // true
 * ```
 */
export function resultTables(dir = "figures"): ResultTables {
  const cache = new Map<string, ResultRow[]>();
  const read = new Set<string>();
  const rows = (name: string): ResultRow[] => {
    const file = join(dir, `${name}.csv`);
    if (!cache.has(name)) {
      if (!existsSync(file)) {
        throw new MedCryptError(
          "missing-result",
          `${file} is missing: run \`deno task reproduce --only ${name.split("/")[0]}\``,
        );
      }
      cache.set(name, aq.fromCSV(readFileSync(file, "utf8")).objects() as ResultRow[]);
    }
    read.add(name);
    return cache.get(name)!;
  };
  return {
    dir,
    read,
    rows,
    row(name, where) {
      const hits = rows(name).filter((r) =>
        Object.entries(where).every(([k, v]) => String(r[k]) === String(v))
      );
      if (hits.length !== 1) {
        throw new MedCryptError(
          "missing-result",
          `${join(dir, name)}.csv has ${hits.length} rows where ${JSON.stringify(where)}, not one`,
        );
      }
      return hits[0];
    },
  };
}
