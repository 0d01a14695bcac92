/**
 * Kernels the tfjs wasm backend lacks (or runs slowly), written in terms of its fast kernels.
 *
 * The wasm backend of tfjs 4.22 has no `Conv2DBackpropFilter` and no depthwise backprop kernels,
 * and its `Conv2DBackpropInput` is a naive loop. Here the gradients are expressed through the
 * XNNPACK forward `Conv2D` / `DepthwiseConv2dNative` kernels:
 *
 * - `Conv2DBackpropInput` = `Conv2D` of the zero-dilated, padded `dy` with the spatially flipped,
 *   in/out-transposed filter (variant `"conv"`), or the wasm backend's own loop (`"native"`).
 * - `Conv2DBackpropFilter` = `Conv2D` treating the batch as channels: input `x` transposed to
 *   `[CI, H, W, B]`, filter `dy` transposed to `[OH, OW, B, CO]`, dilation = the forward stride;
 *   the `[CI, KH, KW, CO]` result transposed back (variant `"conv"`); or im2col + `BatchMatMul`
 *   (`"im2col"`); or an adapter onto the wasm `Conv3DBackpropFilterV2` kernel (`"adapter"`, kept
 *   as the benchmark baseline).
 * - depthwise backprops through `DepthwiseConv2dNative`, strided slices, products and sums.
 * - `Einsum` and `UnsortedSegmentSum` (the gradient of `gather`) run the cpu backend's kernel on
 *   copied data.
 * - `Identity`, and `Cast` to the same dtype, share their input's data (as on cpu) instead of
 *   copying it: tfjs clones every tensor it saves for the backward pass.
 *
 * Private to `lib/nn`: use {@linkcode ./backend.ts} (`initBackend`).
 *
 * @example
 * ```ts
 * import { KERNEL_NAMES } from "./_kernels.ts";
 * console.log(KERNEL_NAMES.includes("Conv2DBackpropFilter")); // true
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { MedCryptError } from "../core/errors.ts";

type Info = tf.TensorInfo;
type Attrs = tf.NamedAttrMap;
type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

/** How `Conv2DBackpropFilter` is computed on wasm. */
export type FilterGradVariant = "conv" | "im2col" | "adapter";
/** How `Conv2DBackpropInput` is computed on wasm. */
export type InputGradVariant = "conv" | "native";

/** The current variants (switchable for benchmarks). */
export const variants: { filter: FilterGradVariant; input: InputGradVariant } = {
  filter: "conv",
  input: "conv",
};

/** Names of the kernels this module registers for the wasm backend. */
export const KERNEL_NAMES: readonly string[] = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "MaxPoolGrad",
  "Sum",
  "Identity",
  "Cast",
  "Einsum",
  "UnsortedSegmentSum",
  "ResizeNearestNeighborGrad",
  "Dilation2DBackpropInput",
  "Dilation2DBackpropFilter",
];

/** Calls a registered wasm kernel directly (no engine, no tape). */
function run(b: BackendWasm, name: string, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new MedCryptError("unsupported", `wasm kernel ${name} is not registered`);
  const out = k.kernelFunc({ inputs, backend: b, attrs }) as Info | Info[];
  return Array.isArray(out) ? out[0] : out;
}

function free(b: BackendWasm, ...infos: Info[]): void {
  for (const i of infos) b.disposeData(i.dataId);
}

function reshape(b: BackendWasm, x: Info, shape: number[]): Info {
  return run(b, "Reshape", { x }, { shape });
}

function transpose(b: BackendWasm, x: Info, perm: number[]): Info {
  return run(b, "Transpose", { x }, { perm });
}

