/**
 * Plotly figure builders used across the project. Each returns a {@linkcode Figure}: a plain
 * Plotly spec (JSON-safe: typed arrays become plain arrays) plus the provenance of what made it.
 * Figures stay small enough for a notebook cell (< 1 MB): images are block-averaged down to
 * `maxSide` pixels and histograms are binned here, not in the browser.
 *
 * @example
 * ```ts
 * import { histogramFigure, lineFigure } from "./figures.ts";
 * const fig = lineFigure([{ name: "loss", x: [1, 2, 3], y: [0.9, 0.5, 0.4] }], { title: "training" });
 * console.log(fig.data.length, fig.provenance?.commit !== undefined); // 1 true
 * const h = histogramFigure([{ name: "px", values: new Uint8Array([0, 1, 1, 255]) }], { bins: 4, range: [0, 256] });
 * console.log(h.data[0].type); // "bar"
 * ```
 * @module
 */
import type { ColumnTable } from "arquero";
import type { Figure, Trace } from "./types.ts";
import type { MedImage } from "../image/types.ts";
import { type Provenance, provenance } from "../core/provenance.ts";
import { MedCryptError } from "../core/errors.ts";

/** Options shared by every builder. */
export interface FigureOptions {
  /** Figure title. */
  title?: string;
  /** x axis title. */
  xTitle?: string;
  /** y axis title. */
  yTitle?: string;
  /** Width in px (default: responsive). */
  width?: number;
  /** Height in px. */
  height?: number;
  /** The provenance to record; default: built from `params` and `seed`. */
  provenance?: Provenance;
  /** Parameters of the computation behind the figure (recorded in the provenance). */
  params?: Record<string, unknown>;
  /** Seed of the computation (recorded in the provenance). */
  seed?: number;
}

/** One line or point series. */
export interface Series {
  /** Legend name. */
  name?: string;
  /** x values (numbers or category labels). */
  x: ArrayLike<number> | readonly string[];
  /** y values. */
  y: ArrayLike<number>;
  /** Plotly mode; default `"lines"` for {@linkcode lineFigure}, `"markers"` for scatter. */
  mode?: "lines" | "markers" | "lines+markers";
  /** Optional symmetric error bars. */
  error?: ArrayLike<number>;
}

/**
 * A plain number array from any array-like (typed arrays do not serialise as JSON arrays);
 * non-finite values become `NaN` (drawn as gaps).
 *
 * @param a the values
 * @returns a plain array
 * @example
 * ```ts
 * import { plainArray } from "./figures.ts";
 * console.log(JSON.stringify(plainArray(new Float32Array([1, 2])))); // "[1,2]"
 * ```
 */
export function plainArray(a: ArrayLike<number>): number[] {
  return Array.from(a, (v) => (Number.isFinite(v) ? v : NaN));
}

function prov(options: FigureOptions, builder: string): Provenance {
  return options.provenance ??
    provenance({ params: { builder, ...(options.params ?? {}) }, seed: options.seed });
}

/**
 * Twenty distinguishable colours (Tableau 20, dark shades first), so that figures with more than
 * Plotly's ten default colours never give two traces the same one.
 *
 * @example
 * ```ts
 * import { COLORWAY } from "./figures.ts";
 * console.log(COLORWAY.length, new Set(COLORWAY).size); // 20 20
 * ```
 */
export const COLORWAY: readonly string[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
  "#aec7e8",
  "#ffbb78",
  "#98df8a",
  "#ff9896",
  "#c5b0d5",
  "#c49c94",
  "#f7b6d2",
  "#c7c7c7",
  "#dbdb8d",
  "#9edae5",
];

function baseLayout(options: FigureOptions): Record<string, unknown> {
  const layout: Record<string, unknown> = {
    template: "plotly_white",
    colorway: [...COLORWAY],
    margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 50 },
  };
  if (options.title) {
    // wrapped to the figure's width (about 9 px per character at Plotly's 17 px title font)
    const lines = wrapTitle(options.title, Math.floor((options.width ?? 900) / 9));
    layout.title = { text: lines.join("<br>") };
    (layout.margin as { t: number }).t = 30 + 22 * lines.length;
  }
  // margins grow to fit tick labels and axis titles, so long category names are never cut
  layout.xaxis = { automargin: true };
  layout.yaxis = { automargin: true };
  if (options.xTitle) axis(layout, "xaxis", { title: { text: options.xTitle } });
  if (options.yTitle) axis(layout, "yaxis", { title: { text: options.yTitle } });
  if (options.width) layout.width = options.width;
  if (options.height) layout.height = options.height;
  return layout;
}

