/**
 * The data tour (experiment `data`): every embedded modality as figures at its real bit depth,
 * intensity histograms, a summary table of the data, and a small CNN trained and evaluated on
 * PneumoniaMNIST. Used by `deno task reproduce --only data` and `notebooks/01_data.ipynb`; the
 * parts are exported so the notebooks can show them step by step.
 *
 * @example
 * ```ts ignore
 * import { experiments } from "./data_tour.ts";
 * const result = await experiments[0].run({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(result.tables.map((t) => t.name));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { Experiment, ExperimentResult, NamedFigure, Scale } from "./types.ts";
import type { Figure } from "../viz/types.ts";
import type { MedImage } from "../image/types.ts";
import { medImage } from "../image/types.ts";
import { type ClinicalSample, loadClinicalSamples } from "../datasets/clinical.ts";
import {
  type LabeledSet,
  loadPneumoniaMNIST,
  PNEUMONIAMNIST_PATH,
  type SplitSet,
} from "../datasets/medmnist.ts";
import { toFloatBatch } from "../datasets/splits.ts";
import { initBackend } from "../nn/backend.ts";
import { Rng } from "../core/random.ts";
import { progress } from "../core/progress.ts";
import { provenance } from "../core/provenance.ts";
import { histogram, imageFigure, imageGridFigure, lineFigure, rocFigure } from "../viz/figures.ts";

const CLASS_NAMES = ["normal", "pneumonia"] as const;

/** One row of the data summary: what a file holds, at its real bit depth. */
export interface DataSummaryRow {
  /** Sample or data set name. */
  name: string;
  /** Modality code (DX, CT, MR) or `"mixed"`. */
  modality: string;
  /** Columns. */
  width: number;
  /** Rows. */
  height: number;
  /** Bit depth. */
  bitDepth: number;
  /** Number of images. */
  images: number;
  /** Smallest stored value. */
  min: number;
  /** Largest stored value. */
  max: number;
  /** Mean stored value. */
  mean: number;
  /** Share of the full `2^bitDepth` range that the values use, `(max − min + 1) / 2^bitDepth`. */
  rangeUsed: number;
  /** File, relative to the repository. */
  file: string;
}

function stats(data: ArrayLike<number>): { min: number; max: number; mean: number } {
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / data.length };
}

function relFile(path: string): string {
  const i = path.lastIndexOf("/data/");
  return i >= 0 ? path.slice(i + 1) : path;
}

/**
 * Summarises the clinical samples and PneumoniaMNIST as a table (one row per clinical file, one
 * per PneumoniaMNIST split).
 *
 * @param samples from `loadClinicalSamples()`
 * @param pneumonia from `loadPneumoniaMNIST()`
 * @returns an arquero table of {@linkcode DataSummaryRow}s
 * @example
 * ```ts
 * import { dataSummary } from "./data_tour.ts";
 * import { loadClinicalSamples, loadPneumoniaMNIST } from "../datasets/mod.ts";
 * const t = dataSummary(await loadClinicalSamples(), await loadPneumoniaMNIST());
 * console.log(t.numRows() > 3); // true
 * ```
 */
export function dataSummary(samples: readonly ClinicalSample[], pneumonia: SplitSet): ColumnTable {
  const rows: DataSummaryRow[] = samples.map((s) => {
    const st = stats(s.image.data);
    return {
      name: s.name,
      modality: s.image.modality ?? "?",
      width: s.image.width,
      height: s.image.height,
      bitDepth: s.image.bitDepth,
      images: 1,
      ...st,
      rangeUsed: (st.max - st.min + 1) / 2 ** s.image.bitDepth,
      file: relFile(s.path),
    };
  });
  for (const part of ["train", "val", "test"] as const) {
    const set = pneumonia[part];
    const st = stats(set.images);
    rows.push({
      name: `pneumoniamnist/${part}`,
      modality: "X-ray",
      width: set.width,
      height: set.height,
      bitDepth: 8,
      images: set.n,
      ...st,
      rangeUsed: (st.max - st.min + 1) / 256,
      file: relFile(pneumonia.source),
    });
  }
  return aq.from(rows);
}

