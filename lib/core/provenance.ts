/**
 * What produced a result: git commit, Deno version, tfjs backend, parameters and seed. Every
 * exported figure and table carries one of these.
 *
 * @example
 * ```ts
 * import { provenance } from "./provenance.ts";
 * const p = provenance({ params: { epochs: 3 }, seed: 1 });
 * console.log(p.params, p.seed, p.deno === Deno.version.deno); // { epochs: 3 } 1 true
 * ```
 * @module
 */

/** The record of what produced a result. */
export interface Provenance {
  /** `git rev-parse HEAD` of the working tree (with `-dirty` if it has changes), or `"unknown"`. */
  commit: string;
  /** Deno version. */
  deno: string;
  /** The tfjs backend in use when the result was made, if any. */
  backend?: string;
  /** The parameters of the computation. */
  params: Record<string, unknown>;
  /** The seed of the random generators, if any. */
  seed?: number;
  /** ISO time the record was made. */
  date: string;
}

let cachedCommit: string | undefined;
let currentBackend: string | undefined;

/**
 * Records the tfjs backend that is in use (called by `lib/nn/backend`).
 *
 * @param name backend name such as `"wasm"`
 * @returns nothing
 * @example
 * ```ts
 * import { provenance, setBackendName } from "./provenance.ts";
 * setBackendName("cpu");
 * console.log(provenance().backend); // cpu
 * ```
 */
export function setBackendName(name: string): void {
  currentBackend = name;
}

/**
 * @returns the git commit of the working tree, `-dirty` appended when it has uncommitted changes
 * @example
 * ```ts
 * import { gitCommit } from "./provenance.ts";
 * console.log(gitCommit().length > 0); // true
 * ```
 */
export function gitCommit(): string {
  if (cachedCommit) return cachedCommit;
  try {
    const run = (args: string[]) => {
      const out = new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).outputSync();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
    };
    const head = run(["rev-parse", "--short=12", "HEAD"]);
    const dirty = run(["status", "--porcelain", "--untracked-files=no"]);
    cachedCommit = head ? head + (dirty ? "-dirty" : "") : "unknown";
  } catch {
    cachedCommit = "unknown";
  }
  return cachedCommit;
}

/**
 * Builds a {@linkcode Provenance} record for a result.
 *
 * @param options the parameters and seed of the computation
 * @returns the record
 * @example
 * ```ts
 * import { provenance } from "./provenance.ts";
 * console.log(provenance({ params: { n: 1 } }).params.n); // 1
 * ```
 */
export function provenance(
  options: { params?: Record<string, unknown>; seed?: number } = {},
): Provenance {
  return {
    commit: gitCommit(),
    deno: Deno.version.deno,
    backend: currentBackend,
    params: options.params ?? {},
    seed: options.seed,
    date: new Date().toISOString(),
  };
}
