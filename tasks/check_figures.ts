/**
 * `deno run -A tasks/check_figures.ts PATH …`: opens figure pages written by `lib/report`
 * (`figureHtml`) in headless Chromium and checks that Plotly drew each one: a `main-svg` exists and
 * the number of drawn traces equals the number of traces in the figure, and that its layout is clean
 * (no text over other text or over an image panel, none cut at the edge:
 * `tasks/tools/figure_layout.ts`). A folder is searched for
 * `*.html` pages that contain a Plotly figure. Exit status 0 when all pass, 1 when one fails, 2 when
 * there is nothing to check or no Chromium.
 *
 * @example
 * ```ts ignore
 * // deno run -A tasks/check_figures.ts figures/data
 * ```
 * @module
 */
import { join } from "node:path";
import { checkFigureInChromium, findChromium } from "../lib/viz/chromium.ts";
import { figureLayoutProblems } from "./tools/figure_layout.ts";

async function collect(path: string, out: string[]): Promise<void> {
  const st = await Deno.stat(path);
  if (st.isFile) {
    out.push(path);
    return;
  }
  for await (const e of Deno.readDir(path)) {
    const p = join(path, e.name);
    if (e.isDirectory) await collect(p, out);
    else if (e.name.endsWith(".html") && (await Deno.readTextFile(p)).includes("Plotly.newPlot")) {
      out.push(p);
    }
  }
}

if (import.meta.main) {
  if (!findChromium()) {
    console.error("check_figures: no headless Chromium (apt-get install chromium)");
    Deno.exit(2);
  }
  const files: string[] = [];
  for (const a of Deno.args) await collect(a, files);
  files.sort();
  if (!files.length) {
    console.error(`check_figures: no figure pages under ${Deno.args.join(", ") || "(no paths)"}`);
    Deno.exit(2);
  }
  let bad = 0;
  const layout = await figureLayoutProblems(files);
  for (const f of files) {
    const c = await checkFigureInChromium(f);
    const problems = [...c.problems, ...layout.get(f)!.map((p) => `layout: ${p}`)];
    if (problems.length === 0) {
      console.log(
        `ok   ${f}: main-svg ×${c.mainSvg}, ${c.expectedTraces} traces drawn, layout clean`,
      );
    } else {
      bad++;
      console.error(`FAIL ${f}: ${problems.join("; ")}`);
    }
  }
  console.log(
    `check_figures: ${files.length - bad}/${files.length} figures drawn with a clean layout`,
  );
  Deno.exit(bad ? 1 : 0);
}
