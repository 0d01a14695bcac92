/**
 * The runs behind experiment `he`: the shipped HE-friendly CNN under CKKS in batch mode (one image
 * per slot) and single mode (one image per query), a loop of latency-mode inferences recording
 * time and memory, and a summary row per run.
 *
 * @example
 * ```ts
 * import { heInputs, HE_PRESET } from "./inference.ts";
 * import { loadShippedModel } from "../../he/pipeline.ts";
 * import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * const inputs = heInputs(await loadShippedModel(), (await loadPneumoniaMNIST()).test);
 * console.log(inputs.length, inputs[0].length, HE_PRESET); // 468 784 ckks-8192-d5
 * ```
 * @module
 */
import type { LabeledSet } from "../../datasets/medmnist.ts";
import { pixelsAt } from "../../datasets/medmnist.ts";
import { progress } from "../../core/progress.ts";
import { accuracy } from "../../stats/classification.ts";
import { HeClient } from "../../he/client.ts";
import { type HeModel, preprocess } from "../../he/model.ts";
import { preset } from "../../he/params.ts";
import { encryptedInference, type InferenceRun } from "../../he/pipeline.ts";
import { HeServer } from "../../he/server.ts";
import { sealHeapBytes } from "../../he/seal.ts";
import { clientSpec } from "../../he/spec.ts";

/** The CKKS parameter preset of the experiment. */
export const HE_PRESET = "ckks-8192-d5";

/**
 * @param model the model (its input normalisation)
 * @param set the images
 * @returns one preprocessed input per image
 * @example
 * ```ts
 * import { heInputs } from "./inference.ts";
 * import { tinyModel } from "../../he/model.ts";
 * import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * console.log(heInputs(tinyModel(1), (await loadPneumoniaMNIST()).val).length); // 270
 * ```
 */
export function heInputs(model: HeModel, set: LabeledSet): Float64Array[] {
  return Array.from({ length: set.n }, (_, i) => preprocess(pixelsAt(set, i), model.inputNorm));
}

/**
 * One full batch: the inputs cycled over every slot (a batch costs the same however many slots
 * are used, so the amortized rate is that of a full batch).
 *
 * @param inputs the distinct inputs
 * @returns `slots` inputs
 * @example
 * ```ts
 * import { fullBatch } from "./inference.ts";
 * console.log(fullBatch([new Float64Array(1), new Float64Array(2)]).length); // 4096
 * ```
 */
export function fullBatch(inputs: readonly Float64Array[]): Float64Array[] {
  const slots = preset(HE_PRESET).polyModulusDegree / 2;
  return Array.from({ length: slots }, (_, i) => inputs[i % inputs.length]);
}

/**
 * The batch-mode run (2 workers) over a full batch.
 *
 * @param model the model
 * @param inputs the distinct inputs
 * @returns the run
 * @example
 * ```ts ignore
 * import { batchRun, heInputs } from "./inference.ts";
 * import { loadShippedModel } from "../../he/pipeline.ts";
 * import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
 * const model = await loadShippedModel(), { test } = await loadPneumoniaMNIST();
 * const run = await batchRun(model, heInputs(model, test));
 * console.log(run.labels.length); // 4096: the 468 test images cycled over every slot
 * ```
 */
export function batchRun(model: HeModel, inputs: readonly Float64Array[]): Promise<InferenceRun> {
  return encryptedInference(model, fullBatch(inputs), {
    preset: HE_PRESET,
    mode: "batch",
    workers: 2,
  });
}

/**
 * The single-mode run (one image per query) over the first `n` inputs.
 *
 * @param model the model
 * @param inputs the inputs
 * @param n how many
 * @returns the run
 * @example
 * ```ts
 * import { singleRun } from "./inference.ts";
 * import { tinyModel } from "../../he/model.ts";
 * const run = await singleRun(tinyModel(1), [new Float64Array(16).fill(0.5)], 1); // a 4×4 model
 * console.log(run.labels.length, run.maxError <= run.bound.logits); // 1 true
 * ```
 */
