/**
 * Writes experiment results to disk: tables as CSV, Markdown and HTML; figures as standalone
 * HTML (plotly.js beside them, so they work offline). Every file is written atomically.
 *
 * @example
 * ```ts
 * import { writeExperimentResult } from "./mod.ts";
 * import * as aq from "arquero";
 * const dir = await Deno.makeTempDir();
 * const files = await writeExperimentResult(dir, "demo", {
 *   tables: [{ name: "t", table: aq.table({ a: [1, 2] }) }],
 *   figures: [],
 * });
 * console.log(files.length); // 3
 * ```
 * @module
 */
import { join } from "node:path";
import type { ExperimentResult } from "../experiments/types.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { figureHtml, writePlotlyBeside } from "../viz/export.ts";
import { tableToCsv, tableToHtml, tableToMarkdown } from "./tables.ts";

export * from "./tables.ts";

/**
 * Writes one experiment's tables and figures under `outDir/<experiment>/`.
 *
 * @param outDir the figures folder
 * @param experiment the experiment's name (a sub-folder)
 * @param result what it returned
 * @returns the paths written
 * @example
 * ```ts
 * import { writeExperimentResult } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * console.log((await writeExperimentResult(dir, "x", { tables: [], figures: [] })).length); // 0
 * ```
 */
export async function writeExperimentResult(
  outDir: string,
  experiment: string,
  result: ExperimentResult,
): Promise<string[]> {
  const dir = join(outDir, experiment);
  await Deno.mkdir(dir, { recursive: true });
  const enc = new TextEncoder();
  const written: string[] = [];
  const put = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFileAtomic(p, enc.encode(text));
    written.push(p);
  };
  for (const t of result.tables) {
    await put(`${t.name}.csv`, tableToCsv(t.table));
    await put(
      `${t.name}.md`,
      (t.caption ? `${t.caption}\n\n` : "") + tableToMarkdown(t.table) + "\n",
    );
    await put(`${t.name}.html`, tableToHtml(t.table, t.caption));
  }
  if (result.figures.length) await writePlotlyBeside(outDir);
  for (const f of result.figures) {
    await put(
      `${f.name}.html`,
      figureHtml(f.figure, { plotlySrc: "../plotly.min.js", title: f.name }),
    );
  }
  if (result.notes?.length) {
    await put(
      "NOTES.md",
      result.notes.map((n) => `- ${n}`).join("\n") + "\n",
    );
  }
  return written;
}
