/**
 * Compares the tables of a `deno task reproduce` run with those committed at a git revision, cell
 * by cell, and says which cells differ. Timing cells (wall-clock, throughput, memory of the
 * running process) are expected to differ and are only counted; every other cell must be
 * identical as text. Cells that are the same number up to floating-point summation order
 * (relative difference ≤ 1e-12) are listed as such, apart from real differences.
 *
 * `deno run -A tasks/tools/compare_tables.ts --base REV --new DIR [--only EXPERIMENT …]`
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
  /(^|[_ \-(])(ms|s|seconds?|sec|per_s|gb_per_s|mb_per_s|images_per_s|throughput|latency|time|rss|heap|memory|cpu|speed|mbps|ratio_to_openssl|peak)([_ \-)]|$)|_ms$|Ms$|Seconds$|PerS$|MBps|rss|heap|cpu_ms|wall/i;

/** One differing cell. */
interface Diff {
  file: string;
  row: number;
  column: string;
  label: string;
  base: string;
  now: string;
  kind: "timing" | "rounding" | "changed";
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
 * @returns the differing cells, or one "changed" entry when the shapes differ
 */
export function compareCsv(file: string, baseText: string, newText: string): Diff[] {
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
          kind: classify(c, label, x, y),
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

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      base: { type: "string" },
      new: { type: "string" },
      only: { type: "string", multiple: true },
    },
  });
  if (!values.base || !values.new || !existsSync(values.new)) {
    console.error(
      "usage: compare_tables.ts --base GIT-REV --new FIGURES-DIR [--only EXPERIMENT …]",
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
    let base: Map<string, string>;
    try {
      base = committedCsvs(values.base, exp);
    } catch {
      console.log(`${exp}: no tables committed at ${values.base}`);
      continue;
    }
    for (const [f, text] of base) {
      const p = join(values.new, exp, f);
      if (!existsSync(p)) {
        console.log(`${exp}/${f}: MISSING in ${values.new}`);
        changed++;
        continue;
      }
      const diffs = compareCsv(`${exp}/${f}`, text, readFileSync(p, "utf8"));
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
          `${n("rounding")} differ by ≤ 1e-12 relative, ${n("changed")} changed`,
      );
      const timing = [
        ...new Set(
          diffs.filter((d) => d.kind === "timing").map((d) =>
            TIMING.test(d.column) ? d.column : `${d.column} of row "${d.label}"`
          ),
        ),
      ];
      if (timing.length) console.log(`    timing columns that differ: ${timing.join(", ")}`);
      for (const d of diffs.filter((d) => d.kind !== "timing")) {
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
