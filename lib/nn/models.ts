/**
 * Classifiers for small grey medical images (28×28 or 64×64, one channel), all built with
 * tfjs-layers and all ending in a softmax over the classes:
 *
 * - {@linkcode resnet}: ResNet-style (He et al. 2016) — residual basic blocks with batch norm
 *   and projection shortcuts, three stages.
 * - {@linkcode densenet}: DenseNet-style (Huang et al. 2017) — dense blocks whose layers see the
 *   concatenation of all earlier feature maps, with compressing transition layers.
 * - {@linkcode vit}: ViT-style (Dosovitskiy et al. 2021) — patch embedding, learned position
 *   embedding, pre-norm transformer blocks with multi-head self-attention (a custom layer:
 *   tfjs-layers has none) and an MLP, mean-pooled tokens.
 * - {@linkcode tinyCnn} and {@linkcode mlp}: small, fast models for shadow/reference models of
 *   membership attacks.
 * - `resnet-18`, `densenet-121` and `vit-tiny`: the published networks (`models_named.ts`),
 *   built here by name too.
 *
 * The models are returned uncompiled; `train` (in `train.ts`) compiles them.
 *
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * const m = buildModel("resnet", { inputSize: 28, seed: 1 });
 * console.log(m.outputs[0].shape); // [null, 2]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import {
  LayerNorm,
  MultiHeadSelfAttention,
  PolyActivation,
  PositionEmbedding,
} from "./models_layers.ts";
import { densenet121, resnet18, vitTiny } from "./models_named.ts";

export {
  LayerNorm,
  MultiHeadSelfAttention,
  PolyActivation,
  PositionEmbedding,
} from "./models_layers.ts";

/** The architectures {@linkcode buildModel} knows: the miniatures and the published networks. */
export type Arch =
  | "resnet"
  | "densenet"
  | "vit"
  | "cnn-tiny"
  | "mlp"
  | "he-cnn"
  | NamedArch;

/** Paper A's networks as published (see `models_named.ts`). */
export type NamedArch = "resnet-18" | "densenet-121" | "vit-tiny";

/** The published networks, in display order. */
export const NAMED_ARCHS: readonly NamedArch[] = ["resnet-18", "densenet-121", "vit-tiny"];

/** The architectures, in display order. */
export const ARCHS: readonly Arch[] = [
  "resnet",
  "densenet",
  "vit",
  "cnn-tiny",
  "mlp",
  "he-cnn",
  ...NAMED_ARCHS,
];

/** Options shared by every builder. */
export interface ModelOptions {
  /** Side of the square input image (28 or 64 are the tested sizes; default 28). */
  inputSize?: number;
  /** Input channels (default 1, grey). */
  channels?: number;
  /** Number of classes (default 2). */
  classes?: number;
  /** Seed of every weight initialiser (default 0). */
  seed?: number;
  /** Width multiplier: base filters (resnet), growth rate (densenet), token dim (vit). */
  width?: number;
  /** Dropout before the classifier (default 0 except vit: 0.1). */
  dropout?: number;
}

