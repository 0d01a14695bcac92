/**
 * A membership-inference audit: members are drawn with a seeded keep mask from a pooled set (not
 * "train = member, test = non-member", which measures split bias), a target model and `K`
 * reference models (each on its own random half of the pool) are trained — and cached, so reruns
 * resume — and every attack of `mia.ts` is scored, with two controls that must come out at
 * chance: member-vs-member (the target's members split in two halves) and random scores.
 *
 * @example
 * ```ts ignore
 * import { runMembershipAudit } from "./audit.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * const { train, test } = await loadPneumoniaMNIST();
 * const audit = await runMembershipAudit({ pool: train, population: test, arch: "mlp", refModels: 4,
 *   train: { epochs: 10 }, seed: 1 });
 * console.log(audit.attacks.length, audit.controls.length); // 7 3
 * const rmia = audit.attacks.find((a) => a.attack === "RMIA")!;
 * console.log(rmia.metrics.auc.toFixed(2)); // e.g. 0.56 (0.50: no leakage)
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import { progress } from "../core/progress.ts";
import { memberMask } from "../datasets/splits.ts";
import type { LabeledSet } from "../datasets/medmnist.ts";
import type { JobOutcome } from "../jobs/mod.ts";
import { initBackend } from "../nn/backend.ts";
import {
  type AuditModel,
  auditModel,
  type AuditModelResult,
  type AuditOptions,
  maskIndices,
} from "./audit_model.ts";
import {
  confidenceScores,
  labelOnlyScores,
  lira,
  lossScores,
  randomScores,
  rmia,
  scaledLogits,
  shadowAttack,
} from "./mia.ts";
import {
  type AttackMetrics,
  attackMetrics,
  rocAuc,
  type RocCurve,
  rocCurve,
} from "../stats/roc.ts";

export {
  AUDIT_MODEL_JOB,
  type AuditModel,
  auditModel,
  auditModelJob,
  type AuditModelPayload,
  type AuditModelResult,
  type AuditOptions,
  trainOnMask,
} from "./audit_model.ts";

/** One attack's result. */
export interface AttackResult {
  /** Attack name. */
  attack: string;
  /** Headline metrics. */
  metrics: AttackMetrics;
  /** ROC curve. */
  curve: RocCurve;
  /** Per-record scores (higher = member), in pool order. */
  scores: Float64Array;
  /** Controls only: mean AUC over repeated random halvings (or random-score seeds). */
  meanAuc?: number;
}

/** How many halvings / seeds a control is averaged over. */
export const CONTROL_REPEATS = 25;

/** What {@linkcode runMembershipAudit} returns. */
export interface MembershipAudit {
  /** The target's keep mask over the pool (1 = member). */
  targetKeep: Uint8Array;
  /** Every attack on the full pool (members vs non-members). */
  attacks: AttackResult[];
  /** Controls that must be near AUC 0.5. */
  controls: AttackResult[];
  /**
   * Per-record membership risk: the online-LiRA posterior probability of membership with a
   * prior of `pKeep`, in pool order.
   */
  risk: Float64Array;
  /** The target model (its released outputs are what the attacks saw). */
  target: tf.LayersModel;
  /** Released outputs of the target on the pool (`n × classes`). */
  targetProbs: Float32Array;
  /** Target's training accuracy on its members and accuracy on the population. */
  targetAccuracy: { members: number; population: number };
  /** Number of reference models. */
  refModels: number;
  /** Seconds for the whole audit. */
  seconds: number;
  /** The jobs that trained the target (first) and the reference models, on a job runner. */
  jobs?: JobOutcome<AuditModelResult>[];
}

function accuracyOf(
  probs: Float32Array,
  labels: ArrayLike<number>,
  idx: ArrayLike<number>,
): number {
  let ok = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    if ((probs[2 * i + 1] > probs[2 * i] ? 1 : 0) === labels[i]) ok++;
  }
  return idx.length ? ok / idx.length : NaN;
}

function labelsOf(set: LabeledSet): Uint8Array {
  return Uint8Array.from({ length: set.n }, (_, i) => set.labels[i * set.labelWidth]);
}

function result(attack: string, scores: Float64Array, labels: Uint8Array): AttackResult {
  return {
    attack,
    scores,
    metrics: attackMetrics(scores, labels),
    curve: rocCurve(scores, labels),
  };
}

/**
 * Runs the full audit (see the module doc).
 *
 * @param options pool, population, architecture, training, number of reference models, seed,
 *   cache, release function
 * @returns the {@linkcode MembershipAudit}
 * @example
 * ```ts ignore
 * import { runMembershipAudit } from "./audit.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * const { train, test } = await loadPneumoniaMNIST();
 * const audit = await runMembershipAudit({ pool: train, population: test, arch: "mlp",
 *   refModels: 0, train: { epochs: 5 }, seed: 1, quiet: true }); // trains the target: minutes
 * console.log(audit.attacks.map((a) => a.attack)); // without reference models, three attacks:
 * // [ "loss threshold (Yeom)", "confidence (Yeom)", "label only" ]
 * console.log(audit.controls.map((c) => c.meanAuc!.toFixed(2))); // e.g. [ "0.50", "0.50" ]
 * ```
 */
