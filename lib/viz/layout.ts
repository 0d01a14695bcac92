/**
 * The last pass over every figure before it is drawn ({@linkcode tidyLayout}): a title too long
 * for the figure wraps onto lines and the top margin makes room for them (and for panel titles
 * above the plots), and every axis grows its margin to fit its tick labels, so no label is cut.
 *
 * @example
 * ```ts
 * import { tidyLayout } from "./layout.ts";
 * const f = tidyLayout({ data: [{ type: "bar", x: ["a"], y: [1] }], layout: { title: { text: "x ".repeat(80) } } });
 * console.log((f.layout.title as { text: string }).text.includes("<br>"), (f.layout.xaxis as { automargin: boolean }).automargin); // true true
 * ```
 * @module
 */
import type { Figure } from "./types.ts";
import { wrapTitle } from "./figures.ts";

type Obj = Record<string, unknown>;

/**
 * @param figure a figure
 * @returns a copy with a wrapped title, room for it, and self-sizing axis margins
 * @example
 * ```ts
 * import { tidyLayout } from "./layout.ts";
 * const f = tidyLayout({ data: [{ type: "scatter", x: [1], y: [1], xaxis: "x2", yaxis: "y2" }], layout: {} });
 * console.log(Object.keys(f.layout).sort()); // [ "height", "width", "xaxis2", "yaxis2" ]
 * ```
 */
export function tidyLayout(figure: Figure): Figure {
  // an explicit size (the one the PNG is drawn at, lib/viz/chromium.ts): left to Plotly, the
  // plot takes 450 px of a 500 px page and leaves the rest blank
  const layout: Obj = { width: 900, height: 500, ...figure.layout };
  const width = layout.width as number;
  const title = layout.title as { text?: string } | undefined;
  let lines = 0;
  if (title?.text) {
    const text = title.text.includes("<br>")
      ? title.text
      : wrapTitle(title.text, Math.floor(width / 9)).join("<br>");
    layout.title = { ...title, text };
    lines = text.split("<br>").length;
  }
  const annotations = (layout.annotations ?? []) as Obj[];
  const panelTitles = annotations.some((a) =>
    String(a.yref ?? "").includes("domain") && Number(a.y) > 1
  );
  if (lines) {
    const margin = { l: 60, r: 20, b: 50, ...(layout.margin as Obj ?? {}) } as Obj;
    margin.t = Math.max(Number(margin.t ?? 0), 30 + 22 * lines + (panelTitles ? 30 : 0));
    layout.margin = margin;
  }
  // every cartesian axis a trace uses, and every axis the layout names
  const axes = new Set<string>(Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k)));
  for (const t of figure.data) {
    const type = String(t.type ?? "scatter");
    if (["pie", "table", "sankey", "indicator"].includes(type)) continue;
    axes.add(`xaxis${String(t.xaxis ?? "x").slice(1)}`);
    axes.add(`yaxis${String(t.yaxis ?? "y").slice(1)}`);
  }
  for (const a of axes) layout[a] = { automargin: true, ...(layout[a] as Obj ?? {}) };
  return { ...figure, layout };
}
