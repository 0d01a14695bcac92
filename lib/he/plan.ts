/**
 * Compiles an {@linkcode HeModel} into what the CKKS evaluators run, and computes from it (never
 * guessed) the multiplicative depth and the rotation steps that need Galois keys.
 *
 * Normalisation (exact algebra, done once in float64):
 * - an activation `c0 + c1 x + c2 x²` becomes `x² + d x` with `d = c1/c2`; `c2` is folded into the
 *   weights of the next linear layer and `c0` into its bias (so every activation costs one level);
 * - an average pooling becomes a *sum* pooling, its `1/k²` folded into the next dense layer;
 * - for the one-image-per-ciphertext (latency) mode, a sum pooling and the dense layer after it
 *   are composed into one dense matrix (pooling then needs no rotation).
 *
 * Depth = number of linear layers + number of activations (each rescales once; rescaling is lazy:
 * once per output after all products are summed).
 *
 * @example
 * ```ts
 * import { compile, latencyPlan } from "./plan.ts";
 * import { tinyModel } from "./model.ts";
 * const prog = compile(tinyModel(1));
 * const plan = latencyPlan(prog, 2048);
 * console.log(prog.depth, plan.rotations); // 3 [ 1, 2, 4, 8 ]
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { type HeModel, layerShapes } from "./model.ts";

/** First layer: a convolution on the input image (client packs im2col patches). */
export interface ConvOp {
  /** Kind. */
  readonly kind: "conv";
  /** Input rows, columns. */
  readonly inH: number;
  /** Input columns. */
  readonly inW: number;
  /** Kernel size. */
  readonly kernel: number;
  /** Stride. */
  readonly stride: number;
  /** Output rows. */
  readonly oh: number;
  /** Output columns. */
  readonly ow: number;
  /** Output channels. */
  readonly channels: number;
  /** Weights `[tap][channel]`, tap = `ky*kernel + kx`. */
  readonly weights: Float64Array;
  /** Bias per channel. */
  readonly bias: Float64Array;
}

/** A dense layer `y = W x + b`, `W` row-major `[out][in]`. */
export interface DenseOp {
  /** Kind. */
  readonly kind: "dense";
  /** Input size. */
  readonly inDim: number;
  /** Output size. */
  readonly outDim: number;
  /** Row-major `[out][in]`. */
  readonly w: Float64Array;
  /** Bias. */
  readonly bias: Float64Array;
}

/** The activation `x² + d·x`. */
export interface ActOp {
  /** Kind. */
  readonly kind: "act";
  /** The linear coefficient after normalisation. */
  readonly d: number;
}

/** Sum pooling over `size × size` windows of an `h × w × c` map (channels last). */
export interface SumPoolOp {
  /** Kind. */
  readonly kind: "sumpool";
  /** Input rows. */
  readonly h: number;
  /** Input columns. */
  readonly w: number;
  /** Channels. */
  readonly c: number;
  /** Window. */
  readonly size: number;
}

/** One step of a compiled program. */
export type Op = ConvOp | DenseOp | ActOp | SumPoolOp;

/** A compiled model. */
export interface HeProgram {
  /** Input rows and columns. */
  readonly inputShape: readonly [number, number];
  /** Steps (sum pooling kept separate). */
  readonly ops: readonly Op[];
  /** Multiplicative depth. */
  readonly depth: number;
  /** Number of logits. */
  readonly classes: number;
}

/**
 * Normalises a model (see the module doc) and computes its depth.
 *
 * @param model the model
 * @returns the program
 * @example
 * ```ts
 * import { compile } from "./plan.ts";
 * import { tinyModel } from "./model.ts";
 * console.log(compile(tinyModel(1)).ops.map((o) => o.kind)); // [ "dense", "act", "dense" ]
 * ```
 */