/** Slices rows/cols of an NHWC tensor so that negative paddings become crops. */
function cropNegative(
  b: BackendWasm,
  x: Info,
  pads: [number, number, number, number],
): { x: Info; pads: [number, number, number, number]; owned: boolean } {
  const [t, bo, l, r] = pads;
  if (t >= 0 && bo >= 0 && l >= 0 && r >= 0) return { x, pads, owned: false };
  const [n, h, w, c] = x.shape;
  const begin = [0, Math.max(0, -t), Math.max(0, -l), 0];
  const size = [n, h - begin[1] - Math.max(0, -bo), w - begin[2] - Math.max(0, -r), c];
  const y = run(b, "Slice", { x }, { begin, size });
  return {
    x: y,
    pads: [Math.max(0, t), Math.max(0, bo), Math.max(0, l), Math.max(0, r)],
    owned: true,
  };
}

function explicit(p: [number, number, number, number]): tf.backend_util.ExplicitPadding {
  return [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]];
}

/** Inserts `s-1` zeros after every row/column: `[B,H,W,C]` → `[B,H*sh,W*sw,C]`. */
function dilate(b: BackendWasm, x: Info, sh: number, sw: number): Info {
  if (sh === 1 && sw === 1) return reshape(b, x, x.shape); // shares the data: no copy
  const [n, h, w, c] = x.shape;
  const x6 = reshape(b, x, [n, h, 1, w, 1, c]);
  const p = run(b, "PadV2", { x: x6 }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
    constantValue: 0,
  });
  const y = reshape(b, p, [n, h * sh, w * sw, c]);
  free(b, x6, p);
  return y;
}

function convInfo(xShape: number[], fShape: number[], attrs: Attrs) {
  const strides = attrs.strides as [number, number] | number;
  const pad = attrs.pad as Pad;
  const dimRoundingMode = attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined;
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC" && dataFormat !== "channelsLast") {
    throw new MedCryptError(
      "unsupported",
      `wasm conv gradients support only NHWC (got ${dataFormat})`,
    );
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
}

// ---------------------------------------------------------------- Conv2DBackpropInput

/** `dx` of conv2d as a forward Conv2D of the dilated `dy` with the flipped, transposed filter. */
function conv2dBackpropInputConv(
  b: BackendWasm,
  dy: Info,
  filter: Info,
  inputShape: number[],
  attrs: Attrs,
): Info {
  const info = convInfo(inputShape, filter.shape, attrs);
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [, h, w] = inputShape;
  const [, oh, ow] = dy.shape;
  const dyd = dilate(b, dy, sh, sw);
  // effective dilated extent (without the trailing zeros dilate() adds)
  const dh = (oh - 1) * sh + 1, dw = (ow - 1) * sw + 1;
  const top = kh - 1 - info.padInfo.top, left = kw - 1 - info.padInfo.left;
  const bottom = h + kh - 1 - dh - top - (sh - 1);
  const right = w + kw - 1 - dw - left - (sw - 1);
  const c = cropNegative(b, dyd, [top, bottom, left, right]);
  const rev = run(b, "Reverse", { x: filter }, { dims: [0, 1] });
  const wt = transpose(b, rev, [0, 1, 3, 2]);
  const dx = run(b, "Conv2D", { x: c.x, filter: wt }, {
    strides: [1, 1],
    pad: explicit(c.pads),
    dilations: [1, 1],
    dataFormat: "NHWC",
  });
  free(b, dyd, rev, wt);
  if (c.owned) free(b, c.x);
  return dx;
}

// ---------------------------------------------------------------- Conv2DBackpropFilter

/** `dW` of conv2d as a forward Conv2D with the batch as channels. */
function conv2dBackpropFilterConv(
  b: BackendWasm,
  x: Info,
  dy: Info,
  filterShape: number[],
  attrs: Attrs,
): Info {
  const info = convInfo(x.shape, filterShape, attrs);
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const top = info.padInfo.top, left = info.padInfo.left;
  const bottom = kh + sh * (oh - 1) - h - top;
  const right = kw + sw * (ow - 1) - w - left;
  const c = cropNegative(b, x, [top, bottom, left, right]);
  const xt = transpose(b, c.x, [3, 1, 2, 0]); // [CI, H, W, B]
  const dyt = transpose(b, dy, [1, 2, 0, 3]); // [OH, OW, B, CO]
  const out = run(b, "Conv2D", { x: xt, filter: dyt }, {
    strides: [1, 1],
    pad: explicit(c.pads),
    dilations: [sh, sw],
    dataFormat: "NHWC",
  }); // [CI, KH, KW, CO]
  const dw = transpose(b, out, [1, 2, 0, 3]);
  free(b, xt, dyt, out);
  if (c.owned) free(b, c.x);
  return dw;
}