export async function runMembershipAudit(options: AuditOptions): Promise<MembershipAudit> {
  const t0 = performance.now();
  const { pool, population, arch, refModels, seed, pKeep = 0.5 } = options;
  if (!(Number.isInteger(refModels) && refModels >= 0)) {
    throw new MedCryptError("bad-argument", `reference models must be ≥ 0, not ${refModels}`);
  }
  if (pool.n < 20) {
    throw new MedCryptError("bad-argument", `pool of ${pool.n} records is too small`);
  }
  await initBackend();
  const release = options.release ?? ((p: Float32Array) => p);
  const classes = 2;
  const labels = labelsOf(pool);
  const popLabels = labelsOf(population);
  const bar = options.quiet
    ? { tick() {}, done() {} }
    : progress(`MIA models (${arch})`, refModels + 1);
  // On a job runner every model is submitted at once (the runner decides how many run together);
  // here, one after another. Either way they are consumed in order, target first.
  const start = (which: "target" | number) =>
    auditModel(options, which, [pool, population]).then((m) => {
      bar.tick({ model: which === "target" ? "target" : `ref ${which + 1}` });
      return m;
    });
  const pending: Promise<AuditModel>[] | undefined = options.jobs
    ? [start("target"), ...Array.from({ length: refModels }, (_, r) => start(r))]
    : undefined;
  pending?.forEach((p) => p.catch(() => {})); // each is awaited below; a failure surfaces there
  const jobs: JobOutcome<AuditModelResult>[] = [];
  const next = async (i: number, which: "target" | number) => {
    const m = await (pending ? pending[i] : start(which));
    if (m.job) jobs.push(m.job);
    return m;
  };
  const { model: target, keep: targetKeep, probs: [rawTarget, rawTargetPop] } = await next(
    0,
    "target",
  );
  const refKeep: Uint8Array[] = [];
  const refProbs: Float32Array[] = [];
  const refPop: Float32Array[] = [];
  for (let r = 0; r < refModels; r++) {
    const { model: m, keep, probs: [onPool, onPop] } = await next(r + 1, r);
    refKeep.push(keep);
    refProbs.push(release(onPool));
    refPop.push(release(onPop));
    m.dispose();
  }
  bar.done();
  const targetProbs = release(rawTarget);
  const targetPop = release(rawTargetPop);
  const phiT = scaledLogits(targetProbs, labels, classes);
  const phiR = refProbs.map((p) => scaledLogits(p, labels, classes));
  const pyT = confidenceScores(targetProbs, labels, classes);
  const pyR = refProbs.map((p) => confidenceScores(p, labels, classes));
  const popT = confidenceScores(targetPop, popLabels, classes);
  const popR = refPop.map((p) => confidenceScores(p, popLabels, classes));
  const loss = lossScores(targetProbs, labels, classes);
  const scores: [string, Float64Array][] = [
    ["loss threshold (Yeom)", loss],
    ["confidence (Yeom)", pyT],
    ["label only", labelOnlyScores(targetProbs, labels, classes)],
  ];
  let online: Float64Array | undefined;
  if (refModels > 0) {
    online = lira(phiT, phiR, refKeep, { mode: "online", fixedVariance: true });
    scores.push(
      ["shadow models (Shokri)", shadowAttack(refProbs, refKeep, labels, classes, targetProbs)],
      ["LiRA online (fixed var)", online],
      [
        "LiRA offline (fixed var)",
        lira(phiT, phiR, refKeep, { mode: "offline", fixedVariance: true }),
      ],
      ["RMIA", rmia(pyT, pyR, refKeep, popT, popR, { mode: "online" })],
    );
  }
  const attacks = scores.map(([name, s]) => result(name, s, targetKeep));
  // Controls: member vs member (a seeded half of the target's members labelled "member"),
  // scored by the strongest attacks; and random scores. Each is also repeated over
  // CONTROL_REPEATS halvings / seeds and the mean AUC reported (one draw alone spreads by
  // about ±1/√(3·members)).
  const members = maskIndices(targetKeep);
  const pick = (s: Float64Array) => Float64Array.from(members, (i) => s[i]);
  const control = (name: string, s: Float64Array) => {
    const draws = Array.from(
      { length: CONTROL_REPEATS },
      (_, k) => memberMask(members.length, seed + 77 + k, 0.5),
    );
    const r = result(name, pick(s), draws[0]);
    r.meanAuc = draws.reduce((a, h) => a + rocAuc(pick(s), h), 0) / draws.length;
    return r;
  };
  const controls = [
    ...(online ? [control("control: member vs member, LiRA online", online)] : []),
    control("control: member vs member, loss", loss),
  ];
  const rnd = result("control: random scores", randomScores(pool.n, seed + 99), targetKeep);
  rnd.meanAuc = Array.from(
    { length: CONTROL_REPEATS },
    (_, k) => rocAuc(randomScores(pool.n, seed + 99 + k), targetKeep),
  ).reduce((a, b) => a + b, 0) / CONTROL_REPEATS;
  controls.push(rnd);
  const prior = Math.log(pKeep / (1 - pKeep));
  const risk = online
    ? Float64Array.from(online, (llr) => 1 / (1 + Math.exp(-(llr + prior))))
    : new Float64Array(pool.n).fill(NaN);
  return {
    targetKeep,
    attacks,
    controls,
    risk,
    target,
    targetProbs,
    targetAccuracy: {
      members: accuracyOf(rawTarget, labels, members),
      population: accuracyOf(
        rawTargetPop,
        popLabels,
        Int32Array.from({ length: population.n }, (_, i) => i),
      ),
    },
    refModels,
    seconds: (performance.now() - t0) / 1000,
    ...(options.jobs ? { jobs } : {}),
  };
}
