/**
 * Standalone, offline HTML for Plotly figures.
 *
 * @example
 * ```ts
 * import { figureHtml } from "./export.ts";
 * const html = figureHtml({ data: [{ type: "bar", y: [1, 2] }], layout: {} }, { plotlySrc: "plotly.min.js" });
 * console.log(html.includes("Plotly.newPlot")); // true
 * ```
 * @module
 */
import { join } from "node:path";
import { createRequire } from "node:module";
import { tidyLayout } from "./layout.ts";
import type { Figure } from "./types.ts";
import { writeFileAtomic } from "../core/fs.ts";

/**
 * @returns the text of the pinned plotly.js bundle (from the `plotly.js-dist` npm package)
 * @example
 * ```ts
 * import { plotlySource } from "./export.ts";
 * console.log(plotlySource().length > 1_000_000); // true
 * ```
 */
export function plotlySource(): string {
  const require = createRequire(import.meta.url);
  return Deno.readTextFileSync(require.resolve("plotly.js-dist"));
}

/**
 * Writes `plotly.min.js` into `dir` (once), for figures that reference it beside them.
 *
 * @param dir the folder
 * @returns the path written
 * @example
 * ```ts
 * import { writePlotlyBeside } from "./export.ts";
 * const dir = await Deno.makeTempDir();
 * console.log((await writePlotlyBeside(dir)).endsWith("plotly.min.js")); // true
 * ```
 */
export async function writePlotlyBeside(dir: string): Promise<string> {
  const p = join(dir, "plotly.min.js");
  const src = plotlySource();
  try {
    if ((await Deno.stat(p)).size === new TextEncoder().encode(src).length) return p;
  } catch { /* not there yet */ }
  await writeFileAtomic(p, new TextEncoder().encode(src));
  return p;
}

function escapeScript(json: string): string {
  return json.replaceAll("</", "<\\/");
}

/**
 * Renders a figure as a standalone HTML page. With `plotlySrc` the page loads plotly.js from that
 * (relative) path; without it plotly.js is inlined (≈ 4.6 MB, fully self-contained).
 *
 * @param figure the figure
 * @param options where plotly.js is, and a page title
 * @returns the HTML text; the figure's provenance is in `<script id="provenance">` as JSON
 * @example
 * ```ts
 * import { figureHtml } from "./export.ts";
 * const html = figureHtml({ data: [], layout: {} }, { plotlySrc: "p.js", title: "demo" });
 * console.log(html.startsWith("<!doctype html>")); // true
 * console.log(html.includes('<script src="p.js"></script>')); // true (plotly.js not inlined)
 * ```
 */
export function figureHtml(
  figure: Figure,
  options: { plotlySrc?: string; title?: string } = {},
): string {
  const script = options.plotlySrc
    ? `<script src="${options.plotlySrc}"></script>`
    : `<script>${plotlySource()}</script>`;
  const tidy = tidyLayout(figure);
  const spec = escapeScript(JSON.stringify({ data: tidy.data, layout: tidy.layout }));
  const prov = escapeScript(JSON.stringify(figure.provenance ?? {}));
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${options.title ?? "figure"}</title>
<meta name="generator" content="medcrypt-lab">
${script}
<script type="application/json" id="provenance">${prov}</script>
</head><body style="margin:0">
<div id="fig" style="width:100%;height:100vh"></div>
<script>
const spec = ${spec};
Plotly.newPlot("fig", spec.data, spec.layout, { responsive: true, displaylogo: false });
</script>
</body></html>
`;
}
