/**
 * The classifiers paper A names (ResNet-, DenseNet- and ViT-style), trained or loaded from the
 * cache and evaluated on the 468-image PneumoniaMNIST test split at 0.5 and at a threshold chosen
 * on the validation split, with their ensemble (experiment `paper-a-models`).
 *
 * @example
 * ```ts
 * import { modelRow } from "./models.ts";
 * import { evaluateProbs } from "../../nn/eval.ts";
 * const e = evaluateProbs(Float32Array.from([0.9, 0.1, 0.2, 0.8]), Uint8Array.from([0, 1]));
 * console.log(modelRow("toy", e, {})["test accuracy @0.5"]); // 1
 * ```
 * @module
 */
import * as aq from "arquero";
import { provenance } from "../../core/provenance.ts";
import { loadPneumoniaMNIST } from "../../datasets/medmnist.ts";
import { chooseThreshold, evaluateProbs, type Evaluation, labelsOf } from "../../nn/eval.ts";
import type { Arch } from "../../nn/models.ts";
import { predictProbs } from "../../nn/train.ts";
import { trainZooModel, ZOO_ARCHS, zooConfig } from "../../nn/train_zoo.ts";
import type {
  ExperimentContext,
  ExperimentResult,
  NamedFigure,
  NamedTable,
} from "../../report/types.ts";
import { reliabilityFigure } from "../../viz/evaluation.ts";

/** A row of the `models` table: the model's own columns, then its evaluation. */
export type ModelRow = Record<string, unknown> & { model: string };

/**
 * @param name the model
 * @param e its test evaluation
 * @param extra columns placed after the name (seed, parameters, training)
 * @returns the table row
 * @example
 * ```ts
 * import { modelRow } from "./models.ts";
 * import { evaluateProbs } from "../../nn/eval.ts";
 * const e = evaluateProbs(Float32Array.from([0.9, 0.1, 0.2, 0.8]), Uint8Array.from([0, 1]));
 * console.log(modelRow("toy", e, { seed: 1 }).seed); // 1
 * ```
 */
export function modelRow(name: string, e: Evaluation, extra: Record<string, unknown>): ModelRow {
  return {
    model: name,
    ...extra,
    "test accuracy @0.5": e.accuracy,
    "val-chosen threshold": e.threshold,
    "test accuracy @val threshold": e.accuracyAtThreshold,
    "test AUC": e.auc,
    "AUC low": e.aucLow,
    "AUC high": e.aucHigh,
    "balanced accuracy @0.5": e.balancedAccuracy,
    ECE: e.ece,
    Brier: e.brier,
    "TN FP FN TP @0.5": e.confusion.flat().join(" "),
    "TN FP FN TP @val threshold": e.confusionAtThreshold.flat().join(" "),
    "meets goal @0.5 (acc ≥ 0.90, AUC ≥ 0.95)": e.accuracy >= 0.9 && e.auc >= 0.95,
    "meets goal @val threshold": e.accuracyAtThreshold >= 0.9 && e.auc >= 0.95,
  };
}

/** The columns notebooks show of the `models` table. */
export const MODELS_HEADLINE: readonly string[] = [
  "model",
  "seed",
  "test accuracy @0.5",
  "val-chosen threshold",
  "test accuracy @val threshold",
  "test AUC",
  "AUC low",
  "AUC high",
];

/** What the classifiers' evaluation returns: one table, one figure, and the typed rows. */
export interface PaperAModelsResult
  extends ExperimentResult<{ models: NamedTable }, { reliability: NamedFigure }> {
  /** `models`: accuracy, AUC and calibration per classifier (and the ensemble). */
  tables: { models: NamedTable };
  /** `reliability_models`: the reliability diagram. */
  figures: { reliability: NamedFigure };
  /** The table's rows. */
  rows: ModelRow[];
}

/** Rows and evaluations of the trained classifiers, and their probabilities for an ensemble. */
interface Trained {
  rows: ModelRow[];
  evals: { name: string; evaluation: Evaluation }[];
  valP: Float32Array[];
  testP: Float32Array[];
}

