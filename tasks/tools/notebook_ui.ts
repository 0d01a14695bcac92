/// <reference lib="dom" />
/**
 * A notebook run the way a researcher runs it: Debian's classic Jupyter Notebook server
 * (`jupyter-notebook`) on 127.0.0.1 with the Deno kernel, driven by headless Chromium through
 * `puppeteer-core`. The browser opens the notebook, chooses Cell → Run All from the menu, waits
 * for every cell to finish, checks that no cell shows an error and that the notebook's tables and
 * figures are visible in the page, and saves a screenshot under `figures/_ui/` (git-ignored).
 *
 * The notebook is opened from a copy beside it (`notebooks/_ui-<pid>-NAME.ipynb`, so its
 * relative imports resolve) with autosave off, and the copy is removed afterwards: the committed
 * notebook is never written.
 *
 * @example
 * ```ts ignore
 * import { runNotebookInBrowser } from "./notebook_ui.ts";
 * const r = await runNotebookInBrowser("notebooks/01_data.ipynb", { screenshotDir: "figures/_ui" });
 * console.log(r.codeCells, r.errors, r.tables, r.images); // e.g. 9 0 3 6
 * ```
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import puppeteer from "puppeteer-core";
import { findChromium } from "../../lib/viz/chromium.ts";
import { writeKernelspec } from "./notebook_runner.ts";

/** What the page showed after Run All. */
export interface UiRun {
  /** The notebook. */
  notebook: string;
  /** Code cells in the page. */
  codeCells: number;
  /** Code cells that ran (an execution count in their prompt). */
  ran: number;
  /** Error outputs shown (tracebacks), with their text. */
  errors: string[];
  /** Tables visible in cell outputs. */
  tables: number;
  /** Images (figures) visible in cell outputs. */
  images: number;
  /** The screenshot's path. */
  screenshot: string;
  /** Seconds from opening the page to the last cell's end. */
  seconds: number;
}

/** Options of {@linkcode runNotebookInBrowser}. */
export interface UiOptions {
  /** Where the screenshot goes (default `figures/_ui`). */
  screenshotDir?: string;
  /** Seconds to wait for every cell (default 900). */
  timeoutS?: number;
}

