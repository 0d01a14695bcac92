/**
 * `deno task bench --only jobs`: one membership audit (the target and 16 reference models at
 * quick scale; 4 with `--quick`), trained from scratch four ways in the same run — in this thread
 * (tfjs with its default wasm threads, what `reproduce` did before jobs), on one job thread
 * (single-threaded tfjs: the baseline), on two job threads, and on two BullMQ worker processes
 * over a `redis-server` started here — as throughput ratios to the one-thread baseline; every
 * way must give the baseline's weights bit for bit. Then the queue's own overhead: `ping` jobs
 * submitted one at a time to an idle worker, submit → start.
 *
 * @example
 * ```ts ignore
 * import { suites } from "./jobs.ts";
 * const rows = await suites[0].run({ quick: true }); // trains 4 × 5 models: about a minute
 * console.log(rows.map((r) => r.subject));
 * ```
 * @module
 */
import { loadPneumoniaMNIST } from "../datasets/medmnist.ts";
import { type AuditOptions, runMembershipAudit } from "../attacks/audit.ts";
import {
  inProcessRunner,
  type JobRunner,
  redisRunner,
  redisServerVersion,
  spawnWorkerProcess,
  startRedisServer,
  threadRunner,
} from "../jobs/mod.ts";
import { initBackend } from "../nn/backend.ts";
import { handlers } from "./_job_handlers.ts";
import type { BenchRow, BenchSuite } from "./types.ts";

const HANDLERS = new URL("./_job_handlers.ts", import.meta.url).href;
const WORKER = new URL("../../tasks/worker.ts", import.meta.url).pathname;

interface Timed {
  seconds: number;
  digests: string[];
  workers: number;
}

async function timedAudit(options: AuditOptions, jobs: JobRunner): Promise<Timed> {
  const t0 = performance.now();
  const audit = await runMembershipAudit({ ...options, jobs });
  const seconds = (performance.now() - t0) / 1000;
  audit.target.dispose();
  const list = audit.jobs ?? [];
  return {
    seconds,
    digests: list.map((j) => j.result.weights.sha256),
    workers: new Set(list.map((j) => j.worker)).size,
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  await initBackend();
  const data = await loadPneumoniaMNIST();
  const refModels = quick ? 4 : 16;
  const models = refModels + 1;
  const options: AuditOptions = {
    pool: data.train,
    population: data.test,
    arch: "cnn-tiny",
    refModels,
    train: { epochs: 8, batchSize: 32, learningRate: 2e-3 },
    seed: 4242,
    quiet: true,
  };
  const caseName = `audit of ${models} models (cnn-tiny, 8 epochs, ${data.train.n} records)`;
  const one = threadRunner(HANDLERS, { threads: 1 });
  const base = await timedAudit(options, one);
  await one.close();
  const rate = (t: Timed) => models / t.seconds;
  const rows: BenchRow[] = [];
  const row = (subject: string, t: Timed, goal?: number): BenchRow => {
    const same = t.digests.filter((d, i) => d === base.digests[i]).length;
    return {
      subject: `${subject} (${t.workers} worker${
        t.workers === 1 ? "" : "s"
      }; weights = baseline: ${same}/${models})`,
      case: caseName,
      value: rate(t) * 60,
      unit: "models/min",
      baseline: rate(base) * 60,
      baselineName: "1 job thread",
      ratio: rate(t) / rate(base),
      ...(goal ? { goal } : {}),
    };
  };
  rows.push(row("1 job thread (single-threaded tfjs)", base));
  rows.push(
    row(
      "in this thread (tfjs default threads)",
      await timedAudit(options, inProcessRunner(handlers)),
    ),
  );
  const two = threadRunner(HANDLERS, { threads: 2 });
  rows.push(row("2 job threads", await timedAudit(options, two), 1.7));
  await two.close();
  if (!redisServerVersion()) {
    console.warn("bench jobs: redis-server is not installed; the Redis rows are skipped");
    return rows;
  }
  const redis = await startRedisServer({ appendonly: false });
  const workers = [0, 1].map(() => spawnWorkerProcess(WORKER, redis.url, { queue: "bench" }));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const queue = await redisRunner(redis.url, { queue: "bench", pollMs: 250 });
    rows.push(row("2 Redis workers (BullMQ)", await timedAudit(options, queue), 1.7));
    const waits: number[] = [], trips: number[] = [];
    for (let i = 0; i < (quick ? 30 : 100); i++) {
      const t0 = performance.now();
      const out = await queue.submit("ping", { i, at: Date.now() });
      trips.push(performance.now() - t0);
      waits.push(out.waitMs);
    }
    await queue.close();
    const budget = 20;
    for (const [label, q] of [["median", 0.5], ["p95", 0.95]] as const) {
      const ms = quantile(waits, q);
      rows.push({
        subject: `queue overhead, submit → start (${label} of ${waits.length} pings; round trip ${
          quantile(trips, q).toFixed(1)
        } ms)`,
        case: "idle worker, loopback Redis",
        value: ms,
        unit: "ms",
        baseline: budget,
        baselineName: "budget",
        ratio: budget / Math.max(ms, 0.01),
        goal: 1,
      });
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await redis.stop();
  }
  return rows;
}

/** The suite. */
export const suites: BenchSuite[] = [{ name: "jobs", run }];
