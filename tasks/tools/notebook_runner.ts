/**
 * The notebook runner behind `deno task notebooks`: executes notebooks with a real Jupyter client (nbclient, from Debian's
 * `python3-nbclient`) on the Deno kernel, and fails when a cell fails or an output was lost.
 *
 * How it works:
 * - a kernelspec for the Deno that runs this task (`Deno.execPath()`) is written into a temporary
 *   folder named by `JUPYTER_PATH`, so nothing needs `deno jupyter --install`;
 * - each notebook runs in `tasks/tools/_nbexec.py` (nbclient with a grace period after `idle`, because
 *   the Deno kernel sometimes sends `idle` before a cell's last output), with a per-cell timeout,
 *   `NO_COLOR=1` and `MEDCRYPT_QUIET=1`;
 * - the executed notebook is written to `--out` (default `figures/_notebooks/`, git-ignored);
 *   the sources are rewritten only with `--inplace`;
 * - then every code cell that is expected to print (see {@linkcode expectsOutput}) must have an
 *   output, and no cell output may exceed `--max-output-mb` (default 1 MB; the kernel corrupts
 *   its message stream at about 5 MB).
 *
 * @example
 * ```ts
 * import { expectsOutput } from "./notebook_runner.ts";
 * console.log(expectsOutput({ cell_type: "code", source: 'console.log("hi")', metadata: {} })); // true
 * ```
 * @module
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../../lib/core/fs.ts";

/** A notebook cell as stored in nbformat 4 (the fields this task reads). */
export interface NotebookCell {
  /** `"code"`, `"markdown"` or `"raw"`. */
  cell_type: string;
  /** Source text, as one string or a list of lines. */
  source: string | string[];
  /** Cell metadata; `tags` may hold `expect-output` or `no-output`. */
  metadata?: { tags?: string[]; [key: string]: unknown };
  /** Outputs of an executed code cell. */
  outputs?: Record<string, unknown>[];
}

/** An nbformat-4 notebook (the fields this task reads). */
export interface Notebook {
  /** The cells. */
  cells: NotebookCell[];
  /** Notebook metadata. */
  metadata?: Record<string, unknown>;
  /** Major format version (4). */
  nbformat?: number;
  /** Minor format version. */
  nbformat_minor?: number;
}

/** The outcome of running one notebook. */
export interface NotebookRun {
  /** Notebook file name. */
  name: string;
  /** Whether every cell ran and no output was lost. */
  ok: boolean;
  /** Wall time in seconds. */
  seconds: number;
  /** Where the executed notebook was written. */
  output: string;
  /** What went wrong, one line per problem (empty when ok). */
  problems: string[];
  /** Outputs that arrived after their cell's `idle` and were routed back to it. */
  lateOutputs: number;
}

/** Options of {@linkcode runNotebook}. */
export interface RunOptions {
  /** Folder for the executed notebook (ignored with `inplace`). */
  outDir: string;
  /** Overwrite the source notebook with the executed one. */
  inplace?: boolean;
  /** Seconds a single cell may run. Default 600. */
  timeout?: number;
  /** Seconds to keep reading IOPub after a cell's idle. Default 0.3. */
  grace?: number;
  /** Largest allowed output of one cell, in bytes. Default 1 MB. */
  maxOutputBytes?: number;
  /** `JUPYTER_PATH` folder holding the Deno kernelspec (see {@linkcode writeKernelspec}). */
  jupyterPath: string;
  /** Python with nbclient. Default `/usr/bin/python3`. */
  python?: string;
  /** Extra environment for the kernel. */
  env?: Record<string, string>;
}

