/**
 * The house rule, checked: folders of `lib/` import one way only. Each top-level folder has a
 * layer; a file may import files of its own folder and of folders in lower layers, never of its
 * own layer's other folders or of higher ones; and no two folders (nested ones included, such as
 * `ciphers/chaos` and `ciphers/revcipher`) may import each other in a circle. Every `import`,
 * `export … from`, dynamic `import()` and worker script (`new Worker(new URL(…))`) in code
 * counts (doc comments do not); test files count too.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { readdirSync, readFileSync, statSync } from "node:fs";

/** Layers from the bottom up; folders on one line are independent of each other. */
export const LAYERS: readonly (readonly string[])[] = [
  ["core"], // errors, files, randomness, bytes, provenance, progress
  ["jobs"], // independent work: in process, on threads, on a Redis queue (BullMQ)
  ["image"], // medical images and their file formats
  ["stats", "datasets"], // statistics; labelled data sets and splits
  ["envelope"], // AES-256-GCM + RSA-OAEP file format
  ["nn"], // networks, training, evaluation (training data may be stored as envelopes)
  ["ciphers", "he"], // image ciphers (chaos, the learned cipher); CKKS inference
  ["cipher_metrics"], // what the image-cipher papers measure, over any ImageCipher
  ["attacks", "pipeline"], // privacy attacks; paper A's diagnostic session
  ["service"], // the diagnostic service on a socket, its state and its client
  ["viz"], // figures and tables
  ["report"], // writing results to disk
  ["experiments", "cli", "bench"], // what notebooks, commands and benchmarks run
  ["adversarial"], // malformed input handed to every reader and every command
];

/** One import found in a source file. */
export interface ImportEdge {
  /** The importing file, relative to the repository root. */
  from: string;
  /** The imported file, relative to the repository root. */
  to: string;
}

const SPEC =
  /(?:^|[\s;])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|[\s;(])import\s*\(\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|new Worker\(\s*new URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url/gm;

/** Removes block and line comments (JSDoc examples are not dependencies). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "testdata" && name !== "node_modules") walk(p, out);
    } else if (name.endsWith(".ts") && name !== "architecture_test.ts") out.push(p);
  }
  return out;
}

/**
 * @param root repository root
 * @returns every relative import between `.ts` files under `root/lib`
 */
export function importsOf(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of walk(join(root, "lib"))) {
    const src = stripComments(readFileSync(file, "utf8"));
    for (const m of src.matchAll(SPEC)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (!spec.startsWith(".") || !/\.(ts|js|mjs)$/.test(spec)) continue;
      edges.push({
        from: relative(root, file),
        to: normalize(relative(root, join(dirname(file), spec))),
      });
    }
  }
  return edges;
}

const topFolder = (path: string): string => path.split("/")[1];
const rankOf = (folder: string): number => LAYERS.findIndex((l) => l.includes(folder));

/**
 * Checks the import direction and folder cycles.
 *
 * @param edges the imports of `lib/`
 * @returns one line per violation, each naming both files (empty when the rule holds)
 */
export function violations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = topFolder(from), b = topFolder(to);
    if (!to.startsWith("lib/") || to.split("/").length < 3) {
      if (!to.startsWith("lib/")) out.push(`${from} imports ${to}, outside lib/`);
      continue;
    }
    if (a === b) continue;
    const ra = rankOf(a), rb = rankOf(b);
    if (ra < 0) out.push(`${from}: folder lib/${a} has no layer in LAYERS`);
    else if (rb < 0) out.push(`${from} imports ${to}: folder lib/${b} has no layer in LAYERS`);
    else if (rb >= ra) {
      out.push(
        `${from} imports ${to}: lib/${a} (layer ${ra}) may not import lib/${b} (layer ${rb})`,
      );
    }
  }
  // cycles between any two folders, nested ones included
  const graph = new Map<string, Map<string, ImportEdge>>();
  for (const e of edges) {
    const da = dirname(e.from), db = dirname(e.to);
    if (da === db) continue;
    if (!graph.has(da)) graph.set(da, new Map());
    if (!graph.get(da)!.has(db)) graph.get(da)!.set(db, e);
  }
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (d: string) => {
    state.set(d, "open");
    stack.push(d);
    for (const [next, edge] of graph.get(d) ?? []) {
      if (state.get(next) === "open") {
        const circle = [...stack.slice(stack.indexOf(next)), next].join(" -> ");
        out.push(`${edge.from} imports ${edge.to}, closing the folder cycle ${circle}`);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(d, "done");
  };
  for (const d of [...graph.keys()].sort()) if (!state.has(d)) visit(d);
  return out;
}

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");

Deno.test("lib/ imports one way: no import against the layers, no cycle between folders", () => {
  const edges = importsOf(ROOT);
  assert.ok(edges.length > 300, `only ${edges.length} imports found: the parser is broken`);
  const bad = violations(edges);
  assert.deepEqual(bad, [], `\n${bad.join("\n")}`);
});

Deno.test("every folder of lib/ has a layer", () => {
  const folders = readdirSync(join(ROOT, "lib")).filter((n) =>
    statSync(join(ROOT, "lib", n)).isDirectory()
  );
  assert.deepEqual(folders.filter((f) => rankOf(f) < 0), []);
});

Deno.test("the check fails on a wrong-direction import and names both files", () => {
  const edges = [
    ...importsOf(ROOT),
    { from: "lib/stats/roc.ts", to: "lib/viz/figures.ts" }, // a compute module building a figure
  ];
  const bad = violations(edges);
  assert.equal(
    bad[0],
    "lib/stats/roc.ts imports lib/viz/figures.ts: lib/stats (layer 3) may not import lib/viz (layer 10)",
  );
  // the same import also closes a circle, since viz already imports stats
  assert.ok(bad.length > 1 && bad.slice(1).every((b) => b.includes("closing the folder cycle")));
});

Deno.test("the check fails on an import between folders of one layer", () => {
  const bad = violations([{ from: "lib/he/model.ts", to: "lib/ciphers/types.ts" }]);
  assert.equal(bad.length, 1);
  assert.match(bad[0], /^lib\/he\/model\.ts imports lib\/ciphers\/types\.ts: /);
});

Deno.test("the check fails on a cycle between nested folders and names the closing import", () => {
  const bad = violations([
    { from: "lib/ciphers/chaos/keys.ts", to: "lib/ciphers/revcipher/header.ts" },
    { from: "lib/ciphers/revcipher/exact.ts", to: "lib/ciphers/chaos/keys.ts" },
  ]);
  assert.deepEqual(bad, [
    "lib/ciphers/revcipher/exact.ts imports lib/ciphers/chaos/keys.ts, closing the folder cycle lib/ciphers/chaos -> lib/ciphers/revcipher -> lib/ciphers/chaos",
  ]);
});

Deno.test("the parser reads static, re-export, dynamic and URL imports but not doc comments", () => {
  const src = stripComments(`/**
 * import { x } from "../viz/mod.ts";
 */
import { a } from "./a.ts";
import type {
  B,
} from "../b/b.ts";
export * from "./c.ts";
const d = await import("./d.ts");
new Worker(new URL("./e.ts", import.meta.url));
// import { f } from "./f.ts";
`);
  const specs = [...src.matchAll(SPEC)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
  assert.deepEqual(specs, ["./a.ts", "../b/b.ts", "./c.ts", "./d.ts", "./e.ts"]);
});