/**
 * Counts the images of each class in each PneumoniaMNIST split.
 *
 * @param pneumonia the data set
 * @returns a table with columns `split`, `n`, `normal`, `pneumonia`
 * @example
 * ```ts
 * import { splitCounts } from "./data_tour.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * console.log(splitCounts(await loadPneumoniaMNIST()).objects()[0]);
 * ```
 */
export function splitCounts(pneumonia: SplitSet): ColumnTable {
  const rows = (["train", "val", "test"] as const).map((split) => {
    const set = pneumonia[split];
    let pos = 0;
    for (let i = 0; i < set.n; i++) if (set.labels[i * set.labelWidth] === 1) pos++;
    return { split, n: set.n, normal: set.n - pos, pneumonia: pos };
  });
  return aq.from(rows);
}

/**
 * One image of each kind of clinical file side by side, each coloured over its own full bit-depth
 * range (default) or over its own data range.
 *
 * @param samples the clinical samples
 * @param range `"bitDepth"` (black 0, white `2^bits − 1`) or `"data"` (black min, white max)
 * @returns the figure
 * @example
 * ```ts
 * import { modalitiesFigure } from "./data_tour.ts";
 * import { loadClinicalSamples } from "../datasets/mod.ts";
 * console.log(modalitiesFigure(await loadClinicalSamples()).data.length > 0); // true
 * ```
 */
export function modalitiesFigure(
  samples: readonly ClinicalSample[],
  range: "bitDepth" | "data" = "bitDepth",
): Figure {
  // One per kind: cxr, ct, mr-pelvis, mr-brain, and the DICOMs.
  const pick = (prefix: string) => samples.find((s) => s.name.startsWith(prefix));
  const chosen = [
    pick("cxr-"),
    pick("ct-"),
    pick("mr-pelvis"),
    pick("mr-brain"),
    pick("CT_"),
    pick(
      "MR_",
    ),
  ].filter((s): s is ClinicalSample => s !== undefined);
  return imageGridFigure(chosen.map((s) => ({ title: s.name, image: s.image })), {
    columns: 3,
    range,
    title: range === "bitDepth"
      ? "Embedded clinical images, each on its full bit-depth range (black 0, white 2^bits − 1)"
      : "The same images, each on its own data range (black min, white max)",
    params: { samples: chosen.map((s) => s.name), range },
  });
}

/**
 * Intensity histograms of the clinical samples on a common axis: value / (2^bitDepth − 1), so an
 * 8-bit radiograph and a 12-bit CT can be compared; the y axis is the fraction of pixels (log).
 *
 * @param samples the clinical samples
 * @param bins bins per histogram
 * @returns the figure
 * @example
 * ```ts
 * import { histogramsFigure } from "./data_tour.ts";
 * import { loadClinicalSamples } from "../datasets/mod.ts";
 * console.log(histogramsFigure(await loadClinicalSamples()).data.length); // one line per sample
 * ```
 */
export function histogramsFigure(samples: readonly ClinicalSample[], bins = 128): Figure {
  const series = samples.map((s) => {
    const full = 2 ** s.image.bitDepth;
    const h = histogram(s.image.data, bins, [0, full]);
    const n = s.image.data.length;
    return {
      name: `${s.name} (${s.image.bitDepth}-bit)`,
      x: h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2 / (full - 1)),
      y: h.counts.map((c) => (c > 0 ? c / n : NaN)),
      mode: "lines" as const,
    };
  });
  return lineFigure(series, {
    title: "Intensity histograms on the full range of each bit depth",
    xTitle: "stored value / (2^bits − 1)",
    yTitle: "fraction of pixels",
    logY: true,
    params: { bins },
  });
}

/**
 * A few PneumoniaMNIST training images of each class.
 *
 * @param set the training set
 * @param perClass images per class
 * @returns the figure
 * @example
 * ```ts
 * import { pneumoniaSamplesFigure } from "./data_tour.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * console.log(pneumoniaSamplesFigure((await loadPneumoniaMNIST()).train, 2).data.length); // 4
 * ```
 */
