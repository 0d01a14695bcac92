/**
 * The embedded runner: jobs run in this thread, one at a time (or `concurrency` interleaved at
 * their `await`s), with no setup. It is what `deno task reproduce` and the tests use by default.
 *
 * @example
 * ```ts
 * import { inProcessRunner } from "./local.ts";
 * const runner = inProcessRunner([{ kind: "add", run: (p: { a: number; b: number }) => Promise.resolve(p.a + p.b) }]);
 * const out = await runner.submit<number>("add", { a: 2, b: 3 });
 * console.log(out.result, out.reused, out.attempts); // 5 false 1
 * await runner.close();
 * ```
 * @module
 */
import { gitCommit } from "../core/provenance.ts";
import { MedCryptError } from "../core/errors.ts";
import { jobCacheDir, type JobMessage, openSealed, runSealed, workerName } from "./execute.ts";
import { jobKey } from "./key.ts";
import type { JobHandler, JobOutcome, JobRunner, SealedResult, SubmitOptions } from "./types.ts";

/** Options of {@linkcode inProcessRunner}. */
export interface InProcessOptions {
  /** How many jobs may be in progress at once (default 1: one after another, in order). */
  concurrency?: number;
}

/**
 * A limiter: at most `n` tasks run at once, the rest wait in submission order.
 *
 * @param n how many at once
 * @returns a function that runs a task when a slot is free
 * @example
 * ```ts
 * import { limiter } from "./local.ts";
 * const limit = limiter(1);
 * const order: number[] = [];
 * await Promise.all([2, 1].map((x) => limit(async () => { order.push(x); })));
 * console.log(order); // [ 2, 1 ]
 * ```
 */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((go) => waiting.push(go));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Throws the cancellation error of a job when its signal is aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined, key: string): void {
  if (signal?.aborted) throw new MedCryptError("job-cancelled", `job ${key} was cancelled`);
}

/** Builds a job's outcome from its sealed result. */
export function outcomeOf<R>(
  job: JobMessage,
  sealed: SealedResult,
  extra: { reused: boolean; attempts: number; waitMs: number },
): JobOutcome<R> {
  return {
    key: job.key,
    kind: job.kind,
    result: openSealed<R>(sealed, job.key, job.payload, job.commit),
    worker: sealed.worker,
    runMs: extra.reused ? 0 : sealed.runMs,
    ...extra,
  };
}

/**
 * The in-process runner.
 *
 * @param handlers the handlers it can run
 * @param options concurrency (jobs keep checkpoints where their `cache` hint says)
 * @returns a {@linkcode JobRunner}
 * @example
 * ```ts
 * import { inProcessRunner } from "./local.ts";
 * const runner = inProcessRunner([]);
 * console.log(runner.name); // in-process
 * ```
 */
export function inProcessRunner(
  handlers: readonly JobHandler<never, unknown>[],
  options: InProcessOptions = {},
): JobRunner {
  const limit = limiter(options.concurrency ?? 1);
  const commit = gitCommit();
  const worker = workerName();
  return {
    name: options.concurrency && options.concurrency > 1
      ? `in-process ×${options.concurrency}`
      : "in-process",
    submit<R>(kind: string, payload: unknown, submit: SubmitOptions = {}) {
      const key = jobKey(kind, payload, commit);
      const job: JobMessage = { key, kind, payload, commit, cache: submit.cache };
      const queued = performance.now();
      return limit(async () => {
        throwIfCancelled(submit.signal, job.key);
        const waitMs = performance.now() - queued;
        const sealed = await runSealed(handlers, job, {
          progress: submit.onProgress,
          signal: submit.signal,
          cacheDir: jobCacheDir("", job.cache),
          worker,
        });
        return outcomeOf<R>(job, sealed, { reused: false, attempts: 1, waitMs });
      });
    },
    close: () => Promise.resolve(),
  };
}
