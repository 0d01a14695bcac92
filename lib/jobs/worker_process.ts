/**
 * A worker command (`deno task worker`) started as a child process, for tests and benchmarks
 * that need real worker processes: its output lines, a promise for its readiness and for its
 * first job, and a way to stop it (or kill it -9).
 *
 * @example
 * ```ts ignore
 * import { spawnWorkerProcess } from "./worker_process.ts";
 * const w = spawnWorkerProcess("tasks/worker.ts", "redis://127.0.0.1:6379", { queue: "q" });
 * await w.ready;
 * await w.stop("SIGKILL");
 * ```
 * @module
 */

/** Options of {@linkcode spawnWorkerProcess}. */
export interface WorkerProcessOptions {
  /** Queue name. */
  queue?: string;
  /** Jobs at once (default 1). */
  concurrency?: number;
  /** Lock duration in ms (default 2000: a killed worker's job moves on quickly). */
  lockMs?: number;
  /** Stalled-job check interval in ms (default 1000). */
  stalledMs?: number;
}

/** A running worker process. */
export interface WorkerProcess {
  /** The child. */
  child: Deno.ChildProcess;
  /** Its process id. */
  pid: number;
  /** Its output so far, line by line. */
  lines: string[];
  /** Resolves when it serves the queue. */
  ready: Promise<void>;
  /** Resolves when it has started its first job. */
  started: Promise<void>;
  /** Sends a signal (default SIGTERM: finish running jobs) and waits for it to exit. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/**
 * Starts `deno run -A <script> --redis <url> …`.
 *
 * @param script path of the worker command (`tasks/worker.ts`)
 * @param url the Redis URL
 * @param options queue, concurrency, lock timing
 * @returns the process
 * @example
 * ```ts ignore
 * import { spawnWorkerProcess } from "./worker_process.ts";
 * const w = spawnWorkerProcess("tasks/worker.ts", "redis://127.0.0.1:6379");
 * console.log(w.pid > 0); // true
 * await w.stop();
 * ```
 */
export function spawnWorkerProcess(
  script: string,
  url: string,
  options: WorkerProcessOptions = {},
): WorkerProcess {
  const args = [
    "run",
    "-A",
    script,
    "--redis",
    url,
    "--concurrency",
    String(options.concurrency ?? 1),
    "--lock-ms",
    String(options.lockMs ?? 2000),
    "--stalled-ms",
    String(options.stalledMs ?? 1000),
    ...(options.queue ? ["--queue-name", options.queue] : []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines: string[] = [];
  let isReady = () => {}, isStarted = () => {};
  const ready = new Promise<void>((r) => isReady = r);
  const started = new Promise<void>((r) => isStarted = r);
  (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const l of parts) {
        lines.push(l);
        if (l.includes("job thread(s) on")) isReady();
        if (l.includes(" started ")) isStarted();
      }
    }
  })();
  child.stderr.pipeTo(
    new WritableStream({ write: (c) => void lines.push(new TextDecoder().decode(c)) }),
  )
    .catch(() => {});
  return {
    child,
    pid: child.pid,
    lines,
    ready,
    started,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      await child.status;
    },
  };
}