export function pneumoniaSamplesFigure(set: LabeledSet, perClass = 4): Figure {
  const panels: { title: string; image: MedImage }[] = [];
  const size = set.width * set.height * set.channels;
  for (const cls of [0, 1]) {
    let found = 0;
    for (let i = 0; i < set.n && found < perClass; i++) {
      if (set.labels[i * set.labelWidth] !== cls) continue;
      const data = set.images.slice(i * size, i * size + set.width * set.height);
      panels.push({
        title: `#${i} ${CLASS_NAMES[cls]}`,
        image: medImage(data, set.width, set.height, { bitDepth: 8, modality: "X-ray" }),
      });
      found++;
    }
  }
  return imageGridFigure(panels, {
    columns: perClass,
    maxSide: 28,
    title: "PneumoniaMNIST (28×28, 8-bit): top row normal, bottom row pneumonia",
    params: { perClass },
  });
}

/** Area under the ROC curve and the curve itself, for binary labels and scores. */
export interface Roc {
  /** False-positive rates, ascending from 0 to 1. */
  fpr: number[];
  /** True-positive rates. */
  tpr: number[];
  /** Area under the curve (trapezoids; ties handled by grouping equal scores). */
  auc: number;
}

/**
 * ROC curve of scores against 0/1 labels.
 *
 * @param labels 0/1 labels
 * @param scores higher means more likely 1
 * @returns the curve and its AUC
 * @example
 * ```ts
 * import { roc } from "./data_tour.ts";
 * console.log(roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).auc); // 0.75
 * ```
 */