/** `dW` of conv2d as im2col (written in JS on the wasm heap) and one `BatchMatMul`. */
function conv2dBackpropFilterIm2col(
  b: BackendWasm,
  x: Info,
  dy: Info,
  filterShape: number[],
  attrs: Attrs,
): Info {
  const info = convInfo(x.shape, filterShape, attrs);
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const top = info.padInfo.top, left = info.padInfo.left;
  const kcols = kh * kw * ci;
  const cols = b.makeOutput([n * oh * ow, kcols], "float32");
  // views after allocation (the heap may have grown)
  const xv = b.typedArrayFromHeap(x) as Float32Array;
  const cv = b.typedArrayFromHeap(cols) as Float32Array;
  let o = 0;
  for (let bi = 0; bi < n; bi++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        for (let u = 0; u < kh; u++) {
          const ir = r * sh + u - top;
          for (let v = 0; v < kw; v++) {
            const ic = q * sw + v - left;
            if (ir < 0 || ir >= h || ic < 0 || ic >= w) {
              cv.fill(0, o, o + ci);
            } else {
              const base = ((bi * h + ir) * w + ic) * ci;
              cv.set(xv.subarray(base, base + ci), o);
            }
            o += ci;
          }
        }
      }
    }
  }
  // dWᵀ [CO, K] = dyᵀ [CO, N] · cols [N, K]: no transposed operand (the wasm BatchMatMul is
  // slow with transposeA), then one small transpose of the result
  const dy2 = reshape(b, dy, [n * oh * ow, co]);
  const dyT = transpose(b, dy2, [1, 0]);
  const a3 = reshape(b, dyT, [1, co, n * oh * ow]);
  const cols3 = reshape(b, cols, [1, n * oh * ow, kcols]);
  const prod = run(b, "BatchMatMul", { a: a3, b: cols3 }, { transposeA: false, transposeB: false });
  const p2 = reshape(b, prod, [co, kcols]);
  const pt = transpose(b, p2, [1, 0]);
  const dw = reshape(b, pt, [kh, kw, ci, co]);
  free(b, cols, cols3, dy2, dyT, a3, prod, p2, pt);
  return dw;
}

/** `dW` of conv2d via the wasm `Conv3DBackpropFilterV2` kernel (variant `"adapter"`, the baseline). */
function conv2dBackpropFilterAdapter(
  b: BackendWasm,
  x: Info,
  dy: Info,
  filterShape: number[],
  attrs: Attrs,
): Info {
  const info = convInfo(x.shape, filterShape, attrs);
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const x5 = reshape(b, x, [n, 1, h, w, ci]);
  const dy5 = reshape(b, dy, [n, 1, oh, ow, co]);
  const pad = info.padInfo.type === "SAME" ? "same" : "valid";
  if (info.padInfo.type !== "SAME" && info.padInfo.type !== "VALID") {
    throw new MedCryptError(
      "unsupported",
      "the Conv3D adapter supports only 'same' and 'valid' padding",
    );
  }
  const out = run(b, "Conv3DBackpropFilterV2", { x: x5, dy: dy5 }, {
    strides: [1, info.strideHeight, info.strideWidth],
    pad,
    filterShape: [1, ...filterShape],
  });
  const dw = reshape(b, out, filterShape);
  free(b, x5, dy5, out);
  return dw;
}

// ---------------------------------------------------------------- depthwise

