/**
 * Jobs on a BullMQ queue over Redis: {@linkcode redisRunner} submits, {@linkcode startRedisWorker}
 * runs them (`deno task worker --redis URL`) on any number of machines, each job on its own job
 * thread. A job's BullMQ id is its content key, so:
 *
 * - submitting a job already finished returns the stored result (`reused`), and submitting one
 *   already queued or running waits for it: nothing is computed twice;
 * - a worker killed mid-job stops renewing its lock; another worker's stalled-job check puts the
 *   job back in the queue and it runs again elsewhere (up to {@linkcode MAX_STALLS} times);
 * - a job whose handler throws fails once, with its error, and is not retried (the same payload
 *   would throw again); a later submission of it runs it afresh;
 * - every result carries its job's key, payload fingerprint and commit, checked before use, and a
 *   worker refuses jobs submitted by other code.
 *
 * What travels: the payload (names of embedded data sets with their fingerprints, options, seeds)
 * to the worker, and the result (trained weights, metrics) back, both inside Redis. Nothing
 * assumes a shared disk.
 *
 * @example
 * ```ts ignore
 * import { redisRunner } from "./redis.ts";
 * const runner = await redisRunner("redis://127.0.0.1:6379");
 * const out = await runner.submit("audit-model", payload, { onProgress: (f) => console.log(f) });
 * console.log(out.worker, out.reused, out.attempts); // e.g. "lab-2:4242/thread-1" false 1
 * await runner.close();
 * ```
 * @module
 */
import { type Job, Queue, QueueEvents, UnrecoverableError, Worker } from "bullmq";
import { MedCryptError } from "../core/errors.ts";
import { gitCommit } from "../core/provenance.ts";
import { type JobMessage, workerName } from "./execute.ts";
import { jobKey } from "./key.ts";
import { outcomeOf, throwIfCancelled } from "./local.ts";
import { threadPool } from "./threads.ts";
import type { JobOutcome, JobRunner, SealedResult, SubmitOptions } from "./types.ts";

/** The default BullMQ queue name. */
export const QUEUE_NAME = "medcrypt";

/** How many times a job whose worker died is put back in the queue before it fails. */
export const MAX_STALLS = 3;

/** Redis connection options parsed from a `redis://[user:password@]host[:port][/db]` URL. */
export interface RedisConnection {
  /** Host name or address. */
  host: string;
  /** Port (default 6379). */
  port: number;
  /** Database number (default 0). */
  db: number;
  /** User name, if any. */
  username?: string;
  /** Password, if any. */
  password?: string;
  /** BullMQ needs blocking commands to wait forever. */
  maxRetriesPerRequest: null;
}

/**
 * Parses a Redis URL.
 *
 * @param url `redis://host:port[/db]`
 * @returns connection options; throws a `MedCryptError` (`usage`) on anything else
 * @example
 * ```ts
 * import { redisConnection } from "./redis.ts";
 * const c = redisConnection("redis://127.0.0.1:6380/2");
 * console.log(c.host, c.port, c.db); // 127.0.0.1 6380 2
 * ```
 */
export function redisConnection(url: string): RedisConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MedCryptError("usage", `"${url}" is not a Redis URL (redis://HOST:PORT)`);
  }
  if (u.protocol !== "redis:") {
    throw new MedCryptError("usage", `"${url}" is not a Redis URL: it must start with redis://`);
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new MedCryptError("usage", `"${url}": database "${u.pathname.slice(1)}" is not a number`);
  }
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    maxRetriesPerRequest: null,
  };
}