export function roc(labels: ArrayLike<number>, scores: ArrayLike<number>): Roc {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) P++;
  const N = n - P;
  const fpr = [0], tpr = [0];
  let tp = 0, fp = 0, auc = 0;
  for (let k = 0; k < n;) {
    const s = scores[order[k]];
    let dtp = 0, dfp = 0;
    while (k < n && scores[order[k]] === s) {
      if (labels[order[k]] === 1) dtp++;
      else dfp++;
      k++;
    }
    const prevT = tp / (P || 1), prevF = fp / (N || 1);
    tp += dtp;
    fp += dfp;
    const t = tp / (P || 1), f = fp / (N || 1);
    auc += (f - prevF) * (t + prevT) / 2;
    fpr.push(f);
    tpr.push(t);
  }
  return { fpr, tpr, auc };
}

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
    roc: Roc;
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
 * import { trainPneumoniaCnn } from "./data_tour.ts";
 * import { loadPneumoniaMNIST } from "../datasets/mod.ts";
 * const m = await trainPneumoniaCnn(await loadPneumoniaMNIST(), { epochs: 1, seed: 1 });
 * console.log(m.test.accuracy);
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
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [h, w, c],
        filters: 8,
        kernelSize: 3,
        activation: "relu",
        padding: "same",
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({
        filters: 16,
        kernelSize: 3,
        activation: "relu",
        padding: "same",
        kernelInitializer: init(2),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, activation: "relu", kernelInitializer: init(3) }),
      tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: init(4) }),
    ],
  });
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
  let tp = 0, tn = 0, pos = 0;
  for (let i = 0; i < test.y.length; i++) {
    const pred = p1[i] >= 0.5 ? 1 : 0;
    if (test.y[i] === 1) {
      pos++;
      if (pred === 1) tp++;
    } else if (pred === 0) tn++;
  }
  const n = test.y.length;
  const r = roc(test.y, p1);
  return {
    history,
    test: {
      accuracy: (tp + tn) / n,
      auc: r.auc,
      sensitivity: tp / (pos || 1),
      specificity: tn / ((n - pos) || 1),
      n,
      roc: r,
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
 * import { tourEpochs } from "./data_tour.ts";
 * console.log(tourEpochs("quick")); // 4
 * ```
 */
export function tourEpochs(scale: Scale): number {
  return scale === "full" ? 20 : 4;
}

/**
 * Figures of a trained model: learning curves and the test ROC (log–log).
 *
 * @param m the trained model
 * @param seed the seed used
 * @returns named figures
 * @example
 * ```ts ignore
 * import { modelFigures, trainPneumoniaCnn } from "./data_tour.ts";
 * ```
 */
export function modelFigures(m: TrainedModel, seed: number): NamedFigure[] {
  const ep = m.history.map((r) => r.epoch);
  const params = { epochs: m.epochs, backend: m.backend, parameters: m.parameters };
  return [
    {
      name: "training_curves",
      figure: lineFigure([
        { name: "train loss", x: ep, y: m.history.map((r) => r.loss), mode: "lines+markers" },
        { name: "val loss", x: ep, y: m.history.map((r) => r.valLoss), mode: "lines+markers" },
        { name: "train accuracy", x: ep, y: m.history.map((r) => r.acc), mode: "lines+markers" },
        { name: "val accuracy", x: ep, y: m.history.map((r) => r.valAcc), mode: "lines+markers" },
      ], { title: "Small CNN on PneumoniaMNIST", xTitle: "epoch", params, seed }),
    },
    {
      name: "test_roc",
      figure: rocFigure([{
        name: "small CNN, test split",
        fpr: m.test.roc.fpr,
        tpr: m.test.roc.tpr,
        auc: m.test.auc,
      }], { title: "Test ROC (log–log)", minRate: 1e-3, params, seed }),
    },
  ];
}

/**
 * The test metrics of a trained model as a table.
 *
 * @param m the trained model
 * @returns a table `metric`, `value`
 * @example
 * ```ts ignore
 * import { modelTable } from "./data_tour.ts";
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

/**
 * Runs the whole tour.
 *
 * @param scale quick (4 epochs) or full (20 epochs)
 * @param seed the seed
 * @returns tables, figures and notes
 * @example
 * ```ts ignore
 * import { runDataTour } from "./data_tour.ts";
 * const r = await runDataTour("quick", 1);
 * ```
 */
export async function runDataTour(scale: Scale, seed: number): Promise<ExperimentResult> {
  const samples = await loadClinicalSamples();
  const pneumonia = await loadPneumoniaMNIST(PNEUMONIAMNIST_PATH);
  const ct = samples.find((s) => s.name.startsWith("ct-"));
  const figures: NamedFigure[] = [
    { name: "modalities", figure: modalitiesFigure(samples) },
    { name: "modalities_data_range", figure: modalitiesFigure(samples, "data") },
    { name: "histograms", figure: histogramsFigure(samples) },
    { name: "pneumoniamnist_samples", figure: pneumoniaSamplesFigure(pneumonia.train) },
  ];
  if (ct) {
    figures.push({
      name: "ct_full_range_vs_data_range",
      figure: imageFigure(ct.image, {
        range: "data",
        title: `${ct.name}: coloured over its data range (the 12-bit range is ${
          (stats(ct.image.data).max + 1) / 4096 < 1 ? "not fully used" : "fully used"
        })`,
      }),
    });
  }
  const model = await trainPneumoniaCnn(pneumonia, { epochs: tourEpochs(scale), seed });
  figures.push(...modelFigures(model, seed));
  const summary = dataSummary(samples, pneumonia);
  const notes = [
    `${samples.length} clinical images: bit depths ${
      [...new Set(samples.map((s) => s.image.bitDepth))].sort((a, b) => a - b).join(", ")
    }; PneumoniaMNIST ${pneumonia.train.n}/${pneumonia.val.n}/${pneumonia.test.n} train/val/test.`,
    `Small CNN (${model.parameters} parameters, ${model.epochs} epochs, ${model.backend}, ` +
    `${model.trainSeconds.toFixed(1)} s): test accuracy ${
      (100 * model.test.accuracy).toFixed(1)
    }%, AUC ${model.test.auc.toFixed(3)}, sensitivity ${
      (100 * model.test.sensitivity).toFixed(1)
    }%, specificity ${(100 * model.test.specificity).toFixed(1)}% on ${model.test.n} test images.`,
  ];
  const prov = provenance({ params: { scale, epochs: model.epochs }, seed });
  for (const f of figures) f.figure.provenance ??= prov;
  return {
    tables: [
      { name: "data_summary", table: summary, caption: "Embedded data at their real bit depth" },
      {
        name: "pneumoniamnist_splits",
        table: splitCounts(pneumonia),
        caption: "PneumoniaMNIST (embedded class-balanced subset): images per class",
      },
      {
        name: "small_cnn_test",
        table: modelTable(model),
        caption: `Small CNN on PneumoniaMNIST, seed ${seed}, ${scale} scale`,
      },
    ],
    figures,
    notes,
  };
}

/** The experiments of this module. */
export const experiments: Experiment[] = [
  {
    name: "data",
    title: "Data tour: every modality at its bit depth, histograms, a small PneumoniaMNIST CNN",
    run: (ctx) => runDataTour(ctx.scale, ctx.seed),
  },
];
