// Checks over every command at once: help covers every flag, every parser comes from a spec,
// every writing command refuses an existing output, and every command a message suggests exists
// and runs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { allCommands, commandHelp } from "./mod.ts";
import { allFlags, helpText } from "./flags.ts";
import { medcrypt, ROOT } from "./_test_util.ts";

const commands = allCommands();
// text that names medcrypt without being a command: a key-derivation label
const NOT_COMMANDS = new Set(["medcrypt paper-b"]);
// the framework's own JSDoc examples use made-up command names
const GENERIC = new Set(["flags.ts", "types.ts"].map((f) => join(ROOT, "lib/cli", f)));
const specs = commands.flatMap((c) => c.specs.map((s) => ({ command: c, spec: s })));

Deno.test("every command has specs, and each spec is named after its command", () => {
  for (const c of commands) {
    assert.ok(c.specs.length > 0, `${c.name} has no spec`);
    for (const s of c.specs) {
      assert.ok(s.name === c.name || s.name.startsWith(`${c.name} `), `${s.name} under ${c.name}`);
      assert.ok(s.examples.length > 0, `${s.name} has no example`);
      for (const e of s.examples) assert.ok(e.startsWith(s.name), `${s.name}: example '${e}'`);
    }
  }
});

Deno.test("every flag a parser accepts is explained in its --help", () => {
  for (const { command, spec } of specs) {
    const sub = spec.name === command.name ? undefined : spec.name.split(" ")[1];
    const text = commandHelp(command, sub);
    assert.ok(text.startsWith(helpText(spec)), `${spec.name}: --help is not its own`);
    for (const [k, f] of Object.entries(allFlags(spec))) {
      const line = text.split("\n").find((l) => l.startsWith(`  --${k}`));
      assert.ok(line, `${spec.name} --help does not explain --${k}`);
      assert.ok(f.help.length >= 10, `${spec.name} --${k}: help too short`);
    }
    if (spec.positionals) assert.ok(spec.positionalHelp, `${spec.name}: positionals unexplained`);
  }
});

Deno.test("no command parses its own flags: every parser is made from a spec (flags.ts)", async () => {
  for await (const e of Deno.readDir(join(ROOT, "lib/cli"))) {
    if (!e.name.endsWith(".ts") || e.name.endsWith("_test.ts") || e.name === "flags.ts") continue;
    const src = await Deno.readTextFile(join(ROOT, "lib/cli", e.name));
    assert.doesNotMatch(src, /\bparseArgs\b/, `lib/cli/${e.name} calls parseArgs itself`);
  }
});