const EXECUTOR = fileURLToPath(new URL("./_nbexec.py", import.meta.url));
const OUTPUT_CALL =
  /(^|[^\w.$])(console\.(log|info|warn|error|table|dir)|show|showTable|display\w*)\s*\(|Deno\.jupyter\./m;

/**
 * @param cell a notebook cell
 * @returns the cell's source as one string
 * @example
 * ```ts
 * import { cellSource } from "./notebook_runner.ts";
 * console.log(cellSource({ cell_type: "code", source: ["a\n", "b"] })); // "a\nb"
 * ```
 */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/**
 * The convention that decides which code cells must have output after execution (so a lost
 * output is detected, not hidden):
 * - tag `no-output` → never expected; tag `expect-output` → always expected;
 * - otherwise expected when the source (comments removed) calls `console.log/info/warn/error/
 *   table/dir`, `show(…)`, `showTable(…)`, `display…(…)` or uses `Deno.jupyter.*`, or when its
 *   last line is a bare expression (an identifier or a call, not ending in `;`), which the kernel
 *   displays as the cell's result.
 *
 * @param cell a notebook cell
 * @returns whether the executed cell must have at least one output
 * @example
 * ```ts
 * import { expectsOutput } from "./notebook_runner.ts";
 * console.log(expectsOutput({ cell_type: "code", source: "const a = 1;" })); // false
 * console.log(expectsOutput({ cell_type: "code", source: "const a = 1;\na" })); // true
 * ```
 */
export function expectsOutput(cell: NotebookCell): boolean {
  if (cell.cell_type !== "code") return false;
  const tags = cell.metadata?.tags ?? [];
  if (tags.includes("no-output")) return false;
  if (tags.includes("expect-output")) return true;
  const code = cellSource(cell)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .map((l) => l.replace(/(^|\s)\/\/.*$/, ""))
    .join("\n");
  if (OUTPUT_CALL.test(code)) return true;
  const lines = code.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  const last = lines.at(-1) ?? "";
  // A bare trailing expression such as `table` or `summary(x)` (no semicolon, no keyword).
  return /^[A-Za-z_$][\w$.]*(\(.*\))?$/.test(last) &&
    !/^(const|let|var|import|export|return|if|for|while|await)\b/.test(last);
}

/**
 * Writes a kernelspec named `deno` for the given Deno executable into `dir/kernels/deno/`.
 * Point `JUPYTER_PATH` at `dir` to use it without `deno jupyter --install`.
 *
 * @param dir the folder to become `JUPYTER_PATH`
 * @param deno the Deno executable (default: the one running now)
 * @returns the path of the written `kernel.json`
 * @example
 * ```ts
 * import { writeKernelspec } from "./notebook_runner.ts";
 * const dir = await Deno.makeTempDir();
 * console.log((await writeKernelspec(dir)).endsWith("kernel.json")); // true
 * ```
 */
export async function writeKernelspec(dir: string, deno = Deno.execPath()): Promise<string> {
  const kdir = join(dir, "kernels", "deno");
  await Deno.mkdir(kdir, { recursive: true });
  const spec = {
    argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  const p = join(kdir, "kernel.json");
  await Deno.writeTextFile(p, JSON.stringify(spec, null, 2) + "\n");
  return p;
}

/**
 * Checks an executed notebook: every cell that {@linkcode expectsOutput} has output, no cell has
 * an error output, and no cell's outputs exceed `maxOutputBytes`.
 *
 * @param nb the executed notebook
 * @param maxOutputBytes the largest allowed output of one cell
 * @returns one line per problem (empty when fine)
 * @example
 * ```ts
 * import { checkOutputs } from "./notebook_runner.ts";
 * const nb = { cells: [{ cell_type: "code", source: "console.log(1)", outputs: [] }] };
 * console.log(checkOutputs(nb)); // ["cell 0: expected output (it prints or displays) but has none"]
 * ```
 */
export function checkOutputs(nb: Notebook, maxOutputBytes = 1_000_000): string[] {
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const outputs = cell.outputs ?? [];
    if (expectsOutput(cell) && outputs.length === 0) {
      problems.push(`cell ${i}: expected output (it prints or displays) but has none`);
    }
    const size = new TextEncoder().encode(JSON.stringify(outputs)).length;
    if (size > maxOutputBytes) {
      problems.push(
        `cell ${i}: output is ${(size / 1e6).toFixed(2)} MB, over the ${
          (maxOutputBytes / 1e6).toFixed(2)
        } MB limit (write big figures to files; the kernel corrupts outputs near 5 MB)`,
      );
    }
  });
  return problems;
}

/**
 * Fails with a clear message when Debian's Python lacks nbclient or ipykernel's deps.
 *
 * @param python the Python to use
 * @returns nothing; throws an `Error` naming the missing package
 * @example
 * ```ts ignore
 * import { assertExecutorAvailable } from "./notebook_runner.ts";
 * await assertExecutorAvailable();
 * ```
 */
