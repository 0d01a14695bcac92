/**
 * Paper A's named networks as published, at MedMNIST's 28×28 adaptation (Yang et al. 2023,
 * MedMNIST v2: the ImageNet stem's stride and max-pool removed, everything else unchanged):
 *
 * - {@linkcode resnet18}: ResNet-18 (He et al. 2016) — 3×3/1 stem with 64 filters, four stages
 *   of two basic blocks (64, 128, 256, 512 filters; stride 2 and a 1×1 projection at the start
 *   of the last three), global average pool. 11.17 M trainable parameters for 1 channel and 2
 *   classes.
 * - {@linkcode densenet121}: DenseNet-121 (Huang et al. 2017) — 3×3/1 stem with 64 filters, dense
 *   blocks of 6, 12, 24 and 16 bottleneck layers (BN-ReLU-1×1 conv to 4·32 maps, BN-ReLU-3×3
 *   conv to 32), transitions halving the maps (BN-ReLU-1×1 conv, 2×2 average pool), BN-ReLU,
 *   global average pool. MedMNIST did not publish a DenseNet; the same adaptation is applied.
 * - {@linkcode vitTiny}: ViT-Tiny (the DeiT-Ti sizes: width 192, 12 pre-norm blocks, 3 heads,
 *   MLP 768 with GELU) on 4×4 patches (7×7 tokens at 28×28), learned position embedding; the
 *   tokens are mean-pooled instead of read from a class token.
 *
 * They reuse the miniature models' builders' conventions (seeded initialisers, softmax head) so
 * that the zoo trains and audits them the same way.
 *
 * @example
 * ```ts
 * import { resnet18 } from "./models_named.ts";
 * console.log(resnet18().outputs[0].shape); // [null, 2]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import {
  LayerNorm,
  MultiHeadSelfAttention,
  PositionEmbedding,
  TokenDense,
} from "./models_layers.ts";

/** Options of the named networks (sizes are the published ones and are not options). */
export interface NamedModelOptions {
  /** Side of the square input (default 28; the stems are MedMNIST's 28×28 ones at any size). */
  inputSize?: number;
  /** Input channels (default 1). */
  channels?: number;
  /** Classes (default 2). */
  classes?: number;
  /** Seed of every initialiser (default 0). */
  seed?: number;
}

type Sym = tf.SymbolicTensor;