Deno.test("every `medcrypt <command>` named in the library's messages is a real command", async () => {
  const names = new Map(commands.map((c) => [c.name, c]));
  const allSubs = new Set(
    specs.filter(({ spec, command }) => spec.name !== command.name).map(({ spec }) =>
      spec.name.split(" ")[1]
    ),
  );
  const bad: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts") && !GENERIC.has(p)) {
        const src = await Deno.readTextFile(p);
        for (
          const m of src.matchAll(/(?:deno task |`)medcrypt ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?/g)
        ) {
          const c = names.get(m[1]);
          if (NOT_COMMANDS.has(`medcrypt ${m[1]}`)) continue;
          if (!c) {
            bad.push(`${p}: medcrypt ${m[1]}`);
            continue;
          }
          // a sub-command word after a command must be one of that command's sub-commands
          const subs = c.specs.filter((s) => s.name !== c.name).map((s) => s.name.split(" ")[1]);
          if (m[2] && allSubs.has(m[2]) && !subs.includes(m[2])) {
            bad.push(`${p}: medcrypt ${m[1]} ${m[2]}`);
          }
        }
      }
    }
  };
  await walk(join(ROOT, "lib"));
  await walk(join(ROOT, "tasks"));
  assert.deepEqual(bad, []);
});

Deno.test("help lists every command, and a sub-command's --help is its own", async () => {
  const r = await medcrypt("help");
  assert.equal(r.code, 0);
  for (const c of commands) assert.match(r.stdout, new RegExp(`^  ${c.name} `, "m"));
  const enc = await medcrypt("revcipher", "encrypt", "--help");
  assert.equal(enc.code, 0);
  for (const f of ["--exact", "--paper", "--embed", "--key-qr", "--robust", "--force"]) {
    assert.ok(enc.stdout.includes(f), `revcipher encrypt --help lacks ${f}`);
  }
  assert.doesNotMatch(enc.stdout, /usage: deno task medcrypt revcipher (train|decrypt)/);
});

/** For each writing command line: how to run it over an output that already exists. */
interface WriteCase {
  /** The arguments, given the temporary folder (the existing output is `dir/existing…`). */
  args(dir: string): string[];
  /** The existing output the command must leave alone. */
  existing(dir: string): string;
}

const CT = "data/clinical/ct-abdomen-1.npy";
const WRITES: Record<string, WriteCase> = {
  keygen: { args: (d) => ["keygen", "--out", d], existing: (d) => join(d, "private.pem") },
  encrypt: {
    args: (d) => ["encrypt", "--to", join(d, "k/public.pem"), "--in", CT, "--out", join(d, "x")],
    existing: (d) => join(d, "x"),
  },
  decrypt: {
    args: (d) => [
      "decrypt",
      "--key",
      join(d, "k/private.pem"),
      "--in",
      join(d, "c.mce"),
      "--out",
      join(d, "x"),
    ],
    existing: (d) => join(d, "x"),
  },
  convert: { args: (d) => ["convert", CT, join(d, "x.png")], existing: (d) => join(d, "x.png") },
  resize: {
    args: (d) => ["resize", CT, join(d, "x.png"), "--size", "28"],
    existing: (d) => join(d, "x.png"),
  },
  "revcipher encrypt": {
    args: (d) => ["revcipher", "encrypt", "--key", "k", "--in", CT, "--out", join(d, "x.png")],
    existing: (d) => join(d, "x.png"),
  },
  "revcipher decrypt": {
    args: (
      d,
    ) => ["revcipher", "decrypt", "--key", "k", "--in", join(d, "rc.png"), "--out", join(d, "x")],
    existing: (d) => join(d, "x"),
  },
  "revcipher train": {
    args: (d) => ["revcipher", "train", "--out", join(d, "x")],
    existing: (d) => join(d, "x"),
  },
  "he-train": { args: (d) => ["he-train", "--out", join(d, "x")], existing: (d) => join(d, "x") },
  "client fetch": {
    args: (d) => [
      "client",
      "fetch",
      "--server",
      "http://127.0.0.1:9",
      "--token-env",
      "PATH",
      "--id",
      "0123456789abcdef",
      "--out",
      join(d, "x"),
    ],
    existing: (d) => join(d, "x"),
  },
};

Deno.test("every command that writes refuses an existing output without --force and leaves it alone", async () => {
  const writing = specs.filter(({ spec }) => spec.writes).map(({ spec }) => spec.name).sort();
  assert.deepEqual(writing, Object.keys(WRITES).sort(), "a writing command has no case here");
  const dir = await Deno.makeTempDir();
  // what the decrypt cases read: a key pair, an envelope, a learned-cipher image with its QR codes
  assert.equal((await medcrypt("keygen", "--out", join(dir, "k"), "--bits", "2048")).code, 0);
  const mce = join(dir, "c.mce");
  assert.equal(
    (await medcrypt("encrypt", "--to", join(dir, "k/public.pem"), "--in", CT, "--out", mce)).code,
    0,
  );
  assert.equal(
    (await medcrypt("revcipher", "encrypt", "--key", "k", "--in", CT, "--out", join(dir, "rc.png")))
      .code,
    0,
  );
  for (const [name, c] of Object.entries(WRITES)) {
    const existing = c.existing(dir);
    await Deno.writeTextFile(existing, "keep me");
    const r = await medcrypt(...c.args(dir));
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /already exists; refusing to overwrite it \(use --force\)/, name);
    assert.equal(await Deno.readTextFile(existing), "keep me", `${name} touched its output`);
    await Deno.remove(existing);
  }
  await Deno.remove(dir, { recursive: true });
});

/** Splits a suggested command line into arguments (single or double quotes group words). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

Deno.test("every command an error message suggests runs", async () => {
  const dir = await Deno.makeTempDir();
  const cxr = join(dir, "cxr-1.npy");
  await Deno.copyFile(join(ROOT, "data/clinical/cxr-1.npy"), cxr);
  const failing = [
    ["he-infer", "--in", cxr], // wrong size and depth: resize
    ["he-infer", "--in", "data/pneumoniamnist.npz"], // an archive: info lists it
    ["revcipher"], // no sub-command
    ["revcipher", "encrypt", "--in", CT], // a missing flag: the sub-command's help
    ["convert", CT], // a missing positional
    ["client"],
    ["serve", "--port", "x"],
  ];
  const ran = new Set<string>();
  for (const args of failing) {
    const r = await medcrypt(...args);
    assert.notEqual(r.code, 0, args.join(" "));
    const text = r.stderr + r.stdout;
    const found = [
      ...text.matchAll(/`(deno task medcrypt [^`]+)`|\(see: (deno task medcrypt [^)]+)\)/g),
    ].map((m) => m[1] ?? m[2]);
    assert.ok(found.length > 0, `${args.join(" ")} suggests no command:\n${r.stderr}`);
    for (const line of found) {
      if (ran.has(line)) continue;
      ran.add(line);
      const s = await medcrypt(...words(line).slice(3));
      assert.equal(s.code, 0, `suggested \`${line}\` failed:\n${s.stderr}`);
    }
  }
  for (const c of ["resize", "info", "revcipher --help", "revcipher encrypt --help"]) {
    assert.ok([...ran].some((l) => l.startsWith(`deno task medcrypt ${c}`)), `no ${c} suggested`);
  }
  await Deno.remove(dir, { recursive: true });
});