/** Why a browser run cannot happen here, or `undefined` when it can. */
export function uiMissing(): string | undefined {
  try {
    Deno.statSync("/usr/bin/jupyter-notebook");
  } catch {
    return "Debian's jupyter-notebook is not installed (apt-get install jupyter-notebook)";
  }
  if (!findChromium()) return "Chromium is not installed (apt-get install chromium)";
  return undefined;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitFor(url: string, until: number): Promise<void> {
  while (performance.now() < until) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the notebook server did not answer at ${url.split("?")[0]}`);
}

/**
 * Runs one notebook in the browser (see the module doc).
 *
 * @param notebook path of the `.ipynb`
 * @param options screenshot folder, time limit
 * @returns what the page showed; throws when the server, the kernel or a cell never finishes
 */
export async function runNotebookInBrowser(
  notebook: string,
  options: UiOptions = {},
): Promise<UiRun> {
  const missing = uiMissing();
  if (missing) throw new Error(missing);
  const { screenshotDir = "figures/_ui", timeoutS = 900 } = options;
  const root = resolve(dirname(notebook), "..");
  const name = basename(notebook, ".ipynb");
  const copy = join(dirname(resolve(notebook)), `_ui-${Deno.pid}-${name}.ipynb`);
  await Deno.copyFile(notebook, copy);
  const jupyterPath = await Deno.makeTempDir({ prefix: "medcrypt-ui-kernels-" });
  await writeKernelspec(jupyterPath);
  const port = freePort(), token = crypto.randomUUID().replaceAll("-", "");
  const server = new Deno.Command("/usr/bin/jupyter-notebook", {
    args: [
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--notebook-dir=${root}`,
      `--NotebookApp.token=${token}`,
      // a CI container runs as root, which the server refuses without this
      ...(Deno.uid() === 0 ? ["--allow-root"] : []),
    ],
    env: { JUPYTER_PATH: jupyterPath, MEDCRYPT_QUIET: "1", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const logging = server.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (log = (log + chunk).slice(-4000)) }),
  ).catch(() => {});
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now(), until = t0 + timeoutS * 1000;
  let browser: Awaited<ReturnType<typeof puppeteer.launch>> | undefined;
  try {
    await waitFor(`${base}/api/status?token=${token}`, t0 + 60_000).catch((e) => {
      throw new Error(`${e.message}; it said: ${log.trim().split("\n").slice(-5).join(" | ")}`);
    });
    browser = await puppeteer.launch({
      executablePath: findChromium(),
      headless: true,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const rel = copy.slice(root.length + 1);
    await page.goto(`${base}/notebooks/${rel}?token=${token}`, { waitUntil: "networkidle2" });
    // the classic UI's globals: a kernel that is connected and idle
    await page.waitForFunction(
      // deno-lint-ignore no-explicit-any
      () => (globalThis as any).Jupyter?.notebook?.kernel?.is_connected?.() === true,
      { timeout: 120_000 },
    ).catch(async (e) => {
      const state = await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const j = (globalThis as any).Jupyter;
        return `Jupyter ${!!j}, notebook ${!!j?.notebook}, kernel ${!!j?.notebook?.kernel}; ${
          document.querySelector("#notification_kernel")?.textContent ?? ""
        } ${document.querySelector(".modal-body")?.textContent ?? ""}`;
      });
      throw new Error(
        `the kernel never connected (${e.message}): ${state}; server: ${
          log.trim().split("\n").slice(-6).join(" | ")
        }`,
      );
    });
    // deno-lint-ignore no-explicit-any
    await page.evaluate(() => (globalThis as any).Jupyter.notebook.set_autosave_interval(0));
    await page.click("#celllink");
    await page.click("#run_all_cells > a");
    // every code cell's prompt shows an execution count ("In [3]:"), none "[*]" or "[ ]"
    const done = () => {
      const prompts = [...document.querySelectorAll(".code_cell .input_prompt")]
        .map((p) => p.textContent ?? "");
      return prompts.length > 0 && prompts.every((p) => /\[\d+\]/.test(p));
    };
    await page.waitForFunction(done, {
      timeout: Math.max(1000, until - performance.now()),
      polling: 500,
    });
    const seconds = (performance.now() - t0) / 1000;
    // outputs of the last cell can arrive just after its reply (a kernel bug): let them land
    await new Promise((r) => setTimeout(r, 2000));
    const seen = await page.evaluate(() => {
      const visible = (e: Element) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0;
      };
      return {
        codeCells: document.querySelectorAll(".code_cell").length,
        ran: [...document.querySelectorAll(".code_cell .input_prompt")]
          .filter((p) => /\[\d+\]/.test(p.textContent ?? "")).length,
        errors: [...document.querySelectorAll(".output_error")]
          .map((e) => (e.textContent ?? "").slice(0, 400)),
        tables: [...document.querySelectorAll(".output_area table")].filter(visible).length,
        images: [...document.querySelectorAll(".output_area img")].filter(visible).length,
      };
    });
    await Deno.mkdir(screenshotDir, { recursive: true });
    const screenshot = join(screenshotDir, `${name}.png`);
    // the classic UI scrolls inside #site, not the page: grow the viewport to the notebook
    const height = await page.evaluate(() =>
      (document.querySelector("#header")?.clientHeight ?? 0) +
      (document.querySelector("#notebook")?.scrollHeight ?? 900)
    );
    await page.setViewport({ width: 1280, height: Math.min(16_000, Math.max(900, height)) });
    await new Promise((r) => setTimeout(r, 500));
    await page.screenshot({ path: `${screenshot}.tmp`, type: "png" });
    await Deno.rename(`${screenshot}.tmp`, screenshot);
    return { notebook, ...seen, screenshot, seconds };
  } finally {
    await browser?.close();
    try {
      server.kill("SIGTERM");
    } catch { /* already gone */ }
    await server.status;
    await logging;
    await Deno.remove(copy).catch(() => {});
    await Deno.remove(jupyterPath, { recursive: true }).catch(() => {});
  }
}
