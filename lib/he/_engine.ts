/**
 * Server-side CKKS evaluation (private to `lib/he`): the latency evaluator (one image per
 * ciphertext group; im2col convolution, diagonal BSGS dense layers) and the batch evaluator (one
 * image per slot, one ciphertext per feature; no rotations at all). Every SEAL object made here is
 * freed deterministically (`try/finally` + `.delete()`, reused scratch ciphertexts).
 *
 * @module
 */
import type {
  Ciphertext,
  CKKSEncoder,
  Evaluator,
  GaloisKeys,
  ParmsIdType,
  Plaintext,
  RelinKeys,
} from "node-seal";
import { MedCryptError } from "../core/errors.ts";
import type { HeContext } from "./params.ts";
import { type Seal, sealErrorText } from "./seal.ts";
import {
  type ActOp,
  type ConvOp,
  type DenseOp,
  type DiagDense,
  type HeProgram,
  type LatencyPlan,
  type Op,
  rotateAfterRescale,
} from "./plan.ts";

/** Byte offset of the scale in a serialized SEAL 4.1 plaintext (16-byte header, parms_id, count). */
const SCALE_OFFSET = 56;

interface Template {
  bytes: Uint8Array;
  view: DataView;
  words: Uint32Array;
  dataWord: number;
  primes: number;
}

/** Shared SEAL state of a server (or a worker). */
export class Engine {
  readonly seal: Seal;
  readonly he: HeContext;
  readonly encoder: CKKSEncoder;
  readonly ev: Evaluator;
  readonly relin: RelinKeys;
  readonly galois: GaloisKeys;
  readonly parmsIds: ParmsIdType[] = [];
  readonly slots: number;
  #buf: Float64Array;
  #cache = new Map<string, Plaintext | undefined>();
  #scratch: Ciphertext[] = [];

  constructor(seal: Seal, he: HeContext, relin: RelinKeys, galois: GaloisKeys) {
    this.seal = seal;
    this.he = he;
    this.encoder = new seal.CKKSEncoder(he.context);
    this.ev = new seal.Evaluator(he.context);
    this.relin = relin;
    this.galois = galois;
    this.slots = he.slots;
    this.#buf = new Float64Array(this.slots);
    let cd = he.context.firstContextData();
    for (;;) {
      this.parmsIds.push(cd.parmsId());
      const last = cd.chainIndex() === 0;
      const next = last ? undefined : cd.nextContextData();
      cd.delete();
      if (!next) break;
      cd = next;
    }
  }

  /** Level index of a ciphertext (0 = fresh, top of the chain). */
  levelOf(ct: Ciphertext): number {
    return this.he.primes.length - ct.coeffModulusSize();
  }

  /** The prime that the next rescale at `level` divides by. */
  dropPrime(level: number): number {
    return this.he.primes[this.he.primes.length - 1 - level];
  }

  /** Encodes `values` (length ≤ slots) at `scale` and switches it to `level`. */
  encodeAt(values: Float64Array, scale: number, level: number, pt: Plaintext): void {
    this.encoder.encode(values, scale, pt);
    if (level > 0) this.ev.plainModSwitchToInplace(pt, this.parmsIds[level]);
  }