class Seeds {
  #s: number;
  constructor(seed: number) {
    this.#s = seed * 1000;
  }
  he(): Init {
    return tf.initializers.heNormal({ seed: ++this.#s });
  }
  glorot(): Init {
    return tf.initializers.glorotUniform({ seed: ++this.#s });
  }
  next(): number {
    return ++this.#s;
  }
}

function inputOf(o: ModelOptions): { input: tf.SymbolicTensor; size: number; classes: number } {
  const size = o.inputSize ?? 28;
  const channels = o.channels ?? 1;
  if (!Number.isInteger(size) || size < 16 || size > 256) {
    throw new MedCryptError("bad-argument", `input size ${size} is outside 16..256`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new MedCryptError("bad-argument", `channels ${channels} is outside 1..4`);
  }
  const classes = o.classes ?? 2;
  if (!Number.isInteger(classes) || classes < 2) {
    throw new MedCryptError("bad-argument", `classes must be an integer ≥ 2, not ${classes}`);
  }
  return { input: tf.input({ shape: [size, size, channels] }), size, classes };
}

function head(
  x: tf.SymbolicTensor,
  classes: number,
  seeds: Seeds,
  dropout: number,
): tf.SymbolicTensor {
  let y = x;
  if (dropout > 0) {
    y = tf.layers.dropout({ rate: dropout, seed: seeds.next() }).apply(y) as tf.SymbolicTensor;
  }
  return tf.layers.dense({
    units: classes,
    activation: "softmax",
    kernelInitializer: seeds.glorot(),
  }).apply(y) as tf.SymbolicTensor;
}

type Init = ReturnType<typeof tf.initializers.heNormal>;

function conv(
  x: tf.SymbolicTensor,
  filters: number,
  kernelSize: number,
  strides: number,
  seeds: Seeds,
): tf.SymbolicTensor {
  return tf.layers.conv2d({
    filters,
    kernelSize,
    strides,
    padding: "same",
    useBias: false,
    kernelInitializer: seeds.he(),
  }).apply(x) as tf.SymbolicTensor;
}

const bn = (x: tf.SymbolicTensor) =>
  tf.layers.batchNormalization({ momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
const relu = (x: tf.SymbolicTensor) =>
  tf.layers.activation({ activation: "relu" }).apply(x) as tf.SymbolicTensor;

/**
 * A ResNet-style classifier: stem conv → 3 stages of residual basic blocks (filters `w`, `2w`,
 * `4w`; the last two downsample by 2; 64×64 inputs get a stride-2 stem) → global average pool
 * → softmax.
 *
 * @param options input size, classes, seed, width (base filters, default 16)
 * @returns an uncompiled model
 * @example
 * ```ts
 * import { resnet } from "./models.ts";
 * console.log(resnet({ inputSize: 64 }).countParams() > 10_000); // true
 * ```
 */
export function resnet(options: ModelOptions = {}): tf.LayersModel {
  const { input, size, classes } = inputOf(options);
  const seeds = new Seeds(options.seed ?? 0);
  const w = options.width ?? 16;
  let x = relu(bn(conv(input, w, 3, size >= 56 ? 2 : 1, seeds)));
  const stages = [w, 2 * w, 4 * w];
  for (let s = 0; s < stages.length; s++) {
    const filters = stages[s], stride = s === 0 ? 1 : 2;
    let y = relu(bn(conv(x, filters, 3, stride, seeds)));
    y = bn(conv(y, filters, 3, 1, seeds));
    const shortcut = stride !== 1 || s === 0 && w !== filters
      ? bn(conv(x, filters, 1, stride, seeds))
      : x;
    x = relu(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor);
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  return tf.model({
    inputs: input,
    outputs: head(x, classes, seeds, options.dropout ?? 0),
    name: "resnet",
  });
}

/**
 * A DenseNet-style classifier: stem conv (2·growth filters) → 3 dense blocks of 4 BN-ReLU-conv
 * layers (each adds `growth` maps, concatenated to its input) with compression-0.5 transition
 * layers (1×1 conv + 2×2 average pool) between them (stride-2 stem, stride 4 for 64×64) → BN-ReLU
 * → global average pool → softmax.
 *
 * @param options input size, classes, seed, width (growth rate, default 12)
 * @returns an uncompiled model
 * @example
 * ```ts
 * import { densenet } from "./models.ts";
 * console.log(densenet().layers.some((l) => l.getClassName() === "Concatenate")); // true
 * ```
 */
export function densenet(options: ModelOptions = {}): tf.LayersModel {
  const { input, size, classes } = inputOf(options);
  const seeds = new Seeds(options.seed ?? 0);
  const growth = options.width ?? 12;
  let channels = 2 * growth;
  // stride-2 stem: the first dense block at full 28×28 resolution costs 4× more for little gain
  let x = conv(input, channels, 3, size >= 56 ? 4 : 2, seeds);
  const blocks = 3, layersPerBlock = 4;
  for (let b = 0; b < blocks; b++) {
    for (let l = 0; l < layersPerBlock; l++) {
      const y = conv(relu(bn(x)), growth, 3, 1, seeds);
      x = tf.layers.concatenate({ axis: -1 }).apply([x, y]) as tf.SymbolicTensor;
      channels += growth;
    }
    if (b < blocks - 1) {
      channels = Math.floor(channels / 2);
      x = conv(relu(bn(x)), channels, 1, 1, seeds);
      x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
    }
  }
  x = relu(bn(x));
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  return tf.model({
    inputs: input,
    outputs: head(x, classes, seeds, options.dropout ?? 0),
    name: "densenet",
  });
}

/**
 * A ViT-style classifier: non-overlapping patches (4×4 for 28×28, 8×8 for 64×64) embedded by a
 * strided conv → learned position embedding → 2 pre-norm transformer blocks (layer norm →
 * multi-head self-attention → residual; layer norm → MLP (2·dim, ReLU) → residual) → layer norm
 * → mean over tokens → softmax.
 *
 * @param options input size, classes, seed, width (token dim, default 48), dropout (0.1)
 * @returns an uncompiled model
 * @example
 * ```ts
 * import { vit } from "./models.ts";
 * console.log(vit().layers.some((l) => l.getClassName() === "MultiHeadSelfAttention")); // true
 * ```
 */
export function vit(
  options: ModelOptions & { heads?: number; depth?: number } = {},
): tf.LayersModel {
  const { input, size, classes } = inputOf(options);
  const seeds = new Seeds(options.seed ?? 0);
  const dim = options.width ?? 48;
  const heads = options.heads ?? 4;
  const depth = options.depth ?? 2;
  const patch = size >= 56 ? 8 : 4;
  if (size % patch !== 0) {
    throw new MedCryptError(
      "bad-argument",
      `input size ${size} is not a multiple of patch ${patch}`,
    );
  }
  const tokens = (size / patch) ** 2;
  let x = tf.layers.conv2d({
    filters: dim,
    kernelSize: patch,
    strides: patch,
    kernelInitializer: seeds.glorot(),
  }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [tokens, dim] }).apply(x) as tf.SymbolicTensor;
  x = new PositionEmbedding({ seed: seeds.next() }).apply(x) as tf.SymbolicTensor;
  const ln = (t: tf.SymbolicTensor) =>
    new LayerNorm({ epsilon: 1e-6 }).apply(t) as tf.SymbolicTensor;
  for (let d = 0; d < depth; d++) {
    const a = new MultiHeadSelfAttention({
      numHeads: heads,
      keyDim: Math.max(1, Math.floor(dim / heads)),
      seed: seeds.next(),
    }).apply(ln(x)) as tf.SymbolicTensor;
    x = tf.layers.add().apply([x, a]) as tf.SymbolicTensor;
    let m = tf.layers.dense({
      units: 2 * dim,
      activation: "relu",
      kernelInitializer: seeds.glorot(),
    }).apply(ln(x)) as tf.SymbolicTensor;
    m = tf.layers.dense({ units: dim, kernelInitializer: seeds.glorot() })
      .apply(m) as tf.SymbolicTensor;
    x = tf.layers.add().apply([x, m]) as tf.SymbolicTensor;
  }
  x = tf.layers.globalAveragePooling1d({}).apply(ln(x)) as tf.SymbolicTensor;
  return tf.model({
    inputs: input,
    outputs: head(x, classes, seeds, options.dropout ?? 0.1),
    name: "vit",
  });
}

/**
 * A tiny CNN (conv 3×3/2 → ReLU → conv 3×3/2 → ReLU → dense → softmax), fast enough to train
 * dozens of times for shadow and reference models.
 *
 * @param options input size, classes, seed, width (first-layer filters, default 8)
 * @returns an uncompiled model
 * @example
 * ```ts
 * import { tinyCnn } from "./models.ts";
 * console.log(tinyCnn().countParams() < 50_000); // true
 * ```
 */
export function tinyCnn(options: ModelOptions = {}): tf.LayersModel {
  const { input, classes } = inputOf(options);
  const seeds = new Seeds(options.seed ?? 0);
  const w = options.width ?? 8;
  let x = input;
  for (const f of [w, 2 * w]) {
    x = tf.layers.conv2d({
      filters: f,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
      kernelInitializer: seeds.he(),
    }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 32, activation: "relu", kernelInitializer: seeds.he() })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({
    inputs: input,
    outputs: head(x, classes, seeds, options.dropout ?? 0),
    name: "cnn_tiny",
  });
}

/**
 * A one-hidden-layer perceptron on the flattened image (the fastest reference model).
 *
 * @param options input size, classes, seed, width (hidden units, default 128)
 * @returns an uncompiled model
 * @example
 * ```ts
 * import { mlp } from "./models.ts";
 * console.log(mlp({ width: 16 }).countParams()); // 12594
 * ```
 */
export function mlp(options: ModelOptions = {}): tf.LayersModel {
  const { input, classes } = inputOf(options);
  const seeds = new Seeds(options.seed ?? 0);
  let x = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  x = tf.layers.dense({
    units: options.width ?? 128,
    activation: "relu",
    kernelInitializer: seeds.he(),
  }).apply(x) as tf.SymbolicTensor;
  return tf.model({
    inputs: input,
    outputs: head(x, classes, seeds, options.dropout ?? 0),
    name: "mlp",
  });
}

/**
 * The HE-friendly CNN of `lib/he` as a tfjs-layers model: conv 5×5 stride 2 ("valid", `width`
 * filters, default 5) → square → average pool 2×2 → dense (hidden, default 32) → square → dense
 * (logits) → softmax. `toHeModel` in `lib/he` exports it for the CKKS evaluator.
 *
 * @param options input size, classes, seed, width (conv filters), hidden units
 * @returns an uncompiled model
 * @example
 * ```ts
 * import { heCnn } from "./models.ts";
 * console.log(heCnn().countParams()); // 5 * 25 + 5 + 180 * 32 + 32 + 66 = 5988
 * ```
 */
export function heCnn(options: ModelOptions & { hidden?: number } = {}): tf.LayersModel {
  const { input, classes } = inputOf(options);
  const seeds = new Seeds(options.seed ?? 0);
  let x = tf.layers.conv2d({
    filters: options.width ?? 5,
    kernelSize: 5,
    strides: 2,
    padding: "valid",
    kernelInitializer: seeds.glorot(),
  }).apply(input) as tf.SymbolicTensor;
  x = new PolyActivation({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: options.hidden ?? 32, kernelInitializer: seeds.glorot() })
    .apply(x) as tf.SymbolicTensor;
  x = new PolyActivation({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: classes, kernelInitializer: seeds.glorot(), name: "logits" })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: "softmax" }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: "he_cnn" });
}

/**
 * The data tour's small CNN: conv 3×3 (8, ReLU) → max-pool 2 → conv 3×3 (16, ReLU) → max-pool 2
 * → dense 32 (ReLU) → softmax over 2 classes, Glorot-uniform kernels seeded `seed + 1 … seed + 4`.
 *
 * @param inputShape `[height, width, channels]`
 * @param seed initialisation seed
 * @returns an uncompiled sequential model
 * @example
 * ```ts
 * import { smallCnn } from "./models.ts";
 * console.log(smallCnn([28, 28, 1], 1).countParams()); // 26434
 * ```
 */
export function smallCnn(inputShape: [number, number, number], seed: number): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape,
        filters: 8,
        kernelSize: 3,
        activation: "relu",
        padding: "same",
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({
        filters: 16,
        kernelSize: 3,
        activation: "relu",
        padding: "same",
        kernelInitializer: init(2),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, activation: "relu", kernelInitializer: init(3) }),
      tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: init(4) }),
    ],
  });
}

/**
 * Builds a model by architecture name.
 *
 * @param arch one of {@linkcode ARCHS}
 * @param options builder options
 * @returns an uncompiled model
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * console.log(buildModel("mlp", { width: 8 }).name); // "mlp"
 * ```
 */
export function buildModel(arch: Arch, options: ModelOptions = {}): tf.LayersModel {
  switch (arch) {
    case "resnet":
      return resnet(options);
    case "densenet":
      return densenet(options);
    case "vit":
      return vit(options);
    case "cnn-tiny":
      return tinyCnn(options);
    case "mlp":
      return mlp(options);
    case "he-cnn":
      return heCnn(options);
    case "resnet-18":
      return resnet18(options);
    case "densenet-121":
      return densenet121(options);
    case "vit-tiny":
      return vitTiny(options);
    default:
      throw new MedCryptError(
        "bad-argument",
        `unknown architecture "${arch}"; use one of ${ARCHS.join(", ")}`,
      );
  }
}