export function singleRun(
  model: HeModel,
  inputs: readonly Float64Array[],
  n: number,
): Promise<InferenceRun> {
  return encryptedInference(model, inputs.slice(0, n), { preset: HE_PRESET, mode: "single" });
}

/** Time and memory after each latency-mode inference. */
export interface MemoryCurve {
  /** Process RSS in bytes. */
  rss: number[];
  /** SEAL's WASM heap in bytes. */
  heap: number[];
  /** Wall time of the inference in ms (encrypt, evaluate, decrypt). */
  ms: number[];
}

/**
 * Repeated latency-mode inferences with one client and one server, recording time and memory.
 *
 * @param model the model
 * @param inputs the inputs (cycled)
 * @param runs how many inferences
 * @returns the curve
 * @example
 * ```ts
 * import { latencyLoop } from "./inference.ts";
 * import { tinyModel } from "../../he/model.ts";
 * const curve = await latencyLoop(tinyModel(1), [new Float64Array(16).fill(0.5)], 2);
 * console.log(curve.ms.length, curve.rss.length, curve.heap.length); // 2 2 2
 * ```
 */
export async function latencyLoop(
  model: HeModel,
  inputs: readonly Float64Array[],
  runs: number,
): Promise<MemoryCurve> {
  const params = preset(HE_PRESET);
  const spec = clientSpec(model, params);
  const client = await HeClient.create(params);
  const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
  const curve: MemoryCurve = { rss: [], heap: [], ms: [] };
  const bar = progress("he latency-mode inferences", runs);
  try {
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      client.decrypt(
        await server.evaluate(client.encryptSingle(spec, [inputs[i % inputs.length]])),
      );
      curve.ms.push(performance.now() - t);
      curve.rss.push(Deno.memoryUsage().rss);
      curve.heap.push(sealHeapBytes());
      bar.tick();
    }
  } finally {
    bar.done();
    server.delete();
    client.delete();
  }
  return curve;
}

/** One row of the summary table. */
export type SummaryRow = ReturnType<typeof summaryRow>;

/**
 * A run summarised: accuracy (over the distinct test images; a full batch cycles them to fill
 * the slots), agreement with the plaintext model, error against its bound, time, sizes, memory.
 *
 * @param name the model's name
 * @param mode how it ran
 * @param run the run
 * @param truth the true labels of the distinct images
 * @returns the row
 * @example
 * ```ts
 * import { singleRun, summaryRow } from "./inference.ts";
 * import { tinyModel } from "../../he/model.ts";
 * const run = await singleRun(tinyModel(1), [new Float64Array(16).fill(0.5)], 1); // a 4×4 model
 * const row = summaryRow("tiny", "single", run, Uint8Array.from(run.plainLabels));
 * console.log(row.images, row.label_agreement); // 1 1
 * ```
 */
export function summaryRow(name: string, mode: string, run: InferenceRun, truth: Uint8Array) {
  const n = run.labels.length;
  const m = Math.min(n, truth.length);
  return {
    model: name,
    mode,
    images: n,
    accuracy_plain: accuracy(truth.subarray(0, m), run.plainLabels.slice(0, m)),
    accuracy_encrypted: accuracy(truth.subarray(0, m), run.labels.slice(0, m)),
    label_agreement: run.labels.filter((l, i) => l === run.plainLabels[i]).length / n,
    max_abs_error: run.maxError,
    bound_6sigma: run.bound.logits,
    bound_worst_case: run.bound.worstCase,
    ms_per_image: run.timings.perImageMs,
    server_ms_per_image: run.timings.serverMs / n,
    images_per_s: (n / run.timings.inferenceMs) * 1000,
    cpu_ms_per_image: run.timings.cpuMs / n,
    query_kb_per_image: run.sizes.queryBytes / n / 1024,
    expansion_x: run.sizes.queryBytes / run.sizes.plainBytes,
    result_kb_per_image: run.sizes.resultBytes / n / 1024,
    peak_rss_mb: run.memory.rssBytes / 2 ** 20,
    wasm_heap_mb: run.memory.wasmHeapBytes / 2 ** 20,
    worker_wasm_heap_mb: run.memory.workerWasmHeapBytes / 2 ** 20,
  };
}
