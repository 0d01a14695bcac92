/**
 * Membership inference under a query budget: what a per-client budget on a diagnostic service
 * (HTTP 429 when spent) takes from LiRA and RMIA. The attacker's reference models are trained
 * offline on its own data and cost no queries; what the budget limits is how many *views* of a
 * target record it may ask the service about. A budget of `b` queries per target lets it query
 * `b` views (the image, its mirror, shifts by up to `maxShift` pixels: {@linkcode queryViews}),
 * and LiRA sums its per-view log-likelihood ratios (Carlini et al. 2022, §VI: "multiple
 * queries") while RMIA averages its per-view scores. RMIA also needs the target's outputs on
 * population records; those queries are made once and shared by every target, and are counted
 * separately ({@linkcode BudgetRow.populationQueries}).
 *
 * @example
 * ```ts
 * import { queryViews, viewOf } from "./budget.ts";
 * const views = queryViews(3);
 * console.log(views.map((v) => `${v.flip ? "flip" : "id"} ${v.dx},${v.dy}`)); // [ "id 0,0", "flip 0,0", "id -1,0" ]
 * const set = { images: Uint8Array.from([1, 2, 3, 4]), labels: Uint8Array.of(0), n: 1,
 *   height: 2, width: 2, channels: 1, labelWidth: 1 };
 * console.log(Array.from(viewOf(set, views[1]).images)); // [ 2, 1, 4, 3 ]
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import { progress } from "../core/progress.ts";
import { type LabeledSet, subset } from "../datasets/medmnist.ts";
import { seededSplit } from "../datasets/splits.ts";
import { predictProbs } from "../nn/train.ts";
import { type AttackMetrics, attackMetrics } from "../stats/roc.ts";
import { auditModel, type AuditOptions } from "./audit.ts";
import { confidenceScores, lira, rmia, scaledLogits } from "./mia.ts";

/** One way of presenting a record to the model: mirrored or not, then shifted. */
export interface QueryView {
  /** Mirrored left–right first. */
  flip: boolean;
  /** Shift to the right in pixels (negative: left); the border pixel fills the gap. */
  dx: number;
  /** Shift down in pixels (negative: up). */
  dy: number;
}

/**
 * The first `count` views of a record, cheapest first: the image itself, its mirror, then shifts
 * in order of growing distance (each also mirrored). There are `2·(2·maxShift + 1)²` in all.
 *
 * @param count how many (at most `2·(2·maxShift + 1)²`)
 * @param maxShift largest shift in pixels (default 4: 162 views)
 * @returns the views, identity first
 * @example
 * ```ts
 * import { queryViews } from "./budget.ts";
 * console.log(queryViews(162).length, queryViews(1)[0]); // 162 { flip: false, dx: 0, dy: 0 }
 * ```
 */
export function queryViews(count: number, maxShift = 4): QueryView[] {
  const shifts: [number, number][] = [];
  for (let dy = -maxShift; dy <= maxShift; dy++) {
    for (let dx = -maxShift; dx <= maxShift; dx++) shifts.push([dx, dy]);
  }
  shifts.sort((a, b) =>
    Math.hypot(a[0], a[1]) - Math.hypot(b[0], b[1]) || a[1] - b[1] || a[0] - b[0]
  );
  const all = shifts.flatMap(([dx, dy]) => [{ flip: false, dx, dy }, { flip: true, dx, dy }]);
  if (!(Number.isInteger(count) && count >= 1 && count <= all.length)) {
    throw new MedCryptError(
      "bad-argument",
      `views must be a whole number from 1 to ${all.length} (shifts up to ${maxShift} px), not ${count}`,
    );
  }
  return all.slice(0, count);
}

/**
 * Every record of a set seen through one view.
 *
 * @param set the records
 * @param view mirror and shift
 * @returns a new set of the same size
 * @example
 * ```ts
 * import { viewOf } from "./budget.ts";
 * const set = { images: Uint8Array.from([1, 2, 3, 4]), labels: Uint8Array.of(0), n: 1,
 *   height: 2, width: 2, channels: 1, labelWidth: 1 };
 * console.log(Array.from(viewOf(set, { flip: false, dx: 1, dy: 0 }).images)); // [ 1, 1, 3, 3 ]
 * ```
 */
export function viewOf(set: LabeledSet, view: QueryView): LabeledSet {
  const { height: h, width: w, channels: ch } = set;
  const size = h * w * ch;
  const images = new Uint8Array(set.images.length);
  const clamp = (v: number, hi: number) => Math.min(hi - 1, Math.max(0, v));
  for (let i = 0; i < set.n; i++) {
    for (let y = 0; y < h; y++) {
      const sy = clamp(y - view.dy, h);
      for (let x = 0; x < w; x++) {
        let sx = clamp(x - view.dx, w);
        if (view.flip) sx = w - 1 - sx;
        for (let c = 0; c < ch; c++) {
          images[i * size + (y * w + x) * ch + c] = set.images[i * size + (sy * w + sx) * ch + c];
        }
      }
    }
  }
  return { ...set, images };
}

/** One row of {@linkcode budgetedAttacks}. */
export interface BudgetRow {
  /** The budget per target record, or `"unlimited"`. */
  budget: number | "unlimited";
  /** Attack name. */
  attack: string;
  /** Views queried per target (the budget, capped by the views there are). */
  viewsPerTarget: number;
  /** Queries spent on the targets (views × targets). */
  targetQueries: number;
  /** Population queries (RMIA only; made once, shared by every target). */
  populationQueries: number;
  /** The attack's metrics over the targets. */
  metrics: AttackMetrics;
}

