/**
 * Running a handler and checking what comes back: every runner calls {@linkcode runSealed} where
 * the work happens and {@linkcode openSealed} where the result is used, so a result that answers
 * another payload, or comes from other code, is never taken for this job's.
 *
 * @example
 * ```ts
 * import { openSealed, runSealed } from "./execute.ts";
 * import { jobKey } from "./key.ts";
 * const handlers = [{ kind: "double", run: (p: { x: number }) => Promise.resolve(2 * p.x) }];
 * const key = jobKey("double", { x: 2 }, "c1");
 * const sealed = await runSealed(handlers, { key, kind: "double", payload: { x: 2 }, commit: "c1" });
 * console.log(openSealed(sealed, key, { x: 2 }, "c1")); // 4
 * ```
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import { canonicalJson, sha256Hex } from "./key.ts";
import type { JobContext, JobHandler, SealedResult } from "./types.ts";

/**
 * The job every worker knows: answers with its name at once (a health check, and the measure
 * of a queue's own overhead).
 *
 * @example
 * ```ts
 * import { PING_JOB } from "./execute.ts";
 * const ctx = { progress() {}, signal: new AbortController().signal, worker: "w" };
 * console.log(await PING_JOB.run({}, ctx)); // { worker: "w" }
 * ```
 */
export const PING_JOB: JobHandler<unknown, { worker: string }> = {
  kind: "ping",
  run: (_p, ctx) => Promise.resolve({ worker: ctx.worker }),
};

/** A job as it travels to a worker. */
export interface JobMessage {
  /** Its content key. */
  key: string;
  /** The handler's kind. */
  kind: string;
  /** JSON payload. */
  payload: unknown;
  /** The code commit of the submitter (a worker on other code refuses the job). */
  commit: string;
  /** Checkpoint folder hint (see `SubmitOptions.cache`). */
  cache?: string;
}

/**
 * Where a job keeps its checkpoints on this worker.
 *
 * @param root the worker's cache root: `""` = hints as given (the submitter's machine), `null` =
 *   no checkpoints
 * @param hint the job's cache hint
 * @returns the folder, or undefined
 * @example
 * ```ts
 * import { jobCacheDir } from "./execute.ts";
 * console.log(jobCacheDir("", "data/cache/a"), jobCacheDir("/w", "/tmp/a"), jobCacheDir(null, "x")); // data/cache/a /w/tmp/a undefined
 * ```
 */
export function jobCacheDir(root: string | null, hint: string | undefined): string | undefined {
  if (root === null || hint === undefined) return undefined;
  return root === "" ? hint : join(root, hint.replace(/^\/+/, ""));
}

/**
 * Who is running: `host:pid`, plus a thread name when given.
 *
 * @param thread a thread's name
 * @returns the name
 * @example
 * ```ts
 * import { workerName } from "./execute.ts";
 * console.log(workerName("thread-1").endsWith(`:${Deno.pid}/thread-1`)); // true
 * ```
 */
export function workerName(thread?: string): string {
  return `${hostname()}:${Deno.pid}${thread ? `/${thread}` : ""}`;
}

/**
 * Runs `job` with the handler of its kind and seals the result with the job's fingerprint.
 *
 * @param handlers the handlers this worker knows
 * @param job the job
 * @param ctx progress, cancellation, checkpoint folder, worker name (defaults: none, this process)
 * @returns the sealed result; throws a `MedCryptError` (`job-failed`) carrying the handler's error
 * @example
 * ```ts
 * import { runSealed } from "./execute.ts";
 * try {
 *   await runSealed([], { key: "k", kind: "nothing", payload: {}, commit: "c" });
 * } catch (e) {
 *   console.log((e as { code: string }).code); // unknown-job-kind
 * }
 * ```
 */
export async function runSealed(
  handlers: readonly JobHandler<never, unknown>[],
  job: JobMessage,
  ctx: Partial<JobContext> = {},
): Promise<SealedResult> {
  const handler = job.kind === PING_JOB.kind
    ? PING_JOB as JobHandler<never, unknown>
    : handlers.find((h) => h.kind === job.kind);
  if (!handler) {
    throw new MedCryptError(
      "unknown-job-kind",
      `no handler for job kind "${job.kind}" (this worker knows ${
        handlers.map((h) => h.kind).join(", ") || "none"
      })`,
    );
  }
  const worker = ctx.worker ?? workerName();
  const t0 = performance.now();
  let result: unknown;
  try {
    result = await (handler as JobHandler<unknown, unknown>).run(job.payload, {
      progress: ctx.progress ?? (() => {}),
      signal: ctx.signal ?? new AbortController().signal,
      cacheDir: ctx.cacheDir,
      worker,
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new MedCryptError(
      "job-failed",
      `job ${job.key} (${job.kind}) failed on ${worker}: ${why}`,
      {
        cause: e,
      },
    );
  }
  return {
    key: job.key,
    payloadSha256: sha256Hex(canonicalJson(job.payload)),
    commit: job.commit,
    worker,
    runMs: performance.now() - t0,
    // as it would come back from Redis, so every runner hands back the same value
    result: result === undefined ? null : JSON.parse(JSON.stringify(result)),
  };
}

/**
 * Checks that a sealed result answers this job (key, payload fingerprint and commit) and
 * returns the result.
 *
 * @param sealed what the worker returned
 * @param key the job's key
 * @param payload the job's payload
 * @param commit the submitter's commit
 * @returns the handler's result; throws a `MedCryptError` (`result-mismatch`) otherwise
 * @example
 * ```ts
 * import { openSealed } from "./execute.ts";
 * const sealed = { key: "k2", payloadSha256: "", commit: "c", worker: "w", runMs: 0, result: 1 };
 * try {
 *   openSealed(sealed, "k1", {}, "c");
 * } catch (e) {
 *   console.log((e as { code: string }).code); // result-mismatch
 * }
 * ```
 */
export function openSealed<R>(
  sealed: SealedResult | undefined | null,
  key: string,
  payload: unknown,
  commit: string,
): R {
  const want = sha256Hex(canonicalJson(payload));
  const problem = !sealed || typeof sealed !== "object"
    ? "it is empty"
    : sealed.key !== key
    ? `it answers job ${sealed.key}`
    : sealed.payloadSha256 !== want
    ? "its payload fingerprint differs"
    : sealed.commit !== commit
    ? `it was computed by commit ${sealed.commit}, not ${commit}`
    : undefined;
  if (problem) {
    throw new MedCryptError(
      "result-mismatch",
      `the result stored for job ${key} is unusable: ${problem}`,
    );
  }
  return sealed!.result as R;
}
