/**
 * The learned cipher's key streams (`ciphers/chaos/keys.ts`), measured rather than asserted:
 *
 * - {@linkcode stateBitInfluence}: which bits of a map's state — the 52 bits of `x0`, the 40 bits
 *   of `r`'s draw, the 8 bits of the burn-in — change the stream's words (a bit that changes
 *   nothing adds nothing to the key space);
 * - {@linkcode recoverMapState}: a known-keystream state recovery in the style of Arroyo and
 *   Alvarez (cryptanalysis of logistic-map ciphers): from consecutive outputs, solve the map
 *   `x' = r·x·(1−x)` for `r`, then predict the next words. It breaks a textbook stream (one map,
 *   its state output whole), and is tried on one map with the schedule's quantisation
 *   (`⌊x·2^40⌋ mod 2^32`: the top 8 bits of the fraction hidden) and on the real four-map XOR.
 *
 * @example
 * ```ts
 * import { recoverMapState } from "./keystream.ts";
 * const r = recoverMapState({ x0: 0.3141, r: 3.995, burnIn: 1000 }, "textbook");
 * console.log(r.rError, r.predicted); // 0 1
 * ```
 * @module
 */
import { ChaosStream, type MapParams } from "../../ciphers/chaos/keys.ts";

const TWO32 = 4294967296, TWO40 = 1099511627776, TWO52 = 4503599627370496;

/** How many of a parameter's bits change the stream. */
export interface BitInfluence {
  /** The parameter: `x0`, `r` or `burnIn`. */
  parameter: string;
  /** Bits tried. */
  bits: number;
  /** Bits whose flip changed at least one of the words compared. */
  influential: number;
  /** Mean share of the compared words that changed, over the bits tried. */
  meanChanged: number;
}

function changedShare(a: Uint32Array, b: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n / a.length;
}

/**
 * Flips every bit of each parameter of map 0 of a four-map stream, one at a time, and compares
 * the first `words` output words with the unflipped stream's.
 *
 * @param params the stream's four maps (as the key schedule draws them)
 * @param words words compared
 * @returns one row per parameter
 * @example
 * ```ts
 * import { stateBitInfluence } from "./keystream.ts";
 * const p = [0.11, 0.23, 0.37, 0.41].map((x0, j) => ({ x0, r: 3.991 + j / 1000, burnIn: 1000 }));
 * console.log(stateBitInfluence(p, 64).map((b) => `${b.parameter} ${b.influential}/${b.bits}`)); // [ "x0 52/52", "r 40/40", "burnIn 8/8" ]
 * ```
 */
export function stateBitInfluence(params: readonly MapParams[], words = 1024): BitInfluence[] {
  const base = new ChaosStream([...params]).words(words);
  const m = Math.floor(params[0].x0 * TWO52 - 0.5); // x0 = (m + 0.5) / 2^52
  const k = Math.round(((params[0].r - 3.99) / 0.01) * TWO40); // r = 3.99 + 0.01·k / 2^40
  const variants: [string, number, (bit: number) => MapParams][] = [
    [
      "x0",
      52,
      (b) => ({ ...params[0], x0: ((m ^ 0) + (2 ** b) * (bitOf(m, b) ? -1 : 1) + 0.5) / TWO52 }),
    ],
    [
      "r",
      40,
      (b) => ({ ...params[0], r: 3.99 + (0.01 * (k + (2 ** b) * (bitOf(k, b) ? -1 : 1))) / TWO40 }),
    ],
    [
      "burnIn",
      8,
      (b) => ({ ...params[0], burnIn: 1000 + (((params[0].burnIn - 1000) ^ (1 << b)) & 255) }),
    ],
  ];
  return variants.map(([parameter, bits, flip]) => {
    let influential = 0, sum = 0;
    for (let b = 0; b < bits; b++) {
      const w = new ChaosStream([flip(b), ...params.slice(1)]).words(words);
      const share = changedShare(base, w);
      if (share > 0) influential++;
      sum += share;
    }
    return { parameter, bits, influential, meanChanged: sum / bits };
  });
}

function bitOf(x: number, b: number): boolean {
  return Math.floor(x / 2 ** b) % 2 === 1;
}

/** What the attacker is given. */
export type StreamKind = "textbook" | "quantised" | "four-map XOR";

/** The outcome of a state-recovery attempt. */
export interface Recovery {
  /** What was attacked. */
  kind: StreamKind;
  /** The attacker's estimate of `r` (NaN when no candidate was consistent). */
  r: number;
  /** |estimate − true r|. */
  rError: number;
  /**
   * Share of 256 outputs predicted one step ahead from the tracked state: exactly (textbook) or
   * within ±{@linkcode TOLERANCE} (quantised outputs, whose state is known to 2^−40 only).
   */
  predicted: number;
  /** The share a random guess would get. */
  chance: number;
}

/** Prediction window for quantised outputs (a state known to 2^−40 moves ≤ 4·2^−40 per step). */
export const TOLERANCE = 4;

