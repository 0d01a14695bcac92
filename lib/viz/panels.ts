/**
 * Small multiples: one trace per panel on a grid of independent axes, each panel titled. The
 * caller builds each panel's trace (a histogram of one image, a scatter of its pixel pairs, …);
 * this module lays them out, so figures that compare many images the same way share one layout.
 *
 * @example
 * ```ts
 * import { panelGridFigure } from "./panels.ts";
 * const f = panelGridFigure([
 *   { title: "a", trace: { type: "bar", x: [0, 1], y: [3, 4] } },
 *   { title: "b", trace: { type: "bar", x: [0, 1], y: [5, 1] } },
 * ], { title: "two panels" });
 * console.log(f.data.map((t) => t.xaxis)); // [ "x", "x2" ]
 * ```
 * @module
 */
import type { Figure, Trace } from "./types.ts";
import { type FigureOptions, wrapTitle } from "./figures.ts";
import { provenance } from "../core/provenance.ts";

/** One panel of {@linkcode panelGridFigure}. */
export interface Panel {
  /** Title written above the panel. */
  title: string;
  /** The panel's trace; its axes are assigned by the grid. */
  trace: Trace;
}

/** Options of {@linkcode panelGridFigure} (axis titles belong to the panels' own axes). */
export interface PanelGridOptions extends Omit<FigureOptions, "xTitle" | "yTitle"> {
  /** Panels per row. Default 3. */
  columns?: number;
  /** Height of one row in px (the figure is `rows × rowHeight` tall unless `height` is given). Default 260. */
  rowHeight?: number;
}

/**
 * Lays out one trace per panel on an independent-axes grid (Plotly's `grid` with
 * `pattern: "independent"`), filling rows left to right, with each panel's title centred above
 * it; the legend is hidden since the titles name the panels.
 *
 * @param panels the panels, in reading order
 * @param options `columns`, `rowHeight`, title, provenance
 * @returns the figure
 * @example
 * ```ts
 * import { panelGridFigure } from "./panels.ts";
 * const panels = [1, 2, 3, 4].map((k) => ({ title: `n=${k}`, trace: { type: "bar", x: [0], y: [k] } }));
 * const f = panelGridFigure(panels, { columns: 3, rowHeight: 200 });
 * console.log(f.layout.height, (f.layout.grid as { rows: number }).rows); // 400 2
 * ```
 */
export function panelGridFigure(
  panels: readonly Panel[],
  options: PanelGridOptions = {},
): Figure {
  const cols = options.columns ?? 3, rowsN = Math.ceil(panels.length / cols);
  const annotations: Record<string, unknown>[] = [];
  const data = panels.map((p, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    annotations.push({
      text: p.title,
      xref: `x${ax} domain`,
      yref: `y${ax} domain`,
      x: 0.5,
      y: 1.12,
      showarrow: false,
      font: { size: 11 },
    });
    return { ...p.trace, xaxis: `x${ax}`, yaxis: `y${ax}` };
  });
  // every panel's axes grow their margins to fit long tick labels
  const axes = Object.fromEntries(panels.flatMap((_, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    return [[`xaxis${ax}`, { automargin: true }], [`yaxis${ax}`, { automargin: true }]];
  }));
  const titleLines = options.title
    ? wrapTitle(options.title, Math.floor((options.width ?? 900) / 9))
    : [];
  const layout: Record<string, unknown> = {
    ...(options.title ? { title: { text: titleLines.join("<br>") } } : {}),
    margin: { l: 60, r: 20, t: 40 + 22 * titleLines.length, b: 60 },
    showlegend: false,
    grid: { rows: rowsN, columns: cols, pattern: "independent" },
    height: options.height ?? (options.rowHeight ?? 260) * rowsN,
    annotations,
    ...axes,
  };
  if (options.width) layout.width = options.width;
  return {
    data,
    layout,
    provenance: options.provenance ??
      provenance({
        params: { builder: "panelGridFigure", ...(options.params ?? {}) },
        seed: options.seed,
      }),
  };
}
