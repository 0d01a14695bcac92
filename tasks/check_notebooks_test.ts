import assert from "node:assert/strict";
import { join } from "node:path";
import { checkNotebook, joinCells, mapLocations } from "./check_notebooks.ts";

Deno.test("joinCells keeps code cells, drops magics, maps lines back to cells", () => {
  const j = joinCells({
    cells: [
      { cell_type: "markdown", source: "# t" },
      { cell_type: "code", source: ["%time\n", "const a = 1;\n", "a"] },
      { cell_type: "code", source: "console.log(a);" },
    ],
  });
  assert.ok(!j.source.includes("%time"));
  const lines = j.source.split("\n");
  const at = lines.indexOf("console.log(a);");
  assert.deepEqual(j.lineMap[at], [2, 1]);
  assert.deepEqual(j.lineMap[lines.indexOf("const a = 1;")], [1, 2]);
  assert.equal(
    mapLocations(`x at file:///d/.t.ts:${at + 1}:3`, ".t.ts", "n.ipynb", j.lineMap),
    "x at n.ipynb cell 2 line 1:3",
  );
});

Deno.test("checkNotebook finds a type error and a lint error and names their cells", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const p = join(dir, "bad.ipynb");
    const nb = {
      cells: [
        { cell_type: "code", source: 'const n: number = "x";\nconsole.log(n);', metadata: {} },
        { cell_type: "code", source: "let unused = 3;", metadata: {} },
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    };
    await Deno.writeTextFile(p, JSON.stringify(nb));
    const problems = await checkNotebook(p);
    assert.match(problems, /TS2322[\s\S]*bad\.ipynb cell 0 line 1/);
    assert.match(problems, /no-unused-vars[\s\S]*bad\.ipynb cell 1 line 1/);
    nb.cells = [{ cell_type: "code", source: "const n = 1;\nconsole.log(n);", metadata: {} }];
    await Deno.writeTextFile(p, JSON.stringify(nb));
    assert.equal(await checkNotebook(p), "");
    // The temporary file is gone.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(left, ["bad.ipynb"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