/** Options of {@linkcode budgetedAttacks}. */
export interface BudgetOptions {
  /** The audit whose target and reference models are attacked (trained or loaded from its cache). */
  audit: AuditOptions;
  /** Finite budgets per target, ascending (default 1, 10, 100). */
  budgets?: number[];
  /** Views an unlimited attacker uses (default every view: 162). */
  unlimitedViews?: number;
  /** How many pool records are attacked (a seeded sample; default 500). */
  targets?: number;
  /** No progress bar. */
  quiet?: boolean;
}

/** What {@linkcode budgetedAttacks} returns. */
export interface BudgetStudy {
  /** One row per budget and attack, budgets ascending. */
  rows: BudgetRow[];
  /** Pool indices of the attacked records. */
  targets: Int32Array;
  /** 1 where the attacked record is a member of the target's training set. */
  members: Uint8Array;
}

/** Per-view φ (LiRA) and true-class probability (RMIA) of one model on the targets. */
function viewOutputs(model: tf.LayersModel, views: LabeledSet[], labels: Uint8Array) {
  const phi: Float64Array[] = [], py: Float64Array[] = [];
  for (const v of views) {
    const probs = predictProbs(model, v);
    phi.push(scaledLogits(probs, labels, 2));
    py.push(confidenceScores(probs, labels, 2));
  }
  return { phi, py };
}

function labelsOf(set: LabeledSet): Uint8Array {
  return Uint8Array.from({ length: set.n }, (_, i) => set.labels[i * set.labelWidth]);
}

/**
 * LiRA (online, fixed variance) and RMIA against the audit's target at each budget (see the
 * module doc). Needs at least one reference model.
 *
 * @param options the audit, budgets, number of targets
 * @returns the rows, the attacked records and their membership
 * @example
 * ```ts ignore
 * import { budgetedAttacks } from "./budget.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * const { train, test } = await loadPneumoniaMNIST();
 * const audit = { pool: train, population: test, arch: "mlp" as const, refModels: 4,
 *   train: { epochs: 5 }, seed: 1, cacheDir: "data/cache" };
 * const { rows } = await budgetedAttacks({ audit, budgets: [1, 10] }); // trains 5 models: minutes
 * console.log(rows.map((r) => `${r.budget} ${r.attack} ${r.metrics.auc.toFixed(2)}`));
 * ```
 */
export async function budgetedAttacks(options: BudgetOptions): Promise<BudgetStudy> {
  const { audit, budgets = [1, 10, 100], targets: count = 500 } = options;
  const unlimited = options.unlimitedViews ?? 162;
  if (audit.refModels < 1) {
    throw new MedCryptError("bad-argument", "a budgeted attack needs ≥ 1 reference model");
  }
  if (budgets.some((b, i) => !(Number.isInteger(b) && b >= 1) || (i > 0 && b <= budgets[i - 1]))) {
    throw new MedCryptError("bad-argument", `budgets must be ascending whole numbers ≥ 1`);
  }
  const views = queryViews(unlimited);
  const n = audit.pool.n;
  const [targets] = seededSplit(n, [Math.min(count, n) / n], audit.seed + 31);
  const records = subset(audit.pool, targets);
  const labels = labelsOf(records), popLabels = labelsOf(audit.population);
  const viewSets = views.map((v) => viewOf(records, v));
  const bar = options.quiet
    ? { tick() {}, done() {} }
    : progress("budgeted MIA (models)", audit.refModels + 1);
  const outputsOf = async (which: "target" | number) => {
    const { model, keep } = await auditModel(audit, which);
    const out = {
      ...viewOutputs(model, viewSets, labels),
      pop: confidenceScores(predictProbs(model, audit.population), popLabels, 2),
      keep: Uint8Array.from(targets, (i) => keep[i]),
    };
    model.dispose();
    bar.tick({ model: String(which) });
    return out;
  };
  const target = await outputsOf("target");
  const refs = [];
  for (let r = 0; r < audit.refModels; r++) refs.push(await outputsOf(r));
  bar.done();
  const refKeep = refs.map((r) => r.keep);
  const rows: BudgetRow[] = [];
  for (const budget of [...budgets, "unlimited" as const]) {
    const v = budget === "unlimited" ? unlimited : Math.min(budget, unlimited);
    const liraScore = new Float64Array(records.n), rmiaScore = new Float64Array(records.n);
    for (let k = 0; k < v; k++) {
      const l = lira(target.phi[k], refs.map((r) => r.phi[k]), refKeep, {
        mode: "online",
        fixedVariance: true,
      });
      const m = rmia(
        target.py[k],
        refs.map((r) => r.py[k]),
        refKeep,
        target.pop,
        refs.map((r) => r.pop),
      );
      for (let i = 0; i < records.n; i++) {
        liraScore[i] += l[i];
        rmiaScore[i] += m[i] / v;
      }
    }
    const common = { budget, viewsPerTarget: v, targetQueries: v * records.n };
    rows.push(
      {
        ...common,
        attack: "LiRA online",
        populationQueries: 0,
        metrics: attackMetrics(liraScore, target.keep),
      },
      {
        ...common,
        attack: "RMIA",
        populationQueries: audit.population.n,
        metrics: attackMetrics(rmiaScore, target.keep),
      },
    );
  }
  return { rows, targets, members: target.keep };
}
