/**
 * `deno task adversarial [--long] [--seed N] [--only CATEGORY …] [--out FILE.md]`: hands every
 * reader and command malformed input (lib/adversarial) and prints, per category, how many cases
 * were refused with a clear message and how many were wrong successes, crashes, hangs or left a
 * partial file. The quick variant is part of `deno task test`; `--long` runs ≥ 100k cases.
 * Exit status 1 when any case failed.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../lib/core/fs.ts";
import { type Progress, progress } from "../lib/core/progress.ts";
import { CATEGORIES, type Category, runSuite, suiteMarkdown } from "../lib/adversarial/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    long: { type: "boolean", default: false },
    seed: { type: "string", default: "20261206" },
    only: { type: "string", multiple: true },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
const usage = `usage: deno task adversarial [--long] [--seed N] [--only ${
  CATEGORIES.join("|")
} …] [--out FILE.md]`;
if (values.help) {
  console.log(usage);
  Deno.exit(0);
}
const unknown = (values.only ?? []).filter((c) => !CATEGORIES.includes(c as Category));
const seed = Number(values.seed);
if (unknown.length || !Number.isInteger(seed)) {
  console.error(unknown.length ? `adversarial: no category ${unknown.join(", ")}` : usage);
  Deno.exit(2);
}
let bar: Progress | undefined;
const t0 = performance.now();
const r = await runSuite({
  seed,
  long: values.long,
  only: values.only as Category[] | undefined,
  onCategory: (c, n) => {
    bar?.done();
    bar = progress(`adversarial ${c}`, n);
  },
  onCase: (o) => bar?.tick({ last: o.kind }),
});
bar?.done();
const md = `Adversarial input suite, seed ${seed}, ${
  values.long ? "long" : "quick"
}: ${r.outcomes.length} cases in ${((performance.now() - t0) / 1000).toFixed(0)} s\n\n${
  suiteMarkdown(r)
}`;
console.log(md);
if (values.out) await writeFileAtomic(values.out, new TextEncoder().encode(md));
Deno.exit(r.failures.length ? 1 : 0);
