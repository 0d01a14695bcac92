import assert from "node:assert/strict";
import { runNotebookInBrowser, uiMissing } from "./notebook_ui.ts";

const missing = uiMissing();
const inCi = Deno.env.get("CI") === "true";

Deno.test({
  name:
    "notebook UI: 01_data runs from the classic Jupyter menu in headless Chromium, no error shown, tables and figures visible",
  ignore: !!missing && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    assert.equal(missing, undefined, `CI must not skip this: ${missing}`);
    const url = new URL("../../notebooks/01_data.ipynb", import.meta.url);
    const before = await Deno.readFile(url);
    const r = await runNotebookInBrowser(url.pathname, { timeoutS: 600 });
    assert.deepEqual(r.errors, []);
    assert.equal(r.ran, r.codeCells, `${r.ran} of ${r.codeCells} code cells ran`);
    assert.ok(r.codeCells > 0 && r.tables > 0 && r.images > 0, JSON.stringify(r));
    assert.ok((await Deno.stat(r.screenshot)).size > 10_000, "a screenshot was saved");
    assert.deepEqual(await Deno.readFile(url), before, "the notebook itself is never written");
    const left = [...Deno.readDirSync(new URL("../../notebooks/", import.meta.url))]
      .filter((e) => e.name.startsWith("_ui-"));
    assert.deepEqual(left, [], "the working copy is removed");
  },
});
if (missing && !inCi) console.log(`notebook UI test skipped: ${missing}`);
