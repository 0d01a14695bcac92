/**
 * `deno task worker` against a real `redis-server` started here on 127.0.0.1: a small membership
 * audit on two worker processes gives the in-process run's weights and scores bit for bit, also
 * when one worker is killed -9 mid-job and when Redis restarts mid-run; a poisoned job fails once
 * with its error; a job from other code is refused. Skipped with a message when `redis-server`
 * is not installed, except under CI, where that is a failure.
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { loadPneumoniaMNIST } from "../lib/datasets/medmnist.ts";
import { type AuditOptions, runMembershipAudit } from "../lib/attacks/audit.ts";
import {
  inProcessRunner,
  jobKey,
  redisConnection,
  redisRunner,
  redisServerVersion,
  spawnWorkerProcess,
  startRedisServer,
} from "../lib/jobs/mod.ts";
import { handlers } from "../lib/experiments/jobs.ts";
import { gitCommit } from "../lib/core/provenance.ts";

const HAVE_REDIS = redisServerVersion() !== undefined;
const IN_CI = Deno.env.get("CI") === "true";
if (!HAVE_REDIS && !IN_CI) {
  console.warn("worker_test: redis-server is not installed; the Redis job tests are skipped");
}
const ignore = !HAVE_REDIS && !IN_CI;

const WORKER = new URL("./worker.ts", import.meta.url).pathname;

/** A worker on `queue` whose killed jobs move on after 2 s. */
function spawnWorker(url: string, queue: string) {
  const w = spawnWorkerProcess(WORKER, url, { queue });
  return { ...w, kill: (signal: Deno.Signal = "SIGKILL") => w.stop(signal) };
}

const data = await loadPneumoniaMNIST();
const AUDIT: AuditOptions = {
  pool: data.train,
  population: data.test,
  arch: "cnn-tiny",
  refModels: 3,
  train: { epochs: 3, batchSize: 32, learningRate: 2e-3 },
  seed: 77,
  quiet: true,
};

/** What must be identical across runners: every model's weight digest and every score. */
async function fingerprint(options: AuditOptions) {
  const a = await runMembershipAudit(options);
  a.target.dispose();
  return {
    weights: a.jobs!.map((j) => j.result.weights.sha256),
    aucs: a.attacks.map((x) => `${x.attack}: ${x.metrics.auc}`),
    jobs: a.jobs!,
  };
}

let reference: Awaited<ReturnType<typeof fingerprint>> | undefined;
const inProcess = async () =>
  reference ??= await fingerprint({ ...AUDIT, jobs: inProcessRunner(handlers) });

Deno.test({
  name: "two workers, one killed -9 mid-job: the audit completes with the in-process results",
  ignore,
  async fn() {
    const want = await inProcess();
    const redis = await startRedisServer();
    const a = spawnWorker(redis.url, "kill"), b = spawnWorker(redis.url, "kill");
    try {
      await Promise.all([a.ready, b.ready]);
      const jobs = await redisRunner(redis.url, { queue: "kill", pollMs: 200 });
      const run = fingerprint({ ...AUDIT, jobs });
      await a.started;
      await a.kill("SIGKILL");
      const got = await run;
      await jobs.close();
      assert.deepEqual(got.weights, want.weights);
      assert.deepEqual(got.aucs, want.aucs);
      const retried = got.jobs.filter((j) => j.attempts > 1);
      assert.ok(
        retried.length >= 1,
        `no job was retried: ${JSON.stringify(got.jobs.map((j) => j.attempts))}`,
      );
      const pidA = String(a.pid);
      for (const j of got.jobs) {
        assert.ok(!j.worker.includes(`:${pidA}/`), `${j.key} finished on the killed worker`);
      }
      console.log(
        `  killed worker ${pidA}; ${retried.length} job(s) retried on the other: ` +
          retried.map((j) => `${j.key} (attempt ${j.attempts})`).join(", "),
      );
    } finally {
      await a.kill();
      await b.kill("SIGTERM");
      await redis.stop();
    }
  },
});