export async function assertExecutorAvailable(python = "/usr/bin/python3"): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: ["-c", "import nbclient, nbformat, jupyter_client"],
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch {
    throw new Error(
      `${python} not found: install Debian's python3-nbclient (apt-get install python3-nbclient)`,
    );
  }
  if (!out.success) {
    throw new Error(
      `${python} cannot import nbclient: install Debian's python3-nbclient and python3-ipykernel`,
    );
  }
}

/**
 * Executes one notebook and checks its outputs.
 *
 * @param path the `.ipynb` file
 * @param options output folder, timeouts, kernelspec folder
 * @returns the outcome (never throws for a failing cell; `ok` is false and `problems` says why)
 * @example
 * ```ts ignore
 * import { runNotebook, writeKernelspec } from "./notebook_runner.ts";
 * const jp = await Deno.makeTempDir();
 * await writeKernelspec(jp);
 * const run = await runNotebook("notebooks/00_tour.ipynb", { outDir: "figures/_notebooks", jupyterPath: jp });
 * console.log(run.ok);
 * ```
 */
export async function runNotebook(path: string, options: RunOptions): Promise<NotebookRun> {
  const name = basename(path);
  const output = options.inplace ? path : join(options.outDir, name);
  const tmpOut = join(
    options.inplace ? dirname(path) : options.outDir,
    `.tmp-${name}-${crypto.randomUUID().slice(0, 8)}`,
  );
  await Deno.mkdir(dirname(tmpOut), { recursive: true });
  const t0 = performance.now();
  const cmd = new Deno.Command(options.python ?? "/usr/bin/python3", {
    args: [
      EXECUTOR,
      path,
      tmpOut,
      "--timeout",
      String(options.timeout ?? 600),
      "--grace",
      String(options.grace ?? 0.3),
    ],
    env: {
      JUPYTER_PATH: options.jupyterPath,
      NO_COLOR: "1",
      MEDCRYPT_QUIET: "1",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
      ...options.env,
    },
    stdout: "piped",
    stderr: "piped",
  });
  const res = await cmd.output();
  const seconds = (performance.now() - t0) / 1000;
  const stdout = new TextDecoder().decode(res.stdout).trim().split("\n").at(-1) ?? "";
  const problems: string[] = [];
  let lateOutputs = 0;
  let report: Record<string, unknown> = {};
  try {
    report = JSON.parse(stdout);
  } catch {
    const err = new TextDecoder().decode(res.stderr).trim().split("\n").slice(-3).join(" | ");
    problems.push(`executor crashed (exit ${res.code}): ${err || stdout || "no output"}`);
  }
  if (report.ok === false) {
    const where = typeof report.cell_index === "number" ? `cell ${report.cell_index}` : "setup";
    const what = report.kind === "timeout"
      ? `timed out after ${options.timeout ?? 600} s`
      : `${report.ename ?? "Error"}: ${report.evalue ?? ""}`;
    problems.push(`${where}: ${String(what).split("\n")[0]}`);
  }
  if (typeof report.late_outputs === "number") lateOutputs = report.late_outputs;
  let executed: Notebook | undefined;
  try {
    executed = JSON.parse(await Deno.readTextFile(tmpOut));
  } catch { /* executor failed before writing */ }
  if (executed && report.ok === true) {
    problems.push(...checkOutputs(executed, options.maxOutputBytes ?? 1_000_000));
  }
  if (executed) {
    const bytes = await Deno.readFile(tmpOut);
    await Deno.remove(tmpOut);
    // Failed runs are still written (beside the good ones) so the failing cell can be inspected,
    // but never over the source notebook.
    const target = problems.length && options.inplace
      ? join(options.outDir, name.replace(/\.ipynb$/, ".failed.ipynb"))
      : output;
    await Deno.mkdir(dirname(target), { recursive: true });
    await writeFileAtomic(target, bytes);
  }
  return { name, ok: problems.length === 0, seconds, output, problems, lateOutputs };
}

/**
 * Lists `*.ipynb` files of a folder (not the executed copies), sorted by name.
 *
 * @param dir the folder
 * @returns paths
 * @example
 * ```ts
 * import { listNotebooks } from "./notebook_runner.ts";
 * console.log((await listNotebooks("notebooks"))[0]); // notebooks/00_tour.ipynb
 * ```
 */
export async function listNotebooks(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      // `.name` and `_ui-*` (the browser test's working copies) are not notebooks of the project
      if (e.isFile && e.name.endsWith(".ipynb") && !/^(\.|_ui-)/.test(e.name)) {
        out.push(join(dir, e.name));
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}
