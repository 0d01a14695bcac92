/**
 * Headless Chromium for figures: PNG export (`--screenshot`) and a check that Plotly really drew a
 * figure (`--dump-dom`: a `main-svg` exists and the number of drawn traces is right). Uses the
 * system Chromium (`/usr/bin/chromium`, or `MEDCRYPT_CHROMIUM`); nothing is downloaded. Each call
 * starts a fresh headless browser with its own temporary profile (2–4 s).
 *
 * @example
 * ```ts
 * import { findChromium } from "./chromium.ts";
 * console.log(findChromium() === undefined || findChromium()!.length > 0); // true
 * ```
 * @module
 */
import { crc32 } from "node:zlib";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import type { Figure } from "./types.ts";
import { figureHtml } from "./export.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { MedCryptError } from "../core/errors.ts";

const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/**
 * @returns the path of a Chromium/Chrome executable (`MEDCRYPT_CHROMIUM` first), or `undefined`
 * @example
 * ```ts
 * import { findChromium } from "./chromium.ts";
 * const c = findChromium(); // e.g. "/usr/bin/chromium"; undefined without Chromium (no PNG export)
 * console.log(c === undefined || Deno.statSync(c).isFile); // true
 * ```
 */
export function findChromium(): string | undefined {
  let env: string | undefined;
  try {
    env = Deno.env.get("MEDCRYPT_CHROMIUM");
  } catch { /* no env permission */ }
  for (const p of env ? [env, ...CANDIDATES] : CANDIDATES) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* not there */ }
  }
  return undefined;
}

function requireChromium(): string {
  const c = findChromium();
  if (!c) {
    throw new MedCryptError(
      "no-chromium",
      "headless Chromium is not installed (apt-get install chromium, or set MEDCRYPT_CHROMIUM)",
    );
  }
  return c;
}

/** Options of a headless Chromium run. */
export interface ChromiumOptions {
  /** Window width in px. Default 900. */
  width?: number;
  /** Window height in px. Default 600. */
  height?: number;
  /** Virtual time given to the page's scripts, in ms. Default 5000. */
  budgetMs?: number;
  /** Wall-clock limit in ms before the browser is killed. Default 60 000. */
  timeoutMs?: number;
}

async function runChromium(args: string[], options: ChromiumOptions): Promise<Uint8Array> {
  const exe = requireChromium();
  const profile = await Deno.makeTempDir({ prefix: "medcrypt-chromium-" });
  try {
    const child = new Deno.Command(exe, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
        `--user-data-dir=${profile}`,
        `--virtual-time-budget=${options.budgetMs ?? 5000}`,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, options.timeoutMs ?? 60_000);
    const out = await child.output();
    clearTimeout(timer);
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-2).join(" | ");
      throw new MedCryptError("chromium-failed", `headless Chromium exited ${out.code}: ${err}`);
    }
    return out.stdout;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** The `file://` URL of the pinned plotly.js in `node_modules` (for temporary pages). */
function plotlyFileUrl(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(require.resolve("plotly.js-dist")).href;
}

function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)) >>> 0);
  return out;
}

/**
 * Inserts a PNG `tEXt` chunk (after `IHDR`) holding `text` under `keyword`.
 *
 * @param png a PNG file's bytes
 * @param keyword the keyword (Latin-1, 1–79 characters)
 * @param text the text (non-Latin-1 characters are escaped as `\uXXXX`)
 * @returns the new PNG bytes
 * @example
 * ```ts
 * import { addPngText } from "./chromium.ts";
 * import { encode } from "fast-png";
 * const png = addPngText(encode({ width: 1, height: 1, data: new Uint8Array([0]), channels: 1 }), "provenance", "{}");
 * console.log(new TextDecoder().decode(png).includes("provenance")); // true
 * ```
 */
export function addPngText(png: Uint8Array, keyword: string, text: string): Uint8Array {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (png.length < 33 || sig.some((b, i) => png[i] !== b)) {
    throw new MedCryptError("bad-format", "not a PNG file (signature missing)");
  }
  const latin1 = text.replace(
    /[^\x20-\x7e\n]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const body = new TextEncoder().encode(`${keyword}\0${latin1}`);
  const ihdrEnd = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8);
  const chunk = pngChunk("tEXt", body);
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, ihdrEnd));
  out.set(chunk, ihdrEnd);
  out.set(png.subarray(ihdrEnd), ihdrEnd + chunk.length);
  return out;
}

