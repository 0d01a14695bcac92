/**
 * Compares the tables of a `deno task reproduce` run with those committed at a git revision, cell
 * by cell, and says which cells differ. Timing cells (wall-clock, throughput, memory of the
 * running process) are expected to differ and are only counted; so are the cells the experiment
 * declares randomised in its `provenance.json` (drawn from unseedable cryptographic randomness:
 * WebCrypto keys and nonces, CKKS noise), which are listed with the reason. Every other cell must
 * be identical as text. Cells that are the same number up to floating-point summation order
 * (relative difference ≤ 1e-12) are listed as such, apart from real differences.
 *
 * `deno run -A tasks/tools/compare_tables.ts --base REV --new DIR [--only EXPERIMENT …]`, or
 * `--base-dir DIR` instead of `--base REV` to compare two runs (e.g. two seeds, or two runs of one
 * seed).
 *
 * Exit status: 0 when no non-timing cell differs beyond rounding, 1 otherwise, 2 on bad usage.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as aq from "arquero";

/** Column or row names of quantities measured on the clock or of the running process. */
const TIMING =
  /(^|[_ \-(])(ms|s|seconds?|sec|per_s|gb_per_s|mb_per_s|images_per_s|throughput|latency|img\/s|time|rss|heap|memory|cpu|speed|mbps|ratio_to_openssl|peak)([_ \-)]|$)|_ms$|Ms$|Seconds$|PerS$|MBps|rss|heap|cpu_ms|wall|\bms\/|MB\/s/i;

/** One differing cell. */
interface Diff {
  file: string;
  row: number;
  column: string;
  label: string;
  base: string;
  now: string;
  kind: "timing" | "randomised" | "rounding" | "changed";
}

/** Cells an experiment declares randomised (`provenance.json` → `randomised[table]`). */
interface RandomisedCells {
  columns: string[];
  rows?: number[];
  reason: string;
}

/** The reason a cell is declared randomised, or undefined. */
function randomisedReason(
  cells: readonly RandomisedCells[],
  row: number,
  column: string,
): string | undefined {
  return cells.find((c) => c.columns.includes(column) && (!c.rows || c.rows.includes(row)))
    ?.reason;
}

function declaredRandomised(dir: string, experiment: string): Record<string, RandomisedCells[]> {
  const p = join(dir, experiment, "provenance.json");
  if (!existsSync(p)) return {};
  return JSON.parse(readFileSync(p, "utf8")).randomised ?? {};
}

function parseCsv(text: string): aq.ColumnTable {
  return aq.fromCSV(text, { autoType: false });
}

function classify(column: string, rowLabel: string, a: string, b: string): Diff["kind"] {
  if (TIMING.test(column) || TIMING.test(rowLabel)) return "timing";
  const x = Number(a), y = Number(b);
  if (a !== "" && b !== "" && Number.isFinite(x) && Number.isFinite(y)) {
    if (Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x), Math.abs(y))) return "rounding";
  }
  return "changed";
}

/**
 * Compares two CSV texts of one table.
 *
 * @param file the table's path (for messages)
 * @param baseText the committed CSV
 * @param newText the new CSV
 * @param randomised the cells the new run declares randomised
 * @returns the differing cells, or one "changed" entry when the shapes differ
 */
export function compareCsv(
  file: string,
  baseText: string,
  newText: string,
  randomised: readonly RandomisedCells[] = [],
): Diff[] {
  const a = parseCsv(baseText), b = parseCsv(newText);
  const colsA = a.columnNames(), colsB = b.columnNames();
  if (colsA.join() !== colsB.join() || a.numRows() !== b.numRows()) {
    return [{
      file,
      row: -1,
      column: "(shape)",
      label: "",
      base: `${a.numRows()} rows × [${colsA.join(", ")}]`,
      now: `${b.numRows()} rows × [${colsB.join(", ")}]`,
      kind: "changed",
    }];
  }
  const out: Diff[] = [];
  for (let r = 0; r < a.numRows(); r++) {
    const label = String(a.get(colsA[0], r) ?? "");
    for (const c of colsA) {
      const x = String(a.get(c, r) ?? ""), y = String(b.get(c, r) ?? "");
      if (x !== y) {
        out.push({
          file,
          row: r,
          column: c,
          label,
          base: x,
          now: y,
          kind: randomisedReason(randomised, r, c) ? "randomised" : classify(c, label, x, y),
        });
      }
    }
  }
  return out;
}

