/**
 * Jobs on N worker threads of this process, each with its own single-threaded tfjs: independent
 * trainings use N cores, which one training cannot (its small convolutions gain little from
 * XNNPACK's threads on 2 cores). The handlers come from a module URL, loaded by every thread.
 *
 * @example
 * ```ts ignore
 * import { threadRunner } from "./threads.ts";
 * const handlers = new URL("./my_handlers.ts", import.meta.url).href; // exports `handlers`
 * const runner = threadRunner(handlers, { threads: 2 });
 * const outs = await Promise.all([1, 2].map((seed) => runner.submit("audit-model", { seed })));
 * console.log(outs.map((o) => o.worker)); // e.g. [ "host:1234/thread-1", "host:1234/thread-2" ]
 * await runner.close();
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { gitCommit } from "../core/provenance.ts";
import type { JobMessage } from "./execute.ts";
import { workerName } from "./execute.ts";
import { jobKey } from "./key.ts";
import { outcomeOf, throwIfCancelled } from "./local.ts";
import type { JobRunner, SealedResult, SubmitOptions } from "./types.ts";

/** Messages to a job thread. */
export type ThreadRequest =
  | { type: "init"; module: string; cacheRoot: string | null; name: string }
  | { type: "run"; job: JobMessage };

/** Messages from a job thread. */
export type ThreadReply =
  | { type: "ready" }
  | { type: "init-error"; message: string }
  | { type: "progress"; key: string; fraction: number; note?: string }
  | { type: "done"; sealed: SealedResult }
  | { type: "failed"; code: string; message: string };

/** Options of {@linkcode threadPool}. */
export interface ThreadOptions {
  /** Number of threads (default: the machine's cores). */
  threads?: number;
  /**
   * Cache root: `""` (default) = the jobs' cache hints as given (this machine submitted them),
   * a folder = hints under it, `null` = no checkpoints.
   */
  cacheRoot?: string | null;
}

/** A run on a thread: the sealed result and how long the job waited for a free thread. */
export interface ThreadRun {
  /** What the handler returned, sealed. */
  sealed: SealedResult;
  /** Milliseconds between `run` and the job's start on a thread. */
  waitMs: number;
}

/** N job threads taking jobs in submission order. */
export interface ThreadPool {
  /** Number of threads. */
  readonly threads: number;
  /** Runs one job on the next free thread. */
  run(job: JobMessage, options?: SubmitOptions): Promise<ThreadRun>;
  /** Stops every thread. */
  close(): void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  name: string;
}

function spawn(module: string, name: string, cacheRoot: string | null): Slot {
  const worker = new Worker(new URL("./_thread.ts", import.meta.url), { type: "module", name });
  const ready = new Promise<void>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<ThreadReply>) => {
      if (e.data.type === "ready") resolve();
      else if (e.data.type === "init-error") {
        reject(
          new MedCryptError(
            "job-thread",
            `a job thread could not load ${module}: ${e.data.message}`,
          ),
        );
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new MedCryptError("job-thread", `a job thread failed to start: ${e.message}`));
    };
  });
  worker.postMessage({ type: "init", module, cacheRoot, name } satisfies ThreadRequest);
  return { worker, ready, name };
}

/**
 * Starts a pool of job threads.
 *
 * @param module URL of a module exporting `handlers` (an array of `JobHandler`)
 * @param options threads and cache root
 * @returns the pool
 * @example
 * ```ts ignore
 * import { threadPool } from "./threads.ts";
 * const pool = threadPool(new URL("./my_handlers.ts", import.meta.url).href, { threads: 2 });
 * console.log(pool.threads); // 2
 * pool.close();
 * ```
 */
