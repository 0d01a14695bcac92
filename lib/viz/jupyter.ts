/**
 * Showing figures and tables in the Deno Jupyter kernel.
 *
 * A figure is displayed as one MIME bundle (each output stays far below 1 MB; plotly.js is never
 * inlined, because the kernel corrupts its message stream near 5 MB):
 * - `application/vnd.plotly.v1+json`: the interactive figure, drawn by front ends that have a
 *   Plotly renderer (VS Code, JupyterLab with the `jupyterlab-plotly` extension);
 * - `image/png`: the same figure rendered by headless Chromium (when installed), which every
 *   front end draws (JupyterLab and the classic notebook without extensions, GitHub);
 * - `text/html`: only when there is no PNG, a small note naming the figure and how to see it;
 * - `text/plain`: a one-line summary.
 *
 * Outside the kernel (e.g. `deno run`), {@linkcode show} prints the summary line instead.
 *
 * @example
 * ```ts
 * import { figureBundle } from "./jupyter.ts";
 * const b = await figureBundle({ data: [{ type: "bar", y: [1, 2] }], layout: {} }, { png: false });
 * console.log(Object.keys(b).length, "image/png" in b); // 3 false
 * console.log(b["text/plain"]); // Figure "figure": 1 trace(s) (bar)
 * ```
 * @module
 */
import type { ColumnTable } from "arquero";
import type { Figure } from "./types.ts";
import { findChromium, renderFigurePng } from "./chromium.ts";
import { tableToHtmlFragment, tableToMarkdown } from "./tables.ts";

/** A Jupyter MIME bundle. */
export type MimeBundle = Record<string, unknown>;

/** Options of {@linkcode show}. */
export interface ShowOptions {
  /** Add a PNG rendered by headless Chromium. Default: when Chromium is installed and
   * `MEDCRYPT_SHOW_PNG` is not `0`. */
  png?: boolean;
  /** PNG width in px (default: the layout's width, else 900). */
  width?: number;
  /** PNG height in px (default: the layout's height, else 500). */
  height?: number;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function title(figure: Figure): string {
  const t = figure.layout.title;
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") {
    return (t as { text: string }).text;
  }
  return "figure";
}

function summary(figure: Figure): string {
  const types = [...new Set(figure.data.map((t) => t.type ?? "scatter"))].join(", ");
  return `Figure "${title(figure)}": ${figure.data.length} trace(s) (${types})` +
    (figure.provenance ? `; commit ${figure.provenance.commit}` : "");
}

function envFlag(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Builds the MIME bundle {@linkcode show} displays.
 *
 * @param figure the figure
 * @param options PNG on/off and size
 * @returns the bundle
 * @example
 * ```ts
 * import { figureBundle } from "./jupyter.ts";
 * const b = await figureBundle({ data: [], layout: { title: { text: "t" } } }, { png: false });
 * console.log(b["text/plain"]); // Figure "t": 0 trace(s) ()
 * ```
 */
export async function figureBundle(figure: Figure, options: ShowOptions = {}): Promise<MimeBundle> {
  const bundle: MimeBundle = {
    "application/vnd.plotly.v1+json": {
      data: figure.data,
      layout: figure.layout,
      config: { displaylogo: false, responsive: true },
    },
    "text/plain": summary(figure),
  };
  const wantPng = options.png ?? (envFlag("MEDCRYPT_SHOW_PNG") !== "0" && !!findChromium());
  if (wantPng) {
    const png = await renderFigurePng(figure, { width: options.width, height: options.height });
    bundle["image/png"] = base64(png);
  } else {
    bundle["text/html"] = `<div style="font-family:sans-serif;color:#555;border:1px dashed #aaa;` +
      `padding:6px">${summary(figure).replaceAll("<", "&lt;")}. This front end has no Plotly ` +
      `renderer and no PNG was made (headless Chromium not installed): install Chromium, or ` +
      `open the HTML that <code>deno task reproduce</code> writes under <code>figures/</code>.</div>`;
  }
  return bundle;
}

interface JupyterNs {
  display(obj: unknown, options?: { raw?: boolean }): Promise<void>;
}

function jupyter(): JupyterNs | undefined {
  try {
    // Accessing Deno.jupyter throws outside `deno jupyter`.
    return (Deno as unknown as { jupyter: JupyterNs }).jupyter;
  } catch {
    return undefined;
  }
}

/**
 * Displays a figure in the notebook (see the module doc for what each front end shows).
 * Outside Jupyter it prints a one-line summary.
 *
 * @param figure the figure
 * @param options PNG on/off and size
 * @returns nothing
 * @example
 * ```ts
 * import { figureBundle, show } from "./jupyter.ts";
 * const fig = { data: [{ type: "bar", y: [1] }], layout: { title: "loss" } };
 * await show(fig, { png: false }); // outside Jupyter it prints: Figure "loss": 1 trace(s) (bar)
 * const bundle = await figureBundle(fig, { png: false }); // what show hands to Jupyter
 * console.log(bundle["text/plain"]); // Figure "loss": 1 trace(s) (bar)
 * ```
 */
export async function show(figure: Figure, options: ShowOptions = {}): Promise<void> {
  const j = jupyter();
  if (!j) {
    console.log(summary(figure));
    return;
  }
  await j.display(await figureBundle(figure, options), { raw: true });
}

/**
 * Displays an arquero table as HTML (with a Markdown/plain-text fallback), at most `maxRows`
 * rows. Outside Jupyter it prints the Markdown.
 *
 * @param table the table
 * @param options caption and row limit (default 50)
 * @returns nothing
 * @example
 * ```ts
 * import { showTable } from "./jupyter.ts";
 * import * as aq from "arquero";
 * await showTable(aq.table({ a: [1, 2, 3] }), { caption: "demo", maxRows: 2 });
 * // outside Jupyter it prints the Markdown it would display:
 * // demo
 * //
 * // | a |
 * // | --- |
 * // | 1 |
 * // | 2 |
 * //
 * // (1 more rows)
 * ```
 */
export async function showTable(
  table: ColumnTable,
  options: { caption?: string; maxRows?: number } = {},
): Promise<void> {
  const max = options.maxRows ?? 50;
  const shown = table.numRows() > max ? table.slice(0, max) : table;
  const more = table.numRows() > max ? `\n\n(${table.numRows() - max} more rows)` : "";
  const md = (options.caption ? `${options.caption}\n\n` : "") + tableToMarkdown(shown) + more;
  const j = jupyter();
  if (!j) {
    console.log(md);
    return;
  }
  await j.display({
    "text/html": tableToHtmlFragment(shown, options.caption) +
      (more ? `<p>${more.trim()}</p>` : ""),
    "text/markdown": md,
    "text/plain": md,
  }, { raw: true });
}