export function compile(model: HeModel): HeProgram {
  const shapes = layerShapes(model);
  const ops: Op[] = [];
  let pendingScale = 1; // multiplies the next linear layer's weights
  let pendingConst = 0; // constant added to every input of the next linear layer
  let shape: readonly number[] = [model.inputShape[0], model.inputShape[1], 1];
  const bad = (why: string) => new MedCryptError("he-unsupported-model", why);
  for (const [i, l] of model.layers.entries()) {
    if (l.kind === "conv2d") {
      if (i !== 0) throw bad("a convolution is supported only as the first layer (client im2col)");
      const [oh, ow, C] = shapes[i] as readonly [number, number, number];
      ops.push({
        kind: "conv",
        inH: shape[0],
        inW: shape[1],
        kernel: l.kernel,
        stride: l.stride,
        oh,
        ow,
        channels: C,
        weights: Float64Array.from(l.weights),
        bias: Float64Array.from(l.bias),
      });
    } else if (l.kind === "act") {
      if (ops.length === 0 || ops.at(-1)!.kind === "act") {
        throw bad(`activation at layer ${i} must follow a linear layer`);
      }
      ops.push({ kind: "act", d: l.poly.c1 / l.poly.c2 });
      pendingScale = l.poly.c2;
      pendingConst = l.poly.c0;
    } else if (l.kind === "avgpool") {
      if (shape.length !== 3) throw bad("pooling needs a feature map");
      ops.push({ kind: "sumpool", h: shape[0], w: shape[1], c: shape[2], size: l.size });
      pendingScale /= l.size * l.size;
      pendingConst *= l.size * l.size; // a constant c0 summed over k² inputs
    } else {
      const inDim = shape.reduce((a, b) => a * b, 1);
      const out = l.units;
      const w = new Float64Array(out * inDim);
      const bias = Float64Array.from(l.bias);
      for (let o = 0; o < out; o++) {
        let s = 0;
        for (let j = 0; j < inDim; j++) {
          const wt = l.weights[j * out + o];
          w[o * inDim + j] = wt * pendingScale;
          s += wt;
        }
        bias[o] += pendingConst * pendingScale * s;
      }
      ops.push({ kind: "dense", inDim, outDim: out, w, bias });
      pendingScale = 1;
      pendingConst = 0;
    }
    shape = shapes[i];
  }
  const last = ops.at(-1);
  if (!last || (last.kind !== "dense" && last.kind !== "conv")) {
    throw bad("the model must end with a linear layer");
  }
  const depth = ops.filter((o) => o.kind !== "sumpool").length;
  return { inputShape: model.inputShape, ops, depth, classes: shape[0] };
}

/**
 * @param x a positive integer
 * @returns the smallest power of two `>= x`
 * @example
 * ```ts
 * import { nextPow2 } from "./plan.ts";
 * console.log(nextPow2(720)); // 1024
 * ```
 */
export function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/**
 * Whether the latency evaluator rotates after rescaling (cheaper: one prime fewer) rather than
 * before (key-switching noise is then `1/q` smaller). After is chosen when the special prime is
 * at least 2^10 times the scale, which keeps each rotation's noise far below the encoding noise.
 *
 * @param params CKKS parameters
 * @returns true to rotate after rescaling
 * @example
 * ```ts
 * import { rotateAfterRescale } from "./plan.ts";
 * import { PRESETS } from "./params.ts";
 * console.log(rotateAfterRescale(PRESETS["ckks-8192-d5"]), rotateAfterRescale(PRESETS["ckks-4096-d3"])); // true false
 * ```
 */
export function rotateAfterRescale(
  params: { coeffBits: readonly number[]; logScale: number },
): boolean {
  return params.coeffBits[params.coeffBits.length - 1] >= params.logScale + 10;
}

