/**
 * The figures of experiment `he`: time per image by stage, serialized sizes, the encrypted
 * logit margin's error, and memory over repeated inferences.
 *
 * @example
 * ```ts
 * import { memoryFigure } from "./figures.ts";
 * const f = memoryFigure({ ms: [1, 1], rss: [2 ** 20, 2 ** 21], heap: [2 ** 22, 2 ** 22] });
 * console.log(f.data.map((t) => t.name)); // [ "process RSS (MiB)", "SEAL WASM heap (MiB)" ]
 * ```
 * @module
 */
import type { Figure } from "../../viz/types.ts";
import type { InferenceRun } from "../../he/pipeline.ts";
import type { MemoryCurve } from "./inference.ts";

/**
 * Encrypt, server and decrypt time per image, single mode beside batch mode. The parts stand side
 * by side on a log axis (stacked bars on a log axis would misstate their shares).
 *
 * @param single the single-mode run
 * @param batch the batch-mode run
 * @param presetName the CKKS preset's name
 * @returns the figure
 * @example
 * ```ts
 * import { timeBreakdownFigure } from "./figures.ts";
 * import { singleRun } from "./inference.ts";
 * import { tinyModel } from "../../he/model.ts";
 * const run = await singleRun(tinyModel(1), [new Float64Array(16).fill(0.5)], 1); // a 4×4 model
 * console.log(timeBreakdownFigure(run, run, "ckks-8192-d5").data.map((t) => t.name)); // [ "encrypt", "server", "decrypt" ]
 * ```
 */
export function timeBreakdownFigure(
  single: InferenceRun,
  batch: InferenceRun,
  presetName: string,
): Figure {
  return {
    data: (["encryptMs", "serverMs", "decryptMs"] as const).map((key) => ({
      type: "bar",
      name: key.replace("Ms", ""),
      x: ["single (1 image/query)", `batch (${batch.labels.length} images/query)`],
      y: [single.timings[key] / single.labels.length, batch.timings[key] / batch.labels.length],
    })),
    layout: {
      title: { text: `CKKS inference time per image, by part (${presetName}, log scale)` },
      barmode: "group",
      yaxis: { title: { text: "ms per image" }, type: "log", exponentformat: "power" },
    },
  };
}

/**
 * Serialized sizes of a plain image, the queries and results per image, and the keys.
 *
 * @param single the single-mode run
 * @param batch the batch-mode run
 * @returns the figure (log axis, bytes)
 * @example
 * ```ts
 * import { sizesFigure } from "./figures.ts";
 * import { singleRun } from "./inference.ts";
 * import { tinyModel } from "../../he/model.ts";
 * const run = await singleRun(tinyModel(1), [new Float64Array(16).fill(0.5)], 1); // a 4×4 model
 * console.log((sizesFigure(run, run).data[0].y as number[]).length); // 8
 * ```
 */
export function sizesFigure(single: InferenceRun, batch: InferenceRun): Figure {
  const sizes = batch.sizes;
  return {
    data: [{
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
    }],
    layout: {
      title: {
        text: "Serialized sizes (SEAL serialization, uncompressed; queries seeded in single mode)",
      },
      yaxis: { title: { text: "bytes" }, type: "log" },
    },
  };
}

/**
 * Encrypted minus plaintext logit margin (pneumonia − normal) of each distinct image, against
 * the plaintext margin, with the derived bound in the title.
 *
 * @param batch the batch-mode run
 * @param images how many distinct images the batch cycles
 * @returns the figure
 * @example
 * ```ts
 * import { logitErrorFigure } from "./figures.ts";
 * import { singleRun } from "./inference.ts";
 * import { tinyModel } from "../../he/model.ts";
 * const run = await singleRun(tinyModel(1), [new Float64Array(16).fill(0.5)], 1); // a 4×4 model
 * console.log((logitErrorFigure(run, 1).data[0].x as number[]).length); // 1
 * ```
 */
export function logitErrorFigure(batch: InferenceRun, images: number): Figure {
  const k = batch.encryptedLogits.length / batch.labels.length;
  const margin = (a: Float64Array, i: number) => a[i * k + 1] - a[i * k];
  const idx = Array.from({ length: images }, (_, i) => i);
  return {
    data: [{
      type: "scatter",
      mode: "markers",
      name: "images",
      x: idx.map((i) => margin(batch.plainLogits, i)),
      y: idx.map((i) => margin(batch.encryptedLogits, i) - margin(batch.plainLogits, i)),
      marker: { size: 4 },
    }],
    layout: {
      title: {
        text: `Encrypted − plaintext logit margin (bound ±${
          (2 * batch.bound.logits).toExponential(1)
        })`,
      },
      xaxis: { title: { text: "plaintext margin (logit pneumonia − logit normal)" } },
      yaxis: { title: { text: "encrypted − plaintext margin" } },
    },
  };
}

/**
 * Process RSS and SEAL's WASM heap after each latency-mode inference.
 *
 * @param curve the memory curve
 * @returns the figure
 * @example
 * ```ts
 * import { memoryFigure } from "./figures.ts";
 * const f = memoryFigure({ ms: [1], rss: [2 ** 20], heap: [2 ** 21] });
 * console.log(f.data[1].y); // [ 2 ]
 * ```
 */
export function memoryFigure(curve: MemoryCurve): Figure {
  return {
    data: [
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
    ],
    layout: {
      title: { text: `Memory over ${curve.ms.length} latency-mode inferences` },
      xaxis: { title: { text: "inference" } },
      yaxis: { title: { text: "MiB" } },
    },
  };
}
