/**
 * The data tour's figures: the clinical modalities at their bit depth, their histograms,
 * PneumoniaMNIST samples, a CT over its data range, and the small CNN's learning curves and ROC.
 *
 * @example
 * ```ts
 * import { histogramsFigure } from "./figures.ts";
 * import { loadClinicalSamples } from "../../datasets/mod.ts";
 * const samples = await loadClinicalSamples();
 * console.log(histogramsFigure(samples).data.length === samples.length); // true
 * ```
 * @module
 */
import type { NamedFigure } from "../../report/types.ts";
import type { Figure } from "../../viz/types.ts";
import type { MedImage } from "../../image/types.ts";
import type { ClinicalSample } from "../../datasets/clinical.ts";
import { imageAt, type LabeledSet } from "../../datasets/medmnist.ts";
import { extent } from "../../stats/summary.ts";
import {
  binValues,
  imageFigure,
  imageGridFigure,
  lineFigure,
  rocFigure,
} from "../../viz/figures.ts";
import { CLASS_NAMES } from "./summary.ts";
import type { TrainedModel } from "./small_cnn.ts";

/**
 * One image of each kind of clinical file side by side, each coloured over its own full bit-depth
 * range (default) or over its own data range.
 *
 * @param samples the clinical samples
 * @param range `"bitDepth"` (black 0, white `2^bits − 1`) or `"data"` (black min, white max)
 * @returns the figure
 * @example
 * ```ts
 * import { modalitiesFigure } from "./figures.ts";
 * import { loadClinicalSamples } from "../../datasets/mod.ts";
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
 * import { histogramsFigure } from "./figures.ts";
 * import { loadClinicalSamples } from "../../datasets/mod.ts";
 * console.log(histogramsFigure(await loadClinicalSamples()).data.length); // one line per sample
 * ```
 */
export function histogramsFigure(samples: readonly ClinicalSample[], bins = 128): Figure {
  const series = samples.map((s) => {
    const full = 2 ** s.image.bitDepth;
    const h = binValues(s.image.data, bins, [0, full]);
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
 * import { pneumoniaSamplesFigure } from "./figures.ts";
 * import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * console.log(pneumoniaSamplesFigure((await loadPneumoniaMNIST()).train, 2).data.length); // 4
 * ```
 */
export function pneumoniaSamplesFigure(set: LabeledSet, perClass = 4): Figure {
  const panels: { title: string; image: MedImage }[] = [];
  for (const cls of [0, 1]) {
    let found = 0;
    for (let i = 0; i < set.n && found < perClass; i++) {
      if (set.labels[i * set.labelWidth] !== cls) continue;
      panels.push({
        title: `#${i} ${CLASS_NAMES[cls]}`,
        image: imageAt(set, i, { bitDepth: 8, modality: "X-ray" }),
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

/**
 * Figures of a trained model: learning curves and the test ROC (log–log).
 *
 * @param m the trained model
 * @param seed the seed used
 * @returns the learning curves and the test ROC
 * @example
 * ```ts
 * import { modelFigures } from "./figures.ts";
 * import { trainPneumoniaCnn } from "./small_cnn.ts";
 * import { loadPneumoniaMNIST, subset } from "../../datasets/mod.ts";
 * const data = await loadPneumoniaMNIST();
 * const small = { ...data, train: subset(data.train, [0, 1, 2, 3]) };
 * const m = await trainPneumoniaCnn(small, { epochs: 1, seed: 1 });
 * console.log(modelFigures(m, 1).trainingCurves.figure.data.length); // 4
 * ```
 */
export function modelFigures(
  m: TrainedModel,
  seed: number,
): { trainingCurves: NamedFigure; testRoc: NamedFigure } {
  const ep = m.history.map((r) => r.epoch);
  const params = { epochs: m.epochs, backend: m.backend, parameters: m.parameters };
  return {
    trainingCurves: {
      name: "training_curves",
      figure: lossAndAccuracy(lineFigure([
        { name: "train loss", x: ep, y: m.history.map((r) => r.loss), mode: "lines+markers" },
        { name: "val loss", x: ep, y: m.history.map((r) => r.valLoss), mode: "lines+markers" },
        { name: "train accuracy", x: ep, y: m.history.map((r) => r.acc), mode: "lines+markers" },
        { name: "val accuracy", x: ep, y: m.history.map((r) => r.valAcc), mode: "lines+markers" },
      ], { title: "Small CNN on PneumoniaMNIST", xTitle: "epoch", yTitle: "loss", params, seed })),
    },
    testRoc: {
      name: "test_roc",
      figure: rocFigure([{
        name: "small CNN, test split",
        fpr: Array.from(m.test.roc.fpr),
        tpr: Array.from(m.test.roc.tpr),
        auc: m.test.auc,
      }], { title: "Test ROC (log–log)", minRate: 1e-3, params, seed }),
    },
  };
}

/** Loss on the left axis, accuracy (the traces named "… accuracy") on its own right axis. */
function lossAndAccuracy(f: Figure): Figure {
  const data = f.data.map((t) => String(t.name).endsWith("accuracy") ? { ...t, yaxis: "y2" } : t);
  const layout = {
    ...f.layout,
    xaxis: { ...(f.layout.xaxis as object), dtick: 1 },
    yaxis2: {
      title: { text: "accuracy" },
      overlaying: "y",
      side: "right",
      range: [0, 1],
      showgrid: false,
    },
    margin: { l: 60, r: 60, t: 50, b: 50 },
    legend: { orientation: "h", y: -0.2 },
  };
  return { ...f, data, layout };
}

/**
 * A CT scan coloured over its data range, titled with whether it uses the full 12-bit range.
 *
 * @param ct a clinical CT sample
 * @returns the figure
 * @example
 * ```ts
 * import { ctRangeFigure } from "./figures.ts";
 * import { loadClinicalSamples } from "../../datasets/mod.ts";
 * const ct = (await loadClinicalSamples()).find((s) => s.name.startsWith("ct-"))!;
 * console.log(ctRangeFigure(ct).data.length); // 1
 * ```
 */
export function ctRangeFigure(ct: ClinicalSample): Figure {
  const used = (extent(ct.image.data).max + 1) / 4096 < 1 ? "not fully used" : "fully used";
  return imageFigure(ct.image, {
    range: "data",
    title: `${ct.name}: coloured over its data range (the 12-bit range is ${used})`,
  });
}
