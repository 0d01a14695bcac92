/**
 * Experiment `he` (for `deno task reproduce` and `notebooks/03_he_inference.ipynb`): the shipped
 * HE-friendly CNN evaluated under CKKS (node-seal) on the embedded PneumoniaMNIST test set —
 * accuracy plain vs encrypted, latency per image, amortized images/s, ciphertext expansion, key
 * sizes, peak memory (process RSS and SEAL's WASM heap) and memory over repeated inferences; and
 * the square activation beside a degree-2 ReLU approximation.
 *
 * @example
 * ```ts
 * import { experiments } from "./he_inference.ts";
 * console.log(experiments.map((e) => e.name)); // [ "he" ]
 * ```
 * @module
 */
import * as aq from "arquero";
import type { Experiment, ExperimentContext, ExperimentResult } from "./types.ts";
import type { Figure } from "../viz/types.ts";
import { provenance } from "../core/provenance.ts";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { HeClient } from "../he/client.ts";
import { type HeModel, loadModel, preprocess, saveModel, trainHeFriendly } from "../he/model.ts";
import { preset } from "../he/params.ts";
import { encryptedInference, type InferenceRun, loadShippedModel } from "../he/pipeline.ts";
import { HeServer } from "../he/server.ts";
import { sealHeapBytes } from "../he/seal.ts";
import { clientSpec } from "../he/spec.ts";
import { progress } from "../core/progress.ts";

const PRESET = "ckks-8192-d5";

/** Options of {@linkcode runHeExperiment} beyond the context. */
export interface HeExperimentOptions {
  /** Latency-mode inferences for the latency and memory curve (default: quick 20, full 1000). */
  latencyRuns?: number;
  /** Train and compare the ReLU-approximation model (default true). */
  compareActivations?: boolean;
  /** Epochs of the ReLU-approximation model (default: quick 4, full 12). */
  reluEpochs?: number;
}

function accuracy(labels: number[], truth: Uint8Array): number {
  let ok = 0;
  labels.forEach((l, i) => (ok += l === truth[i] ? 1 : 0));
  return ok / labels.length;
}

interface MemoryCurve {
  rss: number[];
  heap: number[];
  ms: number[];
}