function axis(layout: Record<string, unknown>, key: string, extra: Record<string, unknown>) {
  layout[key] = { ...(layout[key] as Record<string, unknown> ?? {}), ...extra };
}

/**
 * Line chart of one or more series.
 *
 * @param series the series
 * @param options titles, log axes, provenance
 * @returns the figure
 * @example
 * ```ts
 * import { lineFigure } from "./figures.ts";
 * const f = lineFigure([{ x: [1, 10, 100], y: [1, 2, 3] }], { logX: true });
 * console.log((f.layout.xaxis as { type: string }).type); // "log"
 * ```
 */
export function lineFigure(
  series: readonly Series[],
  options: FigureOptions & { logX?: boolean; logY?: boolean } = {},
): Figure {
  const data: Trace[] = series.map((s) => {
    const t: Trace = {
      type: "scatter",
      mode: s.mode ?? "lines",
      name: s.name,
      x: typeof s.x[0] === "string" ? Array.from(s.x as readonly string[]) : plainArray(
        s.x as ArrayLike<number>,
      ),
      y: plainArray(s.y),
    };
    if (s.error) t.error_y = { type: "data", array: plainArray(s.error), visible: true };
    return t;
  });
  const layout = baseLayout(options);
  if (options.logX) axis(layout, "xaxis", { type: "log", exponentformat: "power" });
  if (options.logY) axis(layout, "yaxis", { type: "log", exponentformat: "power" });
  return { data, layout, provenance: prov(options, "lineFigure") };
}

/**
 * Scatter plot (markers) of one or more series.
 *
 * @param series the series
 * @param options titles, log axes, provenance
 * @returns the figure
 * @example
 * ```ts
 * import { scatterFigure } from "./figures.ts";
 * console.log(scatterFigure([{ x: [1, 2], y: [2, 1] }]).data[0].mode); // "markers"
 * ```
 */
export function scatterFigure(
  series: readonly Series[],
  options: FigureOptions & { logX?: boolean; logY?: boolean } = {},
): Figure {
  const f = lineFigure(series.map((s) => ({ ...s, mode: s.mode ?? "markers" })), options);
  f.provenance = prov(options, "scatterFigure");
  return f;
}

/**
 * Grouped (or stacked) bar chart.
 *
 * @param categories the category labels
 * @param series one entry per bar series, `values[i]` for `categories[i]`
 * @param options titles, `barmode`, log y, provenance
 * @returns the figure
 * @example
 * ```ts
 * import { barFigure } from "./figures.ts";
 * const f = barFigure(["AES", "HE"], [{ name: "ms", values: [1, 900] }], { logY: true });
 * console.log(f.data[0].type); // "bar"
 * ```
 */
export function barFigure(
  categories: readonly string[],
  series: readonly { name?: string; values: ArrayLike<number>; error?: ArrayLike<number> }[],
  options: FigureOptions & { barmode?: "group" | "stack"; logY?: boolean } = {},
): Figure {
  for (const s of series) {
    if (s.values.length !== categories.length) {
      throw new MedCryptError(
        "bad-figure",
        `bar series ${
          s.name ?? ""
        } has ${s.values.length} values for ${categories.length} categories`,
      );
    }
  }
  const data: Trace[] = series.map((s) => {
    const t: Trace = { type: "bar", name: s.name, x: [...categories], y: plainArray(s.values) };
    if (s.error) t.error_y = { type: "data", array: plainArray(s.error), visible: true };
    return t;
  });
  const layout = baseLayout(options);
  layout.barmode = options.barmode ?? "group";
  if (options.logY) axis(layout, "yaxis", { type: "log", exponentformat: "power" });
  return { data, layout, provenance: prov(options, "barFigure") };
}

/** Counts of values in equal-width bins. */
export interface Histogram {
  /** `bins + 1` bin edges. */
  edges: number[];
  /** `bins` counts; a value `v` falls in bin `i` when `edges[i] <= v < edges[i+1]` (last bin closed). */
  counts: number[];
}

/**
 * Bins values into `bins` equal-width bins over `range` (default: the data's min..max).
 *
 * @param values the values
 * @param bins number of bins
 * @param range `[lo, hi]`
 * @returns edges and counts
 * @example
 * ```ts
 * import { binValues } from "./figures.ts";
 * console.log(binValues([0, 1, 2, 3], 2, [0, 4]).counts); // [2, 2]
 * ```
 */
