/**
 * CKKS encrypted inference with node-seal: the server classifies an image it never sees.
 *
 * - {@linkcode HeClient}: keys, encode + encrypt, decrypt + decode (holds the secret key).
 * - {@linkcode HeServer}: evaluation from {@linkcode PublicEvaluationKeys} only.
 * - {@linkcode PRESETS}: CKKS parameters validated by SEAL at 128-bit security.
 * - {@linkcode trainHeFriendly}, {@linkcode heFriendlyPredictPlain}: the HE-friendly CNN.
 * - {@linkcode errorBound}: the bound on |encrypted − plaintext| logits derived from the parameters.
 *
 * @example
 * ```ts
 * import { clientSpec, HeClient, HeServer, PRESETS, tinyModel } from "./mod.ts";
 * const model = tinyModel(1), params = PRESETS["ckks-4096-d3"];
 * const spec = clientSpec(model, params);
 * const client = await HeClient.create(params);
 * const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
 * const x = new Float64Array(16).fill(0.5);
 * const logits = client.decrypt(await server.evaluate(client.encryptBatch(spec, [x, x])));
 * console.log(logits.length); // 4
 * server.delete();
 * client.delete();
 * ```
 * @module
 */
export * from "./params.ts";
export * from "./model.ts";
export * from "./from_tfjs.ts";
export * from "./plan.ts";
export * from "./spec.ts";
export * from "./protocol.ts";
export * from "./client.ts";
export { HeServer, type HeServerOptions } from "./server.ts";
export { loadSeal, sealHeapBytes } from "./seal.ts";
export * from "./pipeline.ts";
export * from "./noise.ts";