async function latencyLoop(
  model: HeModel,
  inputs: Float64Array[],
  runs: number,
): Promise<MemoryCurve> {
  const params = preset(PRESET);
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

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

function summaryRow(name: string, mode: string, run: InferenceRun, truth: Uint8Array) {
  const n = run.labels.length;
  // accuracy over the distinct test images (a full batch cycles them to fill the slots)
  const m = Math.min(n, truth.length);
  return {
    model: name,
    mode,
    images: n,
    accuracy_plain: accuracy(run.plainLabels.slice(0, m), truth.subarray(0, m)),
    accuracy_encrypted: accuracy(run.labels.slice(0, m), truth.subarray(0, m)),
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

/**
 * Runs the experiment.
 *
 * @param ctx scale, seed, cache folder
 * @param opts overrides (fewer runs for notebooks and tests)
 * @returns tables, figures and notes
 * @example
 * ```ts ignore
 * import { runHeExperiment } from "./he_inference.ts";
 * const r = await runHeExperiment({ scale: "quick", seed: 1, cacheDir: "data/cache" }, { latencyRuns: 3 });
 * console.log(r.tables.map((t) => t.name));
 * ```
 */
export async function runHeExperiment(
  ctx: ExperimentContext,
  opts: HeExperimentOptions = {},
): Promise<ExperimentResult> {
  const full = ctx.scale === "full";
  const runs = opts.latencyRuns ?? (full ? 1000 : 20);
  const model = await loadShippedModel();
  const { test } = await loadPneumoniaMNIST();
  const px = test.height * test.width;
  const inputsFor = (m: HeModel) =>
    Array.from(
      { length: test.n },
      (_, i) => preprocess(test.images.subarray(i * px, (i + 1) * px), m.inputNorm),
    );
  const inputs = inputsFor(model);
  const params = preset(PRESET);
  const prov = provenance({
    params: { preset: params, model: model.meta, latencyRuns: runs, scale: ctx.scale },
    seed: ctx.seed,
  });

  // one full batch: the 468 test images cycled over the slots (a batch costs the same however
  // many slots are used, so the amortized rate is that of a full batch)
  const slots = params.polyModulusDegree / 2;
  const cycled = (xs: Float64Array[]) => Array.from({ length: slots }, (_, i) => xs[i % xs.length]);
  const batch = await encryptedInference(model, cycled(inputs), {
    preset: PRESET,
    mode: "batch",
    workers: 2,
  });
  const single = await encryptedInference(model, inputs.slice(0, full ? 20 : 4), {
    preset: PRESET,
    mode: "single",
  });
  const curve = await latencyLoop(model, inputs, runs);

  const rows = [
    summaryRow("square (shipped)", "batch (1 image/slot, 2 workers)", batch, test.labels),
    summaryRow("square (shipped)", "single (1 image/query)", single, test.labels),
  ];

  // activation comparison: a degree-2 least-squares ReLU approximation, trained with the same recipe
  const notes: string[] = [];
  if (opts.compareActivations ?? true) {
    const epochs = opts.reluEpochs ?? (full ? 12 : 4);
    const cache = `${ctx.cacheDir}/he_relu_approx_seed${ctx.seed}_e${epochs}.json`;
    let relu: HeModel;
    try {
      relu = await loadModel(cache);
    } catch {
      const { initBackend } = await import("../nn/backend.ts");
      await initBackend();
      relu =
        (await trainHeFriendly({ seed: ctx.seed, epochs, activation: "relu-approx", augment: 1 }))
          .model;
      await Deno.mkdir(ctx.cacheDir, { recursive: true });
      await saveModel(cache, relu);
    }
    const r = await encryptedInference(relu, cycled(inputsFor(relu)), {
      preset: PRESET,
      mode: "batch",
      workers: 2,
    });
    rows.push(
      summaryRow(
        `relu-approx (${epochs} epochs, seed ${ctx.seed})`,
        "batch (1 image/slot, 2 workers)",
        r,
        test.labels,
      ),
    );
  }
  const summary = aq.from(rows);

  const sizes = batch.sizes;
  const paramsTable = aq.from([{
    preset: params.name,
    poly_modulus_degree: params.polyModulusDegree,
    coeff_modulus_bits: params.coeffBits.join("+"),
    total_bits: params.coeffBits.reduce((a, b) => a + b, 0),
    log2_scale: params.logScale,
    security_bits: params.securityBits,
    slots: params.polyModulusDegree / 2,
    model_depth: single.depth,
    rotation_steps: single.rotations.join(" "),
    galois_keys: single.rotations.length,
    public_key_kb: sizes.publicKey / 1024,
    relin_keys_kb: sizes.relinKeys / 1024,
    galois_keys_kb: single.sizes.galoisKeys / 1024,
    secret_key_kb_never_sent: sizes.secretKey / 1024,
  }]);

  const warm = Math.min(curve.rss.length - 1, Math.max(0, Math.floor(runs / 20)));
  const rssGrowth = curve.rss.length ? curve.rss.at(-1)! / curve.rss[warm] - 1 : NaN;
  const memoryTable = aq.from([{
    latency_runs: runs,
    median_ms: median(curve.ms),
    rss_after_warmup_mb: curve.rss[warm] / 2 ** 20,
    rss_last_mb: curve.rss.at(-1)! / 2 ** 20,
    rss_growth_pct: rssGrowth * 100,
    wasm_heap_first_mb: curve.heap[warm] / 2 ** 20,
    wasm_heap_last_mb: curve.heap.at(-1)! / 2 ** 20,
  }]);

  const fig = (data: Figure["data"], layout: Record<string, unknown>): Figure => ({
    data,
    layout,
    provenance: prov,
  });
  const breakdown = fig(
    (["encryptMs", "serverMs", "decryptMs"] as const).map((key) => ({
      type: "bar",
      name: key.replace("Ms", ""),
      x: ["single (1 image/query)", `batch (${slots} images/query)`],
      y: [single.timings[key] / single.labels.length, batch.timings[key] / batch.labels.length],
    })),
    {
      title: { text: `CKKS inference time per image (${params.name})` },
      barmode: "stack",
      yaxis: { title: { text: "ms per image" }, type: "log" },
    },
  );
  const sizeFig = fig([{
    type: "bar",
    x: [
      "plain image",
      "query, single mode (per image)",
      "query, batch mode (per image)",
      "result, single (per image)",
      "public key",
      "relin keys",
      "Galois keys",
      "secret key (kept)",
    ],
    y: [
      784,
      single.sizes.queryBytes / single.labels.length,
      batch.sizes.queryBytes / batch.labels.length,
      single.sizes.resultBytes / single.labels.length,
      sizes.publicKey,
      sizes.relinKeys,
      single.sizes.galoisKeys,
      sizes.secretKey,
    ],
  }], {
    title: {
      text: "Serialized sizes (SEAL serialization, uncompressed; queries seeded in single mode)",
    },
    yaxis: { title: { text: "bytes" }, type: "log" },
  });
  const k = batch.encryptedLogits.length / batch.labels.length;
  const margin = (a: Float64Array, i: number) => a[i * k + 1] - a[i * k];
  const scatter = fig([{
    type: "scatter",
    mode: "markers",
    name: "images",
    x: inputs.map((_, i) => margin(batch.plainLogits, i)),
    y: inputs.map((_, i) => margin(batch.encryptedLogits, i) - margin(batch.plainLogits, i)),
    marker: { size: 4 },
  }], {
    title: {
      text: `Encrypted − plaintext logit margin (bound ±${
        (2 * batch.bound.logits).toExponential(1)
      })`,
    },
    xaxis: { title: { text: "plaintext margin (logit pneumonia − logit normal)" } },
    yaxis: { title: { text: "encrypted − plaintext margin" } },
  });
  const memFig = fig([
    {
      type: "scatter",
      mode: "lines",
      name: "process RSS (MiB)",
      y: curve.rss.map((v) => v / 2 ** 20),
    },
    {
      type: "scatter",
      mode: "lines",
      name: "SEAL WASM heap (MiB)",
      y: curve.heap.map((v) => v / 2 ** 20),
    },
  ], {
    title: { text: `Memory over ${runs} latency-mode inferences` },
    xaxis: { title: { text: "inference" } },
    yaxis: { title: { text: "MiB" } },
  });

  const encAcc = rows[0].accuracy_encrypted;
  const ms = median(curve.ms);
  const rate = rows[0].images_per_s;
  notes.push(
    `Encrypted accuracy ${encAcc.toFixed(4)} vs plaintext ${
      rows[0].accuracy_plain.toFixed(4)
    } on ${test.n} test images; encrypted and plaintext labels agree on ${
      Math.round(rows[0].label_agreement * rows[0].images)
    }/${rows[0].images} slots; max |Δlogit| ${batch.maxError.toExponential(2)} ${
      batch.maxError <= batch.bound.logits ? "≤" : ">"
    } derived bound ${batch.bound.logits.toExponential(2)} (goal accuracy ≥ 0.88: ${
      encAcc >= 0.88 ? "met" : "not met"
    }).`,
    `Latency mode: median ${ms.toFixed(0)} ms per image over ${runs} inferences (goal ≤ 200 ms: ${
      ms <= 200 ? "met" : "not met"
    }); batch mode: ${
      rate.toFixed(1)
    } images/s amortized over a full batch of ${slots} images (goal ≥ 100: ${
      rate >= 100 ? "met" : "not met"
    }). Timings are wall-clock on a shared 2-core machine; process CPU time, which other load does not inflate: ${
      (single.timings.cpuMs / single.labels.length).toFixed(0)
    } ms per image in latency mode, ${
      (batch.timings.cpuMs / batch.labels.length).toFixed(2)
    } ms per image in batch mode (all threads), i.e. ${
      (batch.labels.length / batch.timings.cpuMs * 1000).toFixed(0)
    } images per CPU-second.`,
    `Memory: RSS ${
      (rssGrowth * 100).toFixed(2)
    } % growth after warm-up over ${runs} inferences; WASM heap ${
      (curve.heap[warm] / 2 ** 20).toFixed(0)
    } → ${(curve.heap.at(-1)! / 2 ** 20).toFixed(0)} MiB.`,
  );
  return {
    tables: [
      {
        name: "he_summary",
        table: summary,
        caption: "CKKS inference of the HE-friendly CNN (computed)",
      },
      { name: "he_params", table: paramsTable, caption: "CKKS parameters and key sizes" },
      {
        name: "he_memory",
        table: memoryTable,
        caption: "Memory over repeated latency-mode inferences",
      },
    ],
    figures: [
      { name: "he_time_breakdown", figure: breakdown },
      { name: "he_sizes", figure: sizeFig },
      { name: "he_logit_errors", figure: scatter },
      { name: "he_memory", figure: memFig },
    ],
    notes,
  };
}

/** The experiments of this module. */
export const experiments: Experiment[] = [{
  name: "he",
  title: "CKKS encrypted inference: accuracy, latency, throughput, sizes, memory",
  run: (ctx) => runHeExperiment(ctx),
}];
