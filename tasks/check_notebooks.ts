/**
 * `deno run -A tasks/check_notebooks.ts [NOTEBOOK …]` (part of `deno task check`): type-checks and
 * lints the code of every `notebooks/*.ipynb`. `deno check` and `deno lint` do not read notebooks,
 * and the kernel does not type-check, so each notebook's code cells are joined into a temporary
 * `.ts` file beside the notebook (so relative imports resolve the same way), checked, linted, and
 * deleted. Problems are reported as `notebook.ipynb cell N line L: …`.
 *
 * Exit status 0 when every notebook is clean, 1 otherwise.
 *
 * @example
 * ```ts
 * import { joinCells } from "./check_notebooks.ts";
 * const { source, lineMap } = joinCells({ cells: [{ cell_type: "code", source: "const a = 1;" }] });
 * console.log(source.includes("const a = 1;"), lineMap.length > 0); // true true
 * ```
 * @module
 */
import { basename, dirname, join } from "node:path";
import { cellSource, listNotebooks, type Notebook } from "./tools/notebook_runner.ts";

/** Joined code of a notebook plus, for each line of it, the cell and line it came from. */
export interface JoinedCells {
  /** TypeScript source. */
  source: string;
  /** `lineMap[i]` = `[cellIndex, lineInCell]` (1-based line) for line `i + 1` of `source`. */
  lineMap: [number, number][];
}

/**
 * Joins a notebook's code cells into one TypeScript module. Jupyter magics and shell escapes
 * (`%…`, `!…`) are not TypeScript and are dropped.
 *
 * @param nb the notebook
 * @returns the module source and the line map
 * @example
 * ```ts
 * import { joinCells } from "./check_notebooks.ts";
 * const j = joinCells({ cells: [{ cell_type: "markdown", source: "x" }, { cell_type: "code", source: "let b = 2;" }] });
 * console.log(j.lineMap.at(-1)); // [1, 1]
 * ```
 */
export function joinCells(nb: Notebook): JoinedCells {
  const lines: string[] = [
    "// Generated from a notebook by tasks/check_notebooks.ts; deleted after use.",
  ];
  const lineMap: [number, number][] = [[-1, 0]];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    lines.push(`// --- cell ${i} ---`);
    lineMap.push([i, 0]);
    cellSource(cell).split("\n").forEach((l, k) => {
      lines.push(/^\s*[%!]/.test(l) ? "" : l);
      lineMap.push([i, k + 1]);
    });
  });
  lines.push("export {};", "");
  lineMap.push([-1, 0], [-1, 0]);
  return { source: lines.join("\n"), lineMap };
}

function stripAnsi(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}

/**
 * Rewrites `file.ts:LINE:COL` locations in a tool's output into notebook cell locations.
 *
 * @param text the output of `deno check` / `deno lint`
 * @param tmpName the temporary file's base name
 * @param nbName the notebook's name
 * @param lineMap from {@linkcode joinCells}
 * @returns the rewritten text
 * @example
 * ```ts
 * import { mapLocations } from "./check_notebooks.ts";
 * console.log(mapLocations("at file:///x/t.ts:3:5", "t.ts", "a.ipynb", [[-1, 0], [0, 0], [0, 1]]));
 * // "at a.ipynb cell 0 line 1:5"
 * ```
 */
export function mapLocations(
  text: string,
  tmpName: string,
  nbName: string,
  lineMap: [number, number][],
): string {
  const esc = tmpName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return stripAnsi(text).replace(
    new RegExp(`(?:file://)?[^\\s\\[(]*${esc}:(\\d+):(\\d+)`, "g"),
    (_m, line: string, col: string) => {
      const [cell, l] = lineMap[Number(line) - 1] ?? [-1, 0];
      return cell < 0
        ? `${nbName} (generated line ${line})`
        : `${nbName} cell ${cell} line ${l}:${col}`;
    },
  ).replaceAll(tmpName, nbName);
}

/**
 * Type-checks and lints one notebook.
 *
 * @param path the `.ipynb` file
 * @returns problems as text (empty when clean)
 * @example
 * ```ts ignore
 * import { checkNotebook } from "./check_notebooks.ts";
 * console.log(await checkNotebook("notebooks/00_tour.ipynb"));
 * ```
 */
export async function checkNotebook(path: string): Promise<string> {
  const nb: Notebook = JSON.parse(await Deno.readTextFile(path));
  const { source, lineMap } = joinCells(nb);
  const nbName = basename(path);
  const tmpName = `.check-${nbName.replace(/\.ipynb$/, "")}-${crypto.randomUUID().slice(0, 8)}.ts`;
  const tmp = join(dirname(path), tmpName);
  await Deno.writeTextFile(tmp, source);
  try {
    const problems: string[] = [];
    for (const args of [["check", "-q", tmp], ["lint", "-q", tmp]]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      if (!out.success) {
        const text = (new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr))
          .replace(/\n*Stack backtrace:[\s\S]*$/, "");
        problems.push(`deno ${args[0]}:\n` + mapLocations(text.trim(), tmpName, nbName, lineMap));
      }
    }
    return problems.join("\n");
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

if (import.meta.main) {
  const paths = Deno.args.length ? Deno.args : await listNotebooks("notebooks");
  let bad = 0;
  for (const p of paths) {
    const problems = await checkNotebook(p);
    if (problems) {
      bad++;
      console.error(`${p}: FAILED\n${problems}\n`);
    } else {
      console.log(`${p}: ok (deno check + deno lint)`);
    }
  }
  if (!paths.length) console.log("check_notebooks: no notebooks");
  Deno.exit(bad ? 1 : 0);
}
