/**
 * The logistic map `x ← r·x·(1−x)`: orbits, the Lyapunov exponent and bifurcation data.
 *
 * All arithmetic is IEEE-754 double precision as ECMAScript mandates (no fused multiply-add, no
 * extended precision), so an orbit is bit-for-bit the same on every machine and runtime; the key
 * schedule in `keys.ts` relies on that.
 *
 * @example
 * ```ts
 * import { logisticOrbit, lyapunovExponent } from "./logistic.ts";
 * const orbit = logisticOrbit(0.3, 3.99, 5, 100);
 * console.log(orbit.length, lyapunovExponent(4) > 0.6); // 5 true
 * ```
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";

/**
 * One step of the logistic map.
 *
 * @param x the state, in [0, 1]
 * @param r the control parameter, in [0, 4]
 * @returns `r·x·(1−x)`
 * @example
 * ```ts
 * import { logisticStep } from "./logistic.ts";
 * console.log(logisticStep(0.5, 4)); // 1
 * ```
 */
export function logisticStep(x: number, r: number): number {
  return r * x * (1 - x);
}

function checkParams(x0: number, r: number): void {
  if (!(x0 > 0 && x0 < 1)) {
    throw new MedCryptError("bad-parameter", `logistic map start ${x0} is not inside (0, 1)`);
  }
  if (!(r >= 0 && r <= 4)) {
    throw new MedCryptError("bad-parameter", `logistic map parameter r=${r} is not in [0, 4]`);
  }
}

/**
 * An orbit of the logistic map after `burnIn` discarded iterations.
 *
 * @param x0 the start, in (0, 1)
 * @param r the control parameter, in [0, 4]
 * @param n how many states to return
 * @param burnIn how many iterations to discard first (default 1000)
 * @returns the `n` states after the burn-in
 * @example
 * ```ts
 * import { logisticOrbit } from "./logistic.ts";
 * console.log(Array.from(logisticOrbit(0.2, 2.5, 3, 500), (v) => v.toFixed(3)).join()); // "0.600,0.600,0.600"
 * ```
 */
export function logisticOrbit(x0: number, r: number, n: number, burnIn = 1000): Float64Array {
  checkParams(x0, r);
  let x = x0;
  for (let i = 0; i < burnIn; i++) x = r * x * (1 - x);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x = r * x * (1 - x);
    out[i] = x;
  }
  return out;
}

/**
 * The Lyapunov exponent `λ = (1/N) Σ ln |r·(1 − 2xₙ)|` of the logistic map at `r`, estimated along
 * one orbit. `λ > 0` means chaos (nearby starts separate like `e^{λn}`); the maximum, at `r = 4`,
 * is `ln 2 ≈ 0.693`.
 *
 * @param r the control parameter
 * @param options start `x0` (default 0.123456789), iterations `n` (default 20000), `burnIn` (default 1000)
 * @returns the estimate of λ (nats per iteration)
 * @example
 * ```ts
 * import { lyapunovExponent } from "./logistic.ts";
 * console.log(lyapunovExponent(3.2) < 0, lyapunovExponent(3.99) > 0.5); // true true
 * ```
 */
export function lyapunovExponent(
  r: number,
  options: { x0?: number; n?: number; burnIn?: number } = {},
): number {
  const { x0 = 0.123456789, n = 20000, burnIn = 1000 } = options;
  checkParams(x0, r);
  let x = x0;
  for (let i = 0; i < burnIn; i++) x = r * x * (1 - x);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    // guard ln(0) at x = 1/2 exactly (a measure-zero event that floats can still hit)
    sum += Math.log(Math.max(Math.abs(r * (1 - 2 * x)), 1e-300));
    x = r * x * (1 - x);
  }
  return sum / n;
}

/** Points of a bifurcation diagram: `r[i]` paired with `x[i]`. */
export interface BifurcationData {
  /** Control parameter of each point. */
  r: Float64Array;
  /** State of each point. */
  x: Float64Array;
}

/**
 * Bifurcation-diagram data: for `steps` values of r from `rMin` to `rMax`, the `keep` states
 * visited after a burn-in.
 *
 * @param rMin first r
 * @param rMax last r
 * @param steps number of r values (≥ 2)
 * @param keep states kept per r
 * @param burnIn iterations discarded per r
 * @returns the points
 * @example
 * ```ts
 * import { bifurcationData } from "./logistic.ts";
 * const d = bifurcationData(2.5, 4, 10, 20);
 * console.log(d.r.length); // 200
 * ```
 */
export function bifurcationData(
  rMin: number,
  rMax: number,
  steps: number,
  keep: number,
  burnIn = 500,
): BifurcationData {
  if (!(steps >= 2) || !(keep >= 1)) {
    throw new MedCryptError("bad-parameter", "bifurcation needs steps ≥ 2 and keep ≥ 1");
  }
  const r = new Float64Array(steps * keep), x = new Float64Array(steps * keep);
  for (let s = 0; s < steps; s++) {
    const rv = rMin + (rMax - rMin) * s / (steps - 1);
    const orbit = logisticOrbit(0.5123, rv, keep, burnIn);
    r.fill(rv, s * keep, (s + 1) * keep);
    x.set(orbit, s * keep);
  }
  return { r, x };
}

/**
 * How fast two orbits that start `delta` apart separate: `|xₙ − x'ₙ|` for n = 0..n−1 (no burn-in).
 * Used to show the sensitivity to initial conditions that the key schedule relies on.
 *
 * @param x0 first start
 * @param delta offset of the second start
 * @param r control parameter
 * @param n iterations
 * @returns the absolute differences
 * @example
 * ```ts
 * import { orbitSeparation } from "./logistic.ts";
 * const d = orbitSeparation(0.3, 1e-15, 3.99, 80);
 * console.log(d[0] < 1e-14, Math.max(...d.slice(60)) > 0.01); // true true
 * ```
 */
export function orbitSeparation(x0: number, delta: number, r: number, n: number): Float64Array {
  const a = logisticOrbit(x0, r, n, 0), b = logisticOrbit(x0 + delta, r, n, 0);
  const out = new Float64Array(n);
  out[0] = Math.abs(delta);
  for (let i = 1; i < n; i++) out[i] = Math.abs(a[i - 1] - b[i - 1]);
  return out;
}
