/**
 * The data tour (experiment `data`): every embedded modality as figures at its real bit depth,
 * intensity histograms, a summary table of the data, and a small CNN trained and evaluated on
 * PneumoniaMNIST. Used by `deno task reproduce --only data` and `notebooks/01_data.ipynb`; the
 * parts are exported so the notebooks can show them step by step.
 *
 * @example
 * ```ts ignore
 * import { runDataTour } from "./mod.ts";
 * const result = await runDataTour("quick", 1);
 * console.log(result.tables.summary.name, result.figures.testRoc.name); // data_summary test_roc
 * ```
 * @module
 */
import type {
  Experiment,
  ExperimentResult,
  NamedFigure,
  NamedTable,
  Scale,
} from "../../report/types.ts";
import { MedCryptError } from "../../core/errors.ts";
import { provenance } from "../../core/provenance.ts";
import { type ClinicalSample, loadClinicalSamples } from "../../datasets/clinical.ts";
import { loadPneumoniaMNIST, type SplitSet } from "../../datasets/medmnist.ts";
import { dataSummary, splitCounts } from "./summary.ts";
import {
  ctRangeFigure,
  histogramsFigure,
  modalitiesFigure,
  modelFigures,
  pneumoniaSamplesFigure,
} from "./figures.ts";
import { modelTable, tourEpochs, type TrainedModel, trainPneumoniaCnn } from "./small_cnn.ts";

export * from "./summary.ts";
export * from "./figures.ts";
export * from "./small_cnn.ts";

/** The data tour's tables and figures, one field each. */
export type DataTourResult = ExperimentResult<
  { summary: NamedTable; splits: NamedTable; smallCnn: NamedTable },
  {
    modalities: NamedFigure;
    modalitiesDataRange: NamedFigure;
    histograms: NamedFigure;
    pneumoniaSamples: NamedFigure;
    ctRange: NamedFigure;
    trainingCurves: NamedFigure;
    testRoc: NamedFigure;
  }
>;

/**
 * Runs the whole tour: loads the embedded data, summarises it, draws it, and trains and
 * evaluates the small CNN.
 *
 * @param scale quick (4 epochs) or full (20 epochs)
 * @param seed the seed
 * @returns tables, figures and notes
 * @example
 * ```ts ignore
 * import { runDataTour } from "./mod.ts";
 * const r = await runDataTour("quick", 1);
 * console.log(r.tables.smallCnn.table.numRows()); // 9
 * ```
 */
export async function runDataTour(scale: Scale, seed: number): Promise<DataTourResult> {
  const samples = await loadClinicalSamples();
  const pneumonia = await loadPneumoniaMNIST();
  const ct = samples.find((s) => s.name.startsWith("ct-"));
  if (!ct) throw new MedCryptError("missing-data", "the embedded clinical samples hold no CT scan");
  const model = await trainPneumoniaCnn(pneumonia, { epochs: tourEpochs(scale), seed });
  const figures = {
    modalities: { name: "modalities", figure: modalitiesFigure(samples) },
    modalitiesDataRange: {
      name: "modalities_data_range",
      figure: modalitiesFigure(samples, "data"),
    },
    histograms: { name: "histograms", figure: histogramsFigure(samples) },
    pneumoniaSamples: {
      name: "pneumoniamnist_samples",
      figure: pneumoniaSamplesFigure(pneumonia.train),
    },
    ctRange: { name: "ct_full_range_vs_data_range", figure: ctRangeFigure(ct) },
    ...modelFigures(model, seed),
  };
  const prov = provenance({ params: { scale, epochs: model.epochs }, seed });
  for (const f of Object.values(figures)) f.figure.provenance ??= prov;
  return {
    tables: {
      summary: {
        name: "data_summary",
        table: dataSummary(samples, pneumonia),
        caption: "Embedded data at their real bit depth",
      },
      splits: {
        name: "pneumoniamnist_splits",
        table: splitCounts(pneumonia),
        caption: "PneumoniaMNIST (embedded class-balanced subset): images per class",
      },
      smallCnn: {
        name: "small_cnn_test",
        table: modelTable(model),
        caption: `Small CNN on PneumoniaMNIST, seed ${seed}, ${scale} scale`,
      },
    },
    figures,
    notes: tourNotes(samples, pneumonia, model),
  };
}

function tourNotes(
  samples: readonly ClinicalSample[],
  pneumonia: SplitSet,
  model: TrainedModel,
): string[] {
  const pct = (x: number) => (100 * x).toFixed(1);
  const depths = [...new Set(samples.map((s) => s.image.bitDepth))].sort((a, b) => a - b);
  const { train, val, test } = pneumonia;
  return [
    `${samples.length} clinical images: bit depths ${depths.join(", ")}; ` +
    `PneumoniaMNIST ${train.n}/${val.n}/${test.n} train/val/test.`,
    `Small CNN (${model.parameters} parameters, ${model.epochs} epochs, ${model.backend}, ` +
    `${model.trainSeconds.toFixed(1)} s): test accuracy ${pct(model.test.accuracy)}%, ` +
    `AUC ${model.test.auc.toFixed(3)}, sensitivity ${pct(model.test.sensitivity)}%, ` +
    `specificity ${pct(model.test.specificity)}% on ${model.test.n} test images.`,
  ];
}

/** The experiments of this module. */
export const experiments: Experiment[] = [
  {
    name: "data",
    title: "Data tour: every modality at its bit depth, histograms, a small PneumoniaMNIST CNN",
    run: (ctx) => runDataTour(ctx.scale, ctx.seed),
  },
];
