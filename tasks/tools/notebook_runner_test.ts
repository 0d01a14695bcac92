import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkOutputs,
  expectsOutput,
  type Notebook,
  type NotebookCell,
  runNotebook,
  writeKernelspec,
} from "./notebook_runner.ts";

const hasNbclient = (() => {
  try {
    return new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import nbclient, nbformat, jupyter_client"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
})();
if (!hasNbclient) {
  console.warn(
    "notebooks_test: SKIPPING the Jupyter execution tests: /usr/bin/python3 cannot import " +
      "nbclient (apt-get install python3-nbclient python3-ipykernel)",
  );
}

function code(source: string, tags?: string[]): NotebookCell {
  return { cell_type: "code", source, metadata: tags ? { tags } : {}, outputs: [] };
}

function notebook(cells: NotebookCell[]): Notebook {
  return {
    cells: cells.map((c) => ({ ...c, execution_count: null })),
    metadata: {
      kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
      language_info: { name: "typescript" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

function textOf(cell: NotebookCell): string {
  return JSON.stringify(cell.outputs ?? []);
}

// Cells that print in the different ways a notebook does; each prints a unique marker.
const PRINTING_CELLS: [string, string][] = [
  ['console.log("m-0");', "m-0"],
  ['console.log("m-1a");\nconsole.log("m-1b");', "m-1b"],
  ["const x = 40 + 2;\nconsole.log(`m-2 ${x}`);", "m-2 42"],
  [
    'await Deno.jupyter.display({ "text/plain": "m-3", "text/html": "<b>m-3</b>" }, { raw: true });',
    "m-3",
  ],
  ['await new Promise((r) => setTimeout(r, 20));\nconsole.log("m-4");', "m-4"],
  ['console.error("m-5");', "m-5"],
  ['const s = "m-6";\ns', "m-6"],
  ['for (let i = 0; i < 3; i++) console.log("m-7", i);', "m-7"],
  ['console.log("m-8");', "m-8"],
  ['console.log("m-9");', "m-9"],
];

Deno.test("expectsOutput follows the documented convention", () => {
  assert.equal(expectsOutput(code('console.log("a")')), true);
  assert.equal(expectsOutput(code("await show(fig);")), true);
  assert.equal(expectsOutput(code("showTable(t)")), true);
  assert.equal(expectsOutput(code("await Deno.jupyter.display(b, { raw: true });")), true);
  assert.equal(expectsOutput(code("const a = 1;\na")), true);
  assert.equal(expectsOutput(code("summary(t)")), true);
  assert.equal(expectsOutput(code("const a = 1;")), false);
  assert.equal(expectsOutput(code('import { x } from "../lib/viz/mod.ts";')), false);
  assert.equal(expectsOutput(code('// console.log("commented out")\nconst a = 1;')), false);
  assert.equal(expectsOutput(code("const a = 1;", ["expect-output"])), true);
  assert.equal(expectsOutput(code('console.log("a")', ["no-output"])), false);
  assert.equal(expectsOutput({ cell_type: "markdown", source: "console.log(1)" }), false);
});

Deno.test("checkOutputs reports a missing output and an oversized one", () => {
  const nb = notebook([code('console.log("a")'), code("const a = 1;")]);
  assert.deepEqual(checkOutputs(nb), [
    "cell 0: expected output (it prints or displays) but has none",
  ]);
  nb.cells[0].outputs = [{ output_type: "stream", name: "stdout", text: "x".repeat(2000) }];
  assert.deepEqual(checkOutputs(nb), []);
  const problems = checkOutputs(nb, 1000);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /cell 0: output is .* MB, over the/);
});

/**
 * A Jupyter execution test: a temporary folder with a Deno kernelspec, the notebook written into
 * it, and `fn` given what `runNotebook` needs; the folder is removed afterwards.
 */
function jupyterTest(
  name: string,
  cells: NotebookCell[],
  fn: (path: string, dir: string, jupyterPath: string) => Promise<void>,
) {
  Deno.test({
    name,
    ignore: !hasNbclient,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const dir = await Deno.makeTempDir({ prefix: "nbtest-" });
      try {
        const jp = join(dir, "jupyter");
        await writeKernelspec(jp);
        const path = join(dir, "test.ipynb");
        await Deno.writeTextFile(path, JSON.stringify(notebook(cells)));
        await fn(path, dir, jp);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

jupyterTest(
  "runNotebook loses no output over 10 runs of a 10-cell printing notebook",
  PRINTING_CELLS.map(([s]) => code(s)),
  async (path, dir, jp) => {
    const runs = Number(Deno.env.get("NOTEBOOK_TEST_RUNS") ?? "10");
    let lost = 0, late = 0;
    // Two at a time: the machine has 2 cores; each run starts its own kernel.
    for (let r = 0; r < runs; r += 2) {
      const batch = await Promise.all(
        [r, r + 1].filter((k) => k < runs).map((k) =>
          runNotebook(path, { outDir: join(dir, `out-${k}`), jupyterPath: jp, timeout: 60 })
        ),
      );
      for (const run of batch) {
        assert.equal(run.ok, true, run.problems.join("; "));
        late += run.lateOutputs;
        const nb: Notebook = JSON.parse(await Deno.readTextFile(run.output));
        PRINTING_CELLS.forEach(([, marker], i) => {
          if (!textOf(nb.cells[i]).includes(marker)) lost++;
        });
      }
    }
    console.log(
      `notebooks_test: ${runs} runs × ${PRINTING_CELLS.length} cells: ${lost} outputs lost, ` +
        `${late} late outputs recovered by routing`,
    );
    assert.equal(lost, 0);
  },
);

jupyterTest(
  "a failing cell fails the run, naming the cell and the error",
  [
    code('console.log("before");'),
    code('throw new Error("boom-42 in the second cell");'),
    code('console.log("after");'),
  ],
  async (path, dir, jp) => {
    const run = await runNotebook(path, {
      outDir: join(dir, "out"),
      jupyterPath: jp,
      timeout: 60,
    });
    assert.equal(run.ok, false);
    assert.equal(run.problems.length, 1, run.problems.join("; "));
    assert.match(run.problems[0], /^cell 1: .*boom-42 in the second cell/);
    // The partial notebook is written for inspection; the cell after the failure did not run.
    const nb: Notebook = JSON.parse(await Deno.readTextFile(run.output));
    assert.ok(textOf(nb.cells[0]).includes("before"));
    assert.equal(textOf(nb.cells[2]).includes("after"), false);
  },
);
