/**
 * `deno task bench [--quick] [--only NAME]`: runs the benchmark suites and prints each as a
 * Markdown table of ratios against a baseline measured in the same run; also writes
 * `figures/bench/<suite>.md`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { allSuites, formatRows } from "../lib/bench/mod.ts";
import { writeFileAtomic } from "../lib/core/fs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { quick: { type: "boolean", default: false }, only: { type: "string", multiple: true } },
});
const suites = allSuites().filter((s) => !values.only?.length || values.only.includes(s.name));
if (suites.length === 0) {
  console.error(
    `bench: no suite named ${values.only?.join(", ")}; have: ${
      allSuites().map((s) => s.name).join(", ")
    }`,
  );
  Deno.exit(2);
}
await Deno.mkdir("figures/bench", { recursive: true });
for (const suite of suites) {
  console.log(`\n## ${suite.name}\n`);
  const rows = await suite.run({ quick: values.quick });
  const md = formatRows(rows);
  console.log(md);
  await writeFileAtomic(
    `figures/bench/${suite.name}.md`,
    new TextEncoder().encode(`## ${suite.name}\n\n${md}\n`),
  );
}
