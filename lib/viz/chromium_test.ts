import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { figureHtml, writePlotlyBeside } from "./export.ts";
import { imageFigure, imageGridFigure, lineFigure } from "./figures.ts";
import { checkFigureInChromium, exportPng, findChromium } from "./chromium.ts";
import { medImage } from "../image/types.ts";
import type { Figure } from "./types.ts";

const chromium = findChromium();
if (!chromium) {
  console.warn(
    "chromium_test: SKIPPING the headless-Chromium figure checks: no Chromium found " +
      "(apt-get install chromium, or set MEDCRYPT_CHROMIUM)",
  );
}

async function page(dir: string, name: string, fig: Figure, plotlySrc = "plotly.min.js") {
  const p = join(dir, `${name}.html`);
  await Deno.writeTextFile(p, figureHtml(fig, { plotlySrc, title: name }));
  return p;
}

function threeLines(): Figure {
  return lineFigure(
    [0, 1, 2].map((k) => ({ name: `s${k}`, x: [1, 2, 3, 4], y: [k, k + 1, k * 2, 3] })),
    { title: "three lines", params: { k: 3 }, seed: 7 },
  );
}

Deno.test({
  name: "Chromium: Plotly draws exported figures with the right trace count; broken ones fail",
  ignore: !chromium,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "vizchk-" });
    try {
      await writePlotlyBeside(dir);
      const img = medImage(new Uint16Array(32 * 32).map((_, i) => i % 2048), 32, 32, {
        bitDepth: 11,
        modality: "MR",
      });
      const grid = imageGridFigure([{ title: "a", image: img }, { title: "b", image: img }, {
        title: "c",
        image: img,
      }]);
      const unknownTrace = threeLines();
      // A fourth trace that Plotly does not draw (hidden): the count check must catch it.
      unknownTrace.data.push({ type: "scatter", x: [1], y: [1], visible: false });
      const [good, heat, noPlotly, missingTrace] = await Promise.all([
        checkFigureInChromium(await page(dir, "good", threeLines())),
        checkFigureInChromium(await page(dir, "grid", grid)),
        // Negative controls: plotly.js missing, and a trace that is not drawn.
        checkFigureInChromium(await page(dir, "noplotly", threeLines(), "missing.js")),
        checkFigureInChromium(await page(dir, "badtrace", unknownTrace)),
      ]);
      assert.deepEqual(
        { ok: good.ok, traces: good.traces, expected: good.expectedTraces },
        { ok: true, traces: 3, expected: 3 },
        good.problems.join("; "),
      );
      assert.ok(good.mainSvg >= 1);
      assert.equal(heat.ok, true, heat.problems.join("; "));
      assert.equal(heat.traces, 3);
      assert.equal(noPlotly.ok, false);
      assert.equal(noPlotly.mainSvg, 0);
      assert.match(noPlotly.problems.join("; "), /Plotly drew nothing/);
      assert.equal(missingTrace.ok, false);
      assert.match(missingTrace.problems.join("; "), /3 SVG traces drawn, 4 in the figure/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Chromium: exportPng writes a PNG of the window size carrying the provenance",
  ignore: !chromium,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "vizpng-" });
    try {
      await writePlotlyBeside(dir);
      const html = await page(dir, "fig", threeLines());
      const out = await exportPng(html, join(dir, "fig.png"), { width: 640, height: 400 });
      const png = decode(await Deno.readFile(out));
      assert.equal(png.width, 640);
      assert.equal(png.height, 400);
      const prov = JSON.parse(png.text.provenance);
      assert.equal(prov.seed, 7);
      assert.equal(prov.params.k, 3);
      assert.equal(typeof prov.commit, "string");
      // Something was drawn: not a blank page.
      const px = png.data;
      let nonWhite = 0;
      for (let i = 0; i < px.length; i += png.channels) if (px[i] < 200) nonWhite++;
      assert.ok(nonWhite > 500, `only ${nonWhite} dark pixels`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Chromium: an image figure shows 0 as black and 2^bits − 1 as white",
  ignore: !chromium,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "vizgrey-" });
    try {
      await writePlotlyBeside(dir);
      // Left half 0, right half 4095 (12-bit).
      const img = medImage(
        new Uint16Array(64 * 64).map((_, i) => (i % 64 < 32 ? 0 : 4095)),
        64,
        64,
        {
          bitDepth: 12,
        },
      );
      const fig = imageFigure(img, { width: 400, height: 400 });
      fig.layout.margin = { l: 0, r: 0, t: 0, b: 0 };
      fig.data[0].showscale = false;
      const html = await page(dir, "grey", fig);
      const png = decode(
        await Deno.readFile(
          await exportPng(html, join(dir, "g.png"), {
            width: 400,
            height: 400,
          }),
        ),
      );
      const at = (x: number, y: number) => png.data[(y * png.width + x) * png.channels];
      assert.ok(at(100, 200) < 30, `left half is ${at(100, 200)}, expected black`);
      assert.ok(at(300, 200) > 225, `right half is ${at(300, 200)}, expected white`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
