/**
 * Membership-inference attack scores, computed from model outputs (class probabilities) on a
 * pool of records. Every score follows one convention: **higher = more likely a member**.
 *
 * - {@linkcode lossScores} / {@linkcode confidenceScores}: the threshold attack of Yeom et al.
 *   (CSF 2018) — members have lower loss.
 * - {@linkcode shadowAttack}: Shokri et al. (S&P 2017) — an attack classifier (here a logistic
 *   regression per class on loss-derived features) trained on shadow models whose members are
 *   known.
 * - {@linkcode lira}: the likelihood-ratio attack of Carlini et al. (S&P 2022), online (in- and
 *   out-models) and offline (out-models only), with per-record or global ("fixed") variance —
 *   fixed variance is the recommended choice with few reference models.
 * - {@linkcode rmia}: the relative membership attack of Zarifzadeh et al. (ICML 2024), which
 *   compares the target/reference likelihood ratio of a record with that of population records
 *   and works with 1–4 reference models.
 * - {@linkcode labelOnlyScores}: what an attacker can do when only the predicted label is
 *   released (the "label-only" defence).
 *
 * @example
 * ```ts
 * import { lossScores } from "./mia.ts";
 * const probs = Float32Array.from([0.9, 0.1, 0.4, 0.6]);
 * console.log(Array.from(lossScores(probs, [0, 0], 2)).map((s) => s.toFixed(3))); // ["-0.105", "-0.916"]
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";

function checkProbs(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): void {
  if (probs.length !== labels.length * classes) {
    throw new MedCryptError(
      "size-mismatch",
      `${probs.length} probabilities for ${labels.length} records of ${classes} classes`,
    );
  }
}

/**
 * Negative cross-entropy loss of the true class (Yeom et al.): `log p_y` (computed as
 * `log(1 − Σ_{c≠y} p_c)` when `p_y > ½`, so float32 outputs saturated at 1 stay distinguishable).
 *
 * @param probs `n × classes` probabilities
 * @param labels true classes
 * @param classes number of classes
 * @returns per-record scores (higher = member)
 * @example
 * ```ts
 * import { lossScores } from "./mia.ts";
 * console.log(lossScores(Float32Array.from([0.5, 0.5]), [1], 2)[0].toFixed(3)); // "-0.693"
 * ```
 */
export function lossScores(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): Float64Array {
  checkProbs(probs, labels, classes);
  const out = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const py = probs[i * classes + labels[i]];
    if (py > 0.5) {
      // float32 softmax saturates at 1: use log(1 − Σ others), precise for tiny others
      let rest = 0;
      for (let c = 0; c < classes; c++) if (c !== labels[i]) rest += probs[i * classes + c];
      out[i] = Math.log1p(-rest);
    } else {
      out[i] = Math.log(Math.max(1e-30, py));
    }
  }
  return out;
}

/**
 * Confidence in the true class, `p_y`.
 *
 * @param probs `n × classes` probabilities
 * @param labels true classes
 * @param classes number of classes
 * @returns per-record scores (higher = member)
 * @example
 * ```ts
 * import { confidenceScores } from "./mia.ts";
 * console.log(confidenceScores(Float32Array.from([0.2, 0.8]), [1], 2)[0].toFixed(1)); // "0.8"
 * ```
 */
export function confidenceScores(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): Float64Array {
  checkProbs(probs, labels, classes);
  return Float64Array.from({ length: labels.length }, (_, i) => probs[i * classes + labels[i]]);
}

/**
 * The logit-scaled confidence of LiRA, `φ = log p_y − log Σ_{c≠y} p_c`, computed from the
 * stored probabilities of the other classes (so it stays finite and precise near `p_y = 1`).
 *
 * @param probs `n × classes` probabilities
 * @param labels true classes
 * @param classes number of classes
 * @returns per-record φ
 * @example
 * ```ts
 * import { scaledLogits } from "./mia.ts";
 * console.log(scaledLogits(Float32Array.from([0.5, 0.5]), [0], 2)[0]); // 0
 * ```
 */
export function scaledLogits(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): Float64Array {
  checkProbs(probs, labels, classes);
  const out = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let rest = 0;
    for (let c = 0; c < classes; c++) if (c !== labels[i]) rest += probs[i * classes + c];
    out[i] = Math.log(Math.max(1e-30, probs[i * classes + labels[i]])) -
      Math.log(Math.max(1e-30, rest));
  }
  return out;
}

