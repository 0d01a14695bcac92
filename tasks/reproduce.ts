/**
 * `deno task reproduce [--quick | --full] [--only NAME …] [--seed N] [--out DIR] [--queue Q]`: the
 * main job. Runs the registered experiments and writes their tables and figures under `figures/`.
 * Independent work (audit models) runs where `--queue` says: `in-process` (default),
 * `threads:N`, or `redis://HOST:PORT` for BullMQ workers (`deno task worker`); also read from
 * `MEDCRYPT_QUEUE`. The tables do not depend on it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { allExperiments } from "../lib/experiments/mod.ts";
import { experimentRunner } from "../lib/experiments/jobs.ts";
import { writeClaims } from "../lib/experiments/claims/mod.ts";
import { updateReadme } from "../lib/experiments/claims/readme.ts";
import { writeExperimentResult } from "../lib/report/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    full: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    seed: { type: "string", default: "20261121" },
    out: { type: "string", default: "figures" },
    queue: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
const all = allExperiments();
if (values.help) {
  console.log(
    "usage: deno task reproduce [--quick | --full] [--only NAME …] [--seed N] [--out DIR] " +
      "[--queue in-process | threads:N | redis://HOST:PORT]\n\nexperiments:",
  );
  for (const e of all) console.log(`  ${e.name.padEnd(16)} ${e.title}`);
  Deno.exit(0);
}
if (values.quick && values.full) {
  console.error("reproduce: choose one of --quick and --full");
  Deno.exit(2);
}
const unknown = (values.only ?? []).filter((n) => !all.some((e) => e.name === n));
if (unknown.length) {
  console.error(
    `reproduce: no experiment named ${unknown.join(", ")}; have: ${
      all.map((e) => e.name).join(", ")
    }`,
  );
  Deno.exit(2);
}
const chosen = all.filter((e) => !values.only?.length || values.only.includes(e.name));
const scale = values.full ? "full" : "quick";
const seed = Number(values.seed);
const cacheDir = "data/cache";
await Deno.mkdir(cacheDir, { recursive: true });
let jobs;
try {
  jobs = await experimentRunner(values.queue);
} catch (e) {
  console.error(`reproduce: ${e instanceof Error ? e.message : e}`);
  Deno.exit(2);
}
if (jobs.name !== "in-process") console.log(`jobs run on ${jobs.name}`);
const t0 = performance.now();
let failed = 0;
for (const [i, exp] of chosen.entries()) {
  const t = performance.now();
  console.log(`[${i + 1}/${chosen.length}] ${exp.name}: ${exp.title} (${scale}, seed ${seed})`);
  try {
    const result = await exp.run({ scale, seed, cacheDir, jobs });
    const files = await writeExperimentResult(values.out!, exp.name, result, {
      params: { scale, experiment: exp.name },
      seed,
    });
    for (const n of result.notes ?? []) console.log(`  · ${n}`);
    console.log(
      `  wrote ${files.length} files under ${values.out}/${exp.name}/ in ${
        ((performance.now() - t) / 1000).toFixed(1)
      } s`,
    );
  } catch (e) {
    failed++;
    console.error(`  ${exp.name} failed: ${e instanceof Error ? e.message : e}`);
    if (Deno.env.get("MEDCRYPT_DEBUG") === "1") console.error(e);
  }
}
await jobs.close();
await Deno.mkdir(values.out!, { recursive: true });
// the claims page reads every experiment's tables in the output folder, this run's and earlier ones
const claims = await writeClaims(values.out!);
const unmeasured = claims.filter((c) => c.error);
console.log(
  `claims: ${
    claims.length - unmeasured.length
  }/${claims.length} measured → ${values.out}/CLAIMS.md`,
);
if (values.out === "figures") {
  for (const c of unmeasured) console.log(`  · ${c.claim.id} not measured: ${c.error}`);
} else if (unmeasured.length) {
  console.log(`  (the other experiments' tables are not under ${values.out}/)`);
}
// the README's results block shows the tables under figures/, never another output folder
if (values.out === "figures" && !unmeasured.length) await updateReadme("README.md", "figures");
console.log(
  `done in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${
    chosen.length - failed
  }/${chosen.length} experiments succeeded`,
);
Deno.exit(failed ? 1 : 0);
