/**
 * Privacy attacks on models and what each adversary sees: membership inference
 * (Yeom, Shokri, LiRA, RMIA) with audits and controls, model inversion, output defences, and
 * paper A's threat model.
 *
 * @example
 * ```ts
 * import { randomScores } from "./mod.ts";
 * import { attackMetrics } from "../stats/mod.ts";
 * const m = attackMetrics(randomScores(2000, 1), Uint8Array.from({ length: 2000 }, (_, i) => i % 2));
 * console.log(Math.abs(m.auc - 0.5) < 0.05); // true
 * ```
 * @module
 */
export * from "./mia.ts";
export * from "./audit.ts";
export * from "./inversion.ts";
export * from "./defences.ts";
