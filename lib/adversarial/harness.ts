/**
 * The harness of the adversarial suite: a case is one malformed input handed to one reader or
 * command; running it classifies what happened. A tool trusted with patient scans must refuse
 * every such input with one clear line — never return something as if it were right, never
 * crash with a stack trace, never hang, never leave a partial file behind.
 *
 * @example
 * ```ts
 * import { MedCryptError } from "../core/errors.ts";
 * import { runCase, tally } from "./harness.ts";
 * const refused = await runCase({
 *   category: "keys",
 *   name: "empty key file",
 *   run: () => Promise.reject(new MedCryptError("bad-key", "no PEM block found", { file: "k.pem" })),
 * });
 * const wrong = await runCase({ category: "keys", name: "accepted", run: () => Promise.resolve(1) });
 * console.log(refused.kind, wrong.kind, tally([refused, wrong])[0].wrongSuccesses); // refused wrong-success 1
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { type CliRun, medcrypt } from "../cli/_test_util.ts";

/** The groups of the suite, one per kind of input a user or an attacker hands the tool. */
export type Category = "envelope" | "keys" | "paths" | "images" | "revcipher" | "he-infer";

/** Every category, in the order the tables list them. */
export const CATEGORIES: readonly Category[] = [
  "envelope",
  "keys",
  "paths",
  "images",
  "revcipher",
  "he-infer",
];

/** One malformed input and the operation it is handed to. */
export interface AdversarialCase {
  /** Which group the case belongs to. */
  category: Category;
  /** What was done to the input, e.g. `"bit 3 of byte 812 flipped (payload chunk 0)"`. */
  name: string;
  /**
   * Hands the input to the reader or command. Must reject (throw) for the input to count as
   * refused; resolving, with whatever value, is a wrong success.
   */
  run(): Promise<unknown>;
  /** Error codes that count as the right refusal; any `MedCryptError` when absent. */
  codes?: readonly string[];
  /** What the refusal message must say (one line); any clear line when absent. */
  message?: RegExp;
  /**
   * Files that must not exist once the case has run (the output path, temporaries); checked
   * after `run` settles. Returns the offending paths.
   */
  leftovers?(): Promise<string[]>;
  /** Longest time the case may take before it counts as a hang (ms); 30 s when absent. */
  timeoutMs?: number;
}

/** What a case did. */
export type OutcomeKind =
  /** Refused with a typed error whose message is one clear line (and the right code). */
  | "refused"
  /** Refused, but with the wrong code, a message not matching, or a message that is not one line. */
  | "unclear"
  /** Returned as if the input were good. */
  | "wrong-success"
  /** Threw something other than a typed error: a bug, shown to the user as a stack trace. */
  | "crash"
  /** Did not settle within its time limit. */
  | "hang";

/** The outcome of one case. */
export interface Outcome {
  /** The case's category. */
  category: Category;
  /** The case's name. */
  name: string;
  /** What happened. */
  kind: OutcomeKind;
  /** The refusal message, or what went wrong. */
  detail: string;
  /** Paths left behind that should not be there. */
  leftovers: string[];
  /** Wall time (ms). */
  ms: number;
}

const HANG = Symbol("hang");

/**
 * Whether a message is one clear line: long enough to say something, no stack frame, no
 * `undefined` or `[object …]` standing for a value.
 *
 * @param message the message
 * @returns whether a person can act on it
 * @example
 * ```ts
 * import { isClearMessage } from "./harness.ts";
 * console.log(isClearMessage("`a.mce`: header MAC does not match"), isClearMessage("undefined")); // true false
 * ```
 */
