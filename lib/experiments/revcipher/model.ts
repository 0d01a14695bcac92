/**
 * The learned-cipher model an experiment run evaluates: the shipped 64×64 model at quick scale,
 * or a 256×256 model trained (resumably, in the cache folder) at full scale.
 *
 * @example
 * ```ts
 * import { experimentModel } from "./model.ts";
 * const { model, history, size } = await experimentModel({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(size, model.id.length > 0, history.step.length > 0); // 64 true true
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExperimentContext } from "../../report/types.ts";
import {
  cipherImages,
  DEFAULT_CONFIG,
  DEFAULT_MODEL_DIR,
  initModel,
  loadDefaultModel,
  loadRevCipherModel,
  type RevCipherModel,
  saveRevCipherModel,
  type TrainHistory,
  trainRevCipher,
} from "../../ciphers/revcipher/mod.ts";

/**
 * The shipped model's training history (`data/models/revcipher/history.json`).
 *
 * @returns the history
 * @example
 * ```ts
 * import { shippedHistory } from "./model.ts";
 * console.log((await shippedHistory()).step.length > 0); // true
 * ```
 */
export async function shippedHistory(): Promise<TrainHistory> {
  return JSON.parse(await Deno.readTextFile(join(DEFAULT_MODEL_DIR, "history.json")));
}

/** Where the shipped 256×256 model lives (trained on clinical crops only). */
export const MODEL_256_DIR: string = fileURLToPath(
  new URL("../../../data/models/revcipher-256/", import.meta.url),
);

/** A model with its training history and the image side it works at. */
export interface ExperimentModel {
  /** The model. */
  model: RevCipherModel;
  /** Its training history. */
  history: TrainHistory;
  /** Image side (64 quick, 256 full). */
  size: number;
  /** Whether this run (or an earlier one with the same cache) trained it. */
  trainedHere: boolean;
}

/**
 * @param ctx scale, seed, cache folder
 * @returns the shipped model (quick) or the full-scale model, loaded from the cache or trained
 * @example
 * ```ts
 * import { experimentModel } from "./model.ts";
 * const m = await experimentModel({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(m.size, m.trainedHere); // 64 false
 * ```
 */
export async function experimentModel(ctx: ExperimentContext): Promise<ExperimentModel> {
  if (ctx.scale !== "full") {
    return {
      model: await loadDefaultModel(),
      history: await shippedHistory(),
      size: 64,
      trainedHere: false,
    };
  }
  const size = 256;
  // the shipped 256×256 model (its reproduction command is in data/models/revcipher-256/README.md)
  try {
    const model = await loadRevCipherModel(MODEL_256_DIR);
    const history = JSON.parse(await Deno.readTextFile(join(MODEL_256_DIR, "history.json")));
    return { model, history, size, trainedHere: false };
  } catch { /* not shipped: train it here, resumably, in the cache */ }
  const dir = join(ctx.cacheDir, "revcipher-256"), outDir = join(dir, "model-final");
  try {
    const model = await loadRevCipherModel(outDir);
    const history = JSON.parse(await Deno.readTextFile(join(dir, "history.json")));
    return { model, history, size, trainedHere: true };
  } catch {
    const d = await cipherImages({
      size,
      trainCount: 256,
      heldOutCount: 0,
      seed: ctx.seed,
      sources: "clinical",
    });
    const r = await trainRevCipher(await initModel(DEFAULT_CONFIG, ctx.seed), d.pool, {
      pretrainSteps: 300,
      steps: 300,
      exactSteps: 100,
      batch: 4,
      seed: ctx.seed,
      checkpointDir: join(dir, "checkpoint"),
    });
    await saveRevCipherModel(outDir, r.model);
    await Deno.writeTextFile(join(dir, "history.json"), JSON.stringify(r.history));
    return { model: r.model, history: r.history, size, trainedHere: true };
  }
}