export function threadPool(module: string, options: ThreadOptions = {}): ThreadPool {
  const n = options.threads ?? navigator.hardwareConcurrency ?? 1;
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new MedCryptError("bad-argument", `threads must be a positive integer, not ${n}`);
  }
  const base = workerName();
  const root = options.cacheRoot === undefined ? "" : options.cacheRoot;
  const fresh = (i: number) => spawn(module, `${base}/thread-${i + 1}`, root);
  const idle: Slot[] = Array.from({ length: n }, (_, i) => fresh(i));
  const waiting: ((s: Slot) => void)[] = [];
  let closed = false;
  const release = (s: Slot) => {
    const next = waiting.shift();
    if (next) next(s);
    else idle.push(s);
  };
  const acquire = () =>
    idle.length ? Promise.resolve(idle.shift()!) : new Promise<Slot>((r) => waiting.push(r));
  const all = new Set<Slot>(idle);

  const runOn = (slot: Slot, job: JobMessage, opts: SubmitOptions) => {
    let stop = () => {};
    return new Promise<SealedResult>((resolve, reject) => {
      stop = () => reject(new MedCryptError("job-cancelled", `job ${job.key} was cancelled`));
      opts.signal?.addEventListener("abort", stop, { once: true });
      slot.worker.onmessage = (e: MessageEvent<ThreadReply>) => {
        const m = e.data;
        if (m.type === "progress") opts.onProgress?.(m.fraction, m.note);
        else if (m.type === "done") resolve(m.sealed);
        else if (m.type === "failed") reject(new MedCryptError(m.code, m.message));
      };
      slot.worker.onerror = (e) => {
        e.preventDefault();
        reject(new MedCryptError("job-thread", `job ${job.key} killed its thread: ${e.message}`));
      };
      slot.worker.postMessage({ type: "run", job } satisfies ThreadRequest);
    }).finally(() => opts.signal?.removeEventListener("abort", stop));
  };

  return {
    threads: n,
    async run(job, opts = {}) {
      if (closed) throw new MedCryptError("closed", "the thread pool is closed");
      const t0 = performance.now();
      let slot = await acquire();
      let healthy = true;
      try {
        throwIfCancelled(opts.signal, job.key);
        await slot.ready;
        const waitMs = performance.now() - t0;
        const sealed = await runOn(slot, job, opts);
        return { sealed, waitMs };
      } catch (e) {
        // A cancelled job's thread is replaced (tfjs work cannot be interrupted mid-kernel), and
        // so is a thread that died.
        const code = (e as { code?: string }).code;
        healthy = code !== "job-cancelled" && code !== "job-thread";
        throw e;
      } finally {
        if (!healthy && !closed) {
          slot.worker.terminate();
          all.delete(slot);
          slot = fresh(all.size);
          all.add(slot);
        }
        if (!closed) release(slot);
      }
    },
    close() {
      closed = true;
      for (const s of all) s.worker.terminate();
    },
  };
}

/**
 * A {@linkcode JobRunner} over a {@linkcode threadPool}.
 *
 * @param module URL of a module exporting `handlers`
 * @param options threads and cache root
 * @returns the runner
 * @example
 * ```ts ignore
 * import { threadRunner } from "./threads.ts";
 * const runner = threadRunner("file:///path/to/handlers.ts", { threads: 2 });
 * console.log(runner.name); // 2 threads
 * await runner.close();
 * ```
 */
export function threadRunner(module: string, options: ThreadOptions = {}): JobRunner {
  const pool = threadPool(module, options);
  const commit = gitCommit();
  return {
    name: `${pool.threads} thread${pool.threads === 1 ? "" : "s"}`,
    async submit<R>(kind: string, payload: unknown, opts: SubmitOptions = {}) {
      const key = jobKey(kind, payload, commit);
      const job: JobMessage = { key, kind, payload, commit, cache: opts.cache };
      const { sealed, waitMs } = await pool.run(job, opts);
      return outcomeOf<R>(job, sealed, { reused: false, attempts: 1, waitMs });
    },
    close() {
      pool.close();
      return Promise.resolve();
    },
  };
}
