/**
 * One declaration per command line: the flags a (sub-)command accepts, each with the words that
 * explain it, and an example. The parser and the `--help` text are both made from it, so a flag
 * cannot be accepted without being explained. Commands that write declare `writes`, which adds
 * `--force` and its explanation.
 *
 * @example
 * ```ts
 * import { helpText, parseFlags, type Spec } from "./flags.ts";
 * const spec: Spec = {
 *   name: "hello",
 *   summary: "say hello",
 *   flags: { name: { type: "string", value: "WHO", help: "whom to greet" } },
 *   examples: ["hello --name world"],
 * };
 * console.log(parseFlags(spec, ["--name", "world"]).values.name); // world
 * console.log(helpText(spec).includes("--name WHO")); // true
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { MedCryptError } from "../core/errors.ts";

/** One flag of a command line. */
export interface Flag {
  /** `string` takes a value, `boolean` is a switch. */
  type: "string" | "boolean";
  /** What the value looks like in the help, e.g. `FILE` (string flags). */
  value?: string;
  /** The flag may be given more than once. */
  multiple?: boolean;
  /** Default value (shown in the help). */
  default?: string;
  /** The command cannot run without it: the parser refuses its absence, the help shows it unbracketed. */
  required?: boolean;
  /** What the flag does, in a sentence. */
  help: string;
}

/** A (sub-)command line: its name, flags, positionals and examples. */
export interface Spec {
  /** The words after `medcrypt`, e.g. `"revcipher encrypt"`. */
  name: string;
  /** One line on what it does. */
  summary: string;
  /** Positional arguments, e.g. `"IN OUT"` (none when absent). */
  positionals?: string;
  /** What the positionals are. */
  positionalHelp?: string;
  /** Flags by name (without `--`). */
  flags: Record<string, Flag>;
  /** The command writes files: `--force` is accepted and explained. */
  writes?: boolean;
  /** Example command lines (without `deno task medcrypt`). */
  examples: string[];
  /** Extra paragraphs for the help (formats, keys, what is printed). */
  notes?: string[];
}

/** The `--force` flag every writing command shares. */
export const FORCE_FLAG: Flag = {
  type: "boolean",
  help: "replace outputs that already exist (without it the command refuses and writes nothing)",
};

/**
 * Every flag of a spec, `--force` included when it writes.
 *
 * @param spec the command line
 * @returns flags by name
 * @example
 * ```ts
 * import { allFlags } from "./flags.ts";
 * console.log(Object.keys(allFlags({ name: "x", summary: "", flags: {}, writes: true, examples: [] }))); // [ "force" ]
 * ```
 */
export function allFlags(spec: Spec): Record<string, Flag> {
  return spec.writes ? { ...spec.flags, force: FORCE_FLAG } : { ...spec.flags };
}

/** What {@linkcode parseFlags} returns. */
export interface Parsed {
  /** Flag values: strings, booleans, or string arrays for `multiple` flags. */
  values: Record<string, string | boolean | string[] | undefined>;
  /** Positional arguments. */
  positionals: string[];
}

/**
 * Parses `args` against a spec; an unknown flag or a missing value is a usage error naming the
 * command and pointing to its `--help`.
 *
 * @param spec the command line
 * @param args the arguments after the command's name
 * @returns values and positionals
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const spec = { name: "x", summary: "", flags: { n: { type: "string" as const, help: "n" } }, examples: [] };
 * try { parseFlags(spec, ["--m"]); } catch (e) { console.log((e as Error).message.includes("medcrypt x --help")); } // true
 * ```
 */
export function parseFlags(spec: Spec, args: string[]): Parsed {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const [k, f] of Object.entries(allFlags(spec))) {
    options[k] = f.multiple ? { type: f.type, multiple: true } : { type: f.type };
  }
  let r;
  try {
    r = parseArgs({ args, options, strict: true, allowPositionals: !!spec.positionals });
  } catch (e) {
    usageError(spec, (e as Error).message.split("\n")[0]);
  }
  for (const [k, f] of Object.entries(spec.flags)) {
    if (f.required && r.values[k] === undefined) {
      usageError(spec, `needs --${k}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`);
    }
  }
  return { values: r.values as Parsed["values"], positionals: r.positionals };
}

/**
 * Throws the usage error of a spec: the problem, then where the help is.
 *
 * @param spec the command line
 * @param problem what is wrong, in a sentence
 * @example
 * ```ts
 * import { usageError } from "./flags.ts";
 * try { usageError({ name: "x", summary: "", flags: {}, examples: [] }, "give --in"); } catch (e) { console.log((e as Error).message); } // give --in (see: deno task medcrypt x --help)
 * ```
 */
export function usageError(spec: Spec, problem: string): never {
  throw new MedCryptError("usage", `${problem} (see: deno task medcrypt ${spec.name} --help)`);
}

/**
 * The help of a spec: usage line, summary, every flag with its explanation, notes and examples.
 *
 * @param spec the command line
 * @returns the text `--help` prints
 * @example
 * ```ts
 * import { helpText } from "./flags.ts";
 * const t = helpText({ name: "x", summary: "do x", flags: {}, writes: true, examples: ["x"] });
 * console.log(t.includes("--force")); // true
 * ```
 */
