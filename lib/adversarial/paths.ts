/**
 * The paths category of the adversarial suite: what a user can get wrong about files on the
 * command line, and what a crash does to them. Every writing command (`encrypt`, `decrypt`,
 * `convert`, `keygen`) is given an existing output without `--force`, its own input as output
 * (also through a symbolic link, with `--force`), an output folder that does not exist, and a
 * missing or folder input (a folder where a file is expected: `encrypt` takes a folder only with
 * an output folder). Then `encrypt`, `decrypt` and `convert` are killed with SIGKILL
 * mid-way on a large file (quick: 256 MB, long: 1 GB): no partial file may be at the output
 * path, and after the next run of the same command no temporary may be left.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./mod.ts";
 * const r = await runSuite({ seed: 1, long: false, only: ["paths"] });
 * console.log(r.tallies[0].partialOutputs); // 0
 * ```
 * @module
 */
import { join } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { medImage } from "../image/types.ts";
import { encodeNpy } from "../image/npy.ts";
import { ROOT } from "../cli/_test_util.ts";
import { type AdversarialCase, runCli } from "./harness.ts";
import type { BuiltCases, CaseSource, SuiteOptions } from "./types.ts";

/** Files the cases start from, under the category's work folder. */
interface Fixtures {
  dir: string;
  pub: string;
  priv: string;
  plain: string;
  mce: string;
  npy: string;
}

