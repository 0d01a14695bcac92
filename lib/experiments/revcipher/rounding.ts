/**
 * Why the exact variant computes its coupling CNNs in fixed point: the same float CNN on the
 * tfjs cpu and wasm backends rounds to different pixel shifts.
 *
 * @example
 * ```ts
 * import { backendRoundingTable } from "./rounding.ts";
 * console.log((await backendRoundingTable(undefined, 8)).columnNames()); // [ "bits", "outputs", "floatOutputsDiffer", "pixelShiftsDiffer" ]
 * ```
 * @module
 */
import * as aq from "arquero";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../nn/backend.ts";
import {
  exactCoupling,
  loadDefaultModel,
  type RevCipherModel,
  toTfParams,
} from "../../ciphers/revcipher/mod.ts";

/**
 * Why the exact variant evaluates its coupling CNNs in fixed point: the same float CNN run on the
 * tfjs cpu and wasm backends, and how many outputs would round to a different pixel shift at 8
 * and 16 bits (any difference would break bit-exact decryption across machines).
 *
 * @param model the model
 * @param side side of the random input maps
 * @returns one row per bit depth
 * @example
 * ```ts
 * import { backendRoundingTable } from "./rounding.ts";
 * console.log((await backendRoundingTable(undefined, 8)).numRows()); // 2
 * ```
 */
export async function backendRoundingTable(
  model?: RevCipherModel,
  side = 128,
): Promise<aq.ColumnTable> {
  const m = model ?? await loadDefaultModel();
  const kc = m.config.exact.keyChannels, c = 3 + kc;
  const inp = new Float32Array(side * side * c).map((_, i) => ((i * 2654435761) % 65536) / 65536);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const p = toTfParams(m);
    const outs: Float32Array[] = [];
    for (let r = 0; r < m.config.exact.rounds; r++) {
      for (let i = 0; i < 4; i++) {
        const g = tf.tidy(() => {
          const x = tf.tensor4d(inp, [1, side, side, c]);
          return exactCoupling(
            p,
            r,
            i,
            x.slice([0, 0, 0, 0], [1, side, side, 3]),
            x.slice([0, 0, 0, 3], [1, side, side, kc]),
          );
        });
        outs.push(Float32Array.from(await g.data()));
        g.dispose();
      }
    }
    tf.dispose([...p.values()]);
    return outs;
  };
  const before = tf.getBackend();
  const a = await run("cpu"), b = await run("wasm");
  if (before === "wasm" || before === "cpu") await tf.setBackend(before);
  else await initBackend();
  const rows = [8, 16].map((bits) => {
    let n = 0, floatDiff = 0, roundDiff = 0;
    for (let k = 0; k < a.length; k++) {
      for (let i = 0; i < a[k].length; i++) {
        n++;
        if (a[k][i] !== b[k][i]) floatDiff++;
        if (Math.floor(a[k][i] * 2 ** bits) !== Math.floor(b[k][i] * 2 ** bits)) roundDiff++;
      }
    }
    return { bits, outputs: n, floatOutputsDiffer: floatDiff, pixelShiftsDiffer: roundDiff };
  });
  return aq.from(rows);
}
