import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import { loadPneumoniaMNIST, subset } from "../datasets/mod.ts";
import { runMembershipAudit } from "./audit.ts";
import { budgetedAttacks, queryViews, viewOf } from "./budget.ts";

Deno.test("queryViews lists every mirror and shift once, identity first, nearest shifts next", () => {
  const all = queryViews(162);
  assert.equal(new Set(all.map((v) => JSON.stringify(v))).size, 162);
  assert.deepEqual(all[0], { flip: false, dx: 0, dy: 0 });
  assert.deepEqual(all[1], { flip: true, dx: 0, dy: 0 });
  const dist = all.map((v) => Math.hypot(v.dx, v.dy));
  assert.ok(dist.every((d, i) => i === 0 || d >= dist[i - 1]), "ordered by distance");
  assert.throws(() => queryViews(163), /from 1 to 162/);
  assert.throws(() => queryViews(0), /from 1 to 162/);
});

Deno.test("viewOf mirrors, then shifts with the border pixel filling the gap", () => {
  const set = {
    images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
    labels: Uint8Array.of(1),
    n: 1,
    height: 3,
    width: 3,
    channels: 1,
    labelWidth: 1,
  };
  assert.deepEqual(Array.from(viewOf(set, { flip: false, dx: 0, dy: 1 }).images), [
    1,
    2,
    3,
    1,
    2,
    3,
    4,
    5,
    6,
  ]);
  assert.deepEqual(Array.from(viewOf(set, { flip: true, dx: 0, dy: 0 }).images), [
    3,
    2,
    1,
    6,
    5,
    4,
    9,
    8,
    7,
  ]);
  assert.deepEqual(Array.from(set.images), [1, 2, 3, 4, 5, 6, 7, 8, 9], "input untouched");
});

Deno.test({
  name:
    "a budget of one query per target is the audit's own LiRA and RMIA; more views are counted as spent",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { train, test } = await loadPneumoniaMNIST();
    const pool = subset(train, new Rng(3).permutation(train.n).slice(0, 200));
    const audit = {
      pool,
      population: subset(test, Int32Array.from({ length: 100 }, (_, i) => i)),
      arch: "mlp" as const,
      train: { epochs: 2, batchSize: 50 },
      refModels: 2,
      seed: 11,
      quiet: true,
      cacheDir: await Deno.makeTempDir({ prefix: "medcrypt-budget-" }),
    };
    const full = await runMembershipAudit(audit);
    full.target.dispose();
    // every pool record attacked: the one-view scores are the audit's exactly
    const study = await budgetedAttacks({
      audit,
      budgets: [1, 2],
      unlimitedViews: 4,
      targets: pool.n,
      quiet: true,
    });
    assert.deepEqual(Array.from(study.members), Array.from(full.targetKeep));
    const row = (b: number | "unlimited", a: string) =>
      study.rows.find((r) => r.budget === b && r.attack === a)!;
    const auc = (name: string) => full.attacks.find((a) => a.attack.startsWith(name))!.metrics.auc;
    assert.equal(row(1, "LiRA online").metrics.auc, auc("LiRA online"));
    assert.equal(row(1, "RMIA").metrics.auc, auc("RMIA"));
    assert.equal(study.rows.length, 6);
    assert.deepEqual(
      study.rows.map((r) => [r.budget, r.viewsPerTarget, r.targetQueries]),
      [[1, 1, 200], [1, 1, 200], [2, 2, 400], [2, 2, 400], ["unlimited", 4, 800], [
        "unlimited",
        4,
        800,
      ]],
    );
    assert.equal(row(2, "RMIA").populationQueries, 100);
    assert.notEqual(row("unlimited", "LiRA online").metrics.auc, auc("LiRA online"));
    await Deno.remove(audit.cacheDir, { recursive: true });
  },
});