class Init {
  #s: number;
  constructor(seed: number) {
    this.#s = seed * 100_000;
  }
  he() {
    return tf.initializers.heNormal({ seed: ++this.#s });
  }
  glorot() {
    return tf.initializers.glorotUniform({ seed: ++this.#s });
  }
  next(): number {
    return ++this.#s;
  }
}

function start(o: NamedModelOptions): { input: Sym; size: number; classes: number } {
  const size = o.inputSize ?? 28, channels = o.channels ?? 1, classes = o.classes ?? 2;
  if (!Number.isInteger(size) || size < 16 || size > 256) {
    throw new MedCryptError("bad-argument", `input size ${size} is outside 16..256`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new MedCryptError("bad-argument", `channels ${channels} is outside 1..4`);
  }
  if (!Number.isInteger(classes) || classes < 2) {
    throw new MedCryptError("bad-argument", `classes must be an integer ≥ 2, not ${classes}`);
  }
  return { input: tf.input({ shape: [size, size, channels] }), size, classes };
}

const apply = (layer: tf.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
const bn = (x: Sym) => apply(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }), x);
const relu = (x: Sym) => apply(tf.layers.activation({ activation: "relu" }), x);
const conv = (x: Sym, filters: number, k: number, stride: number, init: Init) =>
  apply(
    tf.layers.conv2d({
      filters,
      kernelSize: k,
      strides: stride,
      padding: "same",
      useBias: false,
      kernelInitializer: init.he(),
    }),
    x,
  );

function softmaxHead(x: Sym, classes: number, init: Init): Sym {
  return apply(
    tf.layers.dense({ units: classes, activation: "softmax", kernelInitializer: init.glorot() }),
    x,
  );
}

/**
 * ResNet-18 at MedMNIST's 28×28 adaptation.
 *
 * @param options input size, channels, classes, seed
 * @returns an uncompiled model named `resnet18`
 * @example
 * ```ts
 * import { resnet18 } from "./models_named.ts";
 * const m = resnet18();
 * const trainable = m.countParams() - m.nonTrainableWeights.reduce((n, w) => n + w.read().size, 0);
 * console.log(trainable); // 11168706
 * ```
 */
export function resnet18(options: NamedModelOptions = {}): tf.LayersModel {
  const { input, classes } = start(options);
  const init = new Init(options.seed ?? 0);
  let x = relu(bn(conv(input, 64, 3, 1, init)));
  let channels = 64;
  for (const [s, filters] of [64, 128, 256, 512].entries()) {
    for (let b = 0; b < 2; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      let y = relu(bn(conv(x, filters, 3, stride, init)));
      y = bn(conv(y, filters, 3, 1, init));
      const shortcut = stride !== 1 || channels !== filters
        ? bn(conv(x, filters, 1, stride, init))
        : x;
      x = relu(apply(tf.layers.add(), [y, shortcut]));
      channels = filters;
    }
  }
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  return tf.model({ inputs: input, outputs: softmaxHead(x, classes, init), name: "resnet18" });
}

/**
 * DenseNet-121 (growth 32, blocks 6-12-24-16, bottleneck 4·growth, compression 0.5) with the
 * 28×28 stem.
 *
 * @param options input size, channels, classes, seed
 * @returns an uncompiled model named `densenet121`
 * @example
 * ```ts
 * import { densenet121 } from "./models_named.ts";
 * const m = densenet121();
 * console.log(m.layers.filter((l) => l.getClassName() === "Conv2D").length); // 120
 * ```
 */
export function densenet121(options: NamedModelOptions = {}): tf.LayersModel {
  const { input, classes } = start(options);
  const init = new Init(options.seed ?? 0);
  const growth = 32, blocks = [6, 12, 24, 16];
  let x = relu(bn(conv(input, 64, 3, 1, init)));
  let channels = 64;
  for (const [b, layers] of blocks.entries()) {
    for (let l = 0; l < layers; l++) {
      let y = conv(relu(bn(x)), 4 * growth, 1, 1, init);
      y = conv(relu(bn(y)), growth, 3, 1, init);
      x = apply(tf.layers.concatenate({ axis: -1 }), [x, y]);
      channels += growth;
    }
    if (b < blocks.length - 1) {
      channels = Math.floor(channels / 2);
      x = conv(relu(bn(x)), channels, 1, 1, init);
      x = apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }), x);
    }
  }
  x = apply(tf.layers.globalAveragePooling2d({}), relu(bn(x)));
  return tf.model({ inputs: input, outputs: softmaxHead(x, classes, init), name: "densenet121" });
}

/**
 * ViT-Tiny (width 192, depth 12, 3 heads, MLP 768, GELU) on 4×4 patches, mean-pooled tokens.
 *
 * @param options input size (a multiple of 4), channels, classes, seed
 * @returns an uncompiled model named `vit_tiny`
 * @example
 * ```ts
 * import { vitTiny } from "./models_named.ts";
 * const m = vitTiny();
 * console.log(m.layers.filter((l) => l.getClassName() === "MultiHeadSelfAttention").length); // 12
 * ```
 */
export function vitTiny(options: NamedModelOptions = {}): tf.LayersModel {
  const { input, size, classes } = start(options);
  const init = new Init(options.seed ?? 0);
  const dim = 192, depth = 12, heads = 3, mlp = 768, patch = 4;
  if (size % patch !== 0) {
    throw new MedCryptError("bad-argument", `input size ${size} is not a multiple of ${patch}`);
  }
  const tokens = (size / patch) ** 2;
  let x = apply(
    tf.layers.conv2d({
      filters: dim,
      kernelSize: patch,
      strides: patch,
      kernelInitializer: init.glorot(),
    }),
    input,
  );
  x = apply(tf.layers.reshape({ targetShape: [tokens, dim] }), x);
  x = apply(new PositionEmbedding({ seed: init.next() }), x);
  const ln = (t: Sym) => apply(new LayerNorm({ epsilon: 1e-6 }), t);
  for (let d = 0; d < depth; d++) {
    const a = apply(
      new MultiHeadSelfAttention({
        numHeads: heads,
        keyDim: dim / heads,
        seed: init.next(),
        explicitGrad: true,
      }),
      ln(x),
    );
    x = apply(tf.layers.add(), [x, a]);
    let m = apply(new TokenDense({ units: mlp, activation: "gelu", seed: init.next() }), ln(x));
    m = apply(new TokenDense({ units: dim, seed: init.next() }), m);
    x = apply(tf.layers.add(), [x, m]);
  }
  x = apply(tf.layers.globalAveragePooling1d({}), ln(x));
  return tf.model({ inputs: input, outputs: softmaxHead(x, classes, init), name: "vit_tiny" });
}