  /**
   * Encodes a constant at `scale` and `level` into `pt`. A constant's CKKS encoding is the
   * constant polynomial `round(value·scale)`, whose NTT form holds that integer (mod each prime)
   * in every coefficient; this writes it straight into a serialized plaintext of the right level
   * (a template made once by SEAL's encoder) and loads it, instead of running the encoder's FFT and
   * NTTs each time.
   */
  constAt(value: number, scale: number, level: number, pt: Plaintext): void {
    const v = Math.round(value * scale);
    if (!Number.isSafeInteger(v) || Math.abs(v) >= 2 ** 52) {
      this.#buf.fill(value);
      this.encodeAt(this.#buf, scale, level, pt);
      return;
    }
    const t = this.#template(level);
    t.view.setFloat64(SCALE_OFFSET, scale, true);
    const n = this.he.params.polyModulusDegree;
    for (let i = 0; i < t.primes; i++) {
      const q = this.he.primes[i];
      const r = ((v % q) + q) % q;
      const lo = r % 4294967296, hi = Math.floor(r / 4294967296);
      const base = t.dataWord + 2 * n * i;
      const u = t.words;
      u[base] = lo;
      u[base + 1] = hi;
      // double the filled run until the prime's N coefficients are written
      for (let len = 2; len < 2 * n; len *= 2) {
        u.copyWithin(base + len, base, base + Math.min(len, 2 * n - len));
      }
    }
    pt.loadFromArray(this.he.context, t.bytes);
  }

  #templates = new Map<number, Template>();

  #template(level: number): Template {
    let t = this.#templates.get(level);
    if (!t) {
      const pt = new this.seal.Plaintext();
      try {
        this.#buf.fill(1);
        this.encodeAt(this.#buf, 2 ** 20, level, pt);
        const saved = pt.saveToArray(this.seal.ComprModeType.none) as Uint8Array;
        const bytes = new Uint8Array(saved.length);
        bytes.set(saved);
        const primes = this.he.primes.length - level;
        const dataBytes = primes * this.he.params.polyModulusDegree * 8;
        const dataOff = bytes.length - dataBytes;
        if (
          dataOff % 4 !== 0 ||
          primes * this.he.params.polyModulusDegree !==
            Number(new DataView(bytes.buffer).getBigUint64(48, true))
        ) {
          throw new MedCryptError(
            "internal",
            `a serialized SEAL plaintext at level ${level} does not have the layout of SEAL 4.1 (header, parms_id, coefficient count, data), which constant encoding writes into`,
          );
        }
        t = {
          bytes,
          view: new DataView(bytes.buffer),
          words: new Uint32Array(bytes.buffer),
          dataWord: dataOff / 4,
          primes,
        };
        this.#templates.set(level, t);
      } finally {
        pt.delete();
      }
    }
    return t;
  }

  /** A cached constant plaintext (owned by the engine). */
  cachedConst(value: number, scale: number, level: number): Plaintext {
    const key = `c${value}|${scale}|${level}`;
    let pt = this.#cache.get(key);
    if (!pt) {
      pt = new this.seal.Plaintext();
      this.constAt(value, scale, level, pt);
      this.#cache.set(key, pt);
    }
    return pt;
  }

  /**
   * A cached vector plaintext built by `make` (owned by the engine); `undefined` when the vector
   * is all zero (SEAL refuses products that would be transparent, and they add nothing).
   */
  cachedVector(
    key: string,
    scale: number,
    level: number,
    make: () => Float64Array,
  ): Plaintext | undefined {
    const k = `v${key}|${scale}|${level}`;
    if (this.#cache.has(k)) return this.#cache.get(k);
    const v = make();
    let pt: Plaintext | undefined;
    if (v.some((x) => x !== 0)) {
      pt = new this.seal.Plaintext();
      this.encodeAt(v, scale, level, pt);
    }
    this.#cache.set(k, pt);
    return pt;
  }

  /** Borrows a scratch ciphertext; give it back with {@linkcode Engine.give}. */
  take(): Ciphertext {
    return this.#scratch.pop() ?? new this.seal.Ciphertext();
  }

  /** Returns a scratch ciphertext. */
  give(ct: Ciphertext): void {
    if (this.#scratch.length < 64) this.#scratch.push(ct);
    else ct.delete();
  }

  /** `acc += x` where `acc` may be empty (then it becomes a copy of `x`). */
  accumulate(acc: Ciphertext | undefined, x: Ciphertext): Ciphertext {
    if (!acc) {
      const c = this.take();
      c.assign(x);
      return c;
    }
    this.ev.addInplace(acc, x);
    return acc;
  }

  /** Rescale, then add a constant/vector bias encoded at the new scale. */
  rescaleAddBias(ct: Ciphertext, bias: (scale: number, level: number) => Plaintext | undefined) {
    this.ev.rescaleToNextInplace(ct);
    const pt = bias(ct.scale(), this.levelOf(ct));
    if (pt) this.ev.addPlainInplace(ct, pt);
  }

  /** In place: `x ← x² + d·x`, relinearized and rescaled once. */
  act(x: Ciphertext, d: number): void {
    const sq = this.take();
    try {
      this.ev.square(x, sq);
      this.ev.relinearizeInplace(sq, this.relin);
      if (d !== 0) {
        const pt = this.cachedConst(d, x.scale(), this.levelOf(x));
        this.ev.multiplyPlainInplace(x, pt);
        this.ev.addInplace(sq, x);
      }
      this.ev.rescaleToNext(sq, x);
    } finally {
      this.give(sq);
    }
  }

  /**
   * `out ← x² + d·x` without relinearizing or rescaling (`out` has size 3): sums of these (e.g. a
   * pooling window) are finished once with {@linkcode Engine.finishAct}, so a 2×2 pooling costs
   * one relinearization and one rescale instead of four.
   */
  actLazy(x: Ciphertext, d: number, out: Ciphertext): void {
    this.ev.square(x, out);
    if (d !== 0) {
      const pt = this.cachedConst(d, x.scale(), this.levelOf(x));
      this.ev.multiplyPlainInplace(x, pt);
      this.ev.addInplace(out, x);
    }
  }

  /** In place: relinearize and rescale the result (or a sum of results) of `actLazy`. */
  finishAct(x: Ciphertext): void {
    this.ev.relinearizeInplace(x, this.relin);
    this.ev.rescaleToNextInplace(x);
  }

  /** Loads and checks one query ciphertext (fresh, top level, input scale, size 2). */
  loadQueryCiphertext(bytes: Uint8Array, index: number, into: Ciphertext): void {
    try {
      into.loadFromArray(this.he.context, bytes);
    } catch (e) {
      throw new MedCryptError(
        "he-wrong-context",
        `ciphertext ${index} was not made under this CKKS context (${this.he.params.name}): ${
          sealErrorText(e)
        }`,
        { cause: e },
      );
    }
    const primes = this.he.primes.length;
    if (into.coeffModulusSize() !== primes) {
      throw new MedCryptError(
        "he-wrong-level",
        `ciphertext ${index} has ${into.coeffModulusSize()} moduli left; a fresh query ciphertext has ${primes} (it was rescaled or mod-switched before sending)`,
      );
    }
    const want = 2 ** this.he.params.logScale;
    if (into.scale() !== want) {
      throw new MedCryptError(
        "he-wrong-scale",
        `ciphertext ${index} has scale 2^${
          Math.log2(into.scale()).toFixed(2)
        }; the server expects 2^${this.he.params.logScale}`,
      );
    }
    if (into.size() !== 2) {
      throw new MedCryptError(
        "he-bad-ciphertext",
        `ciphertext ${index} has size ${into.size()}, not 2`,
      );
    }
  }

  /** Frees everything the engine owns (not the keys or context). */
  delete(): void {
    for (const pt of this.#cache.values()) pt?.delete();
    this.#cache.clear();
    for (const c of this.#scratch) c.delete();
    this.#scratch = [];
    for (const p of this.parmsIds) p.delete();
    this.encoder.delete();
    this.ev.delete();
  }
}

// ---------------------------------------------------------------------------------------------
// Latency mode

/** Evaluates a {@linkcode LatencyPlan} on one image's ciphertexts. */
export class LatencyEvaluator {
  readonly #e: Engine;
  readonly #plan: LatencyPlan;
  readonly #after: boolean;
  /** Rotations performed per inference (counted once, for reports). */
  rotationsPerImage = 0;

  constructor(engine: Engine, plan: LatencyPlan) {
    this.#e = engine;
    this.#plan = plan;
    this.#after = rotateAfterRescale(engine.he.params);
    const depth = plan.depth, avail = engine.he.primes.length - 1;
    if (depth > avail) {
      throw new MedCryptError(
        "he-model-too-deep",
        `the model needs multiplicative depth ${depth} but preset ${engine.he.params.name} allows ${avail}; use a preset with more moduli (e.g. ckks-8192-d5 or ckks-16384-d7)`,
      );
    }
    const missing = plan.rotations.filter((r) =>
      !engine.galois.hasKey(galoisElt(r, engine.he.params.polyModulusDegree))
    );
    if (missing.length) {
      throw new MedCryptError(
        "he-missing-galois-keys",
        `the Galois keys do not cover rotation step(s) ${missing.join(", ")} that the model needs`,
      );
    }
    this.#precompute();
  }

  #precompute() {
    // encode every weight plaintext once, at the level where it is used
    let level = 0;
    for (const [si, st] of this.#plan.steps.entries()) {
      if (st.kind === "conv") this.#convWeights(si, st, level);
      if (st.kind === "diag-dense") this.#diagWeights(si, st, level);
      level++;
    }
  }

  #convWeights(si: number, st: ConvOp, level: number): (Plaintext | undefined)[] {
    const p = this.#plan.packing;
    if (p.kind !== "im2col") throw imcolExpected();
    const e = this.#e;
    const taps = st.kernel * st.kernel;
    const out: (Plaintext | undefined)[] = [];
    for (let j = 0; j < p.count; j++) {
      out.push(e.cachedVector(`conv${si}:${j}`, e.dropPrime(level), level, () => {
        const v = new Float64Array(e.slots);
        for (let b = 0; b < e.slots / p.n; b++) {
          const t = j * p.blocks + (b % p.blocks);
          if (t >= taps) continue;
          for (let f = 0; f < st.oh * st.ow; f++) {
            for (let c = 0; c < st.channels; c++) {
              v[b * p.n + f * st.channels + c] = st.weights[t * st.channels + c];
            }
          }
        }
        return v;
      }));
    }
    return out;
  }

  #diagWeights(si: number, st: DiagDense, level: number): (Plaintext | undefined)[] {
    const e = this.#e;
    const { n, m, baby, op } = st;
    const out: (Plaintext | undefined)[] = [];
    for (let i = 0; i < baby * st.giant; i++) {
      if (i >= m) {
        out.push(undefined);
        continue;
      }
      const g = Math.floor(i / baby);
      out.push(e.cachedVector(`dense${si}:${i}`, e.dropPrime(level), level, () => {
        const v = new Float64Array(e.slots);
        for (let k = 0; k < n; k++) {
          const j = (((k - g * baby) % n) + n) % n; // diag'_{g,b}[k] = diag_i[k - g·baby]
          const row = j % m, col = (j + i) % n;
          const w = row < op.outDim && col < op.inDim ? op.w[row * op.inDim + col] : 0;
          for (let s = k; s < e.slots; s += n) v[s] = w;
        }
        return v;
      }));
    }
    return out;
  }

  /**
   * The convolution as a sum of plaintext products, one per packed input ciphertext (products
   * whose weight vector is all zero are skipped).
   *
   * @returns the sum, owned by the caller, or `undefined` when no product was taken
   */
  #convProducts(
    si: number,
    st: ConvOp,
    level: number,
    inputs: readonly Ciphertext[],
    tmp: Ciphertext,
  ): Ciphertext | undefined {
    const e = this.#e, ev = e.ev;
    const w = this.#convWeights(si, st, level);
    let x: Ciphertext | undefined;
    for (let j = 0; j < w.length; j++) {
      if (!w[j]) continue;
      ev.multiplyPlain(inputs[j], w[j]!, tmp);
      x = e.accumulate(x, tmp);
    }
    return x;
  }

  /**
   * One giant step of the baby-step/giant-step diagonal product: `Σ_b babies[b] · w[g·baby + b]`
   * into `inner`, rotated by `g·baby` (not for `g = 0`) and added to `acc`.
   *
   * @returns the new accumulator and the number of rotations done (0 or 1)
   */
  #giantStep(
    g: number,
    st: DiagDense,
    w: readonly (Plaintext | undefined)[],
    babies: readonly (Ciphertext | undefined)[],
    inner: Ciphertext,
    tmp: Ciphertext,
    acc: Ciphertext | undefined,
  ): { acc: Ciphertext | undefined; rotations: number } {
    const e = this.#e, ev = e.ev;
    let any = false;
    for (let b = 0; b < st.baby; b++) {
      const pt = w[g * st.baby + b];
      if (!pt) continue;
      ev.multiplyPlain(babies[b]!, pt, any ? tmp : inner);
      if (any) ev.addInplace(inner, tmp);
      any = true;
    }
    if (!any) return { acc, rotations: 0 };
    if (g === 0) return { acc: e.accumulate(acc, inner), rotations: 0 };
    ev.rotateVector(inner, g * st.baby, e.galois, tmp);
    return { acc: e.accumulate(acc, tmp), rotations: 1 };
  }

