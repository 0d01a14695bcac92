/**
 * The critical values paper B's verdicts use for S × S images at 8 and 16 bits and each α: NPCR
 * (Wu et al.'s normal approximation and the exact binomial), the UACI interval, the global-entropy
 * acceptance interval, and the local-entropy interval both from its formula and calibrated by a
 * seeded Monte Carlo of uniform images.
 *
 * @example
 * ```ts
 * import { criticalValueTable } from "./critical_values.ts";
 * console.log(criticalValueTable(64).columnNames().slice(0, 3)); // [ "bits", "alpha", "N* Wu normal (%)" ]
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import {
  entropyAcceptance,
  localEntropyMonteCarlo,
  localEntropyParams,
} from "../../cipher_metrics/entropy.ts";
import {
  npcrCritical,
  npcrCriticalExact,
  uaciCritical,
} from "../../cipher_metrics/differential.ts";
import { ALPHAS } from "./options.ts";

/**
 * The critical values used for S × S images, both bit depths, each α.
 *
 * @param size the side S
 * @param mcReps Monte Carlo repetitions calibrating local entropy (0: none, the columns are NaN)
 * @param seed seed of the Monte Carlo (bit depth b uses `seed + b`)
 * @returns the table, one row per bit depth and α
 * @example
 * ```ts
 * import { criticalValueTable } from "./critical_values.ts";
 * console.log(criticalValueTable(256).numRows()); // 6
 * ```
 */
export function criticalValueTable(size: number, mcReps = 0, seed = 1): ColumnTable {
  const n = size * size;
  const le = localEntropyParams(size, size);
  const rows: Record<string, unknown>[] = [];
  for (const bits of [8, 16]) {
    const mc = mcReps > 0
      ? Array.from(localEntropyMonteCarlo(le, bits, mcReps, seed + bits)).sort((a, b) => a - b)
      : [];
    const q = (p: number) =>
      mc[Math.min(mc.length - 1, Math.max(0, Math.round(p * (mc.length - 1))))];
    for (const a of ALPHAS) {
      const u = uaciCritical(n, bits, a), e = entropyAcceptance(n, 2 ** bits, a);
      const l = entropyAcceptance(le.blockPixels, 2 ** bits, a, le.blocks);
      rows.push({
        bits,
        alpha: a,
        "N* Wu normal (%)": npcrCritical(n, bits, a),
        "N* exact binomial (%)": npcrCriticalExact(n, bits, a),
        "U*− (%)": u.lo,
        "U*+ (%)": u.hi,
        "entropy lo": e.lo,
        "entropy hi": e.hi,
        [`local entropy lo (${le.blocks}×${le.side}²)`]: l.lo,
        "local entropy hi": l.hi,
        [`local entropy lo, Monte Carlo (${mcReps} reps)`]: mc.length ? q(a / 2) : NaN,
        "local entropy hi, Monte Carlo": mc.length ? q(1 - a / 2) : NaN,
      });
    }
  }
  return aq.from(rows);
}
