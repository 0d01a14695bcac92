/**
 * The tables of experiment `he`: CKKS parameters with key sizes, and memory over repeated
 * latency-mode inferences.
 *
 * @example
 * ```ts
 * import { memoryTable } from "./tables.ts";
 * const mb = (xs: number[]) => xs.map((v) => v * 2 ** 20);
 * const t = memoryTable({ ms: [10, 30, 20], rss: mb([1, 2, 2]), heap: mb([4, 4, 4]) });
 * console.log(t.get("median_ms", 0), t.get("rss_growth_pct", 0)); // 20 100
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { median } from "../../stats/summary.ts";
import type { HeParams } from "../../he/params.ts";
import type { InferenceRun } from "../../he/pipeline.ts";
import type { MemoryCurve } from "./inference.ts";

/**
 * @param params the CKKS parameters
 * @param single the single-mode run (depth, rotations, Galois keys)
 * @param batch the batch-mode run (key sizes)
 * @returns one row: modulus chain, security, slots, depth, rotations, key sizes in kB
 * @example
 * ```ts
 * import { paramsTable } from "./tables.ts";
 * import { preset } from "../../he/params.ts";
 * import { singleRun } from "./inference.ts";
 * import { tinyModel } from "../../he/model.ts";
 * const run = await singleRun(tinyModel(1), [new Float64Array(16).fill(0.5)], 1); // a 4×4 model
 * console.log(paramsTable(preset("ckks-8192-d5"), run, run).get("slots", 0)); // 4096
 * ```
 */
export function paramsTable(
  params: HeParams,
  single: InferenceRun,
  batch: InferenceRun,
): ColumnTable {
  const sizes = batch.sizes;
  return aq.from([{
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
}

/**
 * The first sample after warm-up (5 % of the runs) of a memory curve.
 *
 * @param curve the curve
 * @returns its index
 * @example
 * ```ts
 * import { warmIndex } from "./tables.ts";
 * console.log(warmIndex({ ms: Array(100).fill(1), rss: Array(100).fill(1), heap: Array(100).fill(1) })); // 5
 * ```
 */
export function warmIndex(curve: MemoryCurve): number {
  return Math.min(curve.rss.length - 1, Math.max(0, Math.floor(curve.rss.length / 20)));
}

/**
 * @param curve the latency-mode memory curve
 * @returns one row: runs, median latency, RSS after warm-up and at the end, growth, WASM heap
 * @example
 * ```ts
 * import { memoryTable } from "./tables.ts";
 * const mb = (xs: number[]) => xs.map((v) => v * 2 ** 20);
 * const t = memoryTable({ ms: [10, 30, 20], rss: mb([1, 2, 2]), heap: mb([4, 4, 4]) });
 * console.log(t.get("median_ms", 0), t.get("rss_growth_pct", 0)); // 20 100
 * ```
 */
export function memoryTable(curve: MemoryCurve): ColumnTable {
  const warm = warmIndex(curve);
  return aq.from([{
    latency_runs: curve.ms.length,
    median_ms: median(curve.ms),
    rss_after_warmup_mb: curve.rss[warm] / 2 ** 20,
    rss_last_mb: curve.rss.at(-1)! / 2 ** 20,
    rss_growth_pct: (curve.rss.at(-1)! / curve.rss[warm] - 1) * 100,
    wasm_heap_first_mb: curve.heap[warm] / 2 ** 20,
    wasm_heap_last_mb: curve.heap.at(-1)! / 2 ** 20,
  }]);
}
