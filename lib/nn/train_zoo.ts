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
import { loadPneumoniaMNIST } from "../datasets/medmnist.ts";
import { initBackend } from "./backend.ts";
import { chooseThreshold, evaluate, type Evaluation, labelsOf } from "./eval.ts";
import { type Arch, buildModel, type ModelOptions } from "./models.ts";
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
): { model: ModelOptions; train: Omit<TrainOptions, "validation" | "checkpointDir"> } {
  const full = scale === "full";
  const model: ModelOptions = { inputSize: 28, seed };
  if (arch === "resnet") model.width = full ? 16 : 8;
  if (arch === "densenet") model.width = full ? 12 : 8;
  if (arch === "vit") model.width = full ? 48 : 32;
  return {
    model,
    train: {
      epochs: full ? 30 : 10,
      batchSize: 64,
      learningRate: arch === "vit" ? 1e-3 : 3e-3,
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
    result = await fitZooModel(model, cfg, checkpointDir, ctx.quiet);
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
  cfg: ReturnType<typeof zooConfig>,
  checkpointDir: string | undefined,
  quiet?: boolean,
  onEpoch?: TrainOptions["onEpoch"],
): Promise<TrainResult> {
  const { train: tr, val } = await loadPneumoniaMNIST();
  return await train(model, tr, {
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
      ctx.cacheDir,
      true,
      (log, epochs) => ctx.progress(log.epoch / epochs),
    );
    const weights = encodeWeights(model);
    model.dispose();
    return { weights, result };
  },
};
