/**
 * `deno task notebooks [--only NAME …] [--out DIR] [--inplace] [--timeout S] [--grace S] [--ui]`:
 * executes every `notebooks/*.ipynb` with a real Jupyter client (nbclient) on the Deno kernel
 * (see `tasks/tools/notebook_runner.ts`), and fails when a cell fails or an output was lost.
 * The executed copies go to `figures/notebooks/` in their published form (committed, rendered by
 * a code host: `tasks/tools/notebook_publish.ts`).
 * With `--ui`, each notebook runs instead in the classic Jupyter Notebook UI in headless
 * Chromium (Cell → Run All; `tasks/tools/notebook_ui.ts`), with a screenshot in `figures/_ui/`.
 *
 * Exit status: 0 when every notebook passed, 1 when one failed, 2 on a usage or setup problem.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, resolve } from "node:path";
import {
  assertExecutorAvailable,
  listNotebooks,
  runNotebook,
  writeKernelspec,
} from "./tools/notebook_runner.ts";
import { runNotebookInBrowser, uiMissing } from "./tools/notebook_ui.ts";
import { gitState, publishable, PUBLISHED_BUDGET_BYTES } from "./tools/notebook_publish.ts";
import { writeFileAtomic } from "../lib/core/fs.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", multiple: true },
      out: { type: "string", default: "figures/notebooks" },
      inplace: { type: "boolean", default: false },
      timeout: { type: "string", default: "600" },
      grace: { type: "string", default: "0.3" },
      "max-output-mb": { type: "string", default: "1" },
      dir: { type: "string", default: "notebooks" },
      ui: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task notebooks [--only NAME …] [--out DIR] [--inplace] [--timeout S] " +
        "[--grace S] [--max-output-mb N] [--dir notebooks] [--ui]",
    );
    return 0;
  }
  const all = await listNotebooks(values.dir!);
  const wanted = values.only ?? [];
  const stem = (p: string) => basename(p).replace(/\.ipynb$/, "");
  const unknown = wanted.filter((w) => !all.some((p) => stem(p) === w || basename(p) === w));
  if (unknown.length) {
    console.error(
      `notebooks: no notebook named ${unknown.join(", ")} in ${values.dir}/; have: ${
        all.map(stem).join(", ") || "none"
      }`,
    );
    return 2;
  }
  const chosen = all.filter((p) =>
    !wanted.length || wanted.includes(stem(p)) || wanted.includes(basename(p))
  );
  if (!chosen.length) {
    console.error(`notebooks: no notebooks in ${values.dir}/`);
    return 2;
  }
  if (values.ui) return await runInBrowser(chosen, Number(values.timeout));
  try {
    await assertExecutorAvailable();
  } catch (e) {
    console.error(`notebooks: ${(e as Error).message}`);
    return 2;
  }
  const jupyterPath = await Deno.makeTempDir({ prefix: "medcrypt-jupyter-" });
  try {
    await writeKernelspec(jupyterPath);
    let failed = 0;
    const t0 = performance.now();
    const state = await gitState();
    if (state.dirty) {
      console.log("notebooks: uncommitted changes: the copies will be stamped dirty");
    }
    for (const [i, path] of chosen.entries()) {
      console.log(`[${i + 1}/${chosen.length}] ${basename(path)} …`);
      const run = await runNotebook(resolve(path), {
        outDir: resolve(values.out!),
        inplace: values.inplace,
        timeout: Number(values.timeout),
        grace: Number(values.grace),
        maxOutputBytes: Number(values["max-output-mb"]) * 1e6,
        jupyterPath,
      });
      if (run.ok && !values.inplace) run.problems.push(...await publish(run.output, path, state));
      run.ok = run.problems.length === 0;
      const late = run.lateOutputs ? ` (${run.lateOutputs} late outputs recovered)` : "";
      if (run.ok) {
        console.log(`  ok in ${run.seconds.toFixed(1)} s${late} → ${run.output}`);
      } else {
        failed++;
        for (const p of run.problems) console.error(`  FAILED ${run.name}: ${p}`);
      }
    }
    console.log(
      `notebooks: ${chosen.length - failed}/${chosen.length} passed in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
    return failed ? 1 : 0;
  } finally {
    await Deno.remove(jupyterPath, { recursive: true }).catch(() => {});
  }
}

/**
 * Rewrites an executed copy as its published form (no Plotly JSON, stamped) and checks its size.
 *
 * @returns problems (over budget)
 */
async function publish(
  output: string,
  source: string,
  state: { commit: string; dirty: boolean },
): Promise<string[]> {
  const ran = JSON.parse(await Deno.readTextFile(output));
  const src = JSON.parse(await Deno.readTextFile(source));
  const bytes = new TextEncoder().encode(
    JSON.stringify(publishable(ran, src, state), null, 1) + "\n",
  );
  await writeFileAtomic(output, bytes);
  return bytes.length > PUBLISHED_BUDGET_BYTES
    ? [
      `${(bytes.length / 2 ** 20).toFixed(2)} MB, over the ${
        PUBLISHED_BUDGET_BYTES / 2 ** 20
      } MB budget`,
    ]
    : [];
}

/** `--ui`: every chosen notebook in the browser; fails on an error shown or a cell not run. */
async function runInBrowser(chosen: string[], timeoutS: number): Promise<number> {
  const missing = uiMissing();
  if (missing) {
    console.error(`notebooks --ui: ${missing}`);
    return 2;
  }
  let failed = 0;
  for (const [i, path] of chosen.entries()) {
    console.log(`[${i + 1}/${chosen.length}] ${basename(path)} in the browser …`);
    try {
      const r = await runNotebookInBrowser(path, { timeoutS });
      const ok = r.errors.length === 0 && r.ran === r.codeCells;
      if (!ok) failed++;
      console.log(
        `  ${
          ok ? "ok" : "FAILED"
        }: ${r.ran}/${r.codeCells} cells ran, ${r.errors.length} errors, ` +
          `${r.tables} tables and ${r.images} images visible, ${
            r.seconds.toFixed(1)
          } s → ${r.screenshot}`,
      );
      for (const e of r.errors) console.error(`  error shown: ${e}`);
    } catch (e) {
      failed++;
      console.error(`  FAILED ${basename(path)}: ${(e as Error).message}`);
    }
  }
  console.log(`notebooks --ui: ${chosen.length - failed}/${chosen.length} passed`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
