/**
 * Key sensitivity: how much of the key streams and of the cipher images one flipped bit of a
 * 128-bit user key changes, for the classic chaos cipher and both learned-cipher variants.
 *
 * @example
 * ```ts
 * import { keySensitivityTable } from "./sensitivity.ts";
 * import { medImage } from "../../image/types.ts";
 * const t = await keySensitivityTable([medImage(new Uint8Array(64).fill(3), 8, 8)], undefined, 1, [0]);
 * console.log(t.numRows()); // 1
 * ```
 * @module
 */
import * as aq from "arquero";
import { Rng } from "../../core/random.ts";
import type { MedImage } from "../../image/types.ts";
import { chaosEncrypt, deriveChaosKey } from "../../ciphers/chaos/mod.ts";
import { flipKeyBit } from "../../cipher_metrics/sensitivity.ts";
import { loadDefaultModel, type RevCipherModel, revEncrypt } from "../../ciphers/revcipher/mod.ts";
import { changedFraction } from "../../cipher_metrics/differential.ts";

/**
 * Key sensitivity: for several single-bit flips of a 128-bit user key, the fraction of key-stream
 * bytes and of cipher pixels that change (classic cipher, exact and paper variants).
 *
 * @param images test images
 * @param model the learned-cipher model
 * @param seed seed of the key
 * @returns the table (percent)
 * @example
 * ```ts
 * import { keySensitivityTable } from "./sensitivity.ts";
 * import { medImage } from "../../image/types.ts";
 * const t = await keySensitivityTable([medImage(new Uint8Array(64).fill(3), 8, 8)], undefined, 1, [0]);
 * console.log(t.numRows() > 0); // true
 * ```
 */
export async function keySensitivityTable(
  images: readonly MedImage[],
  model?: RevCipherModel,
  seed = 1,
  bits: readonly number[] = [0, 1, 63, 64, 127],
): Promise<aq.ColumnTable> {
  const m = model ?? await loadDefaultModel();
  const rng = new Rng(seed);
  const key = Uint8Array.from({ length: 16 }, () => rng.int(256));
  const rows: Record<string, unknown>[] = [];
  for (const [k, img] of images.entries()) {
    for (const bit of bits) {
      const k2 = flipKeyBit(key, bit);
      const h = new Uint8Array(32);
      const s1 = (await (await deriveChaosKey(key, h)).stream("s")).integers(img.data.length, 8);
      const s2 = (await (await deriveChaosKey(k2, h)).stream("s")).integers(img.data.length, 8);
      const row: Record<string, unknown> = {
        image: k,
        bitDepth: img.bitDepth,
        flippedBit: bit,
        keyStreamBytesChanged: 100 * changedFraction(s1, s2),
        classic: 100 *
          changedFraction(
            (await chaosEncrypt(img, key)).cipher.data,
            (await chaosEncrypt(img, k2)).cipher.data,
          ),
      };
      for (const v of ["exact", "paper"] as const) {
        row[v] = 100 *
          changedFraction(
            (await revEncrypt(img, key, v, m)).cipher.data,
            (await revEncrypt(img, k2, v, m)).cipher.data,
          );
      }
      rows.push(row);
    }
  }
  return aq.from(rows);
}
