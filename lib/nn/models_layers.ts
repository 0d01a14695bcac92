/**
 * Custom tfjs layers the ViT-style classifier needs (tfjs-layers has no attention layer):
 * multi-head self-attention and a learned position embedding. Both are registered with
 * `tf.serialization`, so models using them save and load in the tfjs Layers format.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { MultiHeadSelfAttention } from "./models_layers.ts";
 * const layer = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 4, seed: 1 });
 * const y = layer.apply(tf.ones([1, 5, 8])) as tf.Tensor;
 * console.log(y.shape); // [1, 5, 8]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { matMulExplicitGrad } from "./_matmul.ts";

/**
 * Layer normalisation over the last axis with a learned gain and bias, using broadcasting
 * (tfjs-layers' `layerNormalization` tiles its parameters to the input's shape, which is slow
 * on wasm).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { LayerNorm } from "./models_layers.ts";
 * const y = new LayerNorm({}).apply(tf.tensor2d([[1, 3]])) as tf.Tensor;
 * console.log(Array.from(y.dataSync()).map((v) => Math.round(v))); // [-1, 1]
 * ```
 */
export class LayerNorm extends tf.layers.Layer {
  /** Name under which the class is registered for serialization. */
  static className = "LayerNorm";
  /** Added to the variance. */
  readonly epsilon: number;
  #gamma?: tf.LayerVariable;
  #beta?: tf.LayerVariable;

  /** @param args epsilon (default 1e-6) and name */
  constructor(args: { epsilon?: number; name?: string } = {}) {
    super({ name: args.name });
    this.epsilon = args.epsilon ?? 1e-6;
  }

  /**
   * Creates the gain and bias.
   *
   * @param inputShape the input shape
   */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const d = shape[shape.length - 1] as number;
    this.#gamma = this.addWeight("gamma", [d], "float32", tf.initializers.ones());
    this.#beta = this.addWeight("beta", [d], "float32", tf.initializers.zeros());
    this.built = true;
  }

  /**
   * @param inputShape any shape
   * @returns the same shape
   */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /**
   * @param inputs any tensor
   * @returns normalised over the last axis, scaled and shifted
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return x.sub(mean).mul(tf.rsqrt(variance.add(this.epsilon))).mul(this.#gamma!.read())
        .add(this.#beta!.read());
    });
  }

  /** @returns the layer's configuration (for serialization) */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm);