export function binValues(
  values: ArrayLike<number>,
  bins = 64,
  range?: readonly [number, number],
): Histogram {
  let lo = range?.[0], hi = range?.[1];
  if (lo === undefined || hi === undefined) {
    let mn = Infinity, mx = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    lo ??= Number.isFinite(mn) ? mn : 0;
    hi ??= Number.isFinite(mx) ? mx : 1;
  }
  if (hi <= lo) hi = lo + 1;
  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) * scale))]++;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo! + (i * (hi! - lo!)) / bins);
  return { edges, counts };
}

/**
 * Histogram figure; the binning is done here so even a 1-megapixel image gives a small figure.
 *
 * @param samples one entry per overlaid histogram
 * @param options `bins`, `range`, `logY`, `normalize` (fractions instead of counts), titles
 * @returns the figure
 * @example
 * ```ts
 * import { histogramFigure } from "./figures.ts";
 * const f = histogramFigure([{ values: [1, 2, 2, 3] }], { bins: 3 });
 * console.log(f.data[0].y); // [1, 2, 1]
 * ```
 */
export function histogramFigure(
  samples: readonly { name?: string; values: ArrayLike<number> }[],
  options: FigureOptions & {
    bins?: number;
    range?: readonly [number, number];
    logY?: boolean;
    normalize?: boolean;
  } = {},
): Figure {
  const bins = options.bins ?? 64;
  let range = options.range;
  if (!range) {
    let mn = Infinity, mx = -Infinity;
    for (const s of samples) {
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    }
    range = [Number.isFinite(mn) ? mn : 0, Number.isFinite(mx) ? mx : 1];
  }
  const data: Trace[] = samples.map((s) => {
    const h = binValues(s.values, bins, range);
    const total = s.values.length || 1;
    return {
      type: "bar",
      name: s.name,
      x: h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2),
      y: options.normalize ? h.counts.map((c) => c / total) : h.counts,
      width: h.edges[1] - h.edges[0],
      opacity: samples.length > 1 ? 0.6 : 1,
    };
  });
  const layout = baseLayout({
    ...options,
    yTitle: options.yTitle ?? (options.normalize ? "fraction" : "count"),
  });
  layout.barmode = "overlay";
  layout.bargap = 0;
  if (options.logY) axis(layout, "yaxis", { type: "log", exponentformat: "power" });
  return { data, layout, provenance: prov(options, "histogramFigure") };
}

/** How an image's grey values map to the colour scale. */
export type IntensityRange = "bitDepth" | "data" | readonly [number, number];

/** Options of {@linkcode imageFigure} and {@linkcode imageGridFigure}. */
export interface ImageOptions extends FigureOptions {
  /** Longest side shown, in pixels; larger images are block-averaged down. Default 256. */
  maxSide?: number;
  /**
   * Colour-scale range: `"bitDepth"` (default) is `[0, 2^bitDepth − 1]`, the image's real range;
   * `"data"` its min..max; or an explicit window `[lo, hi]` in stored values.
   */
  range?: IntensityRange;
  /** Plotly colour scale. Default `"Greys"` (Plotly's Greys runs black at 0 to white at 1). */
  colorscale?: string;
}

/**
 * Block-averages an image so its longest side is at most `maxSide` (stored values, rounded).
 *
 * @param img the image
 * @param maxSide the longest side wanted
 * @returns rows of values and the factor used
 * @example
 * ```ts
 * import { downsampleRows } from "./figures.ts";
 * import { medImage } from "../image/types.ts";
 * const r = downsampleRows(medImage(new Uint8Array([0, 2, 4, 6]), 2, 2), 1);
 * console.log(r.rows, r.factor); // [[3]] 2
 * ```
 */
export function downsampleRows(img: MedImage, maxSide = 256): { rows: number[][]; factor: number } {
  const f = Math.max(1, Math.ceil(Math.max(img.width, img.height) / Math.max(1, maxSide)));
  const w = Math.ceil(img.width / f), h = Math.ceil(img.height / f);
  const rows: number[][] = [];
  for (let y = 0; y < h; y++) {
    const row = new Array<number>(w);
    for (let x = 0; x < w; x++) {
      let sum = 0, n = 0;
      for (let dy = 0; dy < f && y * f + dy < img.height; dy++) {
        const base = (y * f + dy) * img.width;
        for (let dx = 0; dx < f && x * f + dx < img.width; dx++) {
          sum += img.data[base + x * f + dx];
          n++;
        }
      }
      row[x] = Math.round(sum / n);
    }
    rows.push(row);
  }
  return { rows, factor: f };
}

