/**
 * Fixed-point integer inference of small convolution stacks, in plain TypeScript, for the exact
 * variant's coupling functions. Every value is an integer held in a double and every
 * intermediate stays below 2^53, so results are exact and identical on every machine and every
 * tfjs backend (tfjs is not involved at all).
 *
 * Scales: activations carry `ACT_BITS` fractional bits, weights `W_BITS`. A layer computes
 * `acc = b_q + Σ w_q·a` and `a' = clamp(⌊acc / 2^W_BITS⌋, ±2^24)`, ReLU where asked. Bounds:
 * `|a| ≤ 2^24`, `|w_q| ≤ 2^15`, at most 2^10 terms ⇒ `|acc| < 2^50`.
 *
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";

/** Fractional bits of activations. */
export const ACT_BITS = 16;
/** Fractional bits of weights. */
export const W_BITS = 12;
const ACT_CLAMP = 2 ** 24;
const W_CLAMP = 2 ** 15;
const B_CLAMP = 2 ** 44;
const W_SCALE = 2 ** W_BITS;

/** A quantised 3×3 (or k×k) convolution, weights `[k, k, cin, cout]` as in tfjs. */
export interface QConv {
  /** Kernel size. */
  k: number;
  /** Input channels. */
  cin: number;
  /** Output channels. */
  cout: number;
  /** Integer weights, `[k, k, cin, cout]` row-major. */
  w: Float64Array;
  /** Integer biases at scale 2^(ACT_BITS + W_BITS). */
  b: Float64Array;
}

/** Quantises float weights `[k,k,cin,cout]` and biases `[cout]`. */
export function quantizeConv(w: Float32Array, shape: number[], b: Float32Array): QConv {
  const [k, k2, cin, cout] = shape;
  if (k !== k2 || w.length !== k * k * cin * cout || b.length !== cout) {
    throw new MedCryptError("bad-model", `conv shape ${shape.join("×")} does not match its data`);
  }
  const wq = new Float64Array(w.length), bq = new Float64Array(cout);
  for (let i = 0; i < w.length; i++) {
    wq[i] = Math.max(-W_CLAMP, Math.min(W_CLAMP, Math.round(w[i] * W_SCALE)));
  }
  for (let i = 0; i < cout; i++) {
    bq[i] = Math.max(-B_CLAMP, Math.min(B_CLAMP, Math.round(b[i] * 2 ** (ACT_BITS + W_BITS))));
  }
  return { k, cin, cout, w: wq, b: bq };
}

/**
 * One fixed-point convolution with zero "same" padding over a planar `cin×h×w` integer map (CHW:
 * channel-major, so the inner loop runs along an image row).
 *
 * @returns the planar `cout×h×w` integer map
 */
export function qconv(
  inp: Float64Array,
  h: number,
  w: number,
  L: QConv,
  relu: boolean,
): Float64Array {
  const { k, cin, cout } = L, pad = (k - 1) >> 1, hw = h * w;
  const out = new Float64Array(hw * cout);
  for (let co = 0; co < cout; co++) {
    const o = co * hw;
    out.fill(L.b[co], o, o + hw);
    for (let ci = 0; ci < cin; ci++) {
      const ib = ci * hw;
      if (k === 3 && w >= 2) {
        addRows3(out, o, inp, ib, h, w, L, ci, co);
        continue;
      }
      for (let ky = 0; ky < k; ky++) {
        const dy = ky - pad;
        const y0 = Math.max(0, -dy), y1 = Math.min(h, h - dy);
        for (let kx = 0; kx < k; kx++) {
          const wv = L.w[((ky * k + kx) * cin + ci) * cout + co];
          if (wv === 0) continue;
          const dx = kx - pad;
          const x0 = Math.max(0, -dx), x1 = Math.min(w, w - dx);
          for (let y = y0; y < y1; y++) {
            const orow = o + y * w, irow = ib + (y + dy) * w + dx;
            for (let x = x0; x < x1; x++) out[orow + x] += wv * inp[irow + x];
          }
        }
      }
    }
    for (let p = o; p < o + hw; p++) {
      let v = Math.floor(out[p] / W_SCALE);
      if (v > ACT_CLAMP) v = ACT_CLAMP;
      else if (v < -ACT_CLAMP) v = -ACT_CLAMP;
      out[p] = relu && v < 0 ? 0 : v;
    }
  }
  return out;
}

/**
 * Adds input channel `ci`'s contribution to output channel `co` of a 3×3 convolution, the three
 * taps of a kernel row fused into one pass over each image row (a third of the loads and stores
 * of one pass per tap). Every term is an integer below 2^53, so the order of the sums does not
 * change the result.
 */
function addRows3(
  out: Float64Array,
  o: number,
  inp: Float64Array,
  ib: number,
  h: number,
  w: number,
  L: QConv,
  ci: number,
  co: number,
): void {
  const { cin, cout } = L;
  for (let ky = 0; ky < 3; ky++) {
    const dy = ky - 1;
    const w0 = L.w[(ky * 3 * cin + ci) * cout + co];
    const w1 = L.w[((ky * 3 + 1) * cin + ci) * cout + co];
    const w2 = L.w[((ky * 3 + 2) * cin + ci) * cout + co];
    if (w0 === 0 && w1 === 0 && w2 === 0) continue;
    const y0 = Math.max(0, -dy), y1 = Math.min(h, h - dy);
    for (let y = y0; y < y1; y++) {
      const orow = o + y * w, irow = ib + (y + dy) * w;
      out[orow] += w1 * inp[irow] + w2 * inp[irow + 1];
      for (let x = 1; x < w - 1; x++) {
        out[orow + x] += w0 * inp[irow + x - 1] + w1 * inp[irow + x] + w2 * inp[irow + x + 1];
      }
      out[orow + w - 1] += w0 * inp[irow + w - 2] + w1 * inp[irow + w - 1];
    }
  }
}

/** Runs a stack of fixed-point convolutions (ReLU between layers, none after the last). */
export function qstack(inp: Float64Array, h: number, w: number, layers: QConv[]): Float64Array {
  let a = inp;
  layers.forEach((L, i) => {
    a = qconv(a, h, w, L, i < layers.length - 1);
  });
  return a;
}
