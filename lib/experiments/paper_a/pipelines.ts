/**
 * Paper A's four pipelines run for real: each test image is protected (none, AES-256-GCM with a
 * pre-shared key, an RSA-wrapped envelope, CKKS), sent, diagnosed and unprotected one at a time,
 * then all of them in one batch; latency, throughput, peak memory and agreement with the same
 * model in the clear are measured per method.
 *
 * @example
 * ```ts
 * import { pipelineOrder } from "./pipelines.ts";
 * import { paperAConfig } from "./options.ts";
 * console.log(pipelineOrder(100, paperAConfig("quick"), 1).length); // 24
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { aesGcmOpen, aesGcmSeal } from "../../core/aes_gcm.ts";
import { peakRssBytes, resetPeakRss } from "../../core/memory.ts";
import { progress } from "../../core/progress.ts";
import { Rng } from "../../core/random.ts";
import { imageAt, type LabeledSet } from "../../datasets/medmnist.ts";
import type { MedImage } from "../../image/types.ts";
import { decryptImage, encryptImage, generateKeyPair } from "../../envelope/mod.ts";
import {
  clientSpec,
  HeClient,
  type HeParams,
  HeServer,
  PRESETS,
  sealHeapBytes,
} from "../../he/mod.ts";
import { toHeModel } from "../../he/from_tfjs.ts";
import { labelsOf } from "../../nn/eval.ts";
import { predictProbs } from "../../nn/train.ts";
import {
  type Method,
  METHODS,
  runSession,
  type Services,
  type Session,
} from "../../pipeline/session.ts";
import type { DeployedAudits } from "./audits.ts";
import type { PaperAConfig } from "./options.ts";

const MB = 1024 * 1024;
const PX = 28 * 28;

/**
 * Plaintext inference of a 28×28 grey classifier on raw bytes.
 *
 * @param model the classifier
 * @returns `(images, n) → n × 2` probabilities
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { inferWith } from "./pipelines.ts";
 * const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 2, activation: "softmax" })] });
 * console.log(inferWith(m)(new Uint8Array(2 * 784), 2).length); // 4
 * ```
 */
export function inferWith(model: tf.LayersModel): (images: Uint8Array, n: number) => Float32Array {
  return (images, n) => {
    const set: LabeledSet = {
      images,
      labels: new Uint8Array(n),
      n,
      height: 28,
      width: 28,
      channels: 1,
      labelWidth: 1,
    };
    return predictProbs(model, set);
  };
}

/** The services of the pipelines, and what setting them up cost. */
export interface PipelineServices {
  /** Keys, models and servers of {@linkcode runSession}. */
  services: Services;
  /** CKKS parameters of the HE row. */
  params: HeParams;
  /** Milliseconds of HE key generation and server setup (not in the per-image latency). */
  heSetupMs: number;
}

/**
 * Sets up the deployed services: the HE-friendly CNN compiled for CKKS with fresh keys, an RSA
 * key pair for the envelope, and a pre-shared AES-256-GCM key. The tiny CNN is the plaintext model.
 *
 * @param audits the deployed audits (their targets are the models)
 * @param cfg sizes of the run (the CKKS preset)
 * @param seed recorded in the HE model's metadata
 * @returns the services; free them with {@linkcode closeServices}
 * @example
 * ```ts ignore
 * import { pipelineServices } from "./pipelines.ts";
 * const s = await pipelineServices(audits, paperAConfig("quick"), 1);
 * console.log(s.params.polyModulusDegree); // 8192
 * ```
 */
export async function pipelineServices(
  audits: DeployedAudits,
  cfg: PaperAConfig,
  seed: number,
): Promise<PipelineServices> {
  const heModel = toHeModel(audits.he.target, { seed, source: "paper-a audit target" });
  const params = PRESETS[cfg.hePreset];
  const spec = clientSpec(heModel, params);
  const tKeys = performance.now();
  const client = await HeClient.create(params);
  const keys = client.evaluationKeys(spec.rotations);
  const server = await HeServer.create(heModel, keys);
  const heSetupMs = performance.now() - tKeys;
  const rsa = await generateKeyPair(2048);
  const aesKey = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
  const services: Services = {
    infer: inferWith(audits.cnn.target),
    aesKey,
    rsa,
    he: { client, server, spec, keys },
  };
  return { services, params, heSetupMs };
}