function depthwiseInfo(xShape: number[], fShape: number[], attrs: Attrs) {
  const dil = attrs.dilations as number | [number, number] | undefined;
  if (dil !== undefined && !(dil === 1 || (Array.isArray(dil) && dil[0] === 1 && dil[1] === 1))) {
    throw new MedCryptError(
      "unsupported",
      "depthwise conv gradients with dilation > 1 are not supported",
    );
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    true,
  );
}

/** `dW` of depthwise conv: for each filter tap, sum over (b, oh, ow) of a strided x slice × dy. */
function depthwiseBackpropFilter(
  b: BackendWasm,
  x: Info,
  dy: Info,
  filterShape: number[],
  attrs: Attrs,
): Info {
  const info = depthwiseInfo(x.shape, filterShape, attrs);
  const [kh, kw, ci, m] = filterShape;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [n, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const top = info.padInfo.top, left = info.padInfo.left;
  const bottom = Math.max(0, (oh - 1) * sh + kh - h - top);
  const right = Math.max(0, (ow - 1) * sw + kw - w - left);
  const xp = run(b, "PadV2", { x }, {
    paddings: [[0, 0], [top, bottom], [left, right], [0, 0]],
    constantValue: 0,
  });
  const dy5 = reshape(b, dy, [n, oh, ow, ci, m]);
  const taps: Info[] = [];
  for (let u = 0; u < kh; u++) {
    for (let v = 0; v < kw; v++) {
      const sl = run(b, "StridedSlice", { x: xp }, {
        begin: [0, u, v, 0],
        end: [n, u + (oh - 1) * sh + 1, v + (ow - 1) * sw + 1, ci],
        strides: [1, sh, sw, 1],
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      }); // [n, oh, ow, ci]
      const sl5 = reshape(b, sl, [n, oh, ow, ci, 1]);
      const prod = run(b, "Multiply", { a: sl5, b: dy5 });
      const s = run(b, "Sum", { x: prod }, { axis: [0, 1, 2], keepDims: false }); // [ci, m]
      taps.push(s);
      free(b, sl, sl5, prod);
    }
  }
  const pack = tf.getKernel("Pack", "wasm")!;
  const stacked = pack.kernelFunc({
    inputs: taps as unknown as tf.NamedTensorInfoMap,
    backend: b,
    attrs: { axis: 0 },
  }) as Info;
  const dw = reshape(b, stacked, [kh, kw, ci, m]);
  free(b, xp, dy5, stacked, ...taps);
  return dw;
}

/** `dx` of depthwise conv: depthwise conv of the dilated dy with the flipped filter. */
function depthwiseBackpropInput(
  b: BackendWasm,
  dy: Info,
  filter: Info,
  inputShape: number[],
  attrs: Attrs,
): Info {
  const info = depthwiseInfo(inputShape, filter.shape, attrs);
  const [kh, kw, ci, m] = filter.shape;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [n, h, w] = inputShape;
  const [, oh, ow] = dy.shape;
  const dyd = dilate(b, dy, sh, sw);
  const dh = (oh - 1) * sh + 1, dw = (ow - 1) * sw + 1;
  const top = kh - 1 - info.padInfo.top, left = kw - 1 - info.padInfo.left;
  const bottom = h + kh - 1 - dh - top - (sh - 1);
  const right = w + kw - 1 - dw - left - (sw - 1);
  const c = cropNegative(b, dyd, [top, bottom, left, right]);
  const rev = run(b, "Reverse", { x: filter }, { dims: [0, 1] });
  const f1 = reshape(b, rev, [kh, kw, ci * m, 1]);
  const conv = run(b, "DepthwiseConv2dNative", { x: c.x, filter: f1 }, {
    strides: [1, 1],
    pad: explicit(c.pads),
    dilations: [1, 1],
    dataFormat: "NHWC",
  }); // [n, h, w, ci*m]
  let dx: Info;
  if (m === 1) {
    dx = reshape(b, conv, conv.shape); // shares the data: no copy
  } else {
    const c5 = reshape(b, conv, [n, h, w, ci, m]);
    dx = run(b, "Sum", { x: c5 }, { axis: [4], keepDims: false });
    free(b, c5);
  }
  free(b, dyd, rev, f1, conv);
  if (c.owned) free(b, c.x);
  return dx;
}

// ---------------------------------------------------------------- MaxPoolGrad

/**
 * `dx` of max pooling, written in JS on the wasm heap: each `dy` goes to the first maximum of
 * its window (the cpu backend's rule). The wasm backend's own kernel is wrong for more than one
 * channel in tfjs 4.22.
 */
function maxPoolGrad(b: BackendWasm, dy: Info, input: Info, attrs: Attrs): Info {
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
  const [n, h, w, c] = input.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const dx = b.makeOutput(input.shape, "float32");
  const xv = b.typedArrayFromHeap(input) as Float32Array;
  const gv = b.typedArrayFromHeap(dy) as Float32Array;
  const dv = b.typedArrayFromHeap(dx) as Float32Array;
  dv.fill(0);
  if (sh === fh && sw === fw && top === 0 && left === 0 && oh * sh <= h && ow * sw <= w) {
    // non-overlapping windows inside the image (2×2 / stride 2 pooling): one pass per channel
    // with the maximum in locals; same rule (first maximum in row-major window order)
    for (let bi = 0; bi < n; bi++) {
      for (let r = 0; r < oh; r++) {
        for (let q = 0; q < ow; q++) {
          const base = ((bi * h + r * sh) * w + q * sw) * c;
          const g = ((bi * oh + r) * ow + q) * c;
          for (let k = 0; k < c; k++) {
            let at = base + k;
            let best = xv[at];
            for (let u = 0; u < fh; u++) {
              for (let v = u === 0 ? 1 : 0; v < fw; v++) {
                const i = base + (u * w + v) * c + k;
                if (xv[i] > best) {
                  best = xv[i];
                  at = i;
                }
              }
            }
            dv[at] = gv[g + k];
          }
        }
      }
    }
    return dx;
  }
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let bi = 0; bi < n; bi++) {
    for (let r = 0; r < oh; r++) {
      const r0 = r * sh - top;
      for (let q = 0; q < ow; q++) {
        const q0 = q * sw - left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let u = Math.max(0, -r0); u < fh && r0 + u < h; u++) {
          for (let v = Math.max(0, -q0); v < fw && q0 + v < w; v++) {
            const base = ((bi * h + r0 + u) * w + q0 + v) * c;
            for (let k = 0; k < c; k++) {
              const val = xv[base + k];
              if (where[k] < 0 || val > best[k]) {
                best[k] = val;
                where[k] = base + k;
              }
            }
          }
        }
        const g = ((bi * oh + r) * ow + q) * c;
        for (let k = 0; k < c; k++) if (where[k] >= 0) dv[where[k]] += gv[g + k];
      }
    }
  }
  return dx;
}

