/**
 * One model of a membership audit — the target or a reference model — trained on its seeded half
 * of the pool, here or as a job ({@linkcode AUDIT_MODEL_JOB}) on any {@linkcode JobRunner}: the
 * same payload gives bit-identical weights wherever it runs (the seed travels in the payload, and
 * the training is deterministic whatever the wasm thread count).
 *
 * @example
 * ```ts ignore
 * import { auditModel } from "./audit_model.ts";
 * import { inProcessRunner } from "../jobs/mod.ts";
 * const { model, job } = await auditModel({ ...options, jobs: inProcessRunner([auditModelJob]) }, 0);
 * console.log(job!.result.weights.sha256.length); // 64
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import type { JobHandler, JobOutcome, JobRunner } from "../jobs/mod.ts";
import { memberMask } from "../datasets/splits.ts";
import {
  type LabeledSet,
  loadSetOrigin,
  type SetOrigin,
  setOrigin,
  subset,
} from "../datasets/medmnist.ts";
import { backendInfo, initBackend } from "../nn/backend.ts";
import { type Arch, buildModel, type ModelOptions } from "../nn/models.ts";
import { predictProbs, setFingerprint, train, type TrainOptions } from "../nn/train.ts";
import { type EncodedWeights, encodeWeights, setEncodedWeights } from "../nn/train_io.ts";

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
  /**
   * Where the target and reference models train: a job runner (in process, job threads, or
   * BullMQ workers on other machines). None: one after another in this thread. Needs a `pool`
   * loaded from a file (see `setOrigin`), since jobs name their data rather than carry it.
   */
  jobs?: JobRunner;
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
  await train(model, subset(pool, maskIndices(keep)), {
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
  /** The job that trained it, when the audit ran on a job runner. */
  job?: JobOutcome<AuditModelResult>;
  /** Its output probabilities (`n × classes`) on each set asked for, in order. */
  probs: Float32Array[];
}

/**
 * The target (`"target"`) or the `r`-th reference model of an audit, trained or loaded from the
 * audit's cache: the same keep mask, seed and cache entry as {@linkcode runMembershipAudit}, so a
 * later study (such as a query budget) attacks exactly the audited models.
 *
 * @param options the audit's options (with `jobs`, the model trains as a job there)
 * @param which `"target"` or a reference model's index
 * @param predictOn sets to compute its output probabilities on (on the worker, with jobs)
 * @returns its keep mask, model and those probabilities
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
  predictOn: readonly LabeledSet[] = [],
): Promise<AuditModel> {
  const plan = modelPlan(options, which);
  if (!options.jobs) {
    const model = await trainOnMask(options.pool, plan.keep, {
      arch: options.arch,
      modelOptions: options.modelOptions,
      train: plan.train,
      seed: plan.seed,
      cacheDir: options.cacheDir,
      name: plan.name,
    });
    return { keep: plan.keep, model, probs: predictOn.map((s) => predictProbs(model, s)) };
  }
  // The worker also computes the outputs the audit needs: predictions run in parallel too.
  const payload = {
    ...auditModelPayload(options, plan),
    ...(predictOn.length ? { predict: predictOn.map((s) => nameSet(s, "prediction set")) } : {}),
  };
  const out = await options.jobs.submit<AuditModelResult>(AUDIT_MODEL_JOB, payload, {
    cache: options.cacheDir,
  });
  await initBackend();
  const model = buildModel(options.arch, { ...options.modelOptions, seed: plan.seed });
  setEncodedWeights(model, out.result.weights);
  const probs = (out.result.probs ?? []).map(decodeFloats);
  if (probs.length !== predictOn.length) {
    throw new MedCryptError(
      "result-mismatch",
      `job ${out.key} returned ${probs.length} prediction sets, not ${predictOn.length}`,
    );
  }
  return { keep: plan.keep, model, job: out, probs };
}

function encodeFloats(x: Float32Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("base64");
}

function decodeFloats(b64: string): Float32Array {
  const bytes = new Uint8Array(Buffer.from(b64, "base64"));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

interface ModelPlan {
  keep: Uint8Array;
  seed: number;
  name: string;
  train: Omit<TrainOptions, "checkpointDir" | "label" | "seed">;
}

/** Keep mask, seed, cache name and training options of an audit's model. */
function modelPlan(options: AuditOptions, which: "target" | number): ModelPlan {
  const { pool, arch, seed, pKeep = 0.5 } = options;
  const tag = `${arch}-${setFingerprint(pool)}-p${pKeep}-s${seed}`;
  const isTarget = which === "target";
  const modelSeed = isTarget ? seed : seed + 1000 + which;
  const suffix = options.targetTrain ? "-" + setHash(JSON.stringify(options.targetTrain)) : "";
  return {
    keep: memberMask(pool.n, modelSeed, pKeep),
    seed: modelSeed,
    name: isTarget ? `${tag}${suffix}/target` : `${tag}/ref-${which}`,
    train: isTarget ? options.targetTrain ?? options.train : options.train,
  };
}

/** A data set as a job names it: its file and part, with a fingerprint checked on the worker. */
export type NamedSet = SetOrigin & { fingerprint: string; n: number };

function nameSet(set: LabeledSet, role: string): NamedSet {
  const origin = setOrigin(set);
  if (!origin) {
    throw new MedCryptError(
      "bad-argument",
      `an audit on a job runner needs its ${role} loaded from a file (loadMedMNIST or ` +
        "loadPneumoniaMNIST): jobs name their data, they do not carry it",
    );
  }
  return { ...origin, fingerprint: setFingerprint(set), n: set.n };
}

const sets = new Map<string, Promise<LabeledSet>>();

/** Loads a named set from this checkout (once per thread) and checks it is the submitter's. */
async function loadNamedSet(named: NamedSet): Promise<LabeledSet> {
  const id = `${named.file}#${named.split}`;
  if (!sets.has(id)) sets.set(id, loadSetOrigin(named));
  const set = await sets.get(id)!;
  const found = setFingerprint(set);
  if (found !== named.fingerprint || set.n !== named.n) {
    throw new MedCryptError(
      "data-mismatch",
      `the ${named.split} part here (${set.n} records, fingerprint ${found}) is not the ` +
        `submitter's (${named.n}, ${named.fingerprint})`,
      { file: named.file },
    );
  }
  return set;
}

/** The job kind that trains one model of a membership audit. */
export const AUDIT_MODEL_JOB = "audit-model";

/**
 * One model of an audit as a job: the pool is named (file, part, fingerprint), never sent; the
 * keep mask is drawn on the worker from `seed` and `pKeep` exactly as here.
 */
export interface AuditModelPayload {
  /** The pooled records: where they come from and their fingerprint. */
  pool: NamedSet;
  /** Architecture. */
  arch: Arch;
  /** Builder options (the seed is `seed`). */
  modelOptions?: ModelOptions;
  /** Training options (a validation set, for early stopping, is named in `validation`). */
  train: Omit<TrainOptions, "checkpointDir" | "label" | "seed" | "validation">;
  /** The validation set of early stopping, named like the pool. */
  validation?: NamedSet;
  /** The model's seed: weights, shuffles and its keep mask. */
  seed: number;
  /** Fraction of the pool it trains on. */
  pKeep: number;
  /** Its checkpoint name under the cache (`mia/<name>`). */
  name: string;
  /** Sets to compute its output probabilities on (returned in `probs`). */
  predict?: NamedSet[];
}

/** What an audit-model job returns. */
export interface AuditModelResult {
  /** The trained weights (their SHA-256 tells bit-identical runs apart). */
  weights: EncodedWeights;
  /** The tfjs backend that trained it, e.g. `wasm+simd`, and its thread count. */
  backend: string;
  /** Threads of that backend. */
  threads: number;
  /** Seconds of training and prediction. */
  seconds: number;
  /** Float32 probabilities on each `predict` set (base64, little-endian). */
  probs?: string[];
}

function auditModelPayload(options: AuditOptions, plan: ModelPlan): AuditModelPayload {
  const { validation, ...train } = plan.train;
  return {
    pool: nameSet(options.pool, "pool"),
    arch: options.arch,
    ...(options.modelOptions ? { modelOptions: options.modelOptions } : {}),
    train,
    ...(validation ? { validation: nameSet(validation, "validation set") } : {}),
    seed: plan.seed,
    pKeep: options.pKeep ?? 0.5,
    name: plan.name,
  };
}

/**
 * The handler of {@linkcode AUDIT_MODEL_JOB}: loads the named pool from this checkout, checks its
 * fingerprint, trains (or resumes from the job's checkpoint folder) and returns the weights.
 *
 * @example
 * ```ts
 * import { auditModelJob } from "./audit_model.ts";
 * console.log(auditModelJob.kind); // audit-model
 * ```
 */
export const auditModelJob: JobHandler<AuditModelPayload, AuditModelResult> = {
  kind: AUDIT_MODEL_JOB,
  async run(p, ctx) {
    const backend = await initBackend();
    const pool = await loadNamedSet(p.pool);
    const validation = p.validation ? await loadNamedSet(p.validation) : undefined;
    const t0 = performance.now();
    const model = await trainOnMask(pool, memberMask(pool.n, p.seed, p.pKeep), {
      arch: p.arch,
      modelOptions: p.modelOptions,
      train: {
        ...p.train,
        ...(validation ? { validation } : {}),
        onEpoch: (log, epochs) => ctx.progress(log.epoch / epochs),
      },
      seed: p.seed,
      cacheDir: ctx.cacheDir,
      name: p.name,
    });
    const weights = encodeWeights(model);
    const probs: string[] = [];
    for (const named of p.predict ?? []) {
      probs.push(encodeFloats(predictProbs(model, await loadNamedSet(named))));
    }
    model.dispose();
    const info = backendInfo();
    return {
      weights,
      backend: backend === "wasm" ? `wasm${info.simd ? "+simd" : ""}` : backend,
      threads: info.threads,
      seconds: (performance.now() - t0) / 1000,
      ...(p.predict ? { probs } : {}),
    };
  },
};

/**
 * The records a mask selects.
 *
 * @param mask 0/1 per record
 * @param value which value to select (default 1)
 * @returns their indices, ascending
 * @example
 * ```ts
 * import { maskIndices } from "./audit_model.ts";
 * console.log([...maskIndices(Uint8Array.from([1, 0, 1]))]); // [ 0, 2 ]
 * ```
 */
export function maskIndices(mask: Uint8Array, value = 1): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === value) out.push(i);
  return Int32Array.from(out);
}

function setHash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16);
}