function zRange(img: MedImage, range: IntensityRange = "bitDepth"): [number, number] {
  if (range === "bitDepth") return [0, 2 ** img.bitDepth - 1];
  if (range === "data") {
    let mn = Infinity, mx = -Infinity;
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    return [mn, mx > mn ? mx : mn + 1];
  }
  return [range[0], range[1]];
}

function describe(img: MedImage): string {
  return `${
    img.modality ? img.modality + ", " : ""
  }${img.width}×${img.height}, ${img.bitDepth}-bit`;
}

function heatmapTrace(
  img: MedImage,
  options: ImageOptions,
  axes: { x: string; y: string; showscale: boolean },
): Trace {
  const { rows, factor } = downsampleRows(img, options.maxSide ?? 256);
  const [zmin, zmax] = zRange(img, options.range);
  return {
    type: "heatmap",
    z: rows,
    zmin,
    zmax,
    // Pixel centres in the original image's coordinates, so hover shows real positions.
    x0: (factor - 1) / 2,
    dx: factor,
    y0: (factor - 1) / 2,
    dy: factor,
    colorscale: options.colorscale ?? "Greys",
    reversescale: false,
    showscale: axes.showscale,
    colorbar: axes.showscale
      ? { title: { text: `stored value (${img.bitDepth}-bit)` }, thickness: 12 }
      : undefined,
    hovertemplate: `x=%{x}<br>y=%{y}<br>value=%{z}${
      factor > 1 ? ` (mean of ${factor}×${factor})` : ""
    }<extra></extra>`,
    xaxis: axes.x,
    yaxis: axes.y,
  };
}

/**
 * A medical image as a heatmap of its stored values, with the colour scale spanning the image's
 * real bit depth (`[0, 2^bitDepth − 1]`) unless a window is given; square pixels, y down.
 *
 * @param img the image
 * @param options `maxSide`, `range`, colour scale, title
 * @returns the figure
 * @example
 * ```ts
 * import { imageFigure } from "./figures.ts";
 * import { medImage } from "../image/types.ts";
 * const f = imageFigure(medImage(new Uint16Array(16).fill(4095), 4, 4, { bitDepth: 12 }));
 * console.log(f.data[0].zmax); // 4095
 * ```
 */
export function imageFigure(img: MedImage, options: ImageOptions = {}): Figure {
  const layout = baseLayout({ ...options, title: options.title ?? describe(img) });
  layout.xaxis = { constrain: "domain", showgrid: false, zeroline: false };
  layout.yaxis = {
    autorange: "reversed",
    scaleanchor: "x",
    constrain: "domain",
    showgrid: false,
    zeroline: false,
  };
  if (!options.height) layout.height = 420;
  return {
    data: [heatmapTrace(img, options, { x: "x", y: "y", showscale: true })],
    layout,
    provenance: prov(
      {
        ...options,
        params: { width: img.width, height: img.height, bitDepth: img.bitDepth, ...options.params },
      },
      "imageFigure",
    ),
  };
}

/**
 * Breaks a title into lines of at most `maxChars` characters, at spaces, and inside a long word
 * after a hyphen or underscore.
 *
 * @param title the title
 * @param maxChars longest line
 * @returns the lines (none for an empty title)
 * @example
 * ```ts
 * import { wrapTitle } from "./figures.ts";
 * console.log(wrapTitle("pneumoniamnist-test-200 plain", 16)); // [ "pneumoniamnist-", "test-200 plain" ]
 * ```
 */
export function wrapTitle(title: string, maxChars: number): string[] {
  const pieces = title.split(/\s+/).filter(Boolean).flatMap((w) =>
    w.length <= maxChars ? [w] : w.split(/(?<=[-_])/)
  );
  const lines: string[] = [];
  for (const piece of pieces) {
    const last = lines.at(-1);
    const glue = last !== undefined && !/[-_]$/.test(last) ? " " : "";
    if (last !== undefined && (last + glue + piece).length <= maxChars) {
      lines[lines.length - 1] = last + glue + piece;
    } else lines.push(piece);
  }
  return lines;
}

