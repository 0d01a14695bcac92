/**
 * Experiment `he` (for `deno task reproduce` and `notebooks/03_he_inference.ipynb`): the shipped
 * HE-friendly CNN evaluated under CKKS (node-seal) on the embedded PneumoniaMNIST test set —
 * accuracy plain vs encrypted, latency per image, amortized images/s, ciphertext expansion, key
 * sizes, peak memory (process RSS and SEAL's WASM heap) and memory over repeated inferences; and
 * the square activation beside a degree-2 ReLU approximation.
 *
 * @example
 * ```ts
 * import { experiments } from "./mod.ts";
 * console.log(experiments.map((e) => e.name)); // [ "he", "he-frontier" ]
 * ```
 * @module
 */
import * as aq from "arquero";
import type {
  Experiment,
  ExperimentContext,
  ExperimentResult,
  NamedFigure,
  NamedTable,
} from "../../report/types.ts";
import { provenance } from "../../core/provenance.ts";
import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
import { median } from "../../stats/summary.ts";
import { type HeModel, loadHeModel, saveHeModel, trainHeFriendly } from "../../he/model.ts";
import { preset } from "../../he/params.ts";
import { loadShippedModel } from "../../he/pipeline.ts";
import { batchRun, HE_PRESET, heInputs, latencyLoop, singleRun, summaryRow } from "./inference.ts";
import type { MemoryCurve, SummaryRow } from "./inference.ts";
import { memoryTable, paramsTable, warmIndex } from "./tables.ts";
import { logitErrorFigure, memoryFigure, sizesFigure, timeBreakdownFigure } from "./figures.ts";
import type { InferenceRun } from "../../he/pipeline.ts";
import { frontierExperiment } from "./frontier.ts";

export * from "./inference.ts";
export * from "./tables.ts";
export * from "./figures.ts";
export * from "./frontier.ts";

/** Options of {@linkcode runHeExperiment} beyond the context. */
export interface HeExperimentOptions {
  /** Latency-mode inferences for the latency and memory curve (default: quick 20, full 1000). */
  latencyRuns?: number;
  /** Train and compare the ReLU-approximation model (default true). */
  compareActivations?: boolean;
  /** Epochs of the ReLU-approximation model (default: quick 4, full 12). */
  reluEpochs?: number;
}

/** The tables and figures of experiment `he`, one field each. */
export type HeResult = ExperimentResult<
  { summary: NamedTable; params: NamedTable; memory: NamedTable },
  { timeBreakdown: NamedFigure; sizes: NamedFigure; logitErrors: NamedFigure; memory: NamedFigure }
>;

/**
 * The degree-2 ReLU-approximation model, trained with the shipped model's recipe, or loaded from
 * the cache folder when a run with the same seed and epochs trained it before.
 *
 * @param ctx seed and cache folder
 * @param epochs training epochs
 * @returns the model
 * @example
 * ```ts ignore
 * import { reluApproxModel } from "./mod.ts";
 * const m = await reluApproxModel({ scale: "quick", seed: 1, cacheDir: "data/cache" }, 4);
 * console.log(m.layers.filter((l) => l.kind === "act").map((l) => l.name)); // [ "poly", "poly" ]
 * ```
 */
export async function reluApproxModel(ctx: ExperimentContext, epochs: number): Promise<HeModel> {
  const cache = `${ctx.cacheDir}/he_relu_approx_seed${ctx.seed}_e${epochs}.json`;
  try {
    return await loadHeModel(cache);
  } catch {
    const { initBackend } = await import("../../nn/backend.ts");
    await initBackend();
    const trained = await trainHeFriendly({
      seed: ctx.seed,
      epochs,
      activation: "relu-approx",
      augment: 1,
    });
    await Deno.mkdir(ctx.cacheDir, { recursive: true });
    await saveHeModel(cache, trained.model);
    return trained.model;
  }
}

/**
 * Runs the experiment.
 *
 * @param ctx scale, seed, cache folder
 * @param opts overrides (fewer runs for notebooks and tests)
 * @returns tables, figures and notes
 * @example
 * ```ts ignore
 * import { runHeExperiment } from "./mod.ts";
 * const r = await runHeExperiment({ scale: "quick", seed: 1, cacheDir: "data/cache" }, { latencyRuns: 3 });
 * console.log(r.tables.summary.table.numRows()); // 3
 * ```
 */