/**
 * Label-only attack: 1 when the released label is correct, 0 otherwise (all an attacker can
 * score when the service returns only the label).
 *
 * @param probs `n × classes` probabilities (only their argmax is used)
 * @param labels true classes
 * @param classes number of classes
 * @returns per-record 0/1 scores
 * @example
 * ```ts
 * import { labelOnlyScores } from "./mia.ts";
 * console.log(Array.from(labelOnlyScores(Float32Array.from([0.9, 0.1, 0.3, 0.7]), [0, 0], 2))); // [1, 0]
 * ```
 */
export function labelOnlyScores(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): Float64Array {
  checkProbs(probs, labels, classes);
  return Float64Array.from({ length: labels.length }, (_, i) => {
    let arg = 0;
    for (let c = 1; c < classes; c++) {
      if (probs[i * classes + c] > probs[i * classes + arg]) arg = c;
    }
    return arg === labels[i] ? 1 : 0;
  });
}

/**
 * Rounds released probabilities to `decimals` places (the "rounded outputs" defence), keeping
 * the argmax.
 *
 * @param probs `n × classes` probabilities
 * @param decimals decimal places kept
 * @returns the rounded probabilities
 * @example
 * ```ts
 * import { roundProbs } from "./mia.ts";
 * console.log(Array.from(roundProbs(Float32Array.from([0.9876, 0.0124]), 1))); // [1, 0]
 * ```
 */
export function roundProbs(probs: ArrayLike<number>, decimals: number): Float32Array {
  const f = 10 ** decimals;
  return Float32Array.from({ length: probs.length }, (_, i) => Math.round(probs[i] * f) / f);
}

/** Options of {@linkcode lira}. */
export interface LiraOptions {
  /** `"online"` (in- and out-models, default) or `"offline"` (out-models only). */
  mode?: "online" | "offline";
  /** Use one variance for all records (default true: right for fewer than ~64 reference models). */
  fixedVariance?: boolean;
}

function meanStd(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : NaN;
  return [m, Math.sqrt(v)];
}

/**
 * LiRA (Carlini et al. 2022). For each record, Gaussians are fitted to the reference models'
 * φ (see {@linkcode scaledLogits}) when the record was in their training set and when it was
 * not; the score is the log-likelihood ratio of the target's φ (online), or the one-sided
 * z-score against the out-distribution (offline).
 *
 * @param target φ of the target model on the `n` records
 * @param refs φ of each reference model on the same records
 * @param refKeep for each reference model, which records it trained on (1) or not (0)
 * @param options mode and variance
 * @returns per-record scores (higher = member); for online, the log-likelihood ratio
 * @example
 * ```ts
 * import { lira } from "./mia.ts";
 * const target = Float64Array.from([5, 0]);
 * const refs = [Float64Array.from([4, 1]), Float64Array.from([1, 4]), Float64Array.from([6, 0]), Float64Array.from([0, 5])];
 * const keep = [Uint8Array.from([1, 0]), Uint8Array.from([0, 1]), Uint8Array.from([1, 0]), Uint8Array.from([0, 1])];
 * const s = lira(target, refs, keep);
 * console.log(s[0] > 0, s[1] < 0); // true true
 * ```
 */
export function lira(
  target: Float64Array,
  refs: Float64Array[],
  refKeep: Uint8Array[],
  options: LiraOptions = {},
): Float64Array {
  const { mode = "online", fixedVariance = true } = options;
  const n = target.length;
  if (refs.length === 0 || refs.length !== refKeep.length) {
    throw new MedCryptError(
      "bad-argument",
      `LiRA needs ≥ 1 reference model with a keep mask each; got ${refs.length} and ${refKeep.length}`,
    );
  }
  for (const r of [...refs, ...refKeep]) {
    if (r.length !== n) {
      throw new MedCryptError(
        "size-mismatch",
        `reference outputs cover ${r.length} of ${n} records`,
      );
    }
  }
  const muIn = new Float64Array(n).fill(NaN), muOut = new Float64Array(n).fill(NaN);
  const sdIn = new Float64Array(n).fill(NaN), sdOut = new Float64Array(n).fill(NaN);
  const resIn: number[] = [], resOut: number[] = [];
  let shift = 0, shiftN = 0;
  for (let i = 0; i < n; i++) {
    const ins: number[] = [], outs: number[] = [];
    for (let r = 0; r < refs.length; r++) (refKeep[r][i] ? ins : outs).push(refs[r][i]);
    if (ins.length) [muIn[i], sdIn[i]] = meanStd(ins);
    if (outs.length) [muOut[i], sdOut[i]] = meanStd(outs);
    for (const v of ins) resIn.push(v - muIn[i]);
    for (const v of outs) resOut.push(v - muOut[i]);
    if (ins.length && outs.length) {
      shift += muIn[i] - muOut[i];
      shiftN++;
    }
  }
  // Global (fixed) spreads from the residuals around each record's mean, with the
  // degrees of freedom of the per-record means removed.
  const globalSd = (res: number[], groups: number) => {
    const dof = Math.max(1, res.length - groups);
    return Math.sqrt(res.reduce((a, b) => a + b * b, 0) / dof) || 1e-3;
  };
  const groupsIn = muIn.filter((v) => !Number.isNaN(v)).length;
  const groupsOut = muOut.filter((v) => !Number.isNaN(v)).length;
  const gIn = globalSd(resIn, groupsIn), gOut = globalSd(resOut, groupsOut);
  const meanShift = shiftN ? shift / shiftN : 0;
  const logN = (x: number, mu: number, sd: number) => -0.5 * ((x - mu) / sd) ** 2 - Math.log(sd);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mOut = Number.isNaN(muOut[i]) ? muIn[i] - meanShift : muOut[i];
    const mIn = Number.isNaN(muIn[i]) ? muOut[i] + meanShift : muIn[i];
    const sOut = fixedVariance || !(sdOut[i] > 0) ? gOut : sdOut[i];
    const sIn = fixedVariance || !(sdIn[i] > 0) ? gIn : sdIn[i];
    out[i] = mode === "online"
      ? logN(target[i], mIn, sIn) - logN(target[i], mOut, sOut)
      : (target[i] - mOut) / sOut;
  }
  return out;
}

