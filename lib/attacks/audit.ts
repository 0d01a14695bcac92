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
import { join } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import { progress } from "../core/progress.ts";
import { memberMask } from "../datasets/splits.ts";
import { type LabeledSet, subset } from "../datasets/medmnist.ts";
import { initBackend } from "../nn/backend.ts";
import { type Arch, buildModel, type ModelOptions } from "../nn/models.ts";
import { predictProbs, setFingerprint, train, type TrainOptions } from "../nn/train.ts";
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

/** Options of {@linkcode runMembershipAudit}. */
export interface AuditOptions {
  /** The pooled records; each model trains on a seeded half of them. */
  pool: LabeledSet;
  /** Population records that no model trains on (RMIA's z samples; e.g. the test split). */
  population: LabeledSet;
  /** Architecture of the target and reference models (small: `"cnn-tiny"`, `"mlp"`, `"he-cnn"`). */
  arch: Arch;
  /** Builder options (the seed is set per model). */
  modelOptions?: ModelOptions;
  /** Training options shared by every model (no validation: the models train to the end). */
  train: Omit<TrainOptions, "checkpointDir" | "label" | "seed" | "validation" | "patience">;
  /** Number of reference (= shadow) models. */
  refModels: number;
  /** Seed of the keep masks, weights and shuffles. */
  seed: number;
  /** Fraction of the pool each model trains on (default 0.5). */
  pKeep?: number;
  /** Where trained models are cached (`<cacheDir>/mia/...`); none = no cache. */
  cacheDir?: string;
  /** Post-processing of every released output (a defence such as rounding); default identity. */
  release?: (probs: Float32Array) => Float32Array;
  /** Train the target with these options instead (defences such as early stopping). */
  targetTrain?: Omit<TrainOptions, "checkpointDir" | "label" | "seed">;
  /** No progress output. */
  quiet?: boolean;
}

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

function indicesOf(mask: Uint8Array, value = 1): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === value) out.push(i);
  return Int32Array.from(out);
}

/**
 * Trains (or loads from cache) one model on the records of `keep`.
 *
 * @param pool the pooled records
 * @param keep which records it trains on
 * @param options architecture, builder and training options, seed, cache folder, name
 * @returns the trained model
 * @example
 * ```ts ignore
 * import { trainOnMask } from "./audit.ts";
 * import { memberMask } from "../datasets/splits.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * const { train } = await loadPneumoniaMNIST();
 * const keep = memberMask(train.n, 1, 0.5); // a seeded half of the records
 * const opts = { arch: "mlp" as const, train: { epochs: 2 }, seed: 1, name: "demo" };
 * const model = await trainOnMask(train, keep, opts); // trains: seconds to minutes
 * console.log(model.outputs[0].shape); // [ null, 2 ]
 * ```
 */
export async function trainOnMask(
  pool: LabeledSet,
  keep: Uint8Array,
  options: {
    arch: Arch;
    modelOptions?: ModelOptions;
    train: Omit<TrainOptions, "checkpointDir" | "label" | "seed">;
    seed: number;
    cacheDir?: string;
    name: string;
  },
): Promise<tf.LayersModel> {
  const model = buildModel(options.arch, { ...options.modelOptions, seed: options.seed });
  await train(model, subset(pool, indicesOf(keep)), {
    ...options.train,
    seed: options.seed,
    quiet: true,
    checkpointDir: options.cacheDir ? join(options.cacheDir, "mia", options.name) : undefined,
  });
  return model;
}

/** One model of an audit: what it trained on, and the model. */
export interface AuditModel {
  /** Its keep mask over the pool (1 = trained on). */
  keep: Uint8Array;
  /** The trained model (the caller disposes it). */
  model: tf.LayersModel;
}

/**
 * The target (`"target"`) or the `r`-th reference model of an audit, trained or loaded from the
 * audit's cache: the same keep mask, seed and cache entry as {@linkcode runMembershipAudit}, so a
 * later study (such as a query budget) attacks exactly the audited models.
 *
 * @param options the audit's options
 * @param which `"target"` or a reference model's index
 * @returns its keep mask and model
 * @example
 * ```ts ignore
 * import { auditModel } from "./audit.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * const { train, test } = await loadPneumoniaMNIST();
 * const options = { pool: train, population: test, arch: "mlp" as const, refModels: 2,
 *   train: { epochs: 2 }, seed: 1, cacheDir: "data/cache" };
 * const { keep, model } = await auditModel(options, 0); // loads from the cache when trained
 * console.log(keep.length === train.n, model.outputs[0].shape); // true [ null, 2 ]
 * ```
 */
export async function auditModel(
  options: AuditOptions,
  which: "target" | number,
): Promise<AuditModel> {
  const { pool, arch, seed, pKeep = 0.5 } = options;
  const tag = `${arch}-${setFingerprint(pool)}-p${pKeep}-s${seed}`;
  const isTarget = which === "target";
  const modelSeed = isTarget ? seed : seed + 1000 + which;
  const keep = memberMask(pool.n, modelSeed, pKeep);
  const name = isTarget
    ? `${tag}${
      options.targetTrain ? "-" + setHash(JSON.stringify(options.targetTrain)) : ""
    }/target`
    : `${tag}/ref-${which}`;
  const model = await trainOnMask(pool, keep, {
    arch,
    modelOptions: options.modelOptions,
    train: isTarget ? options.targetTrain ?? options.train : options.train,
    seed: modelSeed,
    cacheDir: options.cacheDir,
    name,
  });
  return { keep, model };
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
  const { model: target, keep: targetKeep } = await auditModel(options, "target");
  bar.tick({ model: "target" });
  const refKeep: Uint8Array[] = [];
  const refProbs: Float32Array[] = [];
  const refPop: Float32Array[] = [];
  for (let r = 0; r < refModels; r++) {
    const { model: m, keep } = await auditModel(options, r);
    refKeep.push(keep);
    refProbs.push(release(predictProbs(m, pool)));
    refPop.push(release(predictProbs(m, population)));
    m.dispose();
    bar.tick({ model: `ref ${r + 1}` });
  }
  bar.done();
  const rawTarget = predictProbs(target, pool);
  const targetProbs = release(rawTarget);
  const targetPop = release(predictProbs(target, population));
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
  const members = indicesOf(targetKeep);
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
        predictProbs(target, population),
        popLabels,
        Int32Array.from({ length: population.n }, (_, i) => i),
      ),
    },
    refModels,
    seconds: (performance.now() - t0) / 1000,
  };
}

function setHash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16);
}
