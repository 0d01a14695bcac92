/**
 * Runs the Python interop implementation (`_interop.py`) with Debian's Python for the tests.
 *
 * @module
 */

/** Debian's Python (plain `python3` may be another one without Debian's modules). */
export const PYTHON = "/usr/bin/python3";
/** The interop script. */
export const INTEROP = new URL("./_interop.py", import.meta.url).pathname;

let reason: string | undefined | null = null;

/** @returns why the Python interop tests cannot run here, or `undefined` when they can */
export function pythonSkipReason(): string | undefined {
  if (reason !== null) return reason;
  try {
    const out = new Deno.Command(PYTHON, {
      args: [INTEROP, "probe"],
      stdout: "piped",
      stderr: "piped",
    })
      .outputSync();
    reason = out.success
      ? undefined
      : `PyCryptodome is not importable by ${PYTHON} (${
        new TextDecoder().decode(out.stderr).trim().split("\n").pop()
      }); install python3-pycryptodome`;
  } catch (e) {
    reason = `${PYTHON} could not be run (${
      (e as Error).message
    }); install python3 and python3-pycryptodome`;
  }
  return reason;
}

/** @returns exit code and outputs of `_interop.py args…` */
export function runPython(args: string[]): { code: number; stdout: string; stderr: string } {
  const out = new Deno.Command(PYTHON, {
    args: [INTEROP, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .outputSync();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}
