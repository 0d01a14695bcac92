/**
 * A bound on |encrypted − plaintext| logits derived from the CKKS parameters, not fitted.
 *
 * Two bounds are computed from the same error model. The one the tests check
 * ({@linkcode ErrorBound.logits}) is the average-case (central-limit) bound: every noise source
 * is a sum of many independent rounding/Gaussian terms, so its slot value is treated as a
 * Gaussian whose variance follows from the parameters (coefficient variances: σ² = 3.2² for
 * errors, 1/12 for roundings, 2/3 for ternary secrets; a polynomial with coefficient variance
 * `v` has slot variance `N·v`), variances are propagated through the program (linear layers
 * multiply by the largest squared row norm `max_r Σ_c w²`, the activation by `(2·max|x| + |d|)²`),
 * and the bound is `Z = 6` standard deviations (a Gaussian exceeds it with probability 2·10⁻⁹).
 * The second ({@linkcode ErrorBound.worstCase}) is the classical high-probability worst-case
 * bound, far looser, described next.
 *
 * CKKS errors are tracked in the canonical embedding, whose ∞-norm bounds every slot. The
 * per-operation high-probability bounds are those of Cheon, Kim, Kim and Song (HEAAN, Asiacrypt
 * 2017, Lemmas 1–3) with SEAL's σ = 3.2 and a uniform ternary secret (`h ≈ 2N/3`):
 * `B_clean = 8√2·σN + 6σ√N + 16σ√(hN)` (fresh public-key encryption),
 * `B_rs = √(N/3)·(3 + 8√h)` (rescale rounding), `B_enc = 3√(N/3)` (encoding rounding),
 * and key switching with one special prime `P` and one digit per prime `qi` (SEAL's RNS
 * variant): `B_ks = (number of primes)·max(qi)·8σN/√3 / P + B_rs`.
 * A quantity `B` in a ciphertext at scale `s` is a value error `B/s`. These errors are pushed
 * through the compiled program with the magnitudes of the actual plaintext intermediates:
 * a linear layer maps `E → ‖W‖∞·E + (products per output)·max|x|·B_enc/q + rotation and rescale
 * terms`; the activation `x² + d·x` maps `E → (2·max|x| + |d|)·E + E² + relinearization and rescale
 * terms`.
 *
 * @example
 * ```ts
 * import { errorBound } from "./noise.ts";
 * import { compile } from "./plan.ts";
 * import { tinyModel } from "./model.ts";
 * import { PRESETS } from "./params.ts";
 * const prog = compile(tinyModel(1));
 * const b = errorBound(prog, PRESETS["ckks-4096-d3"], [[new Float64Array(16).fill(0.5)]], "batch");
 * console.log(b.logits > 0 && b.logits < b.worstCase); // true
 * ```
 * @module
 */
import type { HeParams } from "./params.ts";
import { type HeProgram, latencyPlan, type Op, rotateAfterRescale } from "./plan.ts";

const SIGMA = 3.2;

/** Number of standard deviations of the average-case bound. */
export const Z = 6;

/** The bounds and their pieces. */
export interface ErrorBound {
  /** Average-case bound (`Z` standard deviations) on |encrypted − plaintext| of every logit. */
  logits: number;
  /** Worst-case (HEAAN high-probability) bound on the same. */
  worstCase: number;
  /** The number of standard deviations used. */
  z: number;
  /** Average-case bound after each op of the program. */
  perOp: number[];
  /** Max |value| after each op over the inputs given. */
  magnitudes: number[];
}

/**
 * Forward pass of a compiled program in float64, returning every intermediate.
 *
 * @param prog the program
 * @param x the preprocessed input
 * @returns the values after each op
 * @example
 * ```ts
 * import { forwardProgram } from "./noise.ts";
 * import { compile } from "./plan.ts";
 * import { tinyModel } from "./model.ts";
 * console.log(forwardProgram(compile(tinyModel(1)), new Float64Array(16)).at(-1)!.length); // 2
 * ```
 */