const step = (r: number, x: number) => r * x * (1 - x);
const quant = (s: number) => Math.floor(s * TWO40) % TWO32;
const near = (a: number, b: number) => {
  const d = Math.abs(a - b);
  return Math.min(d, TWO32 - d) <= TOLERANCE;
};

/** The state whose quantised output is `w` nearest to `guess` (the hidden top byte chosen). */
function stateFrom(w: number, guess: number): number {
  let best = 0, dist = Infinity;
  for (let h = 0; h < 256; h++) {
    const x = (h * TWO32 + w + 0.5) / TWO40;
    if (Math.abs(x - guess) < dist) [best, dist] = [x, Math.abs(x - guess)];
  }
  return best;
}

/**
 * Attempts the state recovery on 300 outputs of a stream started from `p` (one map, or `p` as
 * map 0 of four for the XOR): estimate `r` from the first outputs, then track the state and
 * predict each next output.
 *
 * @param p the map (its parameters are what the attacker wants)
 * @param kind what the attacker observes
 * @param others the three other maps, for the four-map XOR
 * @returns the estimate and how well it predicts, beside chance
 * @example
 * ```ts
 * import { recoverMapState } from "./keystream.ts";
 * const r = recoverMapState({ x0: 0.3141, r: 3.995, burnIn: 1000 }, "quantised");
 * console.log(r.predicted > 0.9, r.chance < 1e-8); // true true
 * ```
 */
export function recoverMapState(
  p: MapParams,
  kind: StreamKind,
  others: readonly MapParams[] = [
    { x0: 0.123, r: 3.9931, burnIn: 1010 },
    { x0: 0.456, r: 3.9957, burnIn: 1100 },
    { x0: 0.789, r: 3.9979, burnIn: 1200 },
  ],
): Recovery {
  let x = p.x0;
  for (let i = 0; i < p.burnIn; i++) x = step(p.r, x);
  const states: number[] = [];
  for (let i = 0; i < 300; i++) states.push(x = step(p.r, x));
  if (kind === "textbook") {
    // the output is the state itself: r from one pair (and its floating-point neighbours, the
    // one that predicts the next outputs exactly), then each output from the one before
    const r0 = states[1] / (states[0] * (1 - states[0]));
    const exactHits = (r: number, from: number, to: number) => {
      let hits = 0;
      for (let i = from; i < to; i++) if (step(r, states[i - 1]) === states[i]) hits++;
      return hits;
    };
    let r = r0;
    for (let k = -8; k <= 8; k++) {
      const c = r0 + k * 2 ** -51;
      if (exactHits(c, 2, 12) > exactHits(r, 2, 12)) r = c;
    }
    return {
      kind,
      r,
      rError: Math.abs(r - p.r),
      predicted: exactHits(r, 12, 268) / 256,
      chance: 2 ** -52,
    };
  }
  const observed = kind === "quantised"
    ? states.map(quant)
    : Array.from(new ChaosStream([p, ...others]).words(300));
  // r from the first two outputs: every pair of hidden top bytes, kept when the tracked state
  // then predicts the next outputs within the tolerance
  let best = { r: NaN, x1: 0, score: -1 };
  for (let h0 = 0; h0 < 256; h0++) {
    const x0 = (h0 * TWO32 + observed[0] + 0.5) / TWO40;
    for (let h1 = 0; h1 < 256; h1++) {
      const x1 = (h1 * TWO32 + observed[1] + 0.5) / TWO40;
      const r = x1 / (x0 * (1 - x0));
      if (!(r >= 3.99 && r < 4)) continue;
      const score = track(observed, r, x1, 2, 10).share;
      if (score > best.score) best = { r, x1, score };
    }
  }
  let predicted = 0;
  if (!Number.isNaN(best.r)) {
    // refine r over the tracked states (each known to 2^−40), then predict the rest
    const t = track(observed, best.r, best.x1, 2, 42);
    const ratios = t.states.slice(1).map((x, i) => x / (t.states[i] * (1 - t.states[i])))
      .filter((v) => v >= 3.99 && v < 4).sort((a, b) => a - b);
    if (ratios.length) best.r = ratios[ratios.length >> 1];
    predicted = track(observed, best.r, t.states.at(-1)!, 42, 298).share;
  }
  return {
    kind,
    r: best.r,
    rError: Math.abs(best.r - p.r),
    predicted,
    chance: (2 * TOLERANCE + 1) / TWO32,
  };
}

/**
 * Tracks the state through outputs `from..to−1`: predicts each output from the state before it,
 * then re-reads the state from the observed output (choosing the hidden top byte nearest the
 * prediction).
 */
function track(
  observed: readonly number[],
  r: number,
  x1: number,
  from: number,
  to: number,
): { share: number; states: number[] } {
  let xPrev = x1, hits = 0;
  const states = [x1];
  for (let i = from; i < to; i++) {
    const guess = step(r, xPrev);
    if (near(quant(guess), observed[i])) hits++;
    xPrev = stateFrom(observed[i], guess);
    states.push(xPrev);
  }
  return { share: hits / (to - from), states };
}