export async function runHeExperiment(
  ctx: ExperimentContext,
  opts: HeExperimentOptions = {},
): Promise<HeResult> {
  const full = ctx.scale === "full";
  const runs = opts.latencyRuns ?? (full ? 1000 : 20);
  const model = await loadShippedModel();
  const { test } = await loadPneumoniaMNIST();
  const inputs = heInputs(model, test);
  const params = preset(HE_PRESET);
  const batch = await batchRun(model, inputs);
  const single = await singleRun(model, inputs, full ? 20 : 4);
  const curve = await latencyLoop(model, inputs, runs);
  const rows = [
    summaryRow("square (shipped)", "batch (1 image/slot, 2 workers)", batch, test.labels),
    summaryRow("square (shipped)", "single (1 image/query)", single, test.labels),
  ];
  if (opts.compareActivations ?? true) {
    const epochs = opts.reluEpochs ?? (full ? 12 : 4);
    const relu = await reluApproxModel(ctx, epochs);
    const r = await batchRun(relu, heInputs(relu, test));
    const name = `relu-approx (${epochs} epochs, seed ${ctx.seed})`;
    rows.push(summaryRow(name, "batch (1 image/slot, 2 workers)", r, test.labels));
  }
  const prov = provenance({
    params: { preset: params, model: model.meta, latencyRuns: runs, scale: ctx.scale },
    seed: ctx.seed,
  });
  const withProv = (name: string, figure: NamedFigure["figure"]) => ({
    name,
    figure: { ...figure, provenance: prov },
  });
  return {
    tables: {
      summary: {
        name: "he_summary",
        table: aq.from(rows),
        caption: "CKKS inference of the HE-friendly CNN (computed)",
        randomised: [{
          columns: ["max_abs_error"],
          reason: "CKKS encryption noise (SEAL's encryptor draws fresh randomness)",
        }],
      },
      params: {
        name: "he_params",
        table: paramsTable(params, single, batch),
        caption: "CKKS parameters and key sizes",
      },
      memory: {
        name: "he_memory",
        table: memoryTable(curve),
        caption: "Memory over repeated latency-mode inferences",
      },
    },
    figures: {
      timeBreakdown: withProv("he_time_breakdown", timeBreakdownFigure(single, batch, params.name)),
      sizes: withProv("he_sizes", sizesFigure(single, batch)),
      logitErrors: withProv("he_logit_errors", logitErrorFigure(batch, inputs.length)),
      memory: withProv("he_memory", memoryFigure(curve)),
    },
    notes: heNotes(rows[0], batch, single, curve, test.n),
  };
}

function heNotes(
  shipped: SummaryRow,
  batch: InferenceRun,
  single: InferenceRun,
  curve: MemoryCurve,
  testImages: number,
): string[] {
  const met = (ok: boolean) => (ok ? "met" : "not met");
  const enc = shipped.accuracy_encrypted, ms = median(curve.ms), rate = shipped.images_per_s;
  const runs = curve.ms.length, warm = warmIndex(curve), slots = batch.labels.length;
  const growth = curve.rss.at(-1)! / curve.rss[warm] - 1;
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  return [
    `Encrypted accuracy ${enc.toFixed(4)} vs plaintext ${shipped.accuracy_plain.toFixed(4)} on ` +
    `${testImages} test images; encrypted and plaintext labels agree on ` +
    `${Math.round(shipped.label_agreement * shipped.images)}/${shipped.images} slots; ` +
    `max |Δlogit| ${batch.maxError.toExponential(2)} ${
      batch.maxError <= batch.bound.logits ? "≤" : ">"
    } derived bound ${batch.bound.logits.toExponential(2)} (goal accuracy ≥ 0.88: ${
      met(enc >= 0.88)
    }).`,
    `Latency mode: median ${ms.toFixed(0)} ms per image over ${runs} inferences ` +
    `(goal ≤ 200 ms: ${met(ms <= 200)}); batch mode: ${rate.toFixed(1)} images/s amortized ` +
    `over a full batch of ${slots} images (goal ≥ 100: ${met(rate >= 100)}). ` +
    `Timings are wall-clock on a shared 2-core machine; process CPU time, which other load does ` +
    `not inflate: ${(single.timings.cpuMs / single.labels.length).toFixed(0)} ms per image in ` +
    `latency mode, ${(batch.timings.cpuMs / slots).toFixed(2)} ms per image in batch mode ` +
    `(all threads), i.e. ${(slots / batch.timings.cpuMs * 1000).toFixed(0)} images per ` +
    `CPU-second.`,
    `Memory: RSS ${(growth * 100).toFixed(2)} % growth after warm-up over ${runs} inferences; ` +
    `WASM heap ${mib(curve.heap[warm])} → ${mib(curve.heap.at(-1)!)} MiB.`,
  ];
}

/** The experiments of this module. */
export const experiments: Experiment[] = [{
  name: "he",
  title: "CKKS encrypted inference: accuracy, latency, throughput, sizes, memory",
  run: (ctx) => runHeExperiment(ctx),
}, frontierExperiment];
