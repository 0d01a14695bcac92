/**
 * Every kind of job the experiments submit, in one module: what a job thread loads and what
 * `deno task worker` serves. A worker on another machine runs the same checkout (jobs carry the
 * submitter's commit and a worker refuses any other).
 *
 * @example
 * ```ts
 * import { handlers, JOBS_MODULE } from "./jobs.ts";
 * console.log(handlers.map((h) => h.kind), JOBS_MODULE.endsWith("/jobs.ts")); // [ "audit-model", "zoo-model" ] true
 * ```
 * @module
 */
import { auditModelJob } from "../attacks/audit_model.ts";
import { zooModelJob } from "../nn/train_zoo.ts";
import type { JobHandler } from "../jobs/types.ts";
import { openRunner, queueSpec } from "../jobs/select.ts";
import type { JobRunner } from "../jobs/types.ts";

/** The handlers, by kind. */
export const handlers: readonly JobHandler<never, unknown>[] = [
  auditModelJob as JobHandler<never, unknown>,
  zooModelJob as JobHandler<never, unknown>,
];

/** URL of this module (job threads import it to find {@linkcode handlers}). */
export const JOBS_MODULE: string = import.meta.url;

/**
 * The runner a `--queue` value names (else `MEDCRYPT_QUEUE`, else in process), with every
 * experiment job registered.
 *
 * @param flag `in-process`, `threads:N` or `redis://HOST:PORT`
 * @returns the runner (close it when done)
 * @example
 * ```ts
 * import { experimentRunner } from "./jobs.ts";
 * const runner = await experimentRunner("in-process");
 * console.log(runner.name); // in-process
 * await runner.close();
 * ```
 */
export function experimentRunner(flag?: string): Promise<JobRunner> {
  return openRunner(queueSpec(flag), { module: JOBS_MODULE, handlers });
}
