/**
 * Figures for MedCrypt Lab: Plotly figure builders, display in the Deno Jupyter kernel, and
 * export to standalone offline HTML and (with headless Chromium) PNG. Every figure carries the
 * provenance of what produced it (commit, backend, parameters, seed).
 *
 * @example
 * ```ts
 * import { imageFigure, show } from "./mod.ts";
 * import { medImage } from "../image/types.ts";
 * const ct = medImage(new Uint16Array(64 * 64).map((_, i) => i % 4096), 64, 64, { bitDepth: 12, modality: "CT" });
 * const fig = imageFigure(ct, { title: "a 12-bit ramp" });
 * console.log(fig.data[0].zmax); // 4095
 * await show(fig, { png: false }); // in a notebook: an inline figure
 * ```
 * @module
 */
export type { Figure, Trace } from "./types.ts";
export { figureHtml, plotlySource, writePlotlyBeside } from "./export.ts";
export { tidyLayout } from "./layout.ts";
export {
  barFigure,
  binValues,
  downsampleRows,
  type FigureOptions,
  type Histogram,
  histogramFigure,
  imageFigure,
  imageGridFigure,
  type ImageOptions,
  type IntensityRange,
  lineFigure,
  plainArray,
  rocFigure,
  type RocSeries,
  scatterFigure,
  type Series,
  tableFigure,
} from "./figures.ts";
export {
  addPngText,
  checkFigureInChromium,
  type ChromiumOptions,
  countDrawn,
  type DrawnFigure,
  dumpDom,
  exportPng,
  type FigureCheck,
  findChromium,
  renderFigurePng,
} from "./chromium.ts";
export { reliabilityFigure, rocFigureLogLog } from "./evaluation.ts";
export { figureBundle, type MimeBundle, show, type ShowOptions, showTable } from "./jupyter.ts";
export { type Panel, panelGridFigure, type PanelGridOptions } from "./panels.ts";