// ---------------------------------------------------------------- Sum over leading axes

let nativeSum: tf.KernelFunc | undefined;

/**
 * `Sum` over a leading prefix of the axes (bias gradients: sum of dy over batch, rows, columns)
 * as one JS pass over the wasm heap; the native kernel transposes first. Other cases go to the
 * native kernel.
 */
function sumKernel(args: Parameters<tf.KernelFunc>[0]): Info | Info[] {
  const b = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  const attrs = args.attrs ?? {};
  const rank = x.shape.length;
  const raw = attrs.axis as number | number[] | undefined;
  const axes = (raw === undefined ? [...Array(rank).keys()] : Array.isArray(raw) ? raw : [raw])
    .map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (!leading || x.dtype !== "float32" || !nativeSum) {
    return nativeSum!(args) as Info;
  }
  const inner = x.shape.slice(axes.length).reduce((p, q) => p * q, 1);
  const outer = x.shape.slice(0, axes.length).reduce((p, q) => p * q, 1);
  const outShape = attrs.keepDims
    ? x.shape.map((d, i) => (i < axes.length ? 1 : d))
    : x.shape.slice(axes.length);
  const out = b.makeOutput(outShape, "float32");
  const xv = b.typedArrayFromHeap(x) as Float32Array;
  const ov = b.typedArrayFromHeap(out) as Float32Array;
  const acc = new Float64Array(inner);
  for (let i = 0; i < outer; i++) {
    const base = i * inner;
    for (let k = 0; k < inner; k++) acc[k] += xv[base + k];
  }
  ov.set(acc);
  return out;
}

