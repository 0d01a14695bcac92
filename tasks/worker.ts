/**
 * `deno task worker --redis redis://HOST:6379 [--concurrency N] [--cache DIR]`: serves the
 * experiments' jobs from a BullMQ queue, each on its own job thread with a single-threaded tfjs,
 * until stopped (Ctrl-C or SIGTERM finish the running jobs first; a worker killed outright loses
 * its jobs to the other workers). `--status` prints the queue's state and exits.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { queueStatus, startRedisWorker } from "../lib/jobs/redis.ts";
import { JOBS_MODULE } from "../lib/experiments/jobs.ts";

const USAGE = `usage: deno task worker --redis redis://HOST:PORT [options]

Runs the experiments' jobs (audit models…) submitted by \`deno task reproduce --queue URL\`.
Start one per machine, on the same commit as the submitter (jobs from other code are refused).

  --redis URL         the Redis server (or MEDCRYPT_QUEUE=redis://…)
  --concurrency N     jobs at once, one thread and one core each (default: this machine's cores)
  --cache DIR         keep training checkpoints under DIR, so a job retried here resumes
                      (default: none; finished results are kept in Redis)
  --queue-name NAME   BullMQ queue (default medcrypt)
  --lock-ms MS        a job whose worker is silent this long goes to another worker (30000)
  --stalled-ms MS     how often this worker looks for such jobs (30000)
  --status            print the queue's jobs, workers and progress, then exit

example (two machines; Redis on lab-1):
  lab-1$ redis-server --bind 0.0.0.0 --protected-mode no --appendonly yes
  lab-1$ deno task worker --redis redis://lab-1:6379
  lab-2$ deno task worker --redis redis://lab-1:6379
  lab-1$ deno task reproduce --only paper-a --queue redis://lab-1:6379`;

function fail(msg: string): never {
  console.error(`worker: ${msg}`);
  Deno.exit(2);
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} ${v}: use a positive integer`);
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    args: Deno.args,
    options: {
      redis: { type: "string" },
      concurrency: { type: "string" },
      cache: { type: "string" },
      "queue-name": { type: "string" },
      "lock-ms": { type: "string" },
      "stalled-ms": { type: "string" },
      status: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (e) {
  fail(`${e instanceof Error ? e.message : e}\n${USAGE}`);
}
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const env = Deno.env.get("MEDCRYPT_QUEUE");
const url = values.redis ?? (env?.startsWith("redis://") ? env : undefined);
if (!url) fail(`--redis URL is required\n${USAGE}`);
const queueName = values["queue-name"];

try {
  if (values.status) {
    const s = await queueStatus(url, queueName);
    const counts = Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(", ");
    console.log(`queue ${queueName ?? "medcrypt"} on ${url}: ${counts}`);
    console.log(`workers (${s.workers.length}): ${s.workers.join(", ") || "none"}`);
    for (const a of s.active) {
      console.log(
        `  running ${a.key}  ${(100 * a.fraction).toFixed(0)} %  attempt ${a.attempts}  ${
          a.note ?? ""
        }`,
      );
    }
    for (const f of s.failed) console.log(`  failed  ${f.key}: ${f.reason}`);
    Deno.exit(0);
  }
  const t0 = performance.now();
  const stamp = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s`;
  const worker = await startRedisWorker(url, JOBS_MODULE, {
    concurrency: positive("concurrency", values.concurrency),
    cacheDir: values.cache,
    queue: queueName,
    lockMs: positive("lock-ms", values["lock-ms"]),
    stalledCheckMs: positive("stalled-ms", values["stalled-ms"]),
    onEvent: (e) =>
      console.log(
        `${stamp()}  ${e.type.padEnd(9)} ${e.key}${
          e.runMs !== undefined ? ` in ${(e.runMs / 1000).toFixed(1)} s` : ""
        }${e.error ? `: ${e.error}` : ""}`,
      ),
  });
  console.log(
    `worker ${worker.name}: ${worker.concurrency} job thread(s) on ${url}, queue ${
      queueName ?? "medcrypt"
    } (Ctrl-C to stop)`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("stopping: finishing the running jobs…");
    await worker.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
