import assert from "node:assert/strict";
import { canonicalJson, jobKey } from "./key.ts";
import { openSealed, runSealed } from "./execute.ts";
import { inProcessRunner, limiter } from "./local.ts";
import { threadRunner } from "./threads.ts";
import { openRunner } from "./select.ts";
import { redisConnection } from "./redis.ts";
import { handlers, type Waited } from "./testdata/handlers.ts";

const MODULE = new URL("./testdata/handlers.ts", import.meta.url).href;

Deno.test("job keys: canonical JSON, order-free, commit- and kind-sensitive", () => {
  assert.equal(
    canonicalJson({ b: [1, { y: 2, x: 1 }], a: "s" }),
    '{"a":"s","b":[1,{"x":1,"y":2}]}',
  );
  assert.equal(jobKey("k", { a: 1, b: 2 }, "c"), jobKey("k", { b: 2, a: 1 }, "c"));
  assert.notEqual(jobKey("k", { a: 1 }, "c"), jobKey("k", { a: 1 }, "d"));
  assert.notEqual(jobKey("k", { a: 1 }, "c"), jobKey("j", { a: 1 }, "c"));
  assert.notEqual(jobKey("k", { a: 1 }, "c"), jobKey("k", { a: 2 }, "c"));
  assert.match(jobKey("audit-model", {}, "c"), /^audit-model-[0-9a-f]{32}$/);
  for (const bad of [{ x: NaN }, { x: new Uint8Array(2) }, { x: () => 1 }, { x: Infinity }]) {
    assert.throws(() => canonicalJson(bad), { code: "bad-payload" });
  }
});

Deno.test("sealed results are checked against key, payload and commit", async () => {
  const key = jobKey("square", { x: 3 }, "c1");
  const sealed = await runSealed(handlers, {
    key,
    kind: "square",
    payload: { x: 3 },
    commit: "c1",
  });
  assert.equal(openSealed(sealed, key, { x: 3 }, "c1"), 9);
  assert.throws(() => openSealed(sealed, jobKey("square", { x: 4 }, "c1"), { x: 4 }, "c1"), {
    code: "result-mismatch",
  });
  assert.throws(() => openSealed({ ...sealed }, key, { x: 4 }, "c1"), /payload fingerprint/);
  assert.throws(() => openSealed(sealed, key, { x: 3 }, "c2"), /computed by commit c1/);
  assert.throws(() => openSealed(null, key, { x: 3 }, "c1"), /empty/);
  await assert.rejects(
    runSealed(handlers, { key, kind: "nope", payload: {}, commit: "c1" }),
    { code: "unknown-job-kind" },
  );
});

Deno.test("limiter runs at most n tasks at once, in submission order", async () => {
  const limit = limiter(2);
  let active = 0, peak = 0;
  const order: number[] = [];
  await Promise.all([0, 1, 2, 3, 4].map((i) =>
    limit(async () => {
      order.push(i);
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
    })
  ));
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

Deno.test("in-process runner: results, progress, a poisoned job fails with its error", async () => {
  const runner = inProcessRunner(handlers);
  const out = await runner.submit<number>("square", { x: 7 });
  assert.equal(out.result, 49);
  assert.equal(
    out.key,
    jobKey("square", { x: 7 }, (await import("../core/provenance.ts")).gitCommit()),
  );
  const seen: number[] = [];
  await runner.submit("wait", { ms: 1, tag: "a" }, { onProgress: (f) => seen.push(f) });
  assert.deepEqual(seen, [0.5]);
  await assert.rejects(
    runner.submit("poison", { why: "bad dose" }),
    (e: Error & { code: string }) => {
      assert.equal(e.code, "job-failed");
      assert.match(e.message, /poisoned payload: bad dose/);
      return true;
    },
  );
  const cache = await runner.submit<string>("cache-dir", {}, { cache: "data/cache/x" });
  assert.equal(cache.result, "data/cache/x");
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(runner.submit("square", { x: 1 }, { signal: ac.signal }), {
    code: "job-cancelled",
  });
  await runner.close();
});

Deno.test("thread runner: jobs spread over threads, cancellation and a dead thread are survived", async () => {
  const runner = threadRunner(MODULE, { threads: 2 });
  try {
    const outs = await Promise.all(
      ["a", "b"].map((tag) => runner.submit<Waited>("wait", { ms: 3000, tag })),
    );
    // the two jobs ran at the same time, on two threads
    const [a, b] = outs.map((o) => o.result);
    assert.ok(a.start < b.end && b.start < a.end, `no overlap: ${JSON.stringify([a, b])}`);
    assert.notEqual(outs[0].worker, outs[1].worker);
    assert.match(a.worker, /thread-\d$/);
    assert.equal(a.tag, "a");
    const ac = new AbortController();
    const slow = runner.submit("wait", { ms: 60_000, tag: "slow" }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(slow, { code: "job-cancelled" });
    await assert.rejects(runner.submit("crash", {}), { code: "job-thread" });
    await assert.rejects(runner.submit("poison", { why: "x" }), /poisoned payload: x/);
    // both threads still serve (the cancelled and the dead one were replaced)
    const after = await Promise.all([3, 4].map((x) => runner.submit<number>("square", { x })));
    assert.deepEqual(after.map((o) => o.result), [9, 16]);
  } finally {
    await runner.close();
  }
});

Deno.test("a bad handler module is reported, not hung on", async () => {
  const runner = threadRunner(new URL("./testdata/none.ts", import.meta.url).href, { threads: 1 });
  try {
    await assert.rejects(runner.submit("square", { x: 1 }), { code: "job-thread" });
  } finally {
    await runner.close();
  }
});

Deno.test("runner choice: names, URLs and mistakes", async () => {
  assert.equal((await openRunner("in-process", { module: MODULE, handlers })).name, "in-process");
  const t = await openRunner("threads:1", { module: MODULE, handlers });
  assert.equal(t.name, "1 thread");
  await t.close();
  await assert.rejects(openRunner("threads:0", { module: MODULE, handlers }), { code: "usage" });
  await assert.rejects(openRunner("amqp://x", { module: MODULE, handlers }), { code: "usage" });
  assert.deepEqual(
    { ...redisConnection("redis://u:p%40ss@10.0.0.2:7000/3") },
    {
      host: "10.0.0.2",
      port: 7000,
      db: 3,
      username: "u",
      password: "p@ss",
      maxRetriesPerRequest: null,
    },
  );
  assert.throws(() => redisConnection("http://x"), { code: "usage" });
  assert.throws(() => redisConnection("redis://x/abc"), { code: "usage" });
});