/**
 * Screenshots an HTML file (e.g. a figure written by {@linkcode figureHtml}) to a PNG with
 * headless Chromium; the figure's provenance (read from the page's `<script id="provenance">`)
 * is stored in the PNG as a `tEXt` chunk named `provenance`. Written atomically.
 *
 * @param htmlPath the page (relative script paths resolve beside it)
 * @param pngPath where to write the PNG
 * @param options window size, time budget
 * @returns the PNG path
 * @example
 * ```ts ignore
 * import { exportPng } from "./chromium.ts";
 * const out = await exportPng("figures/data/modalities.html", "figures/data/modalities.png");
 * console.log(out); // figures/data/modalities.png
 * ```
 */
export async function exportPng(
  htmlPath: string,
  pngPath: string,
  options: ChromiumOptions = {},
): Promise<string> {
  const html = await Deno.readTextFile(htmlPath);
  const tmpDir = await Deno.makeTempDir({ prefix: "medcrypt-png-" });
  // A copy beside the page (so its relative script paths resolve) without Plotly's mode bar.
  const page = join(dirname(resolve(htmlPath)), `.tmp-png-${crypto.randomUUID().slice(0, 8)}.html`);
  try {
    await Deno.writeTextFile(
      page,
      html.replace("</head>", "<style>.modebar-container{display:none!important}</style></head>"),
    );
    const shot = join(tmpDir, "shot.png");
    await runChromium([
      `--screenshot=${shot}`,
      `--window-size=${options.width ?? 900},${options.height ?? 600}`,
      pathToFileURL(page).href,
    ], options);
    let png: Uint8Array;
    try {
      png = await Deno.readFile(shot);
    } catch {
      throw new MedCryptError("chromium-failed", "headless Chromium wrote no screenshot", {
        file: htmlPath,
      });
    }
    const prov = html.match(
      /<script type="application\/json" id="provenance">([\s\S]*?)<\/script>/,
    );
    if (prov) png = addPngText(png, "provenance", prov[1].replaceAll("<\\/", "</"));
    await Deno.mkdir(dirname(resolve(pngPath)), { recursive: true });
    await writeFileAtomic(pngPath, png);
    return pngPath;
  } finally {
    await Deno.remove(page).catch(() => {});
    await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
  }
}

/**
 * Renders a figure to PNG bytes (for notebook display and reports), loading plotly.js from
 * `node_modules` so nothing big is written.
 *
 * @param figure the figure
 * @param options window size (default: the figure's `layout.width/height`, else 900×500)
 * @returns the PNG bytes (with the provenance `tEXt` chunk)
 * @example
 * ```ts ignore
 * import { renderFigurePng } from "./chromium.ts";
 * const png = await renderFigurePng({ data: [{ type: "bar", y: [1, 2] }], layout: {} });
 * console.log(new TextDecoder().decode(png.subarray(1, 4))); // PNG
 * console.log(png.length); // e.g. 4529 (a 900×500 screenshot)
 * ```
 */