/** Options of {@linkcode rmia}. */
export interface RmiaOptions {
  /**
   * `"online"`: Pr(x) is the mean over all reference models (in and out); `"offline"`: only
   * out-models, linearly corrected with `a` (default online).
   */
  mode?: "online" | "offline";
  /** The offline correction `Pr(x) = ½((1 + a)·Pr_out(x) + 1 − a)` (default 0.3). */
  a?: number;
  /** Likelihood-ratio threshold γ (default 1). */
  gamma?: number;
}

/**
 * RMIA (Zarifzadeh et al. 2024): score(x) = fraction of population records z for which
 * `[p(x|θ)/p(x)] / [p(z|θ)/p(z)] > γ`, where `p(·|θ)` is the target's probability of the true
 * class and `p(·)` its average over reference models.
 *
 * @param target target's `p_y` on the `n` records
 * @param refs each reference model's `p_y` on the records
 * @param refKeep each reference model's keep mask on the records (used by offline mode)
 * @param popTarget target's `p_y` on population records (non-members of every model)
 * @param popRefs each reference model's `p_y` on the population records
 * @param options mode, a, γ
 * @returns per-record scores in [0, 1] (higher = member)
 * @example
 * ```ts
 * import { rmia } from "./mia.ts";
 * const s = rmia(Float64Array.from([0.99, 0.5]), [Float64Array.from([0.6, 0.6])], [Uint8Array.from([0, 0])],
 *   Float64Array.from([0.6, 0.7]), [Float64Array.from([0.6, 0.7])]);
 * console.log(s[0] > s[1]); // true
 * ```
 */
export function rmia(
  target: Float64Array,
  refs: Float64Array[],
  refKeep: Uint8Array[],
  popTarget: Float64Array,
  popRefs: Float64Array[],
  options: RmiaOptions = {},
): Float64Array {
  const { mode = "online", a = 0.3, gamma = 1 } = options;
  if (refs.length === 0 || refs.length !== popRefs.length || refs.length !== refKeep.length) {
    throw new MedCryptError(
      "bad-argument",
      "RMIA needs ≥ 1 reference model, with outputs on the records and on the population",
    );
  }
  if (popTarget.length === 0) {
    throw new MedCryptError("bad-argument", "RMIA needs population records");
  }
  const prX = (vals: Float64Array[], keep: Uint8Array[] | undefined, i: number) => {
    if (mode === "offline" && keep) {
      let s = 0, k = 0;
      for (let r = 0; r < vals.length; r++) {
        if (!keep[r][i]) {
          s += vals[r][i];
          k++;
        }
      }
      if (k) return 0.5 * ((1 + a) * (s / k) + 1 - a);
    }
    let s = 0;
    for (const v of vals) s += v[i];
    return s / vals.length;
  };
  const ratioZ = Float64Array.from(
    { length: popTarget.length },
    (_, j) => popTarget[j] / Math.max(1e-30, prX(popRefs, undefined, j)),
  ).sort();
  const out = new Float64Array(target.length);
  for (let i = 0; i < target.length; i++) {
    const rx = target[i] / Math.max(1e-30, prX(refs, refKeep, i));
    // count z with rx / rz > gamma  <=>  rz < rx / gamma
    const limit = rx / gamma;
    let lo = 0, hi = ratioZ.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ratioZ[mid] < limit) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo / ratioZ.length;
  }
  return out;
}