/**
 * Frees the SEAL objects of the HE client and server.
 *
 * @param s the services
 * @example
 * ```ts ignore
 * import { closeServices, pipelineServices } from "./pipelines.ts";
 * import { paperAConfig } from "./options.ts";
 * const s = await pipelineServices(audits, paperAConfig("quick"), 1); // audits: trained models
 * closeServices(s); // the SEAL keys and ciphertexts are freed; the services are unusable now
 * console.log(s.heSetupMs > 0); // true (what setting them up cost stays readable)
 * ```
 */
export function closeServices(s: PipelineServices): void {
  s.services.he.server.delete();
  s.services.he.client.delete();
}

/**
 * @param n images in the test split
 * @param cfg sizes of the run
 * @param seed seed of the run
 * @returns the test images sent through the pipelines, in order (seeded with `seed + 3`)
 * @example
 * ```ts
 * import { pipelineOrder } from "./pipelines.ts";
 * import { paperAConfig } from "./options.ts";
 * const o = pipelineOrder(468, paperAConfig("quick"), 7);
 * console.log(o.join() === pipelineOrder(468, paperAConfig("quick"), 7).join()); // true
 * ```
 */
export function pipelineOrder(n: number, cfg: PaperAConfig, seed: number): Int32Array {
  return new Rng(seed + 3).permutation(n).slice(0, cfg.pipelineImages);
}

/** One method's measurements over the pipeline images. */
export interface MethodRun {
  /** The method. */
  method: Method;
  /** Every request, in order. */
  sessions: Session[];
  /** End-to-end milliseconds per request. */
  latencyMs: number[];
  /** Seconds for all requests one after the other. */
  wallS: number;
  /** Images per second when protected, diagnosed and unprotected as one batch. */
  batchImagesPerS: number;
  /** HE only: the batch throughput with every CKKS slot holding an image; NaN otherwise. */
  fullSlotsImagesPerS: number;
  /** Peak RSS of the process during the requests (VmHWM reset before), MB. */
  peakRssMb: number;
  /** RSS before the requests, MB. */
  rssBeforeMb: number;
  /** Largest tfjs tensor memory during the requests, MB. */
  tfPeakMb: number;
  /** SEAL's heap after the requests, MB. */
  sealHeapMb: number;
  /** Accuracy on the pipeline images. */
  accuracy: number;
  /** Fraction of labels equal to those of the same model run in the clear on the same images. */
  agreeWithPlain: number;
  /** Largest |P(pneumonia) − P(pneumonia) of the same model in the clear| over the images. */
  maxProbDiff: number;
}

/**
 * @param model a classifier
 * @param test the test split
 * @param order the pipeline images
 * @returns P(pneumonia) of the model in the clear on each pipeline image
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { clearPneumonia } from "./pipelines.ts";
 * const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: "zeros" })] });
 * const test = { images: new Uint8Array(3 * 784), labels: new Uint8Array(3), n: 3, height: 28, width: 28, channels: 1, labelWidth: 1 };
 * console.log(clearPneumonia(m, test, Int32Array.from([2, 0]))); // Float64Array(2) [ 0.5, 0.5 ]
 * ```
 */
export function clearPneumonia(
  model: tf.LayersModel,
  test: LabeledSet,
  order: Int32Array,
): Float64Array {
  const imgs = new Uint8Array(order.length * PX);
  order.forEach((i, k) => imgs.set(test.images.subarray(i * PX, (i + 1) * PX), k * PX));
  const p = inferWith(model)(imgs, order.length);
  return Float64Array.from(order, (_, k) => p[2 * k + 1]);
}

/** Seconds to protect all images, run one batched inference, and unprotect all. */
async function batchedSeconds(method: Method, imgs: MedImage[], s: Services): Promise<number> {
  const b0 = performance.now();
  if (method === "HE") {
    const { client, server, spec } = s.he;
    const q = client.encryptBatch(
      spec,
      imgs.map((im) => Float64Array.from(im.data, (v) => v / 255)),
    );
    client.decrypt(await server.evaluate(q));
  } else {
    const all = new Uint8Array(imgs.length * PX);
    for (const [k, im] of imgs.entries()) {
      const px = im.data as Uint8Array;
      let opened = px;
      if (method === "AES") opened = await aesGcmOpen(s.aesKey, await aesGcmSeal(s.aesKey, px));
      if (method === "AES+RSA") {
        const env = await encryptImage(im, s.rsa.publicKey);
        opened = (await decryptImage(env, s.rsa.privateKey)).image.data as Uint8Array;
      }
      all.set(opened, k * PX);
    }
    s.infer(all, imgs.length);
  }
  return (performance.now() - b0) / 1000;
}

