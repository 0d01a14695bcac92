/**
 * The model zoo of paper A's comparison: ResNet-, DenseNet- and ViT-style classifiers trained on
 * the embedded PneumoniaMNIST train split with the validation split for early stopping, each
 * evaluated on the 468-image test split. Training is checkpointed under
 * `cacheDir/models/<arch>-<scale>-s<seed>` and resumes (or just loads) on a rerun.
 *
 * @example
 * ```ts ignore
 * import { trainZooModel } from "./train_zoo.ts";
 * const r = await trainZooModel("vit", { scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.params); // 19330
 * const { accuracy, auc } = r.evaluation; // on the test split
 * console.log(accuracy.toFixed(2), auc.toFixed(2)); // e.g. 0.85 0.93
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { type LabeledSet, loadPneumoniaMNIST, subset } from "../datasets/medmnist.ts";
import { seededSplit } from "../datasets/splits.ts";
import { initBackend } from "./backend.ts";
import { chooseThreshold, evaluate, type Evaluation, labelsOf } from "./eval.ts";
import { type Arch, buildModel, type ModelOptions, NAMED_ARCHS } from "./models.ts";
import {
  type AugmentOptions,
  setFingerprint,
  train,
  type TrainOptions,
  type TrainResult,
} from "./train.ts";
import { type EncodedWeights, encodeWeights, setEncodedWeights } from "./train_io.ts";
import { MedCryptError } from "../core/errors.ts";
import type { JobHandler, JobRunner } from "../jobs/types.ts";

/** The three paper-A architectures. */
export const ZOO_ARCHS: readonly Arch[] = ["resnet", "densenet", "vit"];

/** Size of a zoo run. */
export type ZooScale = "quick" | "full";

/**
 * Model and training settings of a zoo member at a scale.
 *
 * @param arch the architecture
 * @param scale quick (a few epochs) or full
 * @param seed seed of the weights and the shuffles
 * @returns builder options and training options (without data)
 * @example
 * ```ts
 * import { zooConfig } from "./train_zoo.ts";
 * console.log(zooConfig("vit", "quick", 1).train.epochs > 0); // true
 * ```
 */
export function zooConfig(
  arch: Arch,
  scale: ZooScale,
  seed: number,
): ZooConfig {
  const full = scale === "full";
  const model: ModelOptions = { inputSize: 28, seed };
  if (arch === "resnet") model.width = full ? 16 : 8;
  if (arch === "densenet") model.width = full ? 12 : 8;
  if (arch === "vit") model.width = full ? 48 : 32;
  const named = (NAMED_ARCHS as readonly Arch[]).includes(arch);
  return {
    model,
    // the quick recipe of a published network is a smoke run: one epoch on a seeded subset
    ...(named && !full ? { trainImages: NAMED_QUICK_IMAGES } : {}),
    train: {
      epochs: full ? 30 : named ? 1 : 10,
      // DenseNet-121's batch of 32 exhausts the wasm heap; the named networks share batch 16
      batchSize: named ? 16 : 64,
      // the published networks at MedMNIST v2's Adam rate (a smaller batch than the miniatures')
      learningRate: named || arch === "vit" ? 1e-3 : 3e-3,
      seed,
      patience: full ? 10 : 5,
      // chest X-rays: a horizontal flip, small shifts/rotations/zooms and exposure changes are
      // plausible acquisitions; vertical flips and large rotations are not
      augment: ZOO_AUGMENT,
      schedule: "cosine",
      labelSmoothing: 0.1,
      label: `train ${arch} (${scale})`,
    },
  };
}

/** Train images of a named network's quick (smoke) recipe. */
export const NAMED_QUICK_IMAGES = 48;

/** What {@linkcode zooConfig} returns. */
export interface ZooConfig {
  /** Builder options. */
  model: ModelOptions;
  /** Training options (without data). */
  train: Omit<TrainOptions, "validation" | "checkpointDir">;
  /** When set, training uses this many train images ({@linkcode zooTrainSet}); else all. */
  trainImages?: number;
}

/**
 * The train images a zoo recipe trains on: the whole embedded train split, or the seeded subset
 * of `trainImages` (the same on every machine, so a job's worker and a membership audit agree).
 *
 * @param train the embedded train split
 * @param cfg the recipe
 * @param seed the recipe's seed
 * @returns the images trained on and their indices in `train`
 * @example
 * ```ts
 * import { zooConfig, zooTrainSet } from "./train_zoo.ts";
 * import { type LabeledSet, loadPneumoniaMNIST, subset } from "../datasets/medmnist.ts";
import { seededSplit } from "../datasets/splits.ts";
 * const { train } = await loadPneumoniaMNIST();
 * console.log(zooTrainSet(train, zooConfig("vit-tiny", "quick", 1), 1).set.n); // 48
 * ```
 */
export function zooTrainSet(
  train: LabeledSet,
  cfg: ZooConfig,
  seed: number,
): { set: LabeledSet; indices: Int32Array } {
  if (cfg.trainImages === undefined || cfg.trainImages >= train.n) {
    return { set: train, indices: Int32Array.from({ length: train.n }, (_, i) => i) };
  }
  const [indices] = seededSplit(train.n, [cfg.trainImages / train.n], seed);
  return { set: subset(train, indices), indices };
}