function features(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number[][] {
  const phi = scaledLogits(probs, labels, classes);
  const rows: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    let ent = 0, max = 0;
    for (let c = 0; c < classes; c++) {
      const p = Math.max(1e-12, probs[i * classes + c]);
      ent -= p * Math.log(p);
      max = Math.max(max, p);
    }
    rows.push([Math.max(-30, Math.min(30, phi[i])), ent, max]);
  }
  return rows;
}

/**
 * Shokri et al.'s shadow-model attack. Each shadow model was trained on known records; an
 * attack classifier per true class (logistic regression on φ, output entropy and top
 * probability, standardised) learns "member or not" from the shadows' outputs, then scores the
 * target's outputs.
 *
 * @param shadowProbs each shadow model's `n × classes` probabilities on the records
 * @param shadowKeep each shadow model's keep mask
 * @param labels true classes of the records
 * @param classes number of classes
 * @param targetProbs the target's `n × classes` probabilities
 * @param options gradient-descent iterations (default 300) and learning rate (0.5)
 * @returns per-record membership probabilities (higher = member)
 * @example
 * ```ts
 * import { shadowAttack } from "./mia.ts";
 * const p = (a: number[]) => Float32Array.from(a.flatMap((v) => [1 - v, v]));
 * const s = shadowAttack([p([0.99, 0.6]), p([0.6, 0.99])], [Uint8Array.from([1, 0]), Uint8Array.from([0, 1])],
 *   [1, 1], 2, p([0.99, 0.6]));
 * console.log(s[0] > s[1]); // true
 * ```
 */
export function shadowAttack(
  shadowProbs: ArrayLike<number>[],
  shadowKeep: Uint8Array[],
  labels: ArrayLike<number>,
  classes: number,
  targetProbs: ArrayLike<number>,
  options: { iterations?: number; learningRate?: number } = {},
): Float64Array {
  const { iterations = 300, learningRate = 0.5 } = options;
  if (shadowProbs.length === 0 || shadowProbs.length !== shadowKeep.length) {
    throw new MedCryptError(
      "bad-argument",
      "the shadow attack needs ≥ 1 shadow model with a keep mask",
    );
  }
  const out = new Float64Array(labels.length);
  const tf = features(targetProbs, labels, classes);
  for (let c = 0; c < classes; c++) {
    const xs: number[][] = [], ys: number[] = [];
    for (let s = 0; s < shadowProbs.length; s++) {
      const f = features(shadowProbs[s], labels, classes);
      for (let i = 0; i < labels.length; i++) {
        if (labels[i] === c) {
          xs.push(f[i]);
          ys.push(shadowKeep[s][i]);
        }
      }
    }
    const idx = Array.from({ length: labels.length }, (_, i) => i).filter((i) => labels[i] === c);
    if (!xs.length) continue;
    const d = xs[0].length;
    const mu = Array.from({ length: d }, (_, k) => xs.reduce((a, r) => a + r[k], 0) / xs.length);
    const sd = Array.from(
      { length: d },
      (_, k) => Math.sqrt(xs.reduce((a, r) => a + (r[k] - mu[k]) ** 2, 0) / xs.length) || 1,
    );
    const z = (r: number[]) => r.map((v, k) => (v - mu[k]) / sd[k]);
    const X = xs.map(z);
    const w = new Float64Array(d + 1);
    for (let it = 0; it < iterations; it++) {
      const g = new Float64Array(d + 1);
      for (let i = 0; i < X.length; i++) {
        let t = w[d];
        for (let k = 0; k < d; k++) t += w[k] * X[i][k];
        const e = 1 / (1 + Math.exp(-t)) - ys[i];
        for (let k = 0; k < d; k++) g[k] += e * X[i][k];
        g[d] += e;
      }
      for (let k = 0; k <= d; k++) w[k] -= (learningRate * g[k]) / X.length;
    }
    for (const i of idx) {
      const x = z(tf[i]);
      let t = w[d];
      for (let k = 0; k < d; k++) t += w[k] * x[k];
      out[i] = 1 / (1 + Math.exp(-t));
    }
  }
  return out;
}

/**
 * Scores drawn uniformly at random (seeded): a control that must give AUC ≈ 0.5.
 *
 * @param n number of records
 * @param seed the seed
 * @returns `n` uniform scores
 * @example
 * ```ts
 * import { randomScores } from "./mia.ts";
 * console.log(randomScores(3, 1).length); // 3
 * ```
 */
export function randomScores(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.next());
}