/** Options of {@linkcode MultiHeadSelfAttention}. */
export interface MultiHeadSelfAttentionArgs {
  /** Number of attention heads. */
  numHeads: number;
  /** Size of each head's queries and keys (and values). */
  keyDim: number;
  /** Seed of the weight initialisers. */
  seed?: number;
  /**
   * Compute the projections' gradients from explicit transposes (faster on wasm; the rounding of
   * the gradients differs from tfjs's own, so models trained without it keep it off).
   */
  explicitGrad?: boolean;
  /** Layer name. */
  name?: string;
}

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017) over a sequence
 * `[batch, tokens, dim]`, returning `[batch, tokens, dim]` (the heads are projected back to
 * `dim`). Weights: `wq`, `wk`, `wv` (`dim × heads·keyDim`) with biases, and `wo`
 * (`heads·keyDim × dim`) with bias.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { MultiHeadSelfAttention } from "./models_layers.ts";
 * const mhsa = new MultiHeadSelfAttention({ numHeads: 1, keyDim: 2 });
 * console.log((mhsa.apply(tf.zeros([2, 3, 4])) as tf.Tensor).shape); // [2, 3, 4]
 * ```
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  /** Name under which the class is registered for serialization. */
  static className = "MultiHeadSelfAttention";
  /** Number of heads. */
  readonly numHeads: number;
  /** Per-head key size. */
  readonly keyDim: number;
  /** Initialiser seed. */
  readonly seed?: number;
  /** Whether the projections' gradients use explicit transposes. */
  readonly explicitGrad: boolean;
  #w: tf.LayerVariable[] = [];

  /** @param args heads, key size, seed, gradient form, name */
  constructor(args: MultiHeadSelfAttentionArgs) {
    super({ name: args.name });
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.seed = args.seed;
    this.explicitGrad = args.explicitGrad ?? false;
  }

  /**
   * Creates the weights for inputs of shape `[batch, tokens, dim]`.
   *
   * @param inputShape the input shape
   */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const dim = shape[shape.length - 1] as number;
    const hk = this.numHeads * this.keyDim;
    const s = this.seed ?? 0;
    const glorot = (k: number) => tf.initializers.glorotUniform({ seed: s * 16 + k });
    const zeros = tf.initializers.zeros();
    this.#w = [
      this.addWeight("wq", [dim, hk], "float32", glorot(1)),
      this.addWeight("bq", [hk], "float32", zeros),
      this.addWeight("wk", [dim, hk], "float32", glorot(2)),
      this.addWeight("bk", [hk], "float32", zeros),
      this.addWeight("wv", [dim, hk], "float32", glorot(3)),
      this.addWeight("bv", [hk], "float32", zeros),
      this.addWeight("wo", [hk, dim], "float32", glorot(4)),
      this.addWeight("bo", [dim], "float32", zeros),
    ];
    this.built = true;
  }

  /**
   * @param inputShape `[batch, tokens, dim]`
   * @returns the same shape
   */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /**
   * @param inputs `[batch, tokens, dim]`
   * @returns `[batch, tokens, dim]`
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [, t, d] = x.shape as number[];
      const h = this.numHeads, k = this.keyDim;
      const [wq, bq, wk, bk, wv, bv, wo, bo] = this.#w.map((v) => v.read());
      const flat = x.reshape([-1, d]) as tf.Tensor2D;
      const mm = this.explicitGrad ? matMulExplicitGrad : tf.matMul;
      const proj = (w: tf.Tensor, b: tf.Tensor) =>
        mm(flat, w as tf.Tensor2D).add(b).reshape([-1, t, h, k]).transpose([0, 2, 1, 3]);
      const q = proj(wq, bq), kk = proj(wk, bk), v = proj(wv, bv);
      const att = tf.softmax(tf.matMul(q, kk, false, true).mul(1 / Math.sqrt(k)));
      const o = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([-1, h * k]);
      return mm(o as tf.Tensor2D, wo as tf.Tensor2D).add(bo).reshape([-1, t, d]);
    });
  }

  /** @returns the layer's configuration (for serialization) */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
      ...(this.explicitGrad ? { explicitGrad: true } : {}),
    };
  }
}
tf.serialization.registerClass(MultiHeadSelfAttention);

/** Options of {@linkcode TokenDense}. */
export interface TokenDenseArgs {
  /** Output size. */
  units: number;
  /** `linear` (default) or `gelu` (the exact form, 0.5·x·(1 + erf(x/√2)), as tfjs-layers'). */
  activation?: "linear" | "gelu";
  /** Seed of the Glorot-uniform kernel initialiser. */
  seed?: number;
  /** Layer name. */
  name?: string;
}

/**
 * A dense layer over the last axis of a sequence `[batch, tokens, dim]` whose gradients use
 * explicit transposes (see `_matmul.ts`): the same function as `tf.layers.dense`, about 5×
 * faster to train on wasm. Weights: `kernel` (`dim × units`, Glorot uniform) and `bias` (zeros).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { TokenDense } from "./models_layers.ts";
 * const y = new TokenDense({ units: 5, seed: 1 }).apply(tf.zeros([2, 3, 4])) as tf.Tensor;
 * console.log(y.shape); // [2, 3, 5]
 * ```
 */
export class TokenDense extends tf.layers.Layer {
  /** Name under which the class is registered for serialization. */
  static className = "TokenDense";
  /** Output size. */
  readonly units: number;
  /** Activation. */
  readonly activation: "linear" | "gelu";
  /** Initialiser seed. */
  readonly seed?: number;
  #kernel?: tf.LayerVariable;
  #bias?: tf.LayerVariable;

  /** @param args units, activation, seed, name */
  constructor(args: TokenDenseArgs) {
    super({ name: args.name });
    this.units = args.units;
    this.activation = args.activation ?? "linear";
    this.seed = args.seed;
  }

