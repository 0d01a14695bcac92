/**
 * The data tour's small CNN on PneumoniaMNIST: seeded training with Adam and `model.fit` over a
 * seeded permutation per epoch, and its test metrics at threshold 0.5.
 *
 * @example
 * ```ts
 * import { tourEpochs } from "./small_cnn.ts";
 * console.log(tourEpochs("quick"), tourEpochs("full")); // 4 20
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { Scale } from "../../report/types.ts";
import type { SplitSet } from "../../datasets/medmnist.ts";
import { toFloatBatch } from "../../datasets/splits.ts";
import { smallCnn } from "../../nn/models.ts";
import { rocAuc, type RocCurve, rocCurve } from "../../stats/roc.ts";
import { confusionMatrix } from "../../stats/classification.ts";
import { initBackend } from "../../nn/backend.ts";
import { Rng } from "../../core/random.ts";
import { progress } from "../../core/progress.ts";

/** What {@linkcode trainPneumoniaCnn} returns. */
export interface TrainedModel {
  /** Per-epoch training loss, training accuracy, validation loss and accuracy. */
  history: { epoch: number; loss: number; acc: number; valLoss: number; valAcc: number }[];
  /** Test-set metrics. */
  test: {
    accuracy: number;
    auc: number;
    sensitivity: number;
    specificity: number;
    n: number;
    roc: RocCurve;
  };
  /** Trainable parameters. */
  parameters: number;
  /** The tfjs backend used. */
  backend: string;
  /** Training wall time in seconds. */
  trainSeconds: number;
  /** Epochs run. */
  epochs: number;
}

/**
 * Trains a small CNN (conv 8 → pool → conv 16 → pool → dense 32 → 2) on the PneumoniaMNIST
 * training split with a seeded initialisation and seeded shuffling, and evaluates it on the test
 * split (accuracy, AUC, sensitivity, specificity at threshold 0.5).
 *
 * @param data the data set
 * @param options epochs, batch size, learning rate, seed
 * @returns history and test metrics
 * @example
 * ```ts ignore
 * import { trainPneumoniaCnn } from "./small_cnn.ts";
 * import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * const m = await trainPneumoniaCnn(await loadPneumoniaMNIST(), { epochs: 1, seed: 1 });
 * console.log(m.history.length, m.test.n); // 1 468
 * ```
 */
export async function trainPneumoniaCnn(
  data: SplitSet,
  options: { epochs?: number; batchSize?: number; learningRate?: number; seed: number },
): Promise<TrainedModel> {
  const backend = await initBackend();
  const epochs = options.epochs ?? 3;
  const batchSize = options.batchSize ?? 64;
  const seed = options.seed;
  const { height: h, width: w, channels: c } = data.train;
  const model = smallCnn([h, w, c], seed);
  model.compile({
    optimizer: tf.train.adam(options.learningRate ?? 2e-3),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  const parameters = model.countParams();
  const rng = new Rng(seed);
  const val = toFloatBatch(data.val, undefined, 2);
  const xVal = tf.tensor4d(val.x, val.shape);
  const yVal = tf.tensor2d(val.yOneHot, [val.shape[0], 2]);
  const history: TrainedModel["history"] = [];
  const bar = progress("train small CNN on PneumoniaMNIST", epochs);
  const t0 = performance.now();
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const b = toFloatBatch(data.train, rng.permutation(data.train.n), 2);
      const x = tf.tensor4d(b.x, b.shape);
      const y = tf.tensor2d(b.yOneHot, [b.shape[0], 2]);
      const res = await model.fit(x, y, {
        epochs: 1,
        batchSize,
        shuffle: false,
        validationData: [xVal, yVal],
        verbose: 0,
      });
      tf.dispose([x, y]);
      const last = (k: string) => Number(res.history[k]?.at(-1));
      const row = {
        epoch,
        loss: last("loss"),
        acc: last("acc") || last("accuracy"),
        valLoss: last("val_loss"),
        valAcc: last("val_acc") || last("val_accuracy"),
      };
      history.push(row);
      bar.tick({ loss: row.loss, valAcc: row.valAcc });
    }
  } finally {
    bar.done();
    tf.dispose([xVal, yVal]);
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const test = toFloatBatch(data.test, undefined, 2);
  const xTest = tf.tensor4d(test.x, test.shape);
  const probs = tf.tidy(() => (model.predict(xTest) as tf.Tensor).slice([0, 1], [-1, 1]).flatten());
  const p1 = await probs.data();
  tf.dispose([xTest, probs]);
  model.dispose();
  const n = test.y.length;
  const predicted = Uint8Array.from(p1, (p) => (p >= 0.5 ? 1 : 0));
  const [[tn, fp], [fn, tp]] = confusionMatrix(test.y, predicted, 2);
  const curve = rocCurve(p1, test.y);
  return {
    history,
    test: {
      accuracy: (tp + tn) / n,
      auc: rocAuc(p1, test.y),
      sensitivity: tp / ((tp + fn) || 1),
      specificity: tn / ((tn + fp) || 1),
      n,
      roc: curve,
    },
    parameters,
    backend,
    trainSeconds,
    epochs,
  };
}
/**
 * Epochs of the tour's small CNN at each scale.
 *
 * @param scale quick or full
 * @returns epochs
 * @example
 * ```ts
 * import { tourEpochs } from "./small_cnn.ts";
 * console.log(tourEpochs("quick")); // 4
 * ```
 */
export function tourEpochs(scale: Scale): number {
  return scale === "full" ? 20 : 4;
}
/**
 * The test metrics of a trained model as a table.
 *
 * @param m the trained model
 * @returns a table `metric`, `value`
 * @example
 * ```ts ignore
 * import { modelTable, trainPneumoniaCnn } from "./small_cnn.ts";
 * import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * const m = await trainPneumoniaCnn(await loadPneumoniaMNIST(), { epochs: 1, seed: 1 });
 * console.log(modelTable(m).get("metric", 0)); // test accuracy
 * ```
 */
export function modelTable(m: TrainedModel): ColumnTable {
  return aq.from([
    { metric: "test accuracy", value: m.test.accuracy },
    { metric: "test AUC", value: m.test.auc },
    { metric: "test sensitivity (pneumonia)", value: m.test.sensitivity },
    { metric: "test specificity (normal)", value: m.test.specificity },
    { metric: "test images", value: m.test.n },
    { metric: "epochs", value: m.epochs },
    { metric: "trainable parameters", value: m.parameters },
    { metric: "training seconds", value: m.trainSeconds },
    { metric: `backend: ${m.backend}`, value: 1 },
  ]);
}
