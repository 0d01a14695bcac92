/**
 * Choosing a runner from a command-line value: `--queue in-process` (the default),
 * `--queue threads:N`, or `--queue redis://HOST:PORT`; the `MEDCRYPT_QUEUE` environment variable
 * gives the default, so a notebook kernel started with it submits to Redis unchanged.
 *
 * @example
 * ```ts
 * import { openRunner } from "./select.ts";
 * const runner = await openRunner("in-process", { module: "file:///unused.ts", handlers: [] });
 * console.log(runner.name); // in-process
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { inProcessRunner } from "./local.ts";
import { redisRunner } from "./redis.ts";
import { threadRunner } from "./threads.ts";
import type { JobHandler, JobRunner } from "./types.ts";

/** What {@linkcode openRunner} needs to run jobs on this machine. */
export interface RunnerSetup {
  /** URL of the module exporting `handlers` (loaded by job threads). */
  module: string;
  /** The same handlers, for the in-process runner. */
  handlers: readonly JobHandler<never, unknown>[];
}

/**
 * The queue a command should use: its `--queue` value, else `MEDCRYPT_QUEUE`, else in-process.
 *
 * @param flag the command's `--queue` value, if given
 * @returns the runner specification
 * @example
 * ```ts
 * import { queueSpec } from "./select.ts";
 * console.log(queueSpec("threads:2")); // threads:2
 * ```
 */
export function queueSpec(flag?: string): string {
  return flag ?? Deno.env.get("MEDCRYPT_QUEUE") ?? "in-process";
}

/**
 * Opens the runner a specification names.
 *
 * @param spec `in-process`, `threads[:N]` or `redis://HOST:PORT[/DB]`
 * @param setup the handlers (and their module, for threads)
 * @returns the runner; throws a `MedCryptError` (`usage`) for anything else
 * @example
 * ```ts
 * import { openRunner } from "./select.ts";
 * try {
 *   await openRunner("carrier-pigeon", { module: "", handlers: [] });
 * } catch (e) {
 *   console.log((e as { code: string }).code); // usage
 * }
 * ```
 */
export async function openRunner(spec: string, setup: RunnerSetup): Promise<JobRunner> {
  if (spec === "in-process") return inProcessRunner(setup.handlers);
  const threads = /^threads(?::(\d+))?$/.exec(spec);
  if (threads) {
    const n = threads[1] ? Number(threads[1]) : undefined;
    if (n === 0) throw new MedCryptError("usage", "--queue threads:N needs N ≥ 1");
    return threadRunner(setup.module, { threads: n });
  }
  if (spec.startsWith("redis://")) return await redisRunner(spec);
  throw new MedCryptError(
    "usage",
    `--queue ${spec}: use in-process, threads:N or redis://HOST:PORT`,
  );
}