export function forwardProgram(prog: HeProgram, x: Float64Array): Float64Array[] {
  const outs: Float64Array[] = [];
  let cur = x;
  for (const op of prog.ops) {
    let y: Float64Array;
    if (op.kind === "conv") {
      y = new Float64Array(op.oh * op.ow * op.channels);
      for (let oy = 0; oy < op.oh; oy++) {
        for (let ox = 0; ox < op.ow; ox++) {
          for (let c = 0; c < op.channels; c++) {
            let s = op.bias[c];
            for (let t = 0; t < op.kernel * op.kernel; t++) {
              const ky = Math.floor(t / op.kernel), kx = t % op.kernel;
              s += op.weights[t * op.channels + c] *
                cur[(oy * op.stride + ky) * op.inW + ox * op.stride + kx];
            }
            y[(oy * op.ow + ox) * op.channels + c] = s;
          }
        }
      }
    } else if (op.kind === "act") {
      y = cur.map((v) => v * v + op.d * v);
    } else if (op.kind === "sumpool") {
      const ph = Math.floor(op.h / op.size), pw = Math.floor(op.w / op.size);
      y = new Float64Array(ph * pw * op.c);
      for (let py = 0; py < ph; py++) {
        for (let px = 0; px < pw; px++) {
          for (let c = 0; c < op.c; c++) {
            let s = 0;
            for (let dy = 0; dy < op.size; dy++) {
              for (let dx = 0; dx < op.size; dx++) {
                s += cur[((py * op.size + dy) * op.w + px * op.size + dx) * op.c + c];
              }
            }
            y[(py * pw + px) * op.c + c] = s;
          }
        }
      }
    } else {
      y = new Float64Array(op.outDim);
      for (let o = 0; o < op.outDim; o++) {
        let s = op.bias[o];
        for (let j = 0; j < op.inDim; j++) s += op.w[o * op.inDim + j] * cur[j];
        y[o] = s;
      }
    }
    outs.push(y);
    cur = y;
  }
  return outs;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function rowNorms(op: Op): { norm: number; norm2: number; terms: number } {
  let norm = 0, norm2 = 0;
  if (op.kind === "conv") {
    for (let c = 0; c < op.channels; c++) {
      let a = 0, b = 0;
      for (let t = 0; t < op.kernel * op.kernel; t++) {
        const w = op.weights[t * op.channels + c];
        a += Math.abs(w);
        b += w * w;
      }
      norm = Math.max(norm, a);
      norm2 = Math.max(norm2, b);
    }
    return { norm, norm2, terms: op.kernel * op.kernel };
  }
  if (op.kind === "dense") {
    for (let o = 0; o < op.outDim; o++) {
      let a = 0, b = 0;
      for (let j = 0; j < op.inDim; j++) {
        const w = op.w[o * op.inDim + j];
        a += Math.abs(w);
        b += w * w;
      }
      norm = Math.max(norm, a);
      norm2 = Math.max(norm2, b);
    }
    return { norm, norm2, terms: op.inDim };
  }
  return { norm: 1, norm2: 1, terms: 0 };
}

/**
 * Derives the bounds on the logit error for `inputs` evaluated under `params`.
 *
 * @param prog the compiled program
 * @param params CKKS parameters (primes taken as `2^bits`, scale `2^logScale`)
 * @param inputs groups of preprocessed inputs (magnitudes are the max over all of them)
 * @param mode `"single"` (with the rotations of the latency plan) or `"batch"` (no rotations)
 * @returns the bounds
 * @example
 * ```ts
 * import { errorBound } from "./noise.ts";
 * import { compile } from "./plan.ts";
 * import { tinyModel } from "./model.ts";
 * import { PRESETS } from "./params.ts";
 * const b = errorBound(compile(tinyModel(1)), PRESETS["ckks-8192-d5"], [[new Float64Array(16)]], "single");
 * console.log(b.perOp.length, b.logits < b.worstCase); // 3 true
 * ```
 */
export function errorBound(
  prog: HeProgram,
  params: HeParams,
  inputs: readonly (readonly Float64Array[])[],
  mode: "single" | "batch",
): ErrorBound {
  const N = params.polyModulusDegree;
  const h = (2 * N) / 3;
  // worst-case (HEAAN) pieces
  const bClean = 8 * Math.SQRT2 * SIGMA * N + 6 * SIGMA * Math.sqrt(N) +
    16 * SIGMA * Math.sqrt(h * N);
  const bRs = Math.sqrt(N / 3) * (3 + 8 * Math.sqrt(h));
  const bEnc = 3 * Math.sqrt(N / 3);
  // average-case slot variances (value × scale units)
  const vFresh = N * ((4 / 3) * N * SIGMA ** 2 + SIGMA ** 2) + N / 12;
  const vRs = N * (1 / 12) * (1 + h);
  const vEnc = N / 12;
  const bits = params.coeffBits;
  const P = 2 ** bits[bits.length - 1];
  const qs = bits.slice(0, -1).map((b) => 2 ** b); // q0 … qL
  const L = qs.length - 1;
  const ksParts = (level: number) => {
    const k = L + 1 - level;
    const qmax = Math.max(...qs.slice(0, k));
    return { k, qmax };
  };
  const bKs = (level: number) => {
    const { k, qmax } = ksParts(level);
    return (k * qmax * 8 * SIGMA * N) / Math.sqrt(3) / P + bRs;
  };
  const vKs = (level: number) => {
    const { k, qmax } = ksParts(level);
    return N * (k * N * (qmax ** 2 / 12) * SIGMA ** 2) / P ** 2 + vRs;
  };
  const drop = (level: number) => qs[L - level];

  const mags = new Array(prog.ops.length).fill(0);
  let inMag = 0;
  for (const group of inputs) {
    for (const x of group) {
      inMag = Math.max(inMag, maxAbs(x));
      forwardProgram(prog, x).forEach((v, i) => (mags[i] = Math.max(mags[i], maxAbs(v))));
    }
  }
  const plan = mode === "single" ? latencyPlan(prog, N / 2) : undefined;
  const after = rotateAfterRescale(params);

  let s = 2 ** params.logScale;
  let E = (bClean + bEnc) / s; // worst case
  let V = vFresh / (s * s); // variance
  let X = inMag;
  let level = 0;
  const perOp: number[] = [];
  let pendingPool = 1;
  let diagIndex = 0;
  for (const [i, op] of prog.ops.entries()) {
    if (op.kind === "sumpool") {
      pendingPool = op.size * op.size;
      if (mode === "batch") {
        E *= pendingPool;
        V *= pendingPool;
        pendingPool = 1;
      }
      X = mags[i] + Z * Math.sqrt(V);
      perOp.push(Z * Math.sqrt(V));
      continue;
    }
    const q = drop(level);
    if (op.kind === "act") {
      const g = 2 * X + Math.abs(op.d);
      E = g * E + E * E + bKs(level) / (s * s) + (op.d !== 0 ? (bEnc / s) * X : 0);
      V = g * g * V + vKs(level) / s ** 4 + (op.d !== 0 ? (vEnc / (s * s)) * X * X : 0);
      s = (s * s) / q;
      E += bRs / s;
      V += vRs / (s * s);
    } else {
      const { norm, norm2, terms } = rowNorms(op);
      const wNorm = norm * (mode === "single" ? pendingPool : 1);
      const wNorm2 = norm2 * (mode === "single" ? pendingPool : 1);
      let products = terms * (mode === "single" ? pendingPool : 1);
      let rotE = 0, rotV = 0;
      if (plan) {
        const st = plan.steps.filter((x) => x.kind !== "act")[diagIndex];
        if (st?.kind === "diag-dense") {
          products = st.n;
          const stages = Math.log2(st.n / st.m);
          const baby = st.baby > 1 ? 1 : 0;
          const giantE = (st.giant - 1) * 2 ** stages * bKs(level) / (s * q);
          const giantV = (st.giant - 1) * 2 ** stages * vKs(level) / (s * q) ** 2;
          // block sums before rescaling (scale s·q) or after (scale s, one prime fewer)
          const bs = after ? s : s * q, bl = after ? level + 1 : level;
          rotE = baby * wNorm * (bKs(level) / s) + giantE + stages * 2 ** stages * bKs(bl) / bs;
          rotV = baby * wNorm2 * (vKs(level) / (s * s)) + giantV +
            stages * 2 ** stages * vKs(bl) / (bs * bs);
        } else if (plan.packing.kind === "im2col") {
          const stages = Math.log2(plan.packing.blocks);
          const bs = after ? s : s * q, bl = after ? level + 1 : level;
          rotE = stages * 2 ** stages * bKs(bl) / bs;
          rotV = stages * 2 ** stages * vKs(bl) / (bs * bs);
        }
        diagIndex++;
      }
      E = wNorm * E + products * X * (bEnc / q) + rotE + bRs / s;
      V = wNorm2 * V + products * X * X * (vEnc / (q * q)) + rotV + vRs / (s * s);
      pendingPool = 1;
    }
    level++;
    X = mags[i] + Z * Math.sqrt(V);
    perOp.push(Z * Math.sqrt(V));
  }
  return { logits: Z * Math.sqrt(V), worstCase: E, perOp, magnitudes: mags, z: Z };
}
