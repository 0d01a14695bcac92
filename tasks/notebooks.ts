/**
 * `deno task notebooks [--only NAME …] [--out DIR] [--inplace] [--timeout S] [--grace S]`:
 * executes every `notebooks/*.ipynb` with a real Jupyter client (nbclient) on the Deno kernel
 * (see `tasks/tools/notebook_runner.ts`), and fails when a cell fails or an output was lost.
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

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", multiple: true },
      out: { type: "string", default: "figures/_notebooks" },
      inplace: { type: "boolean", default: false },
      timeout: { type: "string", default: "600" },
      grace: { type: "string", default: "0.3" },
      "max-output-mb": { type: "string", default: "1" },
      dir: { type: "string", default: "notebooks" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task notebooks [--only NAME …] [--out DIR] [--inplace] [--timeout S] " +
        "[--grace S] [--max-output-mb N] [--dir notebooks]",
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

if (import.meta.main) Deno.exit(await main());
