import assert from "node:assert/strict";
import { join } from "node:path";
import { figureHtml, writePlotlyBeside } from "../../lib/viz/export.ts";
import { imageGridFigure } from "../../lib/viz/figures.ts";
import { medImage } from "../../lib/image/types.ts";
import { findChromium } from "../../lib/viz/chromium.ts";
import { figureLayoutProblems } from "./figure_layout.ts";

const noChromium = !findChromium();

Deno.test({
  name:
    "figure layout: image grids of 1 to 3 rows keep every panel title clear of other titles and images; a misplaced title is caught",
  ignore: noChromium && Deno.env.get("CI") !== "true",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "medcrypt-layout-" });
    await writePlotlyBeside(dir);
    const ramp = medImage(Uint8Array.from({ length: 64 * 64 }, (_, i) => i % 256), 64, 64);
    const page = async (name: string, f: ReturnType<typeof imageGridFigure>) => {
      const p = join(dir, `${name}.html`);
      await Deno.writeTextFile(p, figureHtml(f, { plotlySrc: "plotly.min.js" }));
      return p;
    };
    const grids = [];
    for (const [n, cols] of [[3, 3], [14, 7], [12, 4]]) {
      const panels = Array.from({ length: n }, (_, i) => ({
        title: `pneumoniamnist-test-${i} plain`,
        image: ramp,
      }));
      grids.push(
        await page(`grid-${n}`, imageGridFigure(panels, { columns: cols, title: "a grid" })),
      );
    }
    const bad = imageGridFigure([{ title: "a", image: ramp }, { title: "b", image: ramp }]);
    const ann = bad.layout.annotations as Record<string, unknown>[];
    ann[1] = { ...ann[1], x: ann[0].x, y: 0.5 }; // moved over the first panel's image
    const badPage = await page("bad", bad);
    const problems = await figureLayoutProblems([...grids, badPage]);
    for (const g of grids) assert.deepEqual(problems.get(g), [], g);
    assert.ok(
      problems.get(badPage)!.some((p) => /is drawn over image panel 1/.test(p)),
      problems.get(badPage)!.join("; "),
    );
    await Deno.remove(dir, { recursive: true });
  },
});
