/**
 * The README's first screen of results: the claims' verdict counts, paper A's comparison in a
 * few columns and one figure, generated between two markers from the committed tables so that
 * the README never carries a typed-in number.
 *
 * @example
 * ```ts
 * import { readmeResults } from "./readme.ts";
 * console.log(readmeResults("figures").includes("| HE |")); // true
 * ```
 * @module
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { MedCryptError } from "../../core/errors.ts";
import { claimResults } from "./mod.ts";
import { num, resultTables } from "./results.ts";
import { f, interval, VERDICTS } from "./types.ts";

/** The markers the block sits between. */
export const README_MARKERS = ["<!-- results:start -->", "<!-- results:end -->"] as const;

/**
 * The block's Markdown (links relative to the repository root).
 *
 * @param dir the figures folder
 * @returns the block, without the markers
 * @example
 * ```ts
 * import { readmeResults } from "./readme.ts";
 * console.log(readmeResults("figures").split("\n")[0]); // starts with "**What the papers claim"
 * ```
 */
export function readmeResults(dir = "figures"): string {
  const claims = claimResults(dir);
  const counts = VERDICTS.map((v) => [v, claims.filter((c) => c.measurement?.verdict === v).length])
    .filter(([, n]) => n).map(([v, n]) => `${n} ${v}`).join(", ");
  const t = resultTables(dir), CMP = "paper-a/paper_a_comparison";
  const rows = t.rows(CMP).map((r) => {
    const n = (c: string) => num(r, c, CMP);
    return `| ${r.method} | ${f(n("latency median (ms)"), 2)} | ${f(n("latency p95 (ms)"), 2)} | ${
      f(n("throughput sequential (img/s)"), 1)
    } | ${f(n("accuracy (468 test, plaintext model)"), 3)} | ${
      interval(n("MIA AUC (LiRA online, client/API)"), n("MIA AUC low"), n("MIA AUC high"))
    } |`;
  });
  return [
    `**What the papers claim, and what we measured: [figures/CLAIMS.md](figures/CLAIMS.md)** — ${claims.length} claims: ${counts}.`,
    "",
    "Paper A's comparison, measured here (quick scale, one thread; [full table](figures/paper-a/paper_a_comparison.md)):",
    "",
    "| method | latency median (ms) | p95 (ms) | images/s | test accuracy | membership AUC (LiRA) [95 %] |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
    ...rows,
    "",
    "![Latency of each method](figures/paper-a/latency_by_method.png)",
  ].join("\n");
}

/**
 * Replaces the block between {@linkcode README_MARKERS} in a README (temporary file, then rename).
 *
 * @param readme the README's path
 * @param dir the figures folder
 * @example
 * ```ts ignore
 * import { updateReadme } from "./readme.ts";
 * await updateReadme("README.md", "figures");
 * ```
 */
export async function updateReadme(readme: string, dir = "figures"): Promise<void> {
  const text = await readFile(readme, "utf8");
  const [a, b] = README_MARKERS.map((m) => text.indexOf(m));
  if (a < 0 || b < a) {
    throw new MedCryptError("bad-input", `${readme} has no ${README_MARKERS.join(" … ")} block`);
  }
  const next = text.slice(0, a + README_MARKERS[0].length) + "\n" + readmeResults(dir) + "\n" +
    text.slice(b);
  const tmp = `${readme}.tmp-${Deno.pid}`;
  await writeFile(tmp, next);
  await rename(tmp, readme);
}