export function isClearMessage(message: string): boolean {
  const m = message.trim();
  return m.length >= 8 && !m.includes("\n") && !/\s+at \S+ \(|\.ts:\d+:\d+|^undefined$|\[object /
    .test(m);
}

/**
 * Runs one case and classifies its outcome.
 *
 * @param c the case
 * @returns what happened
 * @example
 * ```ts
 * import { runCase } from "./harness.ts";
 * const o = await runCase({ category: "images", name: "bug", run: () => Promise.reject(new TypeError("x is undefined")) });
 * console.log(o.kind); // crash
 * ```
 */
export async function runCase(c: AdversarialCase): Promise<Outcome> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<typeof HANG>((res) => {
    timer = setTimeout(() => res(HANG), c.timeoutMs ?? 30_000);
  });
  let kind: OutcomeKind, detail: string;
  try {
    const r = await Promise.race([c.run(), limit]);
    if (r === HANG) {
      kind = "hang";
      detail = `no answer after ${c.timeoutMs ?? 30_000} ms`;
    } else {
      kind = "wrong-success";
      detail = `returned ${describe(r)}`;
    }
  } catch (e) {
    ({ kind, detail } = classifyError(c, e));
  } finally {
    clearTimeout(timer);
  }
  const leftovers = c.leftovers ? await c.leftovers() : [];
  return {
    category: c.category,
    name: c.name,
    kind,
    detail,
    leftovers,
    ms: performance.now() - t0,
  };
}

function classifyError(c: AdversarialCase, e: unknown): { kind: OutcomeKind; detail: string } {
  if (!(e instanceof MedCryptError)) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { kind: "crash", detail: msg.split("\n")[0] };
  }
  const clear = isClearMessage(e.message) &&
    (!c.codes || c.codes.includes(e.code)) &&
    (!c.message || c.message.test(e.message));
  return {
    kind: clear ? "refused" : "unclear",
    detail: clear ? e.message : `${e.code}: ${e.message.split("\n")[0]}`,
  };
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing (as if it had succeeded)";
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  const s = (() => {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  })() ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** The counts the closing table gives per category. */
export interface CategoryTally {
  /** The category. */
  category: Category;
  /** Cases tried. */
  cases: number;
  /** Refused with a clear message. */
  refused: number;
  /** Refused, but not with the expected code or message. */
  unclear: number;
  /** Accepted as if good (must be 0). */
  wrongSuccesses: number;
  /** Untyped errors: stack traces (must be 0). */
  crashes: number;
  /** Cases that did not settle (must be 0). */
  hangs: number;
  /** Cases that left a partial output or temporary file (must be 0). */
  partialOutputs: number;
}

/**
 * Counts outcomes per category, in {@linkcode CATEGORIES} order (categories without a case are
 * left out).
 *
 * @param outcomes the outcomes
 * @returns one tally per category
 * @example
 * ```ts
 * import { tally } from "./harness.ts";
 * const t = tally([{ category: "paths", name: "x", kind: "refused", detail: "", leftovers: ["o.tmp"], ms: 1 }]);
 * console.log(t[0].refused, t[0].partialOutputs); // 1 1
 * ```
 */
export function tally(outcomes: readonly Outcome[]): CategoryTally[] {
  return CATEGORIES.flatMap((category) => {
    const os = outcomes.filter((o) => o.category === category);
    if (!os.length) return [];
    const n = (k: OutcomeKind) => os.filter((o) => o.kind === k).length;
    return [{
      category,
      cases: os.length,
      refused: n("refused"),
      unclear: n("unclear"),
      wrongSuccesses: n("wrong-success"),
      crashes: n("crash"),
      hangs: n("hang"),
      partialOutputs: os.filter((o) => o.leftovers.length).length,
    }];
  });
}

/**
 * The outcomes that are failures of the tool (anything but a clear refusal with nothing left
 * behind).
 *
 * @param outcomes the outcomes
 * @returns the failures
 * @example
 * ```ts
 * import { failures } from "./harness.ts";
 * console.log(failures([{ category: "paths", name: "x", kind: "refused", detail: "", leftovers: [], ms: 1 }]).length); // 0
 * ```
 */
export function failures(outcomes: readonly Outcome[]): Outcome[] {
  return outcomes.filter((o) => o.kind !== "refused" || o.leftovers.length);
}

/** A command that failed without one clear line on stderr (a stack trace, several lines, none). */
class CliCrash extends Error {
  override name = "CliCrash";
}

/**
 * Runs `deno task medcrypt ARGS` in a subprocess as a user would, and turns what it printed into
 * the outcome of an in-process call: exit 0 resolves (a wrong success for a malformed input);
 * one clear stderr line rejects with a typed error (`cli-refused`); anything else (a stack
 * trace, several lines, nothing) rejects with a plain error, counted as a crash.
 *
 * @param args the command-line arguments
 * @returns the run, when the command succeeded
 * @example
 * ```ts
 * import { runCase, runCli } from "./harness.ts";
 * const o = await runCase({ category: "paths", name: "missing input", run: () => runCli("info", "/no/such.npy") });
 * console.log(o.kind); // refused
 * ```
 */
export async function runCli(...args: string[]): Promise<CliRun> {
  const r = await medcrypt(...args);
  if (r.code === 0) return r;
  const lines = r.stderr.trim().split("\n");
  if (lines.length === 1 && isClearMessage(lines[0])) {
    throw new MedCryptError("cli-refused", lines[0]);
  }
  throw new CliCrash(`exit ${r.code} with stderr: ${r.stderr.trim().slice(0, 200) || "(empty)"}`);
}
