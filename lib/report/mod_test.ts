import assert from "node:assert/strict";
import { join } from "node:path";
import * as aq from "arquero";
import { decode } from "fast-png";
import { writeExperimentResult } from "./mod.ts";
import { tableToCsv, tableToHtmlFragment, tableToMarkdown } from "../viz/tables.ts";
import { lineFigure } from "../viz/figures.ts";
import { findChromium } from "../viz/chromium.ts";

Deno.test("tables: CSV quotes, Markdown escapes pipes, HTML escapes markup", () => {
  const t = aq.table({ name: ['a,"b"', "x|y"], v: [1.234567, 2] });
  assert.equal(tableToCsv(t), 'name,v\n"a,""b""",1.234567\nx|y,2\n');
  assert.equal(tableToMarkdown(t), '| name | v |\n| --- | --- |\n| a,"b" | 1.235 |\n| x\\|y | 2 |');
  const h = tableToHtmlFragment(aq.table({ a: ["<b>"] }), "c<1>");
  assert.ok(h.includes("&lt;b&gt;") && h.includes("c&lt;1&gt;") && !h.includes("<b>"));
});

Deno.test("writeExperimentResult writes tables, figures with provenance, and provenance.json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const own = lineFigure([{ x: [1, 2], y: [3, 4] }], { params: { lr: 0.1 }, seed: 5 });
    const bare = { data: [{ type: "bar", y: [1] }], layout: {} };
    const files = await writeExperimentResult(dir, "exp", {
      tables: {
        t: {
          name: "t",
          table: aq.table({ a: [1] }),
          caption: "cap",
          randomised: [{ columns: ["a"], rows: [0], reason: "nonce" }],
        },
      },
      figures: { own: { name: "own", figure: own }, bare: { name: "bare", figure: bare } },
      notes: ["n1"],
    }, { png: false, params: { scale: "quick" }, seed: 9 });
    const names = files.map((f) => f.slice(dir.length + 5)).sort();
    assert.deepEqual(names, [
      "NOTES.md",
      "bare.html",
      "own.html",
      "provenance.json",
      "t.csv",
      "t.html",
      "t.md",
    ]);
    const provOf = async (n: string) =>
      JSON.parse(
        (await Deno.readTextFile(join(dir, "exp", n))).match(
          /<script type="application\/json" id="provenance">(.*?)<\/script>/s,
        )![1],
      );
    assert.equal((await provOf("own.html")).seed, 5);
    assert.equal((await provOf("own.html")).params.lr, 0.1);
    const bareProv = await provOf("bare.html");
    assert.equal(bareProv.seed, 9);
    assert.equal(bareProv.params.scale, "quick");
    assert.equal(bareProv.params.experiment, "exp");
    assert.equal(typeof bareProv.commit, "string");
    assert.ok((await Deno.stat(join(dir, "plotly.min.js"))).size > 1_000_000);
    assert.ok((await Deno.readTextFile(join(dir, "exp", "t.md"))).startsWith("cap\n\n| a |"));
    const run = JSON.parse(await Deno.readTextFile(join(dir, "exp", "provenance.json")));
    assert.deepEqual(run.randomised, { t: [{ columns: ["a"], rows: [0], reason: "nonce" }] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "writeExperimentResult writes a PNG with provenance beside each figure (Chromium)",
  ignore: !findChromium(),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const fig = lineFigure([{ x: [1, 2], y: [3, 4] }], { seed: 11, width: 500, height: 300 });
      const files = await writeExperimentResult(dir, "exp", {
        tables: {},
        figures: { f: { name: "f", figure: fig } },
      }, { png: true });
      assert.ok(files.some((f) => f.endsWith("f.png")));
      const png = decode(await Deno.readFile(join(dir, "exp", "f.png")));
      assert.equal(png.width, 500);
      assert.equal(JSON.parse(png.text.provenance).seed, 11);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