  /**
   * Creates the kernel and bias for inputs `[batch, tokens, dim]`.
   *
   * @param inputShape the input shape
   */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const dim = shape[shape.length - 1] as number;
    const init = tf.initializers.glorotUniform({ seed: this.seed });
    this.#kernel = this.addWeight("kernel", [dim, this.units], "float32", init);
    this.#bias = this.addWeight("bias", [this.units], "float32", tf.initializers.zeros());
    this.built = true;
  }

  /**
   * @param inputShape `[batch, tokens, dim]`
   * @returns `[batch, tokens, units]`
   */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  /**
   * @param inputs `[batch, tokens, dim]`
   * @returns `[batch, tokens, units]`
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const d = x.shape[x.shape.length - 1];
      const flat = x.reshape([-1, d]) as tf.Tensor2D;
      let y: tf.Tensor = matMulExplicitGrad(flat, this.#kernel!.read() as tf.Tensor2D)
        .add(this.#bias!.read());
      if (this.activation === "gelu") y = y.mul(y.div(Math.SQRT2).erf().add(1)).mul(0.5);
      return y.reshape([...x.shape.slice(0, -1), this.units]);
    });
  }

  /** @returns the layer's configuration (for serialization) */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
    };
  }
}
tf.serialization.registerClass(TokenDense);

/**
 * Adds a learned position embedding (`[tokens, dim]`, small normal initialisation) to a
 * sequence `[batch, tokens, dim]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { PositionEmbedding } from "./models_layers.ts";
 * const y = new PositionEmbedding({ seed: 1 }).apply(tf.zeros([1, 4, 3])) as tf.Tensor;
 * console.log(y.shape); // [1, 4, 3]
 * ```
 */
export class PositionEmbedding extends tf.layers.Layer {
  /** Name under which the class is registered for serialization. */
  static className = "PositionEmbedding";
  /** Initialiser seed. */
  readonly seed?: number;
  #pos?: tf.LayerVariable;

  /** @param args seed and name */
  constructor(args: { seed?: number; name?: string } = {}) {
    super({ name: args.name });
    this.seed = args.seed;
  }

  /**
   * Creates the embedding for inputs `[batch, tokens, dim]`.
   *
   * @param inputShape the input shape
   */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.#pos = this.addWeight(
      "pos",
      [shape[1] as number, shape[2] as number],
      "float32",
      tf.initializers.randomNormal({ stddev: 0.02, seed: this.seed }),
    );
    this.built = true;
  }

  /**
   * @param inputShape `[batch, tokens, dim]`
   * @returns the same shape
   */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /**
   * @param inputs `[batch, tokens, dim]`
   * @returns inputs plus the embedding
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => x.add(this.#pos!.read()));
  }

  /** @returns the layer's configuration (for serialization) */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.seed !== undefined ? { seed: this.seed } : {}) };
  }
}
tf.serialization.registerClass(PositionEmbedding);

/**
 * The polynomial activation `c0 + c1·x + c2·x²` applied elementwise (default: the square `x²`),
 * the only non-linearity a CKKS server can evaluate cheaply.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { PolyActivation } from "./models_layers.ts";
 * const y = new PolyActivation({}).apply(tf.tensor1d([1, 2, 3])) as tf.Tensor;
 * console.log(Array.from(y.dataSync())); // [1, 4, 9]
 * ```
 */
export class PolyActivation extends tf.layers.Layer {
  /** Name under which the class is registered for serialization. */
  static className = "PolyActivation";
  /** Constant term. */
  readonly c0: number;
  /** Linear coefficient. */
  readonly c1: number;
  /** Quadratic coefficient. */
  readonly c2: number;

  /** @param args coefficients (default the square) and name */
  constructor(args: { c0?: number; c1?: number; c2?: number; name?: string } = {}) {
    super({ name: args.name });
    this.c0 = args.c0 ?? 0;
    this.c1 = args.c1 ?? 0;
    this.c2 = args.c2 ?? 1;
  }

  /**
   * @param inputShape any shape
   * @returns the same shape
   */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /**
   * @param inputs any tensor
   * @returns the polynomial of it, elementwise
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => x.mul(x.mul(this.c2).add(this.c1)).add(this.c0));
  }

  /** @returns the layer's configuration (for serialization) */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), c0: this.c0, c1: this.c1, c2: this.c2 };
  }
}
tf.serialization.registerClass(PolyActivation);
