import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { checkPublished, publishable } from "./notebook_publish.ts";
import { listNotebooks } from "./notebook_runner.ts";

const root = new URL("../../", import.meta.url).pathname;

function commitExists(commit: string): boolean {
  return new Deno.Command("git", {
    args: ["-C", root, "cat-file", "-e", `${commit}^{commit}`],
    stderr: "null",
  }).outputSync().success;
}

Deno.test("published notebooks: every notebook has an executed copy from a run of the committed code", async () => {
  for (const source of await listNotebooks(`${root}notebooks`)) {
    const published = `${root}figures/notebooks/${basename(source)}`;
    assert.ok(existsSync(published), `${published} is missing: run \`deno task notebooks\``);
    const problems = checkPublished(
      readFileSync(published),
      JSON.parse(readFileSync(source, "utf8")),
      commitExists,
    );
    assert.deepEqual(problems, [], basename(source));
  }
});

Deno.test("published notebooks: the check catches changed cells, a dirty run, an unknown commit and Plotly JSON", () => {
  const src = { cells: [{ cell_type: "code", source: "show(fig)" }] };
  const ran = {
    cells: [{
      cell_type: "code",
      source: "show(fig)",
      outputs: [{ output_type: "display_data", data: { "image/png": "iVBOR" } }],
    }],
  };
  const bytes = (nb: unknown) => new TextEncoder().encode(JSON.stringify(nb));
  const ok = publishable(ran, src, { commit: "c0ffee", dirty: false });
  assert.deepEqual(checkPublished(bytes(ok), src, () => true), []);
  const edited = { cells: [{ cell_type: "code", source: "show(other)" }] };
  assert.match(checkPublished(bytes(ok), edited, () => true).join(), /differ from the source/);
  const dirty = publishable(ran, src, { commit: "c0ffee", dirty: true });
  assert.match(checkPublished(bytes(dirty), src, () => true).join(), /uncommitted/);
  assert.match(checkPublished(bytes(ok), src, () => false).join(), /not in this repository/);
  const withPlotly = structuredClone(ok);
  withPlotly.cells[0].outputs![0].data!["application/vnd.plotly.v1+json"] = {};
  assert.match(checkPublished(bytes(withPlotly), src, () => true).join(), /plotly/);
  assert.match(checkPublished(bytes(src), src, () => true).join(), /no medcrypt stamp/);
});