async function fixtures(dir: string): Promise<Fixtures> {
  const keys = join(dir, "keys");
  await runCli("keygen", "--out", keys, "--bits", "2048");
  const f: Fixtures = {
    dir,
    pub: join(keys, "public.pem"),
    priv: join(keys, "private.pem"),
    plain: join(dir, "plain.bin"),
    mce: join(dir, "plain.bin.mce"),
    npy: join(dir, "scan.npy"),
  };
  await Deno.writeFile(f.plain, new TextEncoder().encode("a small scan stand-in\n".repeat(100)));
  await runCli("encrypt", "--to", f.pub, "--in", f.plain, "--out", f.mce);
  await Deno.copyFile(join(ROOT, "data/clinical/ct-abdomen-1.npy"), f.npy);
  await Deno.mkdir(join(dir, "keys-old"));
  return f;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** Files in `dir` whose names start with `.tmp-` (temporaries of atomic writes). */
async function temporaries(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).filter((e) => e.name.startsWith(".tmp-"))
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

/**
 * A command given an output that already holds something, without `--force`: refused, and the
 * file is untouched (an overwritten file is a wrong success even if the command then failed).
 */
function existingOutput(name: string, out: string, args: string[]): AdversarialCase {
  return {
    category: "paths",
    name,
    message: /exists|--force/,
    async run() {
      const sentinel = new TextEncoder().encode("the user's file: must survive\n");
      await Deno.writeFile(out, sentinel);
      let refusal: unknown;
      try {
        await runCli(...args);
      } catch (e) {
        refusal = e;
      }
      const now = await Deno.readFile(out).catch(() => new Uint8Array());
      await Deno.remove(out, { recursive: true }).catch(() => {});
      if (!sameBytes(now, sentinel)) return `${out} was overwritten`;
      if (refusal) throw refusal;
      return "accepted without --force";
    },
  };
}

/** A command that must refuse; the files in `mustNotExist` must not be there afterwards. */
function refusedCli(
  name: string,
  args: string[],
  message: RegExp,
  mustNotExist: string[] = [],
  watchDirs: string[] = [],
): AdversarialCase {
  return {
    category: "paths",
    name,
    message,
    run: () => runCli(...args),
    async leftovers() {
      const left = [];
      for (const p of mustNotExist) if (await exists(p)) left.push(p);
      for (const d of watchDirs) left.push(...await temporaries(d));
      return left;
    },
  };
}

/** A command the user gives its own input as output (also via a symlink, with `--force`). */
function selfOverwrite(
  name: string,
  input: string,
  argsFor: (out: string) => string[],
  viaLink: boolean,
  dir: string,
): AdversarialCase {
  return {
    category: "paths",
    name,
    message: /same file as an input/,
    async run() {
      const before = await Deno.readFile(input);
      const ext = input.slice(input.lastIndexOf("."));
      const out = viaLink ? join(dir, `link-${crypto.randomUUID().slice(0, 8)}${ext}`) : input;
      if (viaLink) await Deno.symlink(input, out);
      let refusal: unknown;
      try {
        await runCli(...argsFor(out), "--force");
      } catch (e) {
        refusal = e;
      }
      if (viaLink) await Deno.remove(out).catch(() => {});
      if (!sameBytes(await Deno.readFile(input), before)) return `${input} was overwritten`;
      if (refusal) throw refusal;
      return "accepted";
    },
  };
}

function pathCases(f: Fixtures): AdversarialCase[] {
  const d = f.dir, out = (n: string) => join(d, n);
  const missingDir = join(d, "no-such-folder");
  const cases: AdversarialCase[] = [
    existingOutput("encrypt: output exists, no --force", out("exists.mce"), [
      "encrypt",
      "--to",
      f.pub,
      "--in",
      f.plain,
      "--out",
      out("exists.mce"),
    ]),
    existingOutput("decrypt: output exists, no --force", out("exists.bin"), [
      "decrypt",
      "--key",
      f.priv,
      "--in",
      f.mce,
      "--out",
      out("exists.bin"),
    ]),
    existingOutput("convert: output exists, no --force", out("exists.png"), [
      "convert",
      f.npy,
      out("exists.png"),
    ]),
    existingOutput("keygen: private.pem exists, no --force", join(d, "keys-old", "private.pem"), [
      "keygen",
      "--out",
      join(d, "keys-old"),
    ]),
  ];
  const enc = (o: string) => ["encrypt", "--to", f.pub, "--in", f.plain, "--out", o];
  const dec = (o: string) => ["decrypt", "--key", f.priv, "--in", f.mce, "--out", o];
  for (const viaLink of [false, true]) {
    const how = viaLink ? "a symlink to the input" : "the input";
    cases.push(
      selfOverwrite(`encrypt: output is ${how}`, f.plain, enc, viaLink, d),
      selfOverwrite(
        `decrypt: output is ${how}`,
        f.mce,
        (o) => ["decrypt", "--key", f.priv, "--in", f.mce, "--out", o],
        viaLink,
        d,
      ),
      selfOverwrite(`convert: output is ${how}`, f.npy, (o) => ["convert", f.npy, o], viaLink, d),
    );
  }
  const noFolder = /no such (file or )?folder|does not exist|not found|no such file/i;
  cases.push(
    refusedCli("encrypt: output folder missing", enc(join(missingDir, "x.mce")), noFolder, [
      missingDir,
    ]),
    refusedCli("decrypt: output folder missing", dec(join(missingDir, "x.bin")), noFolder, [
      missingDir,
    ]),
    refusedCli(
      "convert: output folder missing",
      ["convert", f.npy, join(missingDir, "x.png")],
      noFolder,
      [missingDir],
    ),
  );
  const missing = join(d, "missing-input");
  for (const [what, input] of [["missing", missing], ["a folder", d]] as const) {
    const re = what === "missing"
      ? /no such file|not found/i
      : /folder|directory|not a regular file/i;
    cases.push(
      refusedCli(
        `encrypt: input ${what}`,
        ["encrypt", "--to", f.pub, "--in", input, "--out", out("in.mce")],
        re,
        [out("in.mce")],
        [d],
      ),
      refusedCli(
        `decrypt: input ${what}`,
        ["decrypt", "--key", f.priv, "--in", input, "--out", out("in.bin")],
        re,
        [out("in.bin")],
        [d],
      ),
      refusedCli(`convert: input ${what}`, ["convert", input, out("in.png")], re, [
        out("in.png"),
      ], [d]),
      // a folder is a valid input of `info` (each image in it is described)
      ...(what === "missing" ? [refusedCli(`info: input ${what}`, ["info", input], re)] : []),
      refusedCli(
        `encrypt: key file ${what}`,
        ["encrypt", "--to", input, "--in", f.plain, "--out", out("k.mce")],
        re,
        [out("k.mce")],
        [d],
      ),
    );
  }
  return cases;
}

/**
 * Runs `deno task medcrypt ARGS` in the background and kills it with SIGKILL once its temporary
 * output has grown to `killAtBytes` (or after `maxWaitMs`), as a power cut or an OOM killer would.
 */
async function killMidway(args: string[], outDir: string, killAtBytes: number, maxWaitMs = 60_000) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tasks/medcrypt.ts"), ...args],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const t0 = performance.now();
  let finished = false;
  child.status.then(() => finished = true);
  while (!finished && performance.now() - t0 < maxWaitMs) {
    const tmps = await temporaries(outDir);
    const size = tmps.length ? await Deno.stat(tmps[0]).then((s) => s.size, () => 0) : 0;
    if (size >= killAtBytes) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  if (!finished) child.kill("SIGKILL");
  const status = await child.status;
  return { killed: status.signal === "SIGKILL" };
}

/**
 * `kill -9` of a command mid-way: refused by construction (the command never completes), and a
 * failure when a partial output is at the output path, or when a temporary is still there after
 * the next, complete run of the same command.
 */
function killCase(
  name: string,
  argsFor: (force: boolean) => string[],
  out: string,
  killAt: () => number,
): AdversarialCase {
  const left: string[] = [];
  const outDir = join(out, "..");
  return {
    category: "paths",
    name,
    codes: ["killed"],
    timeoutMs: 600_000,
    async run() {
      await Deno.remove(out).catch(() => {});
      const { killed } = await killMidway(argsFor(false), outDir, killAt());
      const sizeAfterKill = await Deno.stat(out).then((s) => s.size, () => -1);
      await runCli(...argsFor(true)); // the next run, to completion
      const full = (await Deno.stat(out)).size;
      if (sizeAfterKill >= 0 && sizeAfterKill !== full) left.push(`${out} (partial)`);
      left.push(...await temporaries(outDir));
      if (!killed) {
        throw new MedCryptError("not-killed", "the command finished before it could be killed");
      }
      throw new MedCryptError("killed", "killed mid-way: no partial output, no temporary left");
    },
    leftovers: () => Promise.resolve(left),
  };
}

/** The large inputs of the kill cases: a random file, its envelope, a 12-bit image. */
interface BigFixtures {
  big: string;
  bigMce: string;
  bigNpy: string;
}

async function bigFixtures(f: Fixtures, bytes: number): Promise<BigFixtures> {
  const b: BigFixtures = {
    big: join(f.dir, "big.bin"),
    bigMce: join(f.dir, "big.bin.mce"),
    bigNpy: join(f.dir, "big.npy"),
  };
  const file = await Deno.open(b.big, { write: true, create: true, truncate: true });
  const block = new Uint8Array(1 << 20);
  for (let i = 0; i < bytes >> 20; i++) {
    crypto.getRandomValues(block.subarray(0, 65536));
    await file.write(block);
  }
  file.close();
  await runCli("encrypt", "--to", f.pub, "--in", b.big, "--out", b.bigMce);
  const side = Math.floor(Math.sqrt(Math.min(bytes, 128 << 20) / 2));
  const px = new Uint16Array(side * side);
  for (let i = 0; i < px.length; i++) px[i] = (i * 2654435761) >>> 20;
  await Deno.writeFile(b.bigNpy, encodeNpy(medImage(px, side, side, { bitDepth: 12 })));
  return b;
}

function killCases(
  f: Fixtures,
  b: BigFixtures,
  bytes: number,
  rng: Rng,
): AdversarialCase[] {
  const bigOut = join(f.dir, "big.out");
  const at = () => Math.floor(bytes * (0.1 + 0.6 * rng.next()));
  const force = (args: string[], on: boolean) => on ? [...args, "--force"] : args;
  return [
    killCase(
      "kill -9 of encrypt mid-way",
      (on) => force(["encrypt", "--to", f.pub, "--in", b.big, "--out", `${bigOut}.mce`], on),
      `${bigOut}.mce`,
      at,
    ),
    killCase(
      "kill -9 of decrypt mid-way",
      (on) => force(["decrypt", "--key", f.priv, "--in", b.bigMce, "--out", bigOut], on),
      bigOut,
      at,
    ),
    killCase(
      "kill -9 of convert mid-way",
      (on) => force(["convert", b.bigNpy, `${bigOut}.png`], on),
      `${bigOut}.png`,
      () => 1,
    ),
  ];
}

/** The paths category. */
export const source: CaseSource = {
  category: "paths",
  async build(options: SuiteOptions): Promise<BuiltCases> {
    const f = await fixtures(options.workDir);
    const rng = new Rng(options.seed);
    const bytes = (options.long ? 1024 : 256) << 20;
    const big = await bigFixtures(f, bytes);
    return { cases: [...pathCases(f), ...killCases(f, big, bytes, rng)] };
  },
};
