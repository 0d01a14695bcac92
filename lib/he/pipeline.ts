/**
 * The whole encrypted-inference round trip, client → server → client, with timings and sizes:
 * what the CLI, the benchmark and the experiment run.
 *
 * @example
 * ```ts
 * import { encryptedInference } from "./pipeline.ts";
 * import { tinyModel } from "./model.ts";
 * const run = await encryptedInference(tinyModel(1), [new Float64Array(16).fill(0.5)], {
 *   preset: "ckks-8192-d3",
 *   mode: "single",
 * });
 * console.log(run.encryptedLogits.length, run.labels); // 2 [ ... ]
 * ```
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { HeClient } from "./client.ts";
import { type HeModel, loadHeModel } from "./model.ts";
import { errorBound } from "./noise.ts";
import { type HeParams, preset } from "./params.ts";
import { compile } from "./plan.ts";
import { HeServer } from "./server.ts";
import { sealHeapBytes } from "./seal.ts";
import { clientSpec } from "./spec.ts";
import { forwardProgram } from "./noise.ts";

/** The shipped trained HE-friendly CNN (reproduce with `deno task medcrypt he-train`). */
export const SHIPPED_MODEL_PATH: string = fileURLToPath(
  new URL("../../data/models/he_cnn.json", import.meta.url),
);

/**
 * The N = 4096 member of the model family: conv → x² → pool → dense (depth 3) for the
 * `ckks-4096-d3` preset, chosen on the validation split (`data/models/he_cnn_4096.md`).
 */
export const MODEL_4096_PATH: string = fileURLToPath(
  new URL("../../data/models/he_cnn_4096.json", import.meta.url),
);

/**
 * Loads the shipped model.
 *
 * @returns the model in `data/models/he_cnn.json`
 * @example
 * ```ts
 * import { loadShippedModel } from "./pipeline.ts";
 * console.log((await loadShippedModel()).inputShape); // [28, 28]
 * ```
 */
export function loadShippedModel(): Promise<HeModel> {
  return loadHeModel(SHIPPED_MODEL_PATH);
}

/** Options of {@linkcode encryptedInference}. */
export interface InferenceOptions {
  /** Preset name (default `"ckks-8192-d5"`). */
  preset?: string;
  /** `"single"` (one image per ciphertext group, default) or `"batch"` (one image per slot). */
  mode?: "single" | "batch";
  /**
   * Web Workers for the batch mode (default 1 = this thread): stage A is split over all of them.
   * The single mode always runs in this thread (splitting one image costs more in ciphertext
   * exchange than it saves).
   */
  workers?: number;
  /** Query compression (default `"none"`: zstd shrinks a query by ~1.7× but costs ~30 ms per ciphertext). */
  compression?: "none" | "zstd";
  /** Seeded ciphertexts (default: true in single mode, false in batch mode). */
  seeded?: boolean;
}

/** Timings of a run, in milliseconds. */
export interface InferenceTimings {
  /** Client key generation (keys + evaluation keys). */
  keygenMs: number;
  /** Server construction (loading keys, encoding weights, starting workers). */
  serverSetupMs: number;
  /** Client encoding + encryption + serialization. */
  encryptMs: number;
  /** Server evaluation (deserialization included). */
  serverMs: number;
  /** Client decryption + decoding. */
  decryptMs: number;
  /** encrypt + server + decrypt for all images. */
  inferenceMs: number;
  /** `inferenceMs / images`. */
  perImageMs: number;
  /**
   * Process CPU time (user + system, all threads including the workers) of encrypt + server +
   * decrypt: what the run costs independent of other load on the machine. On a machine whose
   * cores are free, the wall time is about this divided by the cores used.
   */
  cpuMs: number;
}

/** What a run measured. */
export interface InferenceRun {
  /** Decrypted logits, image-major. */
  encryptedLogits: Float64Array;
  /** The float64 plaintext model's logits. */
  plainLogits: Float64Array;
  /** Predicted class from the encrypted logits. */
  labels: number[];
  /** Predicted class from the plaintext logits. */
  plainLabels: number[];
  /** Timings. */
  timings: InferenceTimings;
  /** Bytes. */
  sizes: {
    /** Query (all ciphertexts sent). */
    queryBytes: number;
    /** Result. */
    resultBytes: number;
    /** Public key. */
    publicKey: number;
    /** Relinearization keys. */
    relinKeys: number;
    /** Galois keys. */
    galoisKeys: number;
    /** Secret key (never sent). */
    secretKey: number;
    /** Plain input size (8-bit pixels) of all images. */
    plainBytes: number;
  };
  /** Parameters used. */
  params: HeParams;
  /** Rotation steps with Galois keys. */
  rotations: readonly number[];
  /** Multiplicative depth. */
  depth: number;
  /** Max |encrypted − plaintext| over all logits. */
  maxError: number;
  /** The derived average-case bound and the worst-case bound for these inputs. */
  bound: { logits: number; worstCase: number };
  /** Peak memory seen: process RSS and this thread's SEAL WASM heap (and the workers'). */
  memory: { rssBytes: number; wasmHeapBytes: number; workerWasmHeapBytes: number };
}

