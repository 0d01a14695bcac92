/**
 * Experiment `chaotic-keys` (for `deno task reproduce` and notebook 07): the logistic map behind
 * paper B's keys — bifurcation diagram, Lyapunov exponent over the key range, orbit separation —
 * and the key sensitivity of the key streams, the classic chaos cipher and both learned-cipher
 * variants.
 *
 * @example
 * ```ts
 * import { experiments } from "./mod.ts";
 * console.log(experiments.map((e) => e.name)); // [ "chaotic-keys" ]
 * ```
 * @module
 */
import type {
  Experiment,
  ExperimentContext,
  ExperimentResult,
  NamedFigure,
  NamedTable,
} from "../../report/types.ts";
import { cipherImages } from "../../ciphers/revcipher/mod.ts";
import { bifurcationFigure, lyapunovFigure, separationFigure } from "./figures.ts";
import { keySensitivityTable } from "./sensitivity.ts";

export * from "./figures.ts";
export * from "./sensitivity.ts";

/** The tables and figures of experiment `chaotic-keys`, one field each. */
export type ChaoticKeysResult = ExperimentResult<
  { keySensitivity: NamedTable },
  { bifurcation: NamedFigure; lyapunov: NamedFigure; orbitSeparation: NamedFigure }
>;

/**
 * Runs the experiment.
 *
 * @param ctx scale and seed (of the key and the held-out images)
 * @returns the key-sensitivity table, three figures and notes
 * @example
 * ```ts ignore
 * import { runChaoticKeys } from "./mod.ts";
 * const r = await runChaoticKeys({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables.keySensitivity.table.numRows()); // 6
 * ```
 */
export async function runChaoticKeys(ctx: ExperimentContext): Promise<ChaoticKeysResult> {
  const full = ctx.scale === "full";
  const lyap = lyapunovFigure(full ? 2400 : 800);
  const { heldOut } = await cipherImages({
    size: 64,
    trainCount: 1,
    heldOutCount: 2,
    seed: ctx.seed,
  });
  const table = await keySensitivityTable(
    heldOut.map((h) => h.image),
    undefined,
    ctx.seed,
    full ? [0, 1, 7, 31, 63, 64, 100, 127] : [0, 63, 127],
  );
  const minExact = Math.min(...(table.array("exact") as number[]));
  const minPaper = Math.min(...(table.array("paper") as number[]));
  return {
    tables: {
      keySensitivity: {
        name: "key_sensitivity",
        table,
        caption:
          "Percent of key-stream bytes / cipher pixels changed by flipping one bit of a 128-bit key",
      },
    },
    figures: {
      bifurcation: {
        name: "bifurcation",
        figure: bifurcationFigure(full ? 500 : 300, full ? 80 : 60),
      },
      lyapunov: { name: "lyapunov", figure: lyap.figure },
      orbitSeparation: { name: "orbit_separation", figure: separationFigure() },
    },
    notes: [
      `Smallest Lyapunov exponent on a 200-point grid of r ∈ [3.99, 4): ${
        lyap.minInKeyRange.toFixed(3)
      } (the key schedule also rejects any drawn map whose own orbit has λ < 0.55).`,
      `One flipped key bit changed at least ${minExact.toFixed(2)} % (exact) and ` +
      `${minPaper.toFixed(2)} % (paper) of cipher pixels over ${table.numRows()} flips.`,
    ],
  };
}

/** The experiments of this module. */
export const experiments: Experiment[] = [{
  name: "chaotic-keys",
  title: "Chaotic keys: logistic map and key sensitivity",
  run: runChaoticKeys,
}];