/**
 * Several images side by side (each on its own axes, each at its own bit depth), with titles.
 * `maxSide` defaults to a size that keeps the whole figure around 150 000 values.
 *
 * @param panels images with titles
 * @param options `columns` (default: up to 4), `maxSide`, `range`, title
 * @returns the figure
 * @example
 * ```ts
 * import { imageGridFigure } from "./figures.ts";
 * import { medImage } from "../image/types.ts";
 * const img = medImage(new Uint8Array(4), 2, 2);
 * const f = imageGridFigure([{ title: "a", image: img }, { title: "b", image: img }]);
 * console.log(f.data.length); // 2
 * ```
 */
export function imageGridFigure(
  panels: readonly { title?: string; image: MedImage }[],
  options: ImageOptions & { columns?: number } = {},
): Figure {
  if (!panels.length) {
    throw new MedCryptError("bad-figure", "an image grid needs at least one image");
  }
  const cols = Math.max(1, Math.min(options.columns ?? 4, panels.length));
  const rowsN = Math.ceil(panels.length / cols);
  const maxSide = options.maxSide ?? Math.max(16, Math.floor(Math.sqrt(150_000 / panels.length)));
  // Laid out in pixels: each row is a title band above square panels, so a title never
  // reaches into the row above however many rows there are.
  const width = options.width ?? Math.max(960, cols * 150), gapPx = 14;
  const titleLines = options.title ? wrapTitle(options.title, Math.floor(width / 9)).length : 0;
  // one colour bar for the grid when every panel spans the same bit depth (0 = black,
  // 2^bits − 1 = white); panels of mixed depths each name their depth under the title
  const depths = new Set(panels.map((p) => p.image.bitDepth));
  const bar = (options.range ?? "bitDepth") === "bitDepth" && depths.size === 1
    ? panels[0].image.bitDepth
    : undefined;
  const margin = {
    l: 10,
    r: bar === undefined ? 10 : 110,
    t: titleLines ? 30 + 22 * titleLines : 10,
    b: 10,
  };
  const cellPx = (width - margin.l - margin.r - gapPx * (cols - 1)) / cols;
  // titles wrap to the panel's width (about 7 px per character at 12 px)
  const titles = panels.map((p) => wrapTitle(p.title ?? "", Math.max(8, Math.floor(cellPx / 7))));
  const lines = Math.max(...titles.map((t) => t.length));
  const titlePx = 16 * lines + 20;
  const plotH = rowsN * (titlePx + cellPx);
  const layout = baseLayout(options);
  const annotations: Record<string, unknown>[] = [];
  const data: Trace[] = panels.map((p, i) => {
    const r = Math.floor(i / cols), c = i % cols;
    const n = i === 0 ? "" : String(i + 1);
    const x0 = c * (cellPx + gapPx) / (width - margin.l - margin.r);
    const x1 = x0 + cellPx / (width - margin.l - margin.r);
    const top = 1 - (r * (titlePx + cellPx) + titlePx) / plotH; // top of the image
    layout[`xaxis${n}`] = {
      domain: [x0, x1],
      anchor: `y${n}`,
      showticklabels: false,
      ticks: "",
      showgrid: false,
      zeroline: false,
      showline: false,
      constrain: "domain",
    };
    layout[`yaxis${n}`] = {
      domain: [Math.max(0, top - cellPx / plotH), top],
      anchor: `x${n}`,
      autorange: "reversed",
      scaleanchor: `x${n}`,
      showticklabels: false,
      ticks: "",
      showgrid: false,
      zeroline: false,
      showline: false,
      constrain: "domain",
    };
    annotations.push({
      text: `${
        titles[i].length ? titles[i].join("<br>") + "<br>" : ""
      }<span style="font-size:10px">${describe(p.image)}</span>`,
      x: (x0 + x1) / 2,
      y: top,
      yshift: 2,
      xref: "paper",
      yref: "paper",
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
      font: { size: 12 },
    });
    const trace = heatmapTrace(p.image, { ...options, maxSide }, {
      x: `x${n}`,
      y: `y${n}`,
      showscale: i === 0 && bar !== undefined,
    });
    if (i === 0 && bar !== undefined) {
      const max = 2 ** bar - 1;
      trace.colorbar = {
        title: { text: `grey level<br>(${bar}-bit)`, side: "right" },
        thickness: 12,
        len: Math.min(1, cellPx * 1.5 / plotH),
        y: 1,
        yanchor: "top",
        tickvals: [0, max],
        ticktext: ["0 (black)", `${max} (white)`],
      };
    }
    return trace;
  });
  layout.annotations = annotations;
  layout.margin = margin;
  layout.width = width;
  layout.height = options.height ?? Math.round(plotH + margin.t + margin.b);
  return {
    data,
    layout,
    provenance: prov({
      ...options,
      params: {
        panels: panels.map((p) => ({ title: p.title, ...shape(p.image) })),
        ...options.params,
      },
    }, "imageGridFigure"),
  };
}