  /**
   * The tail of a dense layer: rescale (before or after the folding, as the parameters allow),
   * fold the `n/m` partial sums into the first `m` slots, add the bias.
   *
   * @returns the number of rotations done
   */
  #finishDense(si: number, st: DiagDense, acc: Ciphertext, tmp: Ciphertext): number {
    const e = this.#e, ev = e.ev;
    let rotations = 0;
    if (this.#after) ev.rescaleToNextInplace(acc);
    for (let s = st.n / 2; s >= st.m; s /= 2) {
      ev.rotateVector(acc, s, e.galois, tmp);
      ev.addInplace(acc, tmp);
      rotations++;
    }
    if (!this.#after) ev.rescaleToNextInplace(acc);
    const pt = this.#bias(`db${si}`, st.m, st.op.bias)(acc.scale(), e.levelOf(acc));
    if (pt) ev.addPlainInplace(acc, pt);
    return rotations;
  }

  #bias(key: string, period: number, bias: Float64Array, perChannel?: number) {
    const e = this.#e;
    return (scale: number, level: number) =>
      e.cachedVector(key, scale, level, () => {
        const v = new Float64Array(e.slots);
        for (let s = 0; s < e.slots; s++) {
          const j = s % period;
          if (perChannel !== undefined) {
            if (j < perChannel * bias.length) v[s] = bias[j % bias.length];
          } else if (j < bias.length) v[s] = bias[j];
        }
        return v;
      });
  }

