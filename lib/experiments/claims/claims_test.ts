import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as aq from "arquero";
import { claimResults, claimsPage, VERDICTS } from "./mod.ts";

type Row = Record<string, unknown>;
const AUC = "MIA AUC (LiRA online, client/API)";

const FIGURES = new URL("../../../figures", import.meta.url).pathname;

Deno.test("claims: every claim has a measurement from the committed tables, a verdict, and links that exist", () => {
  const results = claimResults(FIGURES);
  assert.equal(new Set(results.map((r) => r.claim.id)).size, results.length, "ids are unique");
  for (const r of results) {
    assert.equal(r.error, undefined, `${r.claim.id}: ${r.error}`);
    assert.ok(VERDICTS.includes(r.measurement!.verdict), r.claim.id);
    assert.ok(/\d/.test(r.measurement!.measured), `${r.claim.id} measures a number`);
    for (const t of r.claim.tables) {
      assert.ok(r.read.includes(t), `${r.claim.id} lists ${t} but did not read it`);
      assert.ok(existsSync(join(FIGURES, `${t}.md`)), `${t}.md exists`);
    }
    if (r.claim.figure) assert.ok(existsSync(join(FIGURES, r.claim.figure)), r.claim.figure);
  }
});

Deno.test("claims: figures/CLAIMS.md is the page computed from the committed tables", () => {
  const committed = readFileSync(join(FIGURES, "CLAIMS.md"), "utf8");
  assert.equal(committed, claimsPage(claimResults(FIGURES)), "rerun `deno task reproduce`");
});

Deno.test("claims: a missing table leaves the claim unmeasured, naming the file to reproduce", () => {
  const dir = Deno.makeTempDirSync();
  const results = claimResults(dir);
  for (const r of results.filter((r) => r.claim.tables.length)) {
    assert.ok(r.error && !r.measurement, r.claim.id);
  }
  const a1 = results.find((r) => r.claim.id === "A1")!;
  assert.match(
    a1.error!,
    /paper_a_reported\.csv is missing: run `deno task reproduce --only paper-a`/,
  );
  assert.match(claimsPage(results), /\*\*not measured\*\*/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("claims: verdicts follow the data (HE's attack AUC moved below plaintext's interval)", () => {
  const dir = Deno.makeTempDirSync();
  mkdirSync(join(dir, "paper-a"));
  const name = "paper-a/paper_a_comparison.csv";
  copyFileSync(join(FIGURES, name), join(dir, name));
  const before = claimResults(dir).find((r) => r.claim.id === "A7")!;
  assert.equal(before.measurement!.verdict, "refuted");
  const table = aq.fromCSV(readFileSync(join(dir, name), "utf8")).derive({
    "MIA AUC (LiRA online, client/API)": aq.escape((d: Row) => d.method === "HE" ? 0.3 : d[AUC]),
    "MIA AUC low": aq.escape((d: Row) => d.method === "HE" ? 0.28 : d["MIA AUC low"]),
    "MIA AUC high": aq.escape((d: Row) => d.method === "HE" ? 0.32 : d["MIA AUC high"]),
  });
  writeFileSync(join(dir, name), table.toCSV());
  const after = claimResults(dir).find((r) => r.claim.id === "A7")!;
  assert.equal(after.measurement!.verdict, "reproduced", after.measurement!.measured);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("claims: the README's results block is the one computed from the committed tables", async () => {
  const { README_MARKERS, readmeResults } = await import("./readme.ts");
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const [a, b] = README_MARKERS.map((m) => readme.indexOf(m));
  assert.ok(a > 0 && b > a, "README has the results block");
  assert.equal(
    readme.slice(a + README_MARKERS[0].length, b),
    `\n${readmeResults(FIGURES)}\n`,
    "rerun `deno task reproduce`",
  );
  assert.ok(a < readme.indexOf("## What is here"), "on the first screen, before the tour");
});
