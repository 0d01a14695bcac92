/**
 * What the client needs to know about the model — its input size, how to pack an image, the
 * rotation steps to make Galois keys for, and the depth — without any of its weights.
 *
 * @example
 * ```ts
 * import { clientSpec } from "./spec.ts";
 * import { tinyModel } from "./model.ts";
 * import { PRESETS } from "./params.ts";
 * const s = clientSpec(tinyModel(1), PRESETS["ckks-4096-d3"]);
 * console.log(s.depth, s.rotations); // 3 [ 1, 2, 4, 8 ]
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import type { HeModel, InputNorm } from "./model.ts";
import { type HeParams, presetDepth } from "./params.ts";
import { compile, latencyPlan, type Packing } from "./plan.ts";

/** The model's public shape, as the client sees it. */
export interface ClientSpec {
  /** Input rows and columns. */
  readonly inputShape: readonly [number, number];
  /** Client-side preprocessing of the pixels. */
  readonly inputNorm: InputNorm;
  /** Latency-mode packing. */
  readonly packing: Packing;
  /** Rotation steps the server will use (latency mode; the batch mode uses none). */
  readonly rotations: readonly number[];
  /** Multiplicative depth. */
  readonly depth: number;
  /** Number of logits. */
  readonly classes: number;
}

/**
 * Computes the client spec of `model` under `params`, and checks that the parameters are deep
 * enough.
 *
 * @param model the model
 * @param params CKKS parameters
 * @returns the spec
 * @example
 * ```ts
 * import { clientSpec } from "./spec.ts";
 * import { tinyModel } from "./model.ts";
 * import { PRESETS } from "./params.ts";
 * console.log(clientSpec(tinyModel(1), PRESETS["ckks-4096-d3"]).classes); // 2
 * ```
 */
export function clientSpec(model: HeModel, params: HeParams): ClientSpec {
  const prog = compile(model);
  assertDepth(prog.depth, params);
  const plan = latencyPlan(prog, params.polyModulusDegree / 2);
  return {
    inputShape: model.inputShape,
    inputNorm: model.inputNorm ?? "unit",
    packing: plan.packing,
    rotations: plan.rotations,
    depth: plan.depth,
    classes: plan.classes,
  };
}

/**
 * Throws `he-model-too-deep` when `depth` exceeds what `params` support.
 *
 * @param depth the model's multiplicative depth
 * @param params the parameters
 * @returns nothing
 * @example
 * ```ts
 * import type { MedCryptError } from "../core/errors.ts";
 * import { assertDepth } from "./spec.ts";
 * import { PRESETS } from "./params.ts";
 * assertDepth(3, PRESETS["ckks-4096-d3"]); // depth 3 fits: no error
 * try {
 *   assertDepth(4, PRESETS["ckks-4096-d3"]);
 * } catch (e) {
 *   console.log((e as MedCryptError).code); // "he-model-too-deep"
 * }
 * ```
 */
export function assertDepth(depth: number, params: HeParams): void {
  const avail = presetDepth(params);
  if (depth > avail) {
    throw new MedCryptError(
      "he-model-too-deep",
      `the model needs multiplicative depth ${depth} but preset ${params.name} (${
        params.coeffBits.join("+")
      } bits) allows ${avail}; use a preset with more moduli (e.g. ckks-8192-d5 or ckks-16384-d7)`,
    );
  }
}