export async function renderFigurePng(
  figure: Figure,
  options: ChromiumOptions = {},
): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "medcrypt-fig-" });
  try {
    const html = join(dir, "figure.html");
    await Deno.writeTextFile(html, figureHtml(figure, { plotlySrc: plotlyFileUrl() }));
    const lw = figure.layout.width, lh = figure.layout.height;
    await exportPng(html, join(dir, "figure.png"), {
      ...options,
      width: options.width ?? (typeof lw === "number" ? lw : 900),
      height: options.height ?? (typeof lh === "number" ? lh : 500),
    });
    return await Deno.readFile(join(dir, "figure.png"));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Loads a page in headless Chromium and returns the DOM after its scripts ran.
 *
 * @param htmlPath the page
 * @param options time budget
 * @returns the serialised DOM
 * @example
 * ```ts ignore
 * import { countDrawn, dumpDom } from "./chromium.ts";
 * const dom = await dumpDom("figures/data/modalities.html");
 * console.log(dom.includes('class="main-svg"')); // true once Plotly has drawn the page
 * console.log(countDrawn(dom)); // e.g. { mainSvg: 3, traces: 2 }
 * ```
 */
export async function dumpDom(htmlPath: string, options: ChromiumOptions = {}): Promise<string> {
  const out = await runChromium(
    [
      "--dump-dom",
      `--window-size=${options.width ?? 900},${options.height ?? 600}`,
      pathToFileURL(resolve(htmlPath)).href,
    ],
    options,
  );
  return new TextDecoder().decode(out);
}

/** What Plotly drew, counted in a rendered DOM. */
export interface DrawnFigure {
  /** Number of `<svg class="main-svg">` elements (Plotly's own; 0 when nothing was drawn). */
  mainSvg: number;
  /**
   * Drawn traces: cartesian trace groups (`<g class="trace …">`: scatter, bar, histogram),
   * heatmaps (`<g class="hm">`) and table traces (`<g class="table">`).
   */
  traces: number;
}

/**
 * Counts what Plotly drew in a DOM dump.
 *
 * @param dom the DOM text
 * @returns the counts
 * @example
 * ```ts
 * import { countDrawn } from "./chromium.ts";
 * const dom = '<svg class="main-svg"><g class="trace scatter"></g><g class="hm"></g></svg>';
 * console.log(countDrawn(dom)); // { mainSvg: 1, traces: 2 }
 * ```
 */
export function countDrawn(dom: string): DrawnFigure {
  const count = (re: RegExp) => (dom.match(re) ?? []).length;
  return {
    mainSvg: count(/<svg[^>]*class="main-svg"/g),
    traces: count(/<g class="trace[ "]/g) + count(/<g class="hm"/g) + count(/<g class="table"/g),
  };
}

/** The outcome of {@linkcode checkFigureInChromium}. */
export interface FigureCheck extends DrawnFigure {
  /** Traces in the figure's spec (what should have been drawn). */
  expectedTraces: number;
  /** Whether Plotly drew the figure with every trace. */
  ok: boolean;
  /** What is wrong, when not ok. */
  problems: string[];
}

/**
 * Opens a figure page written by {@linkcode figureHtml} in headless Chromium and checks that
 * Plotly drew it: a `main-svg` exists and the number of drawn traces equals the number of traces
 * in the page's spec (or `expectedTraces` when given).
 *
 * @param htmlPath the figure page
 * @param options `expectedTraces` to override the count read from the page; Chromium options
 * @returns the counts and the verdict
 * @example
 * ```ts ignore
 * import { checkFigureInChromium } from "./chromium.ts";
 * const c = await checkFigureInChromium("figures/data/histograms.html");
 * console.log(c.ok ? "drawn" : c.problems.join("; ")); // drawn
 * console.log(c.traces, c.expectedTraces); // e.g. 2 2
 * ```
 */
export async function checkFigureInChromium(
  htmlPath: string,
  options: ChromiumOptions & { expectedTraces?: number } = {},
): Promise<FigureCheck> {
  const html = await Deno.readTextFile(htmlPath);
  let expected = options.expectedTraces, gl = 0;
  if (expected === undefined) {
    const m = html.match(/const spec = (\{[\s\S]*?\});\nPlotly\.newPlot/);
    if (!m) {
      throw new MedCryptError("bad-figure", "no Plotly spec found in the page", { file: htmlPath });
    }
    try {
      const data = (JSON.parse(m[1]) as { data: { type?: string }[] }).data;
      expected = data.length;
      // WebGL traces (scattergl) draw on a canvas, not as SVG groups
      gl = data.filter((t) => String(t.type ?? "").endsWith("gl")).length;
    } catch (e) {
      throw new MedCryptError(
        "bad-figure",
        `the page's Plotly spec is not JSON: ${(e as Error).message}`,
        {
          file: htmlPath,
        },
      );
    }
  }
  const dom = await dumpDom(htmlPath, options);
  const drawn = countDrawn(dom);
  const problems: string[] = [];
  if (drawn.mainSvg === 0) problems.push("Plotly drew nothing (no main-svg in the page)");
  if (drawn.traces !== expected - gl) {
    problems.push(`${drawn.traces} SVG traces drawn, ${expected - gl} in the figure`);
  }
  if (gl > 0 && !/<canvas[^>]*class="gl-canvas/.test(dom)) {
    problems.push(`${gl} WebGL traces in the figure but no WebGL canvas drawn`);
  }
  return { ...drawn, expectedTraces: expected, ok: problems.length === 0, problems };
}