  /**
   * Runs the plan; `inputs` are borrowed (not freed). Returns a new ciphertext owned by the caller.
   */
  evaluate(inputs: readonly Ciphertext[]): Ciphertext {
    const e = this.#e, ev = e.ev;
    if (inputs.length !== this.#plan.packing.count) {
      throw new MedCryptError(
        "he-bad-message",
        `an image of this model is packed into ${this.#plan.packing.count} ciphertext(s), got ${inputs.length}`,
      );
    }
    let x: Ciphertext | undefined;
    const tmp = e.take();
    let level = 0;
    let rotations = 0;
    try {
      for (const [si, st] of this.#plan.steps.entries()) {
        if (st.kind === "conv") {
          const p = this.#plan.packing;
          if (p.kind !== "im2col") throw imcolExpected();
          x = this.#convProducts(si, st, level, inputs, tmp);
          if (!x) throw new MedCryptError("he-unsupported-model", "all convolution weights are 0");
          // sum the blocks before rescaling (key-switching noise 1/q smaller) unless the special
          // prime is large enough to rotate after (cheaper)
          if (this.#after) ev.rescaleToNextInplace(x!);
          for (let s = p.blocks / 2; s >= 1; s /= 2) {
            ev.rotateVector(x!, s * p.n, e.galois, tmp);
            ev.addInplace(x!, tmp);
            rotations++;
          }
          if (!this.#after) ev.rescaleToNextInplace(x!);
          const b = this.#bias(`convb${si}`, p.n, st.bias, st.oh * st.ow);
          const pt = b(x!.scale(), e.levelOf(x!));
          if (pt) ev.addPlainInplace(x!, pt);
        } else if (st.kind === "act") {
          if (!x) {
            x = e.take();
            x.assign(inputs[0]);
          }
          e.act(x, (st as ActOp).d);
        } else {
          const input = x ?? inputs[0];
          const w = this.#diagWeights(si, st, level);
          const babies: Ciphertext[] = [input];
          let acc: Ciphertext | undefined;
          const inner = e.take();
          try {
            for (let b = 1; b < st.baby; b++) {
              const r = e.take();
              ev.rotateVector(input, b, e.galois, r);
              rotations++;
              babies.push(r);
            }
            for (let g = 0; g < st.giant; g++) {
              const r = this.#giantStep(g, st, w, babies, inner, tmp, acc);
              acc = r.acc;
              rotations += r.rotations;
            }
          } finally {
            for (const r of babies.slice(1)) e.give(r);
            e.give(inner);
          }
          if (!acc) throw new MedCryptError("he-unsupported-model", "a dense layer is all zero");
          rotations += this.#finishDense(si, st, acc, tmp);
          if (x) e.give(x);
          x = acc;
        }
        level++;
      }
      this.rotationsPerImage = rotations;
      const out = new e.seal.Ciphertext();
      out.assign(x!);
      return out;
    } finally {
      if (x) e.give(x);
      e.give(tmp);
    }
  }
}

/** The error for a conv step in a plan whose packing is not im2col (the planner never makes one). */
function imcolExpected(): MedCryptError {
  return new MedCryptError(
    "internal",
    "a convolution step needs the im2col packing; the latency plan packs the input otherwise",
  );
}

/**
 * SEAL's Galois element for a left rotation by `step` in CKKS (`3^step mod 2N`, negative steps
 * via the inverse).
 */
export function galoisElt(step: number, n: number): number {
  const m = 2 * n;
  const slots = n / 2;
  let s = ((step % slots) + slots) % slots;
  let g = 1;
  let base = 3;
  while (s > 0) {
    if (s & 1) g = (g * base) % m;
    base = (base * base) % m;
    s >>= 1;
  }
  return g;
}

// ---------------------------------------------------------------------------------------------
// Batch mode (one image per slot, one ciphertext per feature)

/** Source of the query's input ciphertexts (one per pixel), loaded on demand. */
export type InputSource = (index: number, into: Ciphertext) => void;

/** Which part of stage A a worker computes. */
export interface Part {
  /** Index of the worker. */
  readonly index: number;
  /** Number of workers. */
  readonly of: number;
}

/**
 * Stage A of the batch program: everything up to the first dense layer that comes after the
 * first linear layer, restricted to this part's output rows (conv first) or inputs (dense first),
 * with the dense layer's products summed but not rescaled. Partial results of all parts add up.
 * The returned ciphertexts are owned by the caller.
 */
export function batchStageA(
  e: Engine,
  prog: HeProgram,
  input: InputSource,
  part: Part,
): Ciphertext[] {
  const ev = e.ev;
  const ops = prog.ops;
  const first = ops[0];
  const tmp = e.take();
  const pt = new e.seal.Plaintext();
  const accs: (Ciphertext | undefined)[] = [];
  let dense: DenseOp;
  let denseLevel: number;
  const feed = (j: number, x: Ciphertext) => {
    const level = e.levelOf(x);
    const q = e.dropPrime(level);
    for (let o = 0; o < dense.outDim; o++) {
      const w = dense.w[o * dense.inDim + j];
      if (w === 0) continue;
      e.constAt(w, q, level, pt);
      ev.multiplyPlain(x, pt, tmp);
      accs[o] = e.accumulate(accs[o], tmp);
    }
  };
  try {
    if (first.kind === "dense") {
      dense = first;
      denseLevel = 0;
      const lo = Math.floor((first.inDim * part.index) / part.of);
      const hi = Math.floor((first.inDim * (part.index + 1)) / part.of);
      const x = e.take();
      try {
        for (let j = lo; j < hi; j++) {
          input(j, x);
          feed(j, x);
        }
      } finally {
        e.give(x);
      }
    } else if (first.kind === "conv") {
      const act = ops[1];
      let k = 2;
      const pool = ops[k]?.kind === "sumpool"
        ? ops[k++] as Extract<Op, { kind: "sumpool" }>
        : undefined;
      if (act?.kind !== "act" || ops[k]?.kind !== "dense") {
        throw new MedCryptError(
          "he-unsupported-model",
          "batch mode expects conv → act → [avgpool] → dense → …",
        );
      }
      dense = ops[k] as DenseOp;
      denseLevel = 2;
      const C = first.channels;
      const chans: number[] = [];
      for (let c = 0; c < C; c++) chans.push(c);
      const ps = pool?.size ?? 1;
      const ph = Math.floor(first.oh / ps), pw = Math.floor(first.ow / ps);
      const colsUsed = pw * ps;
      // parts split the (pooled) output rows: balanced work, and each part loads only the input
      // rows its outputs read
      const r0 = Math.floor((ph * part.index) / part.of) * ps;
      const r1 = Math.floor((ph * (part.index + 1)) / part.of) * ps;
      const W = first.inW, K = first.kernel, S = first.stride;
      const loaded = new Map<number, Ciphertext>();
      const pooled = new Map<number, { ct: Ciphertext; n: number }>();
      const get = (p: number) => {
        let c = loaded.get(p);
        if (!c) {
          c = e.take();
          input(p, c);
          loaded.set(p, c);
        }
        return c;
      };
      const conv = e.take();
      const sq = e.take();
      try {
        for (let oy = r0; oy < r1; oy++) {
          // free input rows no longer needed
          for (const [p, c] of loaded) {
            if (Math.floor(p / W) < oy * S) {
              e.give(c);
              loaded.delete(p);
            }
          }
          for (let ox = 0; ox < colsUsed; ox++) {
            for (const c of chans) {
              let any = false;
              for (let t = 0; t < K * K; t++) {
                const w = first.weights[t * C + c];
                if (w === 0) continue;
                const ky = Math.floor(t / K), kx = t % K;
                const px = get((oy * S + ky) * W + ox * S + kx);
                const wpt = e.cachedConst(w, e.dropPrime(0), 0);
                if (!any) {
                  ev.multiplyPlain(px, wpt, conv);
                  any = true;
                } else {
                  ev.multiplyPlain(px, wpt, tmp);
                  ev.addInplace(conv, tmp);
                }
              }
              if (!any) throw new MedCryptError("he-unsupported-model", `filter ${c} is all zero`);
              e.rescaleAddBias(
                conv,
                (s, l) => first.bias[c] === 0 ? undefined : e.cachedConst(first.bias[c], s, l),
              );
              if (!pool) {
                e.act(conv, act.d);
                feed((oy * first.ow + ox) * C + c, conv);
                continue;
              }
              // lazy: square into the pooling sum, relinearize and rescale once per window
              const j = (Math.floor(oy / ps) * pw + Math.floor(ox / ps)) * C + c;
              const slot = pooled.get(j);
              if (!slot) {
                const ct = e.take();
                e.actLazy(conv, act.d, ct);
                pooled.set(j, { ct, n: 1 });
              } else {
                e.actLazy(conv, act.d, sq);
                ev.addInplace(slot.ct, sq);
                slot.n++;
                if (slot.n === ps * ps) {
                  e.finishAct(slot.ct);
                  feed(j, slot.ct);
                  e.give(slot.ct);
                  pooled.delete(j);
                }
              }
            }
          }
        }
      } finally {
        e.give(conv);
        e.give(sq);
        for (const c of loaded.values()) e.give(c);
        for (const s of pooled.values()) e.give(s.ct);
      }
    } else {
      throw new MedCryptError("he-unsupported-model", "the first layer must be conv or dense");
    }
    void denseLevel;
    const out: Ciphertext[] = [];
    for (const a of accs) {
      const c = new e.seal.Ciphertext();
      if (a) c.assign(a);
      out.push(c);
    }
    return out;
  } finally {
    for (const a of accs) if (a) e.give(a);
    pt.delete();
    e.give(tmp);
  }
}

/**
 * The input ciphertexts (pixels) that part `part` of stage A reads, so that a worker is sent
 * only those.
 */
export function partInputs(prog: HeProgram, part: Part): (i: number) => boolean {
  const first = prog.ops[0];
  if (first.kind === "dense") {
    const lo = Math.floor((first.inDim * part.index) / part.of);
    const hi = Math.floor((first.inDim * (part.index + 1)) / part.of);
    return (i) => i >= lo && i < hi;
  }
  if (first.kind !== "conv") return () => true;
  const pool = prog.ops[2]?.kind === "sumpool" ? prog.ops[2] : undefined;
  const ps = pool && pool.kind === "sumpool" ? pool.size : 1;
  const ph = Math.floor(first.oh / ps);
  const r0 = Math.floor((ph * part.index) / part.of) * ps;
  const r1 = Math.floor((ph * (part.index + 1)) / part.of) * ps;
  const y0 = r0 * first.stride, y1 = (r1 - 1) * first.stride + first.kernel;
  return (i) => {
    const y = Math.floor(i / first.inW);
    return r1 > r0 && y >= y0 && y < y1;
  };
}

/** Index in `prog.ops` of the dense layer that stage A ends with. */
export function stageAEnd(prog: HeProgram): number {
  if (prog.ops[0].kind === "dense") return 0;
  return prog.ops[2]?.kind === "sumpool" ? 3 : 2;
}

/**
 * Stage B: rescales the summed stage-A accumulators, adds the bias, and runs the remaining ops
 * feature by feature. `accs` are consumed (freed). Returns one ciphertext per class (owned by the
 * caller).
 */
export function batchStageB(e: Engine, prog: HeProgram, accs: Ciphertext[]): Ciphertext[] {
  const ev = e.ev;
  const end = stageAEnd(prog);
  const dense0 = prog.ops[end] as DenseOp;
  let xs = accs;
  const tmp = e.take();
  const pt = new e.seal.Plaintext();
  try {
    for (const [o, x] of xs.entries()) {
      if (x.size() === 0) {
        throw new MedCryptError("he-unsupported-model", `dense output ${o} has no inputs`);
      }
      e.rescaleAddBias(
        x,
        (s, l) => dense0.bias[o] === 0 ? undefined : e.cachedConst(dense0.bias[o], s, l),
      );
    }
    for (const op of prog.ops.slice(end + 1)) {
      if (op.kind === "act") {
        for (const x of xs) e.act(x, op.d);
      } else if (op.kind === "sumpool") {
        const ph = Math.floor(op.h / op.size), pw = Math.floor(op.w / op.size);
        const next: Ciphertext[] = [];
        for (let py = 0; py < ph; py++) {
          for (let px = 0; px < pw; px++) {
            for (let c = 0; c < op.c; c++) {
              const s = new e.seal.Ciphertext();
              for (let dy = 0; dy < op.size; dy++) {
                for (let dx = 0; dx < op.size; dx++) {
                  const src = xs[((py * op.size + dy) * op.w + px * op.size + dx) * op.c + c];
                  if (dy === 0 && dx === 0) s.assign(src);
                  else ev.addInplace(s, src);
                }
              }
              next.push(s);
            }
          }
        }
        for (const x of xs) x.delete();
        xs = next;
      } else if (op.kind === "dense") {
        const next: Ciphertext[] = [];
        for (let o = 0; o < op.outDim; o++) {
          const acc = new e.seal.Ciphertext();
          let any = false;
          for (let j = 0; j < op.inDim; j++) {
            const w = op.w[o * op.inDim + j];
            if (w === 0) continue;
            const level = e.levelOf(xs[j]);
            e.constAt(w, e.dropPrime(level), level, pt);
            if (!any) {
              ev.multiplyPlain(xs[j], pt, acc);
              any = true;
            } else {
              ev.multiplyPlain(xs[j], pt, tmp);
              ev.addInplace(acc, tmp);
            }
          }
          if (!any) {
            throw new MedCryptError("he-unsupported-model", `dense output ${o} has no inputs`);
          }
          e.rescaleAddBias(
            acc,
            (s, l) => op.bias[o] === 0 ? undefined : e.cachedConst(op.bias[o], s, l),
          );
          next.push(acc);
        }
        for (const x of xs) x.delete();
        xs = next;
      } else {
        throw new MedCryptError("he-unsupported-model", "a convolution after the first layer");
      }
    }
    return xs;
  } catch (err) {
    for (const x of xs) x.delete();
    throw err;
  } finally {
    pt.delete();
    e.give(tmp);
  }
}