Deno.test({
  name: "Redis restarted mid-run with persistence: no finished result is lost",
  ignore,
  async fn() {
    const want = await inProcess();
    const redis = await startRedisServer({ appendonly: true });
    const a = spawnWorker(redis.url, "restart"), b = spawnWorker(redis.url, "restart");
    try {
      await Promise.all([a.ready, b.ready]);
      const jobs = await redisRunner(redis.url, { queue: "restart", pollMs: 200 });
      const run = fingerprint({ ...AUDIT, jobs });
      // restart as soon as a first job has finished
      while (![...a.lines, ...b.lines].some((l) => l.includes(" completed "))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const finishedBefore = [...a.lines, ...b.lines].filter((l) => l.includes(" completed "))
        .map((l) => l.trim().split(/\s+/)[3]);
      await redis.restart();
      const got = await run;
      await jobs.close();
      assert.deepEqual(got.weights, want.weights);
      assert.deepEqual(got.aucs, want.aucs);
      // every result, those finished before the restart included, is still in the store
      const again = await redisRunner(redis.url, { queue: "restart" });
      const second = await fingerprint({ ...AUDIT, jobs: again });
      await again.close();
      assert.deepEqual(second.weights, want.weights);
      assert.ok(second.jobs.every((j) => j.reused), "a finished result was recomputed");
      for (const key of finishedBefore) assert.ok(second.jobs.some((j) => j.key === key), key);
      console.log(`  ${finishedBefore.length} result(s) finished before the restart, all kept`);
    } finally {
      await a.kill("SIGTERM");
      await b.kill("SIGTERM");
      await redis.stop();
    }
  },
});

Deno.test({
  name: "a poisoned job fails once with its error; a job from other code is refused",
  ignore,
  async fn() {
    const redis = await startRedisServer({ appendonly: false });
    const w = spawnWorker(redis.url, "poison");
    try {
      await w.ready;
      const jobs = await redisRunner(redis.url, { queue: "poison", pollMs: 200 });
      const bad = {
        pool: { file: "data/no-such-set.npz", split: "train", fingerprint: "0", n: 1 },
        arch: "cnn-tiny",
        train: { epochs: 1 },
        seed: 1,
        pKeep: 0.5,
        name: "poison",
      };
      await assert.rejects(jobs.submit("audit-model", bad), (e: Error & { code: string }) => {
        assert.equal(e.code, "job-failed");
        assert.match(e.message, /no-such-set\.npz/);
        return true;
      });
      const q = new Queue("poison", { connection: redisConnection(redis.url) });
      const key = jobKey("audit-model", bad, gitCommit());
      // three stalled-job checks later it is still failed after one attempt
      await new Promise((r) => setTimeout(r, 3000));
      const job = (await q.getJob(key))!;
      assert.equal(await job.getState(), "failed");
      assert.equal(job.attemptsStarted, 1);
      // a job submitted by other code is refused with the reason
      const foreign = {
        key: jobKey("audit-model", bad, "0123abcd"),
        kind: "audit-model",
        payload: bad,
        commit: "0123abcd",
      };
      const fj = await q.add("audit-model", foreign, { jobId: foreign.key, attempts: 1 });
      for (let i = 0; i < 100 && !(await fj.isFailed()); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const refused = (await q.getJob(foreign.key))!;
      assert.match(refused.failedReason, /submitted by commit 0123abcd/);
      await q.close();
      // the worker still serves
      const ok = await jobs.submit<{ weights: { sha256: string } }>("audit-model", {
        ...bad,
        pool: {
          file: "data/pneumoniamnist.npz",
          split: "val",
          fingerprint: (await import("../lib/nn/train.ts")).setFingerprint(data.val),
          n: data.val.n,
        },
      });
      assert.equal(ok.result.weights.sha256.length, 64);
      await jobs.close();
      assert.ok(w.lines.some((l) => l.includes(" failed ") && l.includes("no-such-set.npz")));
    } finally {
      await w.kill("SIGTERM");
      await redis.stop();
    }
  },
});

Deno.test({
  name: "worker command: usage errors name the problem",
  fn() {
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("./worker.ts", import.meta.url).pathname, ...args],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1", MEDCRYPT_QUEUE: "" },
      }).outputSync();
    const none = run([]);
    assert.equal(none.code, 2);
    assert.match(new TextDecoder().decode(none.stderr), /--redis URL is required/);
    const bad = run(["--redis", "redis://127.0.0.1:1", "--concurrency", "0"]);
    assert.match(new TextDecoder().decode(bad.stderr), /--concurrency 0: use a positive integer/);
    const down = run(["--redis", "redis://127.0.0.1:1", "--status"]);
    assert.equal(down.code, 2);
    assert.match(
      new TextDecoder().decode(down.stderr),
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  },
});