function argmax(a: Float64Array, i: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (a[i * k + c] > a[i * k + best]) best = c;
  return best;
}

/**
 * Runs client key generation, encryption, server evaluation and decryption for `inputs`.
 *
 * @param model the model (the server's)
 * @param inputs preprocessed inputs (see `imageToInput`)
 * @param opts preset, mode, workers
 * @returns what was measured
 * @example
 * ```ts
 * import { encryptedInference } from "./pipeline.ts";
 * import { tinyModel } from "./model.ts";
 * const r = await encryptedInference(tinyModel(1), [new Float64Array(16)], { preset: "ckks-8192-d3", mode: "batch" });
 * console.log(r.maxError <= r.bound.logits); // true
 * ```
 */
export async function encryptedInference(
  model: HeModel,
  inputs: readonly Float64Array[],
  opts: InferenceOptions = {},
): Promise<InferenceRun> {
  const params = preset(opts.preset ?? "ckks-8192-d5");
  const mode = opts.mode ?? "single";
  const spec = clientSpec(model, params);
  let rss = Deno.memoryUsage().rss;
  const peak = () => (rss = Math.max(rss, Deno.memoryUsage().rss));
  let t = performance.now();
  // single: seeded queries without zstd (zstd costs 17 ms to save and 13 ms to load per N=8192
  // ciphertext, measured by `_profile_ops.ts`, ≈ 200 ms of a 7-ciphertext query's round trip;
  // seeding alone halves the bytes); batch: plain full ciphertexts, which the server loads
  // fastest (784 of them per query)
  const client = await HeClient.create(
    params,
    mode === "single"
      ? { compression: opts.compression ?? "none", seeded: opts.seeded ?? true }
      : { compression: opts.compression ?? "none", seeded: opts.seeded ?? false },
  );
  const keys = client.evaluationKeys(mode === "single" ? spec.rotations : []);
  const keygenMs = performance.now() - t;
  t = performance.now();
  const server = await HeServer.create(model, keys, { workers: opts.workers ?? 1 });
  const serverSetupMs = performance.now() - t;
  const classes = spec.classes;
  const enc = new Float64Array(inputs.length * classes);
  let encryptMs = 0, serverMs = 0, decryptMs = 0, queryBytes = 0, resultBytes = 0, cpuUs = 0;
  try {
    const slots = params.polyModulusDegree / 2;
    const chunk = mode === "single" ? 1 : slots;
    for (let i = 0; i < inputs.length; i += chunk) {
      const part = inputs.slice(i, i + chunk);
      const cpu0 = process.cpuUsage();
      t = performance.now();
      const q = mode === "single"
        ? client.encryptSingle(spec, part)
        : client.encryptBatch(spec, part);
      encryptMs += performance.now() - t;
      queryBytes += q.ciphertexts.reduce((a, b) => a + b.length, 0);
      t = performance.now();
      const r = await server.evaluate(q);
      serverMs += performance.now() - t;
      resultBytes += r.ciphertexts.reduce((a, b) => a + b.length, 0);
      peak();
      t = performance.now();
      enc.set(client.decrypt(r), i * classes);
      decryptMs += performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      cpuUs += cpu.user + cpu.system;
    }
    const prog = compile(model);
    const plain = new Float64Array(inputs.length * classes);
    inputs.forEach((x, i) => plain.set(forwardProgram(prog, x).at(-1)!, i * classes));
    let maxError = 0;
    for (let i = 0; i < enc.length; i++) maxError = Math.max(maxError, Math.abs(enc[i] - plain[i]));
    const b = errorBound(prog, params, [inputs], mode);
    const sizes = client.keySizes();
    const inferenceMs = encryptMs + serverMs + decryptMs;
    return {
      encryptedLogits: enc,
      plainLogits: plain,
      labels: inputs.map((_, i) => argmax(enc, i, classes)),
      plainLabels: inputs.map((_, i) => argmax(plain, i, classes)),
      timings: {
        keygenMs,
        serverSetupMs,
        encryptMs,
        serverMs,
        decryptMs,
        inferenceMs,
        perImageMs: inferenceMs / inputs.length,
        cpuMs: cpuUs / 1000,
      },
      sizes: {
        queryBytes,
        resultBytes,
        publicKey: sizes.publicKey,
        relinKeys: sizes.relinKeys,
        galoisKeys: sizes.galoisKeys,
        secretKey: sizes.secretKey,
        plainBytes: inputs.length * spec.inputShape[0] * spec.inputShape[1],
      },
      params,
      rotations: keys.galoisSteps,
      depth: spec.depth,
      maxError,
      bound: { logits: b.logits, worstCase: b.worstCase },
      memory: {
        rssBytes: peak(),
        wasmHeapBytes: sealHeapBytes(),
        workerWasmHeapBytes: server.workerHeapBytes,
      },
    };
  } finally {
    server.delete();
    client.delete();
  }
}
