/**
 * Helpers for the CLI tests: run `deno run -A tasks/medcrypt.ts …` as the user does, in a
 * subprocess, and check that a failure is one clear line on stderr.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

/** The repository root, with a trailing slash. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** What a CLI run printed and returned. */
export interface CliRun {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * Runs `deno task medcrypt ARGS` (as `deno run -A tasks/medcrypt.ts`) in a subprocess.
 *
 * @param args the command-line arguments
 * @returns exit code, stdout and stderr
 */
export async function medcrypt(...args: string[]): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}tasks/medcrypt.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Asserts a failed run: non-zero exit, exactly one stderr line matching `re`, no stack trace.
 *
 * @param r the run
 * @param re what the line must say
 */
export function assertOneLineError(r: CliRun, re: RegExp): void {
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at |Stack|\.ts:\d+:\d+/);
}
