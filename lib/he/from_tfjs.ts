/**
 * Exports a trained tfjs-layers HE-friendly CNN (`heCnn` of `lib/nn`) to the plain typed
 * {@linkcode HeModel} the CKKS evaluator runs.
 *
 * @example
 * ```ts
 * import { heCnn } from "../nn/models.ts";
 * import { toHeModel } from "./from_tfjs.ts";
 * console.log(toHeModel(heCnn({ seed: 1 })).inputShape); // [ 28, 28 ]
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import type { PolyActivation } from "../nn/models.ts";
import type { HeModel } from "./model.ts";

/**
 * Exports a trained `heCnn` (`lib/nn`) model to the plain typed form of `lib/he` (the softmax
 * is dropped: the CKKS server returns logits, the client applies the softmax).
 *
 * @param model a model built by `heCnn` (`lib/nn`)
 * @param meta provenance to record in the model
 * @returns the {@linkcode HeModel}
 * @example
 * ```ts
 * import { heCnn } from "../nn/models.ts";
 * import { toHeModel } from "./from_tfjs.ts";
 * console.log(toHeModel(heCnn({ seed: 1 })).layers.map((l) => l.kind).join()); // "conv2d,act,avgpool,dense,act,dense"
 * ```
 */
export function toHeModel(
  model: tf.LayersModel,
  meta: Record<string, string | number> = {},
): HeModel {
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  const kinds = layers.map((l) => l.getClassName()).join();
  const expected =
    "Conv2D,PolyActivation,AveragePooling2D,Flatten,Dense,PolyActivation,Dense,Activation";
  if (kinds !== expected) {
    throw new MedCryptError("bad-argument", `not an he-cnn model: layers are ${kinds}`);
  }
  const f = (l: tf.layers.Layer, i: number) => Float64Array.from(l.getWeights()[i].dataSync());
  const conv = layers[0], d1 = layers[4], d2 = layers[6];
  const act = (l: tf.layers.Layer) => {
    const p = l as PolyActivation;
    return {
      kind: "act" as const,
      poly: { c0: p.c0, c1: p.c1, c2: p.c2 },
      name: p.c0 === 0 && p.c1 === 0 && p.c2 === 1 ? "square" : "poly",
    };
  };
  const shape = model.inputs[0].shape;
  return {
    inputShape: [shape[1] as number, shape[2] as number],
    layers: [
      {
        kind: "conv2d",
        kernel: 5,
        stride: 2,
        filters: conv.getWeights()[0].shape[3] as number,
        weights: f(conv, 0),
        bias: f(conv, 1),
      },
      act(layers[1]),
      { kind: "avgpool", size: 2 },
      {
        kind: "dense",
        units: d1.getWeights()[0].shape[1] as number,
        weights: f(d1, 0),
        bias: f(d1, 1),
      },
      act(layers[5]),
      {
        kind: "dense",
        units: d2.getWeights()[0].shape[1] as number,
        weights: f(d2, 0),
        bias: f(d2, 1),
      },
    ],
    meta: { kind: "he-cnn (tfjs-layers)", ...meta },
  };
}