// ---------------------------------------------------------------- cpu fallback

/** Runs the cpu backend's kernel on copies of the inputs and copies the outputs back. */
function cpuFallback(name: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as BackendWasm;
    const cpu = tf.findBackend("cpu");
    const k = tf.getKernel(name, "cpu");
    if (!cpu || !k) {
      throw new MedCryptError("unsupported", `${name}: no cpu backend to fall back on`);
    }
    // `rank` too: some cpu kernels (Dilation2D backprops) read it as if given Tensors
    const copy = (t: Info): Info & { rank: number } => ({
      dataId: cpu.write(b.readSync(t.dataId), t.shape, t.dtype),
      shape: t.shape,
      dtype: t.dtype,
      rank: t.shape.length,
    });
    // some kernels (Einsum) take an array of inputs (it may arrive as a record "0", "1", …)
    const rec = inputs as Record<string, Info>;
    const keys = Object.keys(rec);
    const indexed = Array.isArray(inputs) ||
      (keys.length > 0 && keys.every((k, i) => k === String(i)));
    const cpuInputs = indexed
      ? keys.map((key) => copy(rec[key]))
      : Object.fromEntries(keys.map((key) => [key, copy(rec[key])]));
    const out = k.kernelFunc({
      inputs: cpuInputs as unknown as tf.NamedTensorInfoMap,
      backend: cpu,
      attrs,
    }) as Info | Info[];
    const outs = Array.isArray(out) ? out : [out];
    const res = outs.map((o) => {
      const vals = cpu.readSync(o.dataId);
      const id = b.write(vals, o.shape, o.dtype);
      cpu.disposeData(o.dataId);
      return { dataId: id, shape: o.shape, dtype: o.dtype };
    });
    for (const t of Object.values(cpuInputs) as Info[]) cpu.disposeData(t.dataId);
    return Array.isArray(out) ? res : res[0];
  };
}

// ---------------------------------------------------------------- gradients tfjs lacks

/**
 * Gradients tfjs 4.22 does not define on any backend: `DepthToSpace` (pixel shuffle; its
 * gradient is space-to-depth by reshape/transpose) and the comparisons (`Greater`, `Equal`…,
 * piecewise constant: zero gradient), so `tf.where(x.greater(0), …)` can be differentiated.
 *
 * @returns the names of the gradients registered
 */
export function registerMissingGradients(): string[] {
  const added: string[] = [];
  if (!tf.getGradient("DepthToSpace")) {
    tf.registerGradient({
      kernelName: "DepthToSpace",
      gradFunc: (dy, _saved, attrs) => {
        const bs = (attrs as { blockSize: number }).blockSize;
        const fmt = (attrs as { dataFormat?: string }).dataFormat ?? "NHWC";
        const g = dy as tf.Tensor4D;
        return {
          x: () => {
            if (fmt !== "NHWC") {
              throw new MedCryptError("unsupported", "DepthToSpace gradient supports only NHWC");
            }
            const [n, hh, ww, c] = g.shape;
            const h = hh / bs, w = ww / bs;
            return g.reshape([n, h, bs, w, bs, c]).transpose([0, 1, 3, 2, 4, 5])
              .reshape([n, h, w, bs * bs * c]);
          },
        };
      },
    });
    added.push("DepthToSpace");
  }
  for (const name of ["Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual"]) {
    if (tf.getGradient(name)) continue;
    tf.registerGradient({
      kernelName: name,
      inputsToSave: ["a", "b"],
      gradFunc: (_dy, saved) => ({
        a: () => tf.zerosLike(saved[0]),
        b: () => tf.zerosLike(saved[1]),
      }),
    });
    added.push(name);
  }
  return added;
}