/** The augmentation of the zoo's training: flips, ±2 px, ±10°, ±10% zoom, ±20% exposure. */
export const ZOO_AUGMENT: AugmentOptions = {
  shift: 2,
  flip: true,
  rotate: 10,
  zoom: 0.1,
  intensity: 0.2,
};

/** What {@linkcode trainZooModel} returns. */
export interface ZooModel {
  /** Architecture. */
  arch: Arch;
  /** The trained model (best validation loss). */
  model: tf.LayersModel;
  /** Training log. */
  result: TrainResult;
  /**
   * Evaluation on the 468-image test split; its `…AtThreshold` fields use `threshold`, chosen on
   * the validation split.
   */
  evaluation: Evaluation;
  /** Evaluation on the validation split (at its own chosen threshold). */
  validation: Evaluation;
  /** Decision threshold on P(pneumonia) maximising validation balanced accuracy. */
  threshold: number;
  /** Number of trainable parameters. */
  params: number;
  /** Where the checkpoint lives. */
  checkpointDir: string;
}

/**
 * Trains (or resumes, or loads) one zoo model and evaluates it on the test split.
 *
 * @param arch the architecture
 * @param ctx scale, seed and cache folder; with `jobs`, the training runs as a job there
 * @returns the {@linkcode ZooModel}
 * @example
 * ```ts ignore
 * import { trainZooModel } from "./train_zoo.ts";
 * const r = await trainZooModel("resnet", { scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.params); // 19882
 * console.log(r.checkpointDir); // data/cache/models/resnet-quick-s1
 * ```
 */
export async function trainZooModel(
  arch: Arch,
  ctx: { scale: ZooScale; seed: number; cacheDir: string; quiet?: boolean; jobs?: JobRunner },
): Promise<ZooModel> {
  await initBackend();
  const cfg = zooConfig(arch, ctx.scale, ctx.seed);
  const checkpointDir = join(ctx.cacheDir, "models", `${arch}-${ctx.scale}-s${ctx.seed}`);
  const model = buildModel(arch, cfg.model);
  let result: TrainResult;
  if (ctx.jobs) {
    const { train: tr } = await loadPneumoniaMNIST();
    const out = await ctx.jobs.submit<ZooModelResult>(
      ZOO_MODEL_JOB,
      {
        arch,
        scale: ctx.scale,
        seed: ctx.seed,
        data: setFingerprint(tr),
      } satisfies ZooModelPayload,
      { cache: checkpointDir },
    );
    setEncodedWeights(model, out.result.weights);
    result = out.result.result;
  } else {
    result = await fitZooModel(model, cfg, ctx.seed, checkpointDir, ctx.quiet);
  }
  const { val, test } = await loadPneumoniaMNIST();
  const onVal = evaluate(model, val);
  const threshold = chooseThreshold(onVal.probs, labelsOf(val));
  return {
    arch,
    model,
    result,
    evaluation: evaluate(model, test, { threshold }),
    validation: evaluate(model, val, { threshold }),
    threshold,
    params: model.countParams(),
    checkpointDir,
  };
}

async function fitZooModel(
  model: tf.LayersModel,
  cfg: ZooConfig,
  seed: number,
  checkpointDir: string | undefined,
  quiet?: boolean,
  onEpoch?: TrainOptions["onEpoch"],
): Promise<TrainResult> {
  const { train: all, val } = await loadPneumoniaMNIST();
  return await train(model, zooTrainSet(all, cfg, seed).set, {
    ...cfg.train,
    validation: val,
    checkpointDir,
    quiet,
    ...(onEpoch ? { onEpoch } : {}),
  });
}

/** The job kind that trains one zoo classifier. */
export const ZOO_MODEL_JOB = "zoo-model";

/** A zoo classifier as a job: architecture, scale and seed; the embedded data's fingerprint. */
export interface ZooModelPayload {
  /** Architecture. */
  arch: Arch;
  /** Scale of the recipe. */
  scale: ZooScale;
  /** Seed of weights and shuffles. */
  seed: number;
  /** Fingerprint of the embedded PneumoniaMNIST train split (checked on the worker). */
  data: string;
}

/** What a zoo-model job returns. */
export interface ZooModelResult {
  /** The trained weights (best validation loss). */
  weights: EncodedWeights;
  /** Its training log. */
  result: TrainResult;
}

/**
 * The handler of {@linkcode ZOO_MODEL_JOB}: trains (or resumes from the job's checkpoint folder)
 * and returns the weights and the training log.
 *
 * @example
 * ```ts
 * import { zooModelJob } from "./train_zoo.ts";
 * console.log(zooModelJob.kind); // zoo-model
 * ```
 */
export const zooModelJob: JobHandler<ZooModelPayload, ZooModelResult> = {
  kind: ZOO_MODEL_JOB,
  async run(p, ctx) {
    await initBackend();
    const { train: tr } = await loadPneumoniaMNIST();
    if (setFingerprint(tr) !== p.data) {
      throw new MedCryptError(
        "data-mismatch",
        `the embedded PneumoniaMNIST here (fingerprint ${setFingerprint(tr)}) is not the ` +
          `submitter's (${p.data})`,
      );
    }
    const cfg = zooConfig(p.arch, p.scale, p.seed);
    const model = buildModel(p.arch, cfg.model);
    const result = await fitZooModel(
      model,
      cfg,
      p.seed,
      ctx.cacheDir,
      true,
      (log, epochs) => ctx.progress(log.epoch / epochs),
    );
    const weights = encodeWeights(model);
    model.dispose();
    return { weights, result };
  },
};