function shape(img: MedImage) {
  return { width: img.width, height: img.height, bitDepth: img.bitDepth, modality: img.modality };
}

/** One ROC curve. */
export interface RocSeries {
  /** Legend name (the AUC is appended when given). */
  name: string;
  /** False-positive rates, ascending. */
  fpr: ArrayLike<number>;
  /** True-positive rates. */
  tpr: ArrayLike<number>;
  /** Area under the curve, shown in the legend. */
  auc?: number;
}

/**
 * ROC curves on log–log axes (the view membership-inference papers use: what matters is the TPR
 * at a low FPR). Zero rates are clipped to `minRate` so they can be drawn; the chance line
 * `TPR = FPR` is added.
 *
 * @param curves the curves
 * @param options `logLog` (default true), `minRate` (default 1e-4), titles
 * @returns the figure
 * @example
 * ```ts
 * import { rocFigure } from "./figures.ts";
 * const f = rocFigure([{ name: "attack", fpr: [0, 0.5, 1], tpr: [0, 0.7, 1], auc: 0.6 }]);
 * console.log(f.data.length, (f.layout.xaxis as { type: string }).type); // 2 "log"
 * ```
 */
export function rocFigure(
  curves: readonly RocSeries[],
  options: FigureOptions & { logLog?: boolean; minRate?: number } = {},
): Figure {
  const logLog = options.logLog ?? true;
  const min = options.minRate ?? 1e-4;
  const clip = (a: ArrayLike<number>) => plainArray(a).map((v) => (logLog ? Math.max(v, min) : v));
  const data: Trace[] = curves.map((c) => ({
    type: "scatter",
    mode: "lines",
    name: c.auc === undefined ? c.name : `${c.name} (AUC ${c.auc.toFixed(3)})`,
    x: clip(c.fpr),
    y: clip(c.tpr),
  }));
  data.push({
    type: "scatter",
    mode: "lines",
    name: "chance",
    x: [logLog ? min : 0, 1],
    y: [logLog ? min : 0, 1],
    line: { dash: "dot", color: "grey" },
  });
  const layout = baseLayout({
    ...options,
    xTitle: options.xTitle ?? "false-positive rate",
    yTitle: options.yTitle ?? "true-positive rate",
  });
  const range = logLog ? [Math.log10(min), 0] : [0, 1];
  axis(layout, "xaxis", { type: logLog ? "log" : "linear", range, exponentformat: "power" });
  axis(layout, "yaxis", { type: logLog ? "log" : "linear", range, exponentformat: "power" });
  return { data, layout, provenance: prov(options, "rocFigure") };
}

/**
 * An arquero table drawn as a Plotly table (for figures that must be a picture of a table).
 *
 * @param table the table
 * @param options `digits` (significant digits of numbers, default 4), title
 * @returns the figure
 * @example
 * ```ts
 * import { tableFigure } from "./figures.ts";
 * import * as aq from "arquero";
 * console.log(tableFigure(aq.table({ a: [1.23456, 2] })).data[0].type); // "table"
 * ```
 */
export function tableFigure(
  table: ColumnTable,
  options: FigureOptions & { digits?: number } = {},
): Figure {
  const names = table.columnNames();
  const digits = options.digits ?? 4;
  const fmt = (v: unknown) =>
    typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(digits)) : v ?? "";
  const columns = names.map((n) => Array.from(table.array(n) as ArrayLike<unknown>, fmt));
  const layout = baseLayout(options);
  layout.height = options.height ?? Math.min(800, 80 + 28 * (table.numRows() + 1));
  return {
    data: [{
      type: "table",
      header: { values: names, align: "left", fill: { color: "#eef" } },
      cells: { values: columns, align: "left" },
    }],
    layout,
    provenance: prov(options, "tableFigure"),
  };
}