function committedCsvs(rev: string, experiment: string): Map<string, string> {
  const files = execFileSync("git", ["ls-tree", "--name-only", `${rev}:figures/${experiment}/`], {
    encoding: "utf8",
  }).split("\n").filter((f) => f.endsWith(".csv"));
  return new Map(
    files.map((f) => [
      f,
      execFileSync("git", ["show", `${rev}:figures/${experiment}/${f}`], { encoding: "utf8" }),
    ]),
  );
}

function runCsvs(dir: string, experiment: string): Map<string, string> {
  const d = join(dir, experiment);
  return new Map(
    readdirSync(d).filter((f) => f.endsWith(".csv")).map((
      f,
    ) => [f, readFileSync(join(d, f), "utf8")]),
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      base: { type: "string" },
      "base-dir": { type: "string" },
      new: { type: "string" },
      only: { type: "string", multiple: true },
    },
  });
  if (!(values.base || values["base-dir"]) || !values.new || !existsSync(values.new)) {
    console.error(
      "usage: compare_tables.ts (--base GIT-REV | --base-dir DIR) --new FIGURES-DIR [--only EXPERIMENT …]",
    );
    Deno.exit(2);
  }
  const experiments = values.only?.length
    ? values.only
    : readdirSync(values.new, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) =>
      d.name
    ).sort();
  let changed = 0;
  for (const exp of experiments) {
    const randomised = declaredRandomised(values.new, exp);
    let base: Map<string, string>;
    try {
      base = values["base-dir"]
        ? runCsvs(values["base-dir"], exp)
        : committedCsvs(values.base!, exp);
    } catch {
      console.log(`${exp}: no tables at ${values["base-dir"] ?? values.base}`);
      continue;
    }
    for (const [f, text] of base) {
      const p = join(values.new, exp, f);
      if (!existsSync(p)) {
        console.log(`${exp}/${f}: MISSING in ${values.new}`);
        changed++;
        continue;
      }
      const declared = randomised[f.replace(/\.csv$/, "")] ?? [];
      const diffs = compareCsv(`${exp}/${f}`, text, readFileSync(p, "utf8"), declared);
      const n = (k: Diff["kind"]) => diffs.filter((d) => d.kind === k).length;
      const cells = parseCsv(text);
      const total = cells.numRows() * cells.numCols();
      const verdict = n("changed")
        ? "DIFFERENT"
        : n("rounding")
        ? "same up to rounding in every non-timing cell"
        : "identical in every non-timing cell";
      console.log(
        `${exp}/${f}: ${verdict} — ${total} cells, ${n("timing")} timing cells differ (ignored), ` +
          `${n("randomised")} declared randomised differ, ${n("rounding")} differ by ≤ 1e-12 ` +
          `relative, ${n("changed")} changed`,
      );
      for (const c of declared) {
        const k = diffs.filter((d) =>
          d.kind === "randomised" && randomisedReason([c], d.row, d.column)
        ).length;
        if (k) console.log(`    randomised (${c.reason}): ${k} cells in ${c.columns.join(", ")}`);
      }
      const timing = [
        ...new Set(
          diffs.filter((d) => d.kind === "timing").map((d) =>
            TIMING.test(d.column) ? d.column : `${d.column} of row "${d.label}"`
          ),
        ),
      ];
      if (timing.length) console.log(`    timing columns that differ: ${timing.join(", ")}`);
      for (const d of diffs.filter((d) => d.kind !== "timing" && d.kind !== "randomised")) {
        console.log(
          `    ${d.kind === "rounding" ? "≈" : "≠"} row ${
            d.row + 1
          }, ${d.column}: ${d.base} → ${d.now}`,
        );
      }
      changed += n("changed");
    }
    for (const f of readdirSync(join(values.new, exp)).filter((f) => f.endsWith(".csv"))) {
      if (!base.has(basename(f))) console.log(`${exp}/${f}: new table (not committed before)`);
    }
  }
  console.log(changed ? `${changed} non-timing cells changed` : "no non-timing cell changed");
  Deno.exit(changed ? 1 : 0);
}