// ---------------------------------------------------------------- registration

let nativeInputGrad: tf.KernelFunc | undefined;

/**
 * Kernels that run on the cpu backend's implementation: missing on wasm (Einsum,
 * UnsortedSegmentSum = the gradient of gather) or wrong there in tfjs 4.22
 * (ResizeNearestNeighborGrad, Dilation2D backprops: measured against the cpu backend).
 */
const CPU_FALLBACKS = [
  "Einsum",
  "UnsortedSegmentSum",
  "ResizeNearestNeighborGrad",
  "Dilation2DBackpropInput",
  "Dilation2DBackpropFilter",
];

function replace(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
  tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc });
}
let registered = false;

/**
 * Registers the kernels of this module for the `wasm` backend (once; after the backend was
 * initialised, so that the replaced native `Conv2DBackpropInput` stays callable as a variant).
 *
 * @returns the names registered
 */
export function registerWasmKernels(): string[] {
  if (registered) return [...KERNEL_NAMES];
  const native = tf.getKernel("Conv2DBackpropInput", "wasm");
  if (native) {
    nativeInputGrad = native.kernelFunc;
    tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  }
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: (args) => {
      const { dy, filter } = args.inputs as { dy: Info; filter: Info };
      if (variants.input === "native" && nativeInputGrad) return nativeInputGrad(args);
      return conv2dBackpropInputConv(
        args.backend as BackendWasm,
        dy,
        filter,
        (args.attrs ?? {}).inputShape as number[],
        args.attrs ?? {},
      );
    },
  });
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs = {} }) => {
      const { x, dy } = inputs as { x: Info; dy: Info };
      const b = backend as BackendWasm;
      const fs = attrs.filterShape as number[];
      switch (variants.filter) {
        case "im2col":
          return conv2dBackpropFilterIm2col(b, x, dy, fs, attrs);
        case "adapter":
          return conv2dBackpropFilterAdapter(b, x, dy, fs, attrs);
        default:
          return conv2dBackpropFilterConv(b, x, dy, fs, attrs);
      }
    },
  });
  tf.registerKernel({
    kernelName: "DepthwiseConv2dNativeBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs = {} }) => {
      const { x, dy } = inputs as { x: Info; dy: Info };
      return depthwiseBackpropFilter(
        backend as BackendWasm,
        x,
        dy,
        attrs.filterShape as number[],
        attrs,
      );
    },
  });
  tf.registerKernel({
    kernelName: "DepthwiseConv2dNativeBackpropInput",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs = {} }) => {
      const { dy, filter } = inputs as { dy: Info; filter: Info };
      return depthwiseBackpropInput(
        backend as BackendWasm,
        dy,
        filter,
        attrs.inputShape as number[],
        attrs,
      );
    },
  });
  replace("MaxPoolGrad", ({ inputs, backend, attrs = {} }) => {
    const { dy, input } = inputs as { dy: Info; input: Info };
    return maxPoolGrad(backend as BackendWasm, dy, input, attrs);
  });
  for (const name of CPU_FALLBACKS) replace(name, cpuFallback(name));
  // tfjs's engine clones every tensor it saves for the backward pass through `Identity`, and
  // the ReLU gradient casts its float mask to float: the wasm kernels copy the data (the cpu
  // ones share it). Tensors are immutable, so share it; strings and real casts stay native.
  for (const name of ["Identity", "Cast"]) {
    const native = tf.getKernel(name, "wasm")?.kernelFunc;
    if (!native) continue;
    replace(name, (args) => {
      const { x } = args.inputs as { x: Info };
      const same = name === "Identity" || args.attrs?.dtype === x.dtype;
      if (x.dtype === "string" || !same) return native(args);
      (args.backend as BackendWasm).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    });
  }
  const ns = tf.getKernel("Sum", "wasm")?.kernelFunc;
  if (ns) {
    nativeSum = ns;
    replace("Sum", sumKernel);
  }
  registered = true;
  return [...KERNEL_NAMES];
}
