/// <reference lib="dom" />
/**
 * Layout defects of a drawn figure, found in headless Chromium (`puppeteer-core`): text that
 * overlaps other text (panel titles, the figure title, axis titles, the legend), text drawn over
 * an image panel, and text cut off at the figure's edge. Each figure page written by
 * `lib/report` is opened, Plotly draws it, and the boxes of what it drew are compared.
 *
 * @example
 * ```ts ignore
 * import { figureLayoutProblems } from "./figure_layout.ts";
 * const problems = await figureLayoutProblems(["figures/data/modalities.html"]);
 * console.log(problems.get("figures/data/modalities.html")); // []
 * ```
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";
import { findChromium } from "../../lib/viz/chromium.ts";

/** A box the page reported, with what it is. */
interface Box {
  what: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Boxes of a drawn Plotly figure, measured in the page (runs in the browser). */
function measure(): { texts: Box[]; ticks: Box[]; images: Box[]; page: Box } {
  const box = (e: Element, what: string) => {
    const r = e.getBoundingClientRect();
    return { what, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
  };
  const label = (e: Element) => (e.textContent ?? "").trim().slice(0, 40);
  const svg = document.querySelector(".main-svg")!;
  const texts = [
    ...[...document.querySelectorAll(".annotation-text-g text")].map((e) =>
      box(e, `annotation "${label(e)}"`)
    ),
    ...[...document.querySelectorAll(".gtitle, .xtitle, .ytitle")].map((e) =>
      box(e, `title "${label(e)}"`)
    ),
    ...[...document.querySelectorAll(".legend .bg")].map((e) => box(e, "legend")),
  ].filter((b) => b.x1 > b.x0 && b.y1 > b.y0);
  // tick labels may touch each other, but must not be cut at the edge
  const ticks = [...document.querySelectorAll(".xtick text, .ytick text")]
    .map((e) => box(e, `tick label "${label(e)}"`)).filter((b) => b.x1 > b.x0 && b.y1 > b.y0);
  const images = [...document.querySelectorAll(".heatmaplayer image, .imagelayer image")]
    .map((e, i) => box(e, `image panel ${i + 1}`)).filter((b) => b.x1 > b.x0 && b.y1 > b.y0);
  return { texts, ticks, images, page: box(svg, "figure") };
}

const overlap = (a: Box, b: Box, slack = 1) =>
  a.x0 + slack < b.x1 && b.x0 + slack < a.x1 && a.y0 + slack < b.y1 && b.y0 + slack < a.y1;

/**
 * The layout problems of one measured figure.
 *
 * @param m what {@linkcode measure} found
 * @returns one line per problem
 * @example
 * ```ts
 * import { problemsOf } from "./figure_layout.ts";
 * const t = (what: string, x0: number) => ({ what, x0, y0: 0, x1: x0 + 50, y1: 10 });
 * const page = { what: "figure", x0: 0, y0: 0, x1: 500, y1: 500 };
 * console.log(problemsOf({ texts: [t("a", 0), t("b", 20)], images: [], page })); // [ "a overlaps b" ]
 * ```
 */
export function problemsOf(
  m: { texts: Box[]; ticks?: Box[]; images: Box[]; page: Box },
): string[] {
  const out: string[] = [];
  const cut = (a: Box) =>
    a.x0 < m.page.x0 - 1 || a.x1 > m.page.x1 + 1 || a.y0 < m.page.y0 - 1 || a.y1 > m.page.y1 + 1;
  for (const t of m.ticks ?? []) if (cut(t)) out.push(`${t.what} is cut at the figure's edge`);
  m.texts.forEach((a, i) => {
    for (const b of m.texts.slice(i + 1)) {
      if (overlap(a, b)) out.push(`${a.what} overlaps ${b.what}`);
    }
    for (const im of m.images) if (overlap(a, im)) out.push(`${a.what} is drawn over ${im.what}`);
    if (
      a.x0 < m.page.x0 - 1 || a.x1 > m.page.x1 + 1 || a.y0 < m.page.y0 - 1 || a.y1 > m.page.y1 + 1
    ) {
      out.push(`${a.what} is cut at the figure's edge`);
    }
  });
  return out;
}

/**
 * Opens each figure page in one headless Chromium and lists its layout problems.
 *
 * @param pages figure HTML pages (Plotly beside them, as `lib/report` writes them)
 * @returns problems per page (empty: none)
 */
export async function figureLayoutProblems(pages: string[]): Promise<Map<string, string[]>> {
  const browser = await puppeteer.launch({
    executablePath: findChromium(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"],
  });
  const out = new Map<string, string[]>();
  try {
    const page = await browser.newPage();
    for (const p of pages) {
      // the size the PNG is drawn at (lib/viz/chromium.ts): the layout's, else 900×500
      await page.setViewport({ width: 1280, height: 1000 });
      await page.goto(pathToFileURL(resolve(p)).href, { waitUntil: "load" });
      await page.waitForSelector(".main-svg", { timeout: 30_000 });
      const size = await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const gd = document.querySelector(".js-plotly-plot") as any;
        return { width: gd?.layout?.width ?? 900, height: gd?.layout?.height ?? 500 };
      });
      await page.setViewport(size);
      await page.reload({ waitUntil: "load" });
      await page.waitForSelector(".main-svg", { timeout: 30_000 });
      await new Promise((r) => setTimeout(r, 300)); // Plotly's text placement settles
      out.set(p, problemsOf(await page.evaluate(measure)));
    }
  } finally {
    await browser.close();
  }
  return out;
}
