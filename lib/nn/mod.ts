/**
 * Neural networks: the tfjs backend choice (and, later, models and training).
 *
 * @example
 * ```ts
 * import { initBackend } from "./mod.ts";
 * console.log(["tensorflow", "wasm", "cpu"].includes(await initBackend())); // true
 * ```
 * @module
 */
export * from "./backend.ts";
export * from "./models.ts";
export * from "./models_named.ts";
export * from "./train.ts";
export * from "./train_io.ts";
export * from "./train_zoo.ts";
export * from "./eval.ts";
export * from "./train_envelope.ts";
export * from "./dpsgd.ts";