/** What {@linkcode measureMethod} needs besides the method. */
export interface PipelineInputs {
  /** The services. */
  setup: PipelineServices;
  /** The test split. */
  test: LabeledSet;
  /** The pipeline images ({@linkcode pipelineOrder}). */
  order: Int32Array;
  /** P(pneumonia) in the clear of the model each method runs ({@linkcode clearPneumonia}). */
  clear: { cnn: Float64Array; he: Float64Array };
}

/**
 * Runs every pipeline image through one method, one request at a time (after five warm-up
 * requests outside the measurement), then as one batch.
 *
 * @param method the method
 * @param input services, images and the clear reference
 * @param onImage called after each request (progress)
 * @returns the measurements
 * @example
 * ```ts ignore
 * import { measureMethod } from "./pipelines.ts";
 * const run = await measureMethod("AES", input);
 * console.log(run.sessions.length === input.order.length); // true
 * ```
 */
export async function measureMethod(
  method: Method,
  input: PipelineInputs,
  onImage: () => void = () => {},
): Promise<MethodRun> {
  const { setup: { services, params }, test, order } = input;
  const image = (i: number) => imageAt(test, i, { modality: "CR" });
  // warm-up (JIT, first tfjs/SEAL calls) outside the measurement: a few requests, since one
  // left the first method measured slower than the ones after it
  for (const i of order.slice(0, 5)) await runSession(method, image(i), services);
  const rssBefore = Deno.memoryUsage().rss;
  const reset = resetPeakRss();
  let tfPeak = tf.memory().numBytes;
  const sessions: Session[] = [];
  const w0 = performance.now();
  for (const i of order) {
    sessions.push(await runSession(method, image(i), services));
    tfPeak = Math.max(tfPeak, tf.memory().numBytes);
    onImage();
  }
  const wallS = (performance.now() - w0) / 1000;
  const peak = reset ? peakRssBytes() : Math.max(rssBefore, Deno.memoryUsage().rss);
  const batchS = await batchedSeconds(method, Array.from(order, image), services);
  const labels = labelsOf(test);
  const clear = method === "HE" ? input.clear.he : input.clear.cnn;
  let ok = 0, agree = 0, maxProbDiff = 0;
  sessions.forEach((s, k) => {
    const p = s.probs[1] > s.probs[0] ? 1 : 0;
    if (p === labels[order[k]]) ok++;
    if (p === (clear[k] > 0.5 ? 1 : 0)) agree++;
    maxProbDiff = Math.max(maxProbDiff, Math.abs(s.probs[1] - clear[k]));
  });
  return {
    method,
    sessions,
    latencyMs: sessions.map((s) => s.ms.total),
    wallS,
    batchImagesPerS: order.length / batchS,
    // one CKKS batch costs the same whether or not every slot holds an image
    fullSlotsImagesPerS: method === "HE" ? params.polyModulusDegree / 2 / batchS : NaN,
    peakRssMb: peak / MB,
    rssBeforeMb: rssBefore / MB,
    tfPeakMb: tfPeak / MB,
    sealHeapMb: sealHeapBytes() / MB,
    accuracy: ok / order.length,
    agreeWithPlain: agree / order.length,
    maxProbDiff,
  };
}

/**
 * Measures every method in {@linkcode METHODS} order on the seeded pipeline images.
 *
 * @param setup the services
 * @param audits the deployed audits (their targets are the clear reference)
 * @param test the test split
 * @param cfg sizes of the run
 * @param seed seed of the run
 * @returns one run per method
 * @example
 * ```ts ignore
 * import { runPipelines } from "./pipelines.ts";
 * const runs = await runPipelines(setup, audits, test, cfg, 1);
 * console.log(runs.map((r) => r.method)); // [ "Plaintext", "AES", "AES+RSA", "HE" ]
 * ```
 */
export async function runPipelines(
  setup: PipelineServices,
  audits: DeployedAudits,
  test: LabeledSet,
  cfg: PaperAConfig,
  seed: number,
): Promise<MethodRun[]> {
  const order = pipelineOrder(test.n, cfg, seed);
  // what each deployed model outputs in the clear on the pipeline images: the reference of the
  // agreement column (the HE row compares CKKS inference with the HE-friendly model in the clear)
  const clear = {
    cnn: clearPneumonia(audits.cnn.target, test, order),
    he: clearPneumonia(audits.he.target, test, order),
  };
  const runs: MethodRun[] = [];
  const bar = progress("paper-a pipelines", METHODS.length * order.length);
  try {
    for (const method of METHODS) {
      runs.push(
        await measureMethod(method, { setup, test, order, clear }, () => bar.tick({ method })),
      );
    }
  } finally {
    bar.done();
  }
  return runs;
}
