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
