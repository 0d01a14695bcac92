/**
 * Saving and loading tfjs Layers models (`model.json` + `weights.bin`) on the local file system,
 * with atomic writes. The loader also reads models trained elsewhere in the tfjs Layers format
 * (e.g. with `tensorflowjs_converter`), including weights split across several shard files.
 *
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * import { loadModelFromDir, saveModelToDir } from "./train_io.ts";
 * const dir = await Deno.makeTempDir();
 * const m = buildModel("mlp", { width: 4 });
 * await saveModelToDir(m, dir);
 * const back = await loadModelFromDir(dir);
 * console.log(back.countParams() === m.countParams()); // true
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import { readFileChecked, writeFileAtomic } from "../core/fs.ts";
import "./models_layers.ts"; // registers the custom layers before any load

/**
 * Saves `model` as `dir/model.json` and `dir/weights.bin` (the tfjs Layers format), each written
 * atomically; creates `dir` when needed.
 *
 * @param model the model
 * @param dir the folder
 * @returns nothing
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * import { saveModelToDir } from "./train_io.ts";
 * const dir = await Deno.makeTempDir();
 * await saveModelToDir(buildModel("mlp", { width: 4 }), dir);
 * const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
 * console.log(names); // [ "model.json", "weights.bin" ]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveModelToDir(model: tf.LayersModel, dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await model.save({
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const total = buffers.reduce((s, b) => s + b.byteLength, 0);
      const bin = new Uint8Array(total);
      let off = 0;
      for (const b of buffers) {
        bin.set(new Uint8Array(b), off);
        off += b.byteLength;
      }
      await writeFileAtomic(join(dir, "weights.bin"), bin);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: "medcrypt-lab",
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(
        join(dir, "model.json"),
        new TextEncoder().encode(JSON.stringify(json)),
      );
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  });
}

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Loads a tfjs Layers model from a folder holding `model.json` and its weight files (or from
 * the path of a `model.json` itself).
 *
 * @param path folder or `model.json` path
 * @returns the model (uncompiled)
 * @example
 * ```ts
 * import { loadModelFromDir } from "./train_io.ts";
 * try {
 *   await loadModelFromDir("/nonexistent");
 * } catch (e) {
 *   console.log((e as Error).message.includes("no such file")); // true
 * }
 * ```
 */
export async function loadModelFromDir(path: string): Promise<tf.LayersModel> {
  const jsonPath = path.endsWith(".json") ? path : join(path, "model.json");
  const dir = jsonPath.slice(0, Math.max(0, jsonPath.lastIndexOf("/"))) || ".";
  const text = new TextDecoder().decode(await readFileChecked(jsonPath));
  let json: ModelJson;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MedCryptError("bad-format", `not JSON: ${(e as Error).message}`, { file: jsonPath });
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new MedCryptError(
      "bad-format",
      "not a tfjs Layers model.json (needs modelTopology and weightsManifest)",
      { file: jsonPath },
    );
  }
  if (json.format && json.format !== "layers-model") {
    throw new MedCryptError(
      "bad-format",
      `format is "${json.format}"; only "layers-model" (tfjs Layers) is supported`,
      { file: jsonPath },
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(await readFileChecked(join(dir, p)));
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    weightData.set(p, off);
    off += p.length;
  }
  const expected = specs.reduce((s, w) => {
    const bytes = w.dtype === "int32" || w.dtype === "float32" ? 4 : w.dtype === "bool" ? 1 : 4;
    return s + (w.shape.reduce((a, b) => a * b, 1) * bytes);
  }, 0);
  if (!specs.some((w) => w.quantization) && expected !== total) {
    throw new MedCryptError(
      "bad-format",
      `weights hold ${total} bytes but the manifest describes ${expected}`,
      { file: jsonPath },
    );
  }
  try {
    return await tf.loadLayersModel({
      load: () =>
        Promise.resolve({
          modelTopology: json.modelTopology as tf.io.ModelArtifacts["modelTopology"],
          weightSpecs: specs,
          weightData: weightData.buffer,
          format: "layers-model",
        }),
    });
  } catch (e) {
    throw new MedCryptError(
      "bad-format",
      `tfjs could not build the model: ${(e as Error).message}`,
      {
        file: jsonPath,
        cause: e,
      },
    );
  }
}

/** A model's weights as JSON: what a training job sends back to the machine that asked for it. */
export interface EncodedWeights {
  /** Shape of every weight tensor, in `model.getWeights()` order. */
  shapes: number[][];
  /** Their float32 values, concatenated, little-endian, base64. */
  base64: string;
  /** SHA-256 of those bytes (hex): equal digests mean bit-identical weights. */
  sha256: string;
}

/**
 * Encodes a model's weights.
 *
 * @param model the model
 * @returns shapes, bytes and digest
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * import { encodeWeights } from "./train_io.ts";
 * const w = encodeWeights(buildModel("mlp", { width: 4, seed: 1 }));
 * console.log(w.shapes.length, w.sha256.length); // 4 64
 * ```
 */
export function encodeWeights(model: tf.LayersModel): EncodedWeights {
  const tensors = model.getWeights();
  const parts = tensors.map((t) => t.dataSync() as Float32Array);
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
    off += p.byteLength;
  }
  return {
    shapes: tensors.map((t) => [...t.shape]),
    base64: Buffer.from(bytes).toString("base64"),
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

/**
 * Sets a model's weights from {@linkcode encodeWeights}' output, after checking the digest and
 * that every shape matches the model.
 *
 * @param model a model of the same architecture
 * @param weights the encoded weights
 * @returns nothing; throws a `MedCryptError` (`bad-weights`) on any mismatch
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * import { encodeWeights, setEncodedWeights } from "./train_io.ts";
 * const a = buildModel("mlp", { width: 4, seed: 1 }), b = buildModel("mlp", { width: 4, seed: 2 });
 * setEncodedWeights(b, encodeWeights(a));
 * console.log(encodeWeights(b).sha256 === encodeWeights(a).sha256); // true
 * ```
 */
export function setEncodedWeights(model: tf.LayersModel, weights: EncodedWeights): void {
  const bytes = new Uint8Array(Buffer.from(weights.base64, "base64"));
  if (createHash("sha256").update(bytes).digest("hex") !== weights.sha256) {
    throw new MedCryptError("bad-weights", "the weights' bytes do not match their digest");
  }
  const current = model.getWeights();
  const same = current.length === weights.shapes.length &&
    current.every((t, i) => t.shape.join("x") === weights.shapes[i].join("x"));
  if (!same) {
    throw new MedCryptError(
      "bad-weights",
      `the weights' shapes (${weights.shapes.map((s) => s.join("×")).join(", ")}) do not fit ` +
        `this model (${current.map((t) => t.shape.join("×")).join(", ")})`,
    );
  }
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  let off = 0;
  const tensors = weights.shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(all.slice(off, off + size), shape, "float32");
    off += size;
    return t;
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}
