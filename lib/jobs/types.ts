/**
 * The job interface: a piece of independent work (one reference model, one shard) named by a
 * `kind` and described by a JSON payload, run by a {@linkcode JobHandler} wherever a
 * {@linkcode JobRunner} sends it — this thread, worker threads, or BullMQ workers on other
 * machines — and answered with a JSON result.
 *
 * @example
 * ```ts
 * import type { JobHandler } from "./types.ts";
 * const double: JobHandler<{ x: number }, { y: number }> = {
 *   kind: "double",
 *   run: (p) => Promise.resolve({ y: 2 * p.x }),
 * };
 * console.log(double.kind); // double
 * ```
 * @module
 */

/** What a handler sees besides its payload. */
export interface JobContext {
  /** Reports progress in [0, 1] with an optional note (shown by `deno task worker --status`). */
  progress(fraction: number, note?: string): void;
  /** Aborted when the job is cancelled. */
  signal: AbortSignal;
  /**
   * A folder of this machine where the handler may keep checkpoints (resumable work): the job's
   * cache hint, under the worker's cache root; none when the worker keeps no checkpoints.
   */
  cacheDir?: string;
  /** Who runs the job, e.g. `host:pid/thread-1`. */
  worker: string;
}

/**
 * Runs one kind of job. Payloads and results are plain JSON (they cross threads, processes and
 * machines); the same payload must give the same result wherever it runs.
 */
export interface JobHandler<P = unknown, R = unknown> {
  /** Stable name of the kind of work, e.g. `"audit-model"`. */
  kind: string;
  /** Does the work. Throwing fails the job once, with the error reported (it is not retried). */
  run(payload: P, ctx: JobContext): Promise<R>;
}

/** Options of one submission. */
export interface SubmitOptions {
  /** Progress events of this job. */
  onProgress?: (fraction: number, note?: string) => void;
  /** Cancels the job (a running job is stopped where the runner can stop it). */
  signal?: AbortSignal;
  /**
   * Where the job may keep checkpoints, relative to the worker's cache root (on this machine: the
   * folder itself). Not part of the job's key: it does not change the result.
   */
  cache?: string;
}

/** A finished job. */
export interface JobOutcome<R = unknown> {
  /** The job's content key: SHA-256 of its kind, canonical payload and code commit. */
  key: string;
  /** Its kind. */
  kind: string;
  /** The handler's result. */
  result: R;
  /** True when the result was already in the runner's result store (nothing ran). */
  reused: boolean;
  /** Who ran it. */
  worker: string;
  /** How many times a worker started it (more than 1 after a worker died mid-job). */
  attempts: number;
  /** Milliseconds from submission to the start of the run that finished it (0 when reused). */
  waitMs: number;
  /** Milliseconds the handler ran. */
  runMs: number;
}

/** Sends jobs somewhere and awaits their results. */
export interface JobRunner {
  /** Short description, e.g. `"in-process"`, `"2 threads"`, `"redis://127.0.0.1:6379"`. */
  readonly name: string;
  /**
   * Submits a job and awaits its result.
   *
   * @param kind the handler's kind
   * @param payload JSON payload
   * @param options progress and cancellation
   * @returns the outcome; rejects with a `MedCryptError` (`job-failed`) naming the job's error
   */
  submit<R = unknown>(
    kind: string,
    payload: unknown,
    options?: SubmitOptions,
  ): Promise<JobOutcome<R>>;
  /** Releases threads and connections. */
  close(): Promise<void>;
}

/**
 * What a worker hands back: the result with the fingerprint of the job it answers, checked by
 * the submitter before use.
 */
export interface SealedResult<R = unknown> {
  /** The key of the job this answers. */
  key: string;
  /** SHA-256 of the canonical payload it ran on. */
  payloadSha256: string;
  /** The code commit of the worker. */
  commit: string;
  /** Who ran it. */
  worker: string;
  /** Milliseconds the handler ran. */
  runMs: number;
  /** The handler's result. */
  result: R;
}