async function reachable(queue: Queue, url: string, ms = 5000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady().then(() => queue.getJobCounts("waiting")),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
      }),
    ]);
  } catch (e) {
    await queue.close().catch(() => {});
    throw new MedCryptError(
      "unreachable",
      `cannot reach Redis at ${url}: ${e instanceof Error ? e.message : e} ` +
        "(start it with `redis-server --bind 127.0.0.1`, or check the URL)",
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Options of {@linkcode redisRunner}. */
export interface RedisRunnerOptions {
  /** BullMQ queue name (default {@linkcode QUEUE_NAME}). */
  queue?: string;
  /** How often a waiting submitter also polls the job's state, in ms (default 1000). */
  pollMs?: number;
}

/**
 * Connects a submitter to a BullMQ queue.
 *
 * @param url the Redis URL
 * @param options queue name, poll interval
 * @returns the runner; throws a `MedCryptError` (`unreachable`) when Redis does not answer
 * @example
 * ```ts ignore
 * import { redisRunner } from "./redis.ts";
 * const runner = await redisRunner("redis://127.0.0.1:6379");
 * console.log(runner.name); // redis://127.0.0.1:6379 (queue medcrypt)
 * await runner.close();
 * ```
 */
export async function redisRunner(
  url: string,
  options: RedisRunnerOptions = {},
): Promise<JobRunner> {
  const connection = redisConnection(url);
  const name = options.queue ?? QUEUE_NAME;
  const queue = new Queue(name, { connection });
  await reachable(queue, url);
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  // one listener per job being awaited: an audit awaits all of its models at once
  queue.setMaxListeners(0);
  events.setMaxListeners(0);
  const listeners = new Map<string, (fraction: number, note?: string) => void>();
  events.on("progress", ({ jobId, data }) => {
    const p = data as { fraction?: number; note?: string };
    if (typeof p?.fraction === "number") listeners.get(jobId)?.(p.fraction, p.note);
  });
  const commit = gitCommit();
  const pollMs = options.pollMs ?? 1000;

  const outcome = async <R>(message: JobMessage, job: Job, reused: boolean) => {
    const fresh = (await queue.getJob(message.key)) ?? job;
    return outcomeOf<R>(message, fresh.returnvalue as SealedResult, {
      reused,
      attempts: Math.max(1, fresh.attemptsStarted ?? 1),
      waitMs: reused ? 0 : Math.max(0, (fresh.processedOn ?? fresh.timestamp) - fresh.timestamp),
    });
  };

  const finished = (job: Job, key: string, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (e?: unknown) => {
        if (done) return;
        done = true;
        clearInterval(timer);
        signal?.removeEventListener("abort", cancel);
        if (e) reject(e);
        else resolve();
      };
      const failure = (reason: string) =>
        new MedCryptError("job-failed", `job ${key} (${job.name}) failed: ${reason}`);
      const cancel = async () => {
        const state = await job.getState().catch(() => "unknown");
        if (state === "waiting" || state === "prioritized" || state === "delayed") {
          await job.remove().catch(() => {});
        }
        finish(new MedCryptError("job-cancelled", `job ${key} was cancelled (${state})`));
      };
      signal?.addEventListener("abort", cancel, { once: true });
      job.waitUntilFinished(events).then(() => finish(), (e) => finish(failure(e.message)));
      // Events can be missed across a Redis restart; the job's own state cannot.
      const timer = setInterval(async () => {
        try {
          const j = await queue.getJob(key);
          const state = j ? await j.getState() : "missing";
          if (state === "completed") finish();
          else if (state === "failed") finish(failure(j?.failedReason ?? "unknown"));
          else if (state === "missing") finish(failure("it was removed from the queue"));
        } catch { /* Redis unreachable for now: keep waiting */ }
      }, pollMs);
    });

  return {
    name: `${url} (queue ${name})`,
    async submit<R>(
      kind: string,
      payload: unknown,
      opts: SubmitOptions = {},
    ): Promise<JobOutcome<R>> {
      const key = jobKey(kind, payload, commit);
      const message: JobMessage = { key, kind, payload, commit, cache: opts.cache };
      throwIfCancelled(opts.signal, message.key);
      let job = await queue.getJob(message.key);
      if (job) {
        const state = await job.getState();
        if (state === "completed") return await outcome<R>(message, job, true);
        if (state === "failed") {
          await job.remove();
          job = undefined;
        }
      }
      job ??= await queue.add(kind, message, {
        jobId: message.key,
        attempts: 1,
        removeOnComplete: false,
        removeOnFail: false,
      });
      if (opts.onProgress) listeners.set(message.key, opts.onProgress);
      try {
        await finished(job, message.key, opts.signal);
      } finally {
        listeners.delete(message.key);
      }
      return await outcome<R>(message, job, false);
    },
    async close() {
      await events.close();
      await queue.close();
    },
  };
}

/** Options of {@linkcode startRedisWorker}. */
export interface RedisWorkerOptions {
  /** Jobs run at once, each on its own job thread (default: the machine's cores). */
  concurrency?: number;
  /** BullMQ queue name (default {@linkcode QUEUE_NAME}). */
  queue?: string;
  /** Cache root of this machine for the jobs' checkpoints (default: none, results are the cache). */
  cacheDir?: string;
  /**
   * How long a job's lock lasts without renewal, in ms (default 30000): a worker dead for this
   * long loses its jobs to the others.
   */
  lockMs?: number;
  /** How often this worker looks for jobs whose worker died, in ms (default 30000). */
  stalledCheckMs?: number;
  /** Called when a job starts, finishes or fails here. */
  onEvent?: (event: WorkerEvent) => void;
}

/** What a worker reports about a job it ran. */
export interface WorkerEvent {
  /** What happened. */
  type: "started" | "completed" | "failed" | "stalled";
  /** The job's key. */
  key: string;
  /** Its kind. */
  kind: string;
  /** The error, for a failure. */
  error?: string;
  /** Milliseconds the handler ran (completed jobs). */
  runMs?: number;
}

/** A running worker. */
export interface RedisWorker {
  /** `host:pid`. */
  name: string;
  /** Jobs it runs at once. */
  concurrency: number;
  /** Stops taking jobs, waits for the running ones, and disconnects. */
  close(): Promise<void>;
}

/**
 * Starts a BullMQ worker that runs the jobs of `module`'s handlers on job threads.
 *
 * @param url the Redis URL
 * @param module URL of a module exporting `handlers`
 * @param options concurrency, queue, cache, lock timing, events
 * @returns the worker
 * @example
 * ```ts ignore
 * import { startRedisWorker } from "./redis.ts";
 * const handlers = new URL("./my_handlers.ts", import.meta.url).href; // exports `handlers`
 * const w = await startRedisWorker("redis://127.0.0.1:6379", handlers, { concurrency: 2 });
 * console.log(w.concurrency); // 2
 * await w.close();
 * ```
 */
export async function startRedisWorker(
  url: string,
  module: string,
  options: RedisWorkerOptions = {},
): Promise<RedisWorker> {
  const connection = redisConnection(url);
  const queueName = options.queue ?? QUEUE_NAME;
  const probe = new Queue(queueName, { connection });
  await reachable(probe, url);
  await probe.close();
  const concurrency = options.concurrency ?? navigator.hardwareConcurrency ?? 1;
  const pool = threadPool(module, { threads: concurrency, cacheRoot: options.cacheDir ?? null });
  const commit = gitCommit();
  const name = workerName();
  const emit = options.onEvent ?? (() => {});
  const worker = new Worker(queueName, async (job: Job) => {
    const m = job.data as JobMessage;
    if (m?.key !== job.id || jobKey(m.kind, m.payload, m.commit) !== m.key) {
      throw new UnrecoverableError(
        `job ${job.id} is malformed: its key does not match its content`,
      );
    }
    if (m.commit !== commit) {
      throw new UnrecoverableError(
        `job ${m.key} was submitted by commit ${m.commit}; worker ${name} runs ${commit} ` +
          "(check out the same commit on every machine)",
      );
    }
    emit({ type: "started", key: m.key, kind: m.kind });
    await job.updateProgress({ fraction: 0, note: `started on ${name}` });
    try {
      const { sealed } = await pool.run(m, {
        onProgress: (fraction, note) => void job.updateProgress({ fraction, note }).catch(() => {}),
      });
      emit({ type: "completed", key: m.key, kind: m.kind, runMs: sealed.runMs });
      return sealed;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      emit({ type: "failed", key: m.key, kind: m.kind, error: why });
      throw new UnrecoverableError(why);
    }
  }, {
    connection,
    concurrency,
    name,
    lockDuration: options.lockMs ?? 30_000,
    stalledInterval: options.stalledCheckMs ?? 30_000,
    maxStalledCount: MAX_STALLS,
  });
  worker.on("stalled", (jobId) => emit({ type: "stalled", key: jobId, kind: "" }));
  worker.on("error", () => {/* connection errors: ioredis reconnects by itself */});
  await worker.waitUntilReady();
  return {
    name,
    concurrency,
    async close() {
      await worker.close();
      pool.close();
    },
  };
}

/** The state of a queue, as `deno task worker --status` prints it. */
export interface QueueStatus {
  /** Jobs per state. */
  counts: Record<string, number>;
  /** Connected workers (BullMQ client names). */
  workers: string[];
  /** Running jobs with their progress. */
  active: { key: string; kind: string; fraction: number; note?: string; attempts: number }[];
  /** The most recent failures. */
  failed: { key: string; kind: string; reason: string }[];
}

/**
 * Reads a queue's state.
 *
 * @param url the Redis URL
 * @param queueName queue name (default {@linkcode QUEUE_NAME})
 * @returns counts, workers, running jobs and recent failures
 * @example
 * ```ts ignore
 * import { queueStatus } from "./redis.ts";
 * const s = await queueStatus("redis://127.0.0.1:6379");
 * console.log(s.counts.completed, s.workers.length); // e.g. 17 2
 * ```
 */
export async function queueStatus(url: string, queueName = QUEUE_NAME): Promise<QueueStatus> {
  const queue = new Queue(queueName, { connection: redisConnection(url) });
  await reachable(queue, url);
  try {
    const counts = await queue.getJobCounts("waiting", "active", "completed", "failed", "delayed");
    // BullMQ names a worker's connection `bull:<queue>:w:<worker name>`.
    const workers = (await queue.getWorkers()).map((w) => {
      const raw = String((w as Record<string, unknown>).rawname ?? w.name ?? "?");
      return raw.includes(":w:") ? raw.slice(raw.indexOf(":w:") + 3) : raw;
    });
    const active = (await queue.getActive()).map((j) => {
      const p = j.progress as { fraction?: number; note?: string };
      return {
        key: String(j.id),
        kind: j.name,
        fraction: typeof p?.fraction === "number" ? p.fraction : 0,
        note: p?.note,
        attempts: j.attemptsStarted ?? 1,
      };
    });
    const failed = (await queue.getFailed(0, 9)).map((j) => ({
      key: String(j.id),
      kind: j.name,
      reason: j.failedReason ?? "",
    }));
    return { counts, workers, active, failed };
  } finally {
    await queue.close();
  }
}