async function trainAll(ctx: ExperimentContext, archs: readonly Arch[]): Promise<Trained> {
  const { val, test } = await loadPneumoniaMNIST();
  const out: Trained = { rows: [], evals: [], valP: [], testP: [] };
  const zoo = (arch: Arch) =>
    trainZooModel(arch, {
      scale: ctx.scale,
      seed: ctx.seed,
      cacheDir: ctx.cacheDir,
      jobs: ctx.jobs,
    });
  // on a job runner every classifier is submitted at once and they train side by side
  const trained = ctx.jobs ? archs.map(zoo) : undefined;
  trained?.forEach((p) => p.catch(() => {})); // awaited in order below
  for (const [i, arch] of archs.entries()) {
    const z = await (trained ? trained[i] : zoo(arch));
    const e = z.evaluation;
    out.rows.push(modelRow(arch, e, {
      seed: ctx.seed,
      parameters: z.params,
      epochs: z.result.history.length,
      "best epoch": z.result.bestEpoch,
      "val accuracy @0.5": z.validation.accuracy,
      "val AUC": z.validation.auc,
      "training s (this run)": z.result.seconds,
    }));
    out.evals.push({ name: arch, evaluation: e });
    out.valP.push(predictProbs(z.model, val));
    out.testP.push(predictProbs(z.model, test));
    z.model.dispose();
  }
  return out;
}

/**
 * Trains (or loads) the classifiers, evaluates each, and adds the ensemble (mean probability of
 * all, its threshold also chosen on validation) when there is more than one.
 *
 * @param ctx scale, seed, cache folder
 * @param archs the classifiers
 * @returns the table, the reliability figure, notes and rows
 * @example
 * ```ts ignore
 * import { runPaperAModels } from "./models.ts";
 * const r = await runPaperAModels({ scale: "quick", seed: 1, cacheDir: "data/cache" }, ["resnet"]);
 * console.log(r.tables.models.name, r.figures.reliability.name); // models reliability_models
 * ```
 */
export async function runPaperAModels(
  ctx: ExperimentContext,
  archs: readonly Arch[] = ZOO_ARCHS,
): Promise<PaperAModelsResult> {
  const { rows, evals, valP, testP } = await trainAll(ctx, archs);
  if (archs.length > 1) {
    const { val, test } = await loadPneumoniaMNIST();
    const mean = (ps: Float32Array[]) =>
      ps[0].map((_, i) => ps.reduce((a, p) => a + p[i], 0) / ps.length);
    const ensVal = evaluateProbs(mean(valP), labelsOf(val));
    const threshold = chooseThreshold(ensVal.probs, labelsOf(val));
    const ens = evaluateProbs(mean(testP), labelsOf(test), 10, threshold);
    rows.push(modelRow(`ensemble (${archs.join("+")})`, ens, {
      seed: ctx.seed,
      parameters: rows.reduce((a, r) => a + (r.parameters as number), 0),
      epochs: null,
      "best epoch": null,
      "val accuracy @0.5": ensVal.accuracy,
      "val AUC": ensVal.auc,
      "training s (this run)": null,
    }));
    evals.push({ name: "ensemble", evaluation: ens });
  }
  return {
    tables: {
      models: {
        name: "models",
        table: aq.from(rows),
        caption:
          "ResNet/DenseNet/ViT-style classifiers on the 468-image PneumoniaMNIST test split (threshold chosen on the 270-image validation split, never on test)",
      },
    },
    figures: {
      reliability: {
        name: "reliability_models",
        figure: {
          ...reliabilityFigure(evals),
          provenance: provenance({ params: { scale: ctx.scale }, seed: ctx.seed }),
        },
      },
    },
    notes: modelNotes(ctx, rows),
    rows,
  };
}

function modelNotes(ctx: ExperimentContext, rows: readonly ModelRow[]): string[] {
  const cfg = zooConfig("resnet", ctx.scale, ctx.seed).train;
  return [
    `Training (${ctx.scale}): up to ${cfg.epochs} epochs, Adam with a cosine schedule, label smoothing ${cfg.labelSmoothing}, augmentation ${
      JSON.stringify(cfg.augment)
    }, early stopping on validation loss (patience ${cfg.patience}); the decision threshold is chosen on the validation split (balanced accuracy), the test split is only evaluated.`,
    ...rows.map((r) =>
      `${r.model}: accuracy ${(r["test accuracy @0.5"] as number).toFixed(3)} at 0.5, ${
        (r["test accuracy @val threshold"] as number).toFixed(3)
      } at the validation-chosen threshold ${
        (r["val-chosen threshold"] as number).toFixed(3)
      }, AUC ${(r["test AUC"] as number).toFixed(3)}${
        r["meets goal @0.5 (acc ≥ 0.90, AUC ≥ 0.95)"]
          ? " — meets the goal"
          : " — misses the goal at 0.5"
      }`
    ),
  ];
}