/** How the client packs one image into ciphertexts (latency mode). */
export type Packing =
  | {
    /** im2col patches: ciphertext `j`, block `b` holds tap `j*blocks + (b mod blocks)`. */
    readonly kind: "im2col";
    /** Period (power of two ≥ outputs). */
    readonly n: number;
    /** Blocks per ciphertext (`slots / n`). */
    readonly blocks: number;
    /** Ciphertexts per image. */
    readonly count: number;
    /** The convolution. */
    readonly conv: Omit<ConvOp, "weights" | "bias">;
  }
  | {
    /** The pixel vector replicated with period `n` over all slots. */
    readonly kind: "replicated";
    /** Period. */
    readonly n: number;
    /** Pixels. */
    readonly inDim: number;
    /** Always 1. */
    readonly count: 1;
  };

/** A dense layer laid out for the diagonal method. */
export interface DiagDense {
  /** Kind. */
  readonly kind: "diag-dense";
  /** Input period `n` (power of two). */
  readonly n: number;
  /** Padded output size `m` (power of two, `≤ n`): the output has period `m`. */
  readonly m: number;
  /** Baby steps `b1` and giant steps `g1`, `b1·g1 ≥ m`. */
  readonly baby: number;
  /** Giant steps. */
  readonly giant: number;
  /** The (composed) dense op. */
  readonly op: DenseOp;
}

/** The latency-mode program with its packing and rotations. */
export interface LatencyPlan {
  /** Client packing. */
  readonly packing: Packing;
  /** Steps after the packing: conv, diag-dense, act. */
  readonly steps: readonly (ConvOp | DiagDense | ActOp)[];
  /** Every rotation step the evaluation uses (Galois keys only for these). */
  readonly rotations: readonly number[];
  /** Multiplicative depth. */
  readonly depth: number;
  /** Number of logits. */
  readonly classes: number;
}

function composePoolDense(pool: SumPoolOp, d: DenseOp): DenseOp {
  const ph = Math.floor(pool.h / pool.size), pw = Math.floor(pool.w / pool.size);
  const inDim = pool.h * pool.w * pool.c;
  const w = new Float64Array(d.outDim * inDim);
  for (let o = 0; o < d.outDim; o++) {
    for (let y = 0; y < ph * pool.size; y++) {
      for (let x = 0; x < pw * pool.size; x++) {
        for (let c = 0; c < pool.c; c++) {
          const pj = ((Math.floor(y / pool.size) * pw) + Math.floor(x / pool.size)) * pool.c + c;
          w[o * inDim + (y * pool.w + x) * pool.c + c] = d.w[o * d.inDim + pj];
        }
      }
    }
  }
  return { kind: "dense", inDim, outDim: d.outDim, w, bias: d.bias };
}

/**
 * Lays a program out for one image per ciphertext: im2col packing of the convolution (blocks of
 * taps summed by `log2(blocks)` rotations, which also replicate the result), dense layers by the
 * diagonal method with baby-step/giant-step rotations, and lists every rotation step used.
 *
 * @param prog the compiled program
 * @param slots slots per ciphertext (N/2)
 * @returns the plan
 * @example
 * ```ts
 * import { compile, latencyPlan } from "./plan.ts";
 * import { tinyModel } from "./model.ts";
 * console.log(latencyPlan(compile(tinyModel(1)), 2048).packing.kind); // "replicated"
 * ```
 */