export function helpText(spec: Spec): string {
  const flags = allFlags(spec);
  const shown = (k: string, f: Flag) =>
    `--${k}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`;
  const line = [
    spec.name,
    spec.positionals ?? "",
    ...Object.entries(flags).map(([k, f]) => f.required ? shown(k, f) : `[${shown(k, f)}]`),
  ].filter(Boolean).join(" ");
  const width = Math.max(0, ...Object.entries(flags).map(([k, f]) => shown(k, f).length));
  const out = [`usage: deno task medcrypt ${line}`, "", spec.summary];
  if (spec.positionals) out.push("", `  ${spec.positionals}: ${spec.positionalHelp ?? ""}`);
  if (Object.keys(flags).length) {
    out.push("", "options:");
    for (const [k, f] of Object.entries(flags)) {
      const extra = [
        f.multiple ? "may be repeated" : "",
        f.default !== undefined ? `default ${f.default}` : "",
      ].filter(Boolean).join("; ");
      out.push(`  ${shown(k, f).padEnd(width)}  ${f.help}${extra ? ` (${extra})` : ""}`);
    }
  }
  for (const n of spec.notes ?? []) out.push("", n);
  if (spec.examples.length) {
    out.push("", "examples:", ...spec.examples.map((e) => `  deno task medcrypt ${e}`));
  }
  return out.join("\n");
}

/**
 * A string flag's value, or `undefined` when it was not given.
 *
 * @param p the parsed command line
 * @param name the flag (without `--`)
 * @returns its value
 * @example
 * ```ts
 * import { str } from "./flags.ts";
 * console.log(str({ values: { in: "a.npy" }, positionals: [] }, "in")); // a.npy
 * ```
 */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * A string flag the command cannot do without: its value, else a usage error naming it.
 *
 * @param spec the command line
 * @param p the parsed command line
 * @param name the flag (without `--`)
 * @returns its value
 * @example
 * ```ts
 * import { need } from "./flags.ts";
 * const spec = { name: "x", summary: "", flags: { in: { type: "string" as const, value: "FILE", help: "input" } }, examples: [] };
 * try { need(spec, { values: {}, positionals: [] }, "in"); } catch (e) { console.log((e as Error).message); } // needs --in FILE (see: deno task medcrypt x --help)
 * ```
 */
export function need(spec: Spec, p: Parsed, name: string): string {
  const v = str(p, name);
  if (v === undefined || v === "") {
    usageError(spec, `needs --${name} ${spec.flags[name]?.value ?? "VALUE"}`);
  }
  return v;
}

/**
 * A whole-number flag within bounds (its default when absent), else a usage error.
 *
 * @param spec the command line
 * @param p the parsed command line
 * @param name the flag (without `--`)
 * @param def the value when the flag is absent
 * @param min smallest allowed value
 * @param max largest allowed value
 * @returns the number
 * @example
 * ```ts
 * import { int } from "./flags.ts";
 * const spec = { name: "x", summary: "", flags: {}, examples: [] };
 * console.log(int(spec, { values: { n: "3" }, positionals: [] }, "n", 1)); // 3
 * ```
 */
export function int(
  spec: Spec,
  p: Parsed,
  name: string,
  def: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const s = str(p, name);
  if (s === undefined) return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) {
    usageError(spec, `--${name} must be a whole number in ${min}..${max}, not '${s}'`);
  }
  return n;
}

/**
 * A flag whose value is one of a few words (its default when absent), else a usage error.
 *
 * @param spec the command line
 * @param p the parsed command line
 * @param name the flag (without `--`)
 * @param choices the accepted words
 * @param def the value when the flag is absent
 * @returns the word
 * @example
 * ```ts
 * import { oneOf } from "./flags.ts";
 * const spec = { name: "x", summary: "", flags: {}, examples: [] };
 * console.log(oneOf(spec, { values: {}, positionals: [] }, "mode", ["a", "b"] as const, "a")); // a
 * ```
 */
export function oneOf<T extends string>(
  spec: Spec,
  p: Parsed,
  name: string,
  choices: readonly T[],
  def: T,
): T {
  const s = str(p, name);
  if (s === undefined) return def;
  if (!(choices as readonly string[]).includes(s)) {
    usageError(spec, `--${name} must be ${choices.join(", ")}, not '${s}'`);
  }
  return s as T;
}

/**
 * Refuses outputs that already exist unless `force`: one error naming the first such path, before
 * anything is written.
 *
 * @param paths the files or folders the command is about to write
 * @param force the command's `--force`
 * @example
 * ```ts
 * import { refuseExisting } from "./flags.ts";
 * const f = await Deno.makeTempFile();
 * try { await refuseExisting([f], false); } catch (e) { console.log((e as Error).message.includes("--force")); } // true
 * await refuseExisting([f], true); // allowed
 * await Deno.remove(f);
 * ```
 */
export async function refuseExisting(
  paths: readonly (string | undefined)[],
  force: boolean,
): Promise<void> {
  if (force) return;
  for (const p of paths) {
    if (p === undefined) continue;
    try {
      await Deno.lstat(p);
    } catch {
      continue;
    }
    throw new MedCryptError("exists", "already exists; refusing to overwrite it (use --force)", {
      file: p,
    });
  }
}
