/**
 * Chooses the shipped HE-friendly CNN on the VALIDATION split only, among a candidate set fixed
 * before any run (`data/models/he_cnn.md`): every setting below × every seed, each trained by
 * `deno task medcrypt he-train` into a temporary folder. Rule: the setting with the highest mean
 * validation accuracy over its seeds (ties: lower mean validation loss), then within it the seed
 * with the highest validation accuracy (ties: lower validation loss, then list order). Test
 * accuracy is read only to report it (every candidate's, and the chosen setting's mean ± sd); it
 * takes no part in the choice.
 *
 * Run: `deno run -A tasks/tools/select_he_model.ts [--family=n8192-d5|n4096-d3] [OUT_DIR]`; prints a
 * Markdown table and the chosen command.
 * @module
 */

const SEEDS = [20261121, 1, 2, 3, 4];
/** The recipe every candidate shares (the classifiers' recipe of `lib/nn/train.ts`). */
const RECIPE = [
  "--class-weight",
  "balanced",
  "--rotate",
  "10",
  "--zoom",
  "0.1",
  "--intensity",
  "0.2",
  "--flip",
  "--schedule",
  "cosine",
  "--label-smoothing",
  "0.1",
  "--backend",
  "wasm",
]; // prettier-ignore

/**
 * The model families, each with its candidate settings, declared before any run: `n8192-d5` is
 * the shipped `he_cnn.json` (conv → x² → pool → dense 16 → x² → dense, for ckks-8192-d5);
 * `n4096-d3` leaves the hidden layer out (conv → x² → pool → dense, depth 3, for ckks-4096-d3),
 * with 5 or 3 filters so that one image's convolution output fits N = 4096's 2,048 slots with
 * room for the im2col blocks.
 */
const FAMILIES: Record<string, { out: string; settings: Record<string, string[]> }> = {
  "n8192-d5": {
    out: "data/models/he_cnn.json",
    settings: {
      "A: 20 epochs, shift 1": [
        "--epochs",
        "20",
        "--augment",
        "1",
        "--filters",
        "5",
        "--hidden",
        "16",
      ],
      "B: 30 epochs, shift 1": [
        "--epochs",
        "30",
        "--augment",
        "1",
        "--filters",
        "5",
        "--hidden",
        "16",
      ],
      "C: 30 epochs, shift 2": [
        "--epochs",
        "30",
        "--augment",
        "2",
        "--filters",
        "5",
        "--hidden",
        "16",
      ],
    },
  },
  "n4096-d3": {
    out: "data/models/he_cnn_4096.json",
    settings: {
      "D: 5 filters, no hidden layer": [
        "--epochs",
        "30",
        "--augment",
        "1",
        "--filters",
        "5",
        "--hidden",
        "0",
      ],
      "E: 3 filters, no hidden layer": [
        "--epochs",
        "30",
        "--augment",
        "1",
        "--filters",
        "3",
        "--hidden",
        "0",
      ],
    },
  },
}; // prettier-ignore

const familyName = Deno.args.find((a) => a.startsWith("--family="))?.slice(9) ?? "n8192-d5";
const family = FAMILIES[familyName];
if (!family) {
  console.error(`select_he_model: unknown family '${familyName}' (have ${Object.keys(FAMILIES)})`);
  Deno.exit(2);
}
const SETTINGS = family.settings;
const COMMON = RECIPE;

interface Run {
  setting: string;
  seed: number;
  args: string[];
  val: number;
  valLoss: number;
  test: number;
}

const dir = Deno.args.find((a) => !a.startsWith("--")) ??
  await Deno.makeTempDir({ prefix: "he_select_" });
const cli = new URL("../medcrypt.ts", import.meta.url).pathname;
const jobs: { setting: string; seed: number; args: string[]; out: string }[] = [];
for (const [setting, extra] of Object.entries(SETTINGS)) {
  for (const seed of SEEDS) {
    const out = `${dir}/${familyName}_${setting[0]}_${seed}.json`;
    jobs.push({ setting, seed, out, args: ["--seed", String(seed), ...extra, ...COMMON] });
  }
}
const runs: Run[] = [];
let next = 0;
async function worker() {
  while (next < jobs.length) {
    const j = jobs[next++];
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "he-train", "--out", j.out, ...j.args],
      env: { MEDCRYPT_QUIET: "1", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (r.code !== 0) throw new Error(new TextDecoder().decode(r.stderr));
    const meta = JSON.parse(await Deno.readTextFile(j.out)).meta;
    runs.push({
      setting: j.setting,
      seed: j.seed,
      args: j.args,
      val: meta.valAccuracy,
      valLoss: meta.valLoss,
      test: meta.testAccuracy,
    });
    console.error(`${j.setting} seed ${j.seed}: val ${meta.valAccuracy.toFixed(4)}`);
  }
}
await Promise.all([worker(), worker()]);
const order = (a: Run, b: Run) =>
  jobs.findIndex((j) => j.setting === a.setting && j.seed === a.seed) -
  jobs.findIndex((j) => j.setting === b.setting && j.seed === b.seed);
runs.sort(order);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) =>
  Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const bySetting = Object.keys(SETTINGS).map((s) => {
  const rs = runs.filter((r) => r.setting === s);
  return { s, rs, val: mean(rs.map((r) => r.val)), loss: mean(rs.map((r) => r.valLoss)) };
});
bySetting.sort((a, b) => b.val - a.val || a.loss - b.loss);
const chosenSetting = bySetting[0];
const chosen =
  [...chosenSetting.rs].sort((a, b) => b.val - a.val || a.valLoss - b.valLoss || order(a, b))[0];
console.log("| setting | seed | val acc | val loss | test acc |\n| --- | --- | --- | --- | --- |");
for (const r of runs) {
  console.log(
    `| ${r.setting} | ${r.seed} | ${r.val.toFixed(4)} | ${r.valLoss.toFixed(4)} | ${
      r.test.toFixed(4)
    } |`,
  );
}
for (const b of bySetting) {
  const t = b.rs.map((r) => r.test);
  console.log(
    `${b.s}: mean val ${b.val.toFixed(4)} (val loss ${b.loss.toFixed(4)}); test ${
      mean(t).toFixed(4)
    } ± ${sd(t).toFixed(4)} (min ${Math.min(...t).toFixed(4)}, max ${Math.max(...t).toFixed(4)})`,
  );
}
console.log(
  `chosen: ${chosen.setting}, seed ${chosen.seed} (val ${chosen.val.toFixed(4)}, test ${
    chosen.test.toFixed(4)
  })`,
);
console.log(`deno task medcrypt he-train --out ${family.out} ${chosen.args.join(" ")}`);
