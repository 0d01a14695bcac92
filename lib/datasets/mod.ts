/**
 * Real data sets and deterministic splits: PneumoniaMNIST (embedded), any local 2-D MedMNIST
 * `.npz`, the embedded clinical samples, seeded splits and member / non-member draws, and float
 * batches for tfjs.
 *
 * @example
 * ```ts
 * import { loadPneumoniaMNIST, seededSplit, toFloatBatch } from "./mod.ts";
 * const { train } = await loadPneumoniaMNIST();
 * const [a] = seededSplit(train.n, [0.1], 42);
 * const batch = toFloatBatch(train, a);
 * console.log(batch.shape); // [243, 28, 28, 1]
 * ```
 * @module
 */
export * from "./medmnist.ts";
export * from "./clinical.ts";
export * from "./splits.ts";