export function latencyPlan(prog: HeProgram, slots: number): LatencyPlan {
  const rot = new Set<number>();
  const steps: (ConvOp | DiagDense | ActOp)[] = [];
  const ops = [...prog.ops];
  let packing: Packing;
  let period: number;
  const first = ops.shift()!;
  const tooBig = (what: string, n: number) =>
    new MedCryptError(
      "he-model-too-large",
      `${what} needs ${n} slots but a ciphertext has ${slots}; use a preset with a larger N`,
    );
  if (first.kind === "conv") {
    const outputs = first.oh * first.ow * first.channels;
    const n = nextPow2(outputs);
    if (n > slots) throw tooBig("the convolution output", n);
    const blocks = slots / n;
    const taps = first.kernel * first.kernel;
    const usedBlocks = Math.min(blocks, nextPow2(taps));
    const count = Math.ceil(taps / usedBlocks);
    for (let s = usedBlocks / 2; s >= 1; s /= 2) rot.add(s * n);
    const { weights: _w, bias: _b, ...conv } = first;
    packing = { kind: "im2col", n, blocks: usedBlocks, count, conv };
    steps.push(first);
    period = n;
  } else if (first.kind === "dense") {
    const n = nextPow2(first.inDim);
    if (n > slots) throw tooBig("the input vector", n);
    packing = { kind: "replicated", n, inDim: first.inDim, count: 1 };
    period = n;
    ops.unshift(first);
  } else {
    throw new MedCryptError("he-unsupported-model", "the first layer must be conv or dense");
  }
  let pool: SumPoolOp | undefined;
  for (const op of ops) {
    if (op.kind === "sumpool") {
      pool = op;
      continue;
    }
    if (op.kind === "act") {
      steps.push(op);
      continue;
    }
    if (op.kind === "conv") throw new MedCryptError("he-unsupported-model", "conv after layer 1");
    const d = pool ? composePoolDense(pool, op) : op;
    pool = undefined;
    if (d.inDim > period) {
      throw new MedCryptError("he-unsupported-model", `dense input ${d.inDim} > period ${period}`);
    }
    const m = nextPow2(d.outDim);
    if (m > period) {
      throw new MedCryptError(
        "he-unsupported-model",
        `a dense layer may not widen the vector in latency mode (${d.inDim} → ${d.outDim})`,
      );
    }
    const baby = 2 ** Math.ceil(Math.log2(m) / 2);
    const giant = Math.ceil(m / baby);
    for (let b = 1; b < baby; b++) rot.add(b);
    for (let g = 1; g < giant; g++) rot.add(g * baby);
    for (let s = period / 2; s >= m; s /= 2) rot.add(s);
    steps.push({ kind: "diag-dense", n: period, m, baby, giant, op: d });
    period = m;
  }
  if (pool) throw new MedCryptError("he-unsupported-model", "pooling must be followed by dense");
  return {
    packing,
    steps,
    rotations: [...rot].sort((a, b) => a - b),
    depth: prog.depth,
    classes: prog.classes,
  };
}

/**
 * Packs one image (values in `[0,1]`) into the slot vectors of the latency mode.
 *
 * @param packing the packing
 * @param x the `rows*cols` input values
 * @param slots slots per ciphertext
 * @returns one `Float64Array(slots)` per ciphertext
 * @example
 * ```ts
 * import { packImage } from "./plan.ts";
 * const v = packImage({ kind: "replicated", n: 4, inDim: 3, count: 1 }, new Float64Array([1, 2, 3]), 8);
 * console.log(Array.from(v[0])); // [1, 2, 3, 0, 1, 2, 3, 0]
 * ```
 */
export function packImage(packing: Packing, x: Float64Array, slots: number): Float64Array[] {
  if (packing.kind === "replicated") {
    const v = new Float64Array(slots);
    for (let s = 0; s < slots; s += packing.n) v.set(x.subarray(0, packing.inDim), s);
    return [v];
  }
  const { conv, n, blocks, count } = packing;
  const taps = conv.kernel * conv.kernel;
  const out: Float64Array[] = [];
  for (let j = 0; j < count; j++) {
    const v = new Float64Array(slots);
    for (let b = 0; b < slots / n; b++) {
      // the pattern of `blocks` blocks repeats over the whole ciphertext, so the rotations that
      // sum the blocks leave the full result (replicated with period n) in every slot
      const t = j * blocks + (b % blocks);
      if (t >= taps) continue;
      const ky = Math.floor(t / conv.kernel), kx = t % conv.kernel;
      for (let oy = 0; oy < conv.oh; oy++) {
        for (let ox = 0; ox < conv.ow; ox++) {
          const px = x[(oy * conv.stride + ky) * conv.inW + ox * conv.stride + kx];
          const base = b * n + (oy * conv.ow + ox) * conv.channels;
          for (let c = 0; c < conv.channels; c++) v[base + c] = px;
        }
      }
    }
    out.push(v);
  }
  return out;
}
