/**
 * Writes experiment results to disk: tables as CSV, Markdown and HTML; figures as standalone
 * HTML (plotly.js beside them, so they work offline) and, when headless Chromium is installed, a
 * PNG beside each HTML. Every figure carries its provenance (commit, Deno, backend, parameters,
 * seed): in the HTML (`<script id="provenance">`) and in the PNG (`tEXt` chunk `provenance`);
 * a figure without one gets the run's. `provenance.json` records the run. Every file is written
 * atomically.
 *
 * @example
 * ```ts
 * import { writeExperimentResult } from "./mod.ts";
 * import * as aq from "arquero";
 * const dir = await Deno.makeTempDir();
 * const files = await writeExperimentResult(dir, "demo", {
 *   tables: { t: { name: "t", table: aq.table({ a: [1, 2] }) } },
 *   figures: {},
 * });
 * console.log(files.length); // 4
 * ```
 * @module
 */
import { join } from "node:path";
import type { ExperimentResult } from "./types.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { figureHtml, writePlotlyBeside } from "../viz/export.ts";
import { tidyLayout } from "../viz/layout.ts";
import { exportPng, findChromium } from "../viz/chromium.ts";
import { type Provenance, provenance } from "../core/provenance.ts";
import { tableToCsv, tableToHtml, tableToMarkdown } from "../viz/tables.ts";

export type * from "./types.ts";

/** Options of {@linkcode writeExperimentResult}. */
export interface WriteOptions {
  /**
   * Write a PNG beside each figure's HTML with headless Chromium. Default: when Chromium is
   * installed and the environment variable `MEDCRYPT_PNG` is not `0`.
   */
  png?: boolean;
  /** Parameters of the run (scale, …), recorded for figures without their own provenance. */
  params?: Record<string, unknown>;
  /** Seed of the run, recorded likewise. */
  seed?: number;
}

function pngDefault(): boolean {
  let env: string | undefined;
  try {
    env = Deno.env.get("MEDCRYPT_PNG");
  } catch { /* no env permission */ }
  return env !== "0" && findChromium() !== undefined;
}

/**
 * Writes one experiment's tables and figures under `outDir/<experiment>/`.
 *
 * @param outDir the figures folder
 * @param experiment the experiment's name (a sub-folder)
 * @param result what it returned
 * @param options PNG export on/off, the run's parameters and seed
 * @returns the paths written
 * @example
 * ```ts
 * import { writeExperimentResult } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * console.log((await writeExperimentResult(dir, "x", { tables: {}, figures: {} })).length); // 1
 * ```
 */
export async function writeExperimentResult(
  outDir: string,
  experiment: string,
  result: ExperimentResult,
  options: WriteOptions = {},
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
  for (const t of Object.values(result.tables)) {
    await put(`${t.name}.csv`, tableToCsv(t.table));
    await put(
      `${t.name}.md`,
      (t.caption ? `${t.caption}\n\n` : "") + tableToMarkdown(t.table) + "\n",
    );
    await put(`${t.name}.html`, tableToHtml(t.table, t.caption));
  }
  const figures = Object.values(result.figures);
  if (figures.length) await writePlotlyBeside(outDir);
  const runProv: Provenance = provenance({
    params: { experiment, ...(options.params ?? {}) },
    seed: options.seed,
  });
  const png = options.png ?? pngDefault();
  for (const f of figures) {
    const figure = { ...f.figure, provenance: f.figure.provenance ?? runProv };
    await put(
      `${f.name}.html`,
      figureHtml(figure, { plotlySrc: "../plotly.min.js", title: f.name }),
    );
    if (png) {
      // the size the page draws at (tidyLayout gives every figure one)
      const { width, height } = tidyLayout(figure).layout as { width: number; height: number };
      const p = await exportPng(join(dir, `${f.name}.html`), join(dir, `${f.name}.png`), {
        width,
        height,
      });
      written.push(p);
    }
  }
  await put(
    "provenance.json",
    JSON.stringify(
      {
        ...runProv,
        figures: Object.fromEntries(
          figures.map((f) => [f.name, f.figure.provenance ?? null]),
        ),
        tables: Object.values(result.tables).map((t) => t.name),
        randomised: Object.fromEntries(
          Object.values(result.tables).filter((t) => t.randomised?.length).map((
            t,
          ) => [t.name, t.randomised]),
        ),
      },
      null,
      2,
    ) + "\n",
  );
  if (result.notes?.length) {
    await put(
      "NOTES.md",
      result.notes.map((n) => `- ${n}`).join("\n") + "\n",
    );
  }
  return written;
}
