/**
 * Payload throughput of each envelope engine against input size, encrypting and decrypting,
 * beside `openssl speed` measured in the same run (the ratio column).
 *
 * @example
 * ```ts
 * import { OPENSSL_ROW } from "./throughput.ts";
 * console.log(OPENSSL_ROW); // openssl speed -elapsed (1 core, wall clock)
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { Scale } from "../../report/types.ts";
import { progress } from "../../core/progress.ts";
import { implementations, opensslSpeedGcm, payloadThroughput } from "../../envelope/_measure.ts";

/** The implementation name of the `openssl speed` rows. */
export const OPENSSL_ROW = "openssl speed -elapsed (1 core, wall clock)";
/**
 * Payload throughput against input size for every engine, with `openssl speed` beside it.
 *
 * @param scale quick (up to 64 MB, short timings) or full (up to 256 MB)
 * @returns one row per engine, size and direction
 */
export async function throughputTable(scale: Scale): Promise<ColumnTable> {
  const KB = 1024, MB = 1024 * KB;
  const sizes = [
    16 * KB,
    128 * KB,
    512 * KB,
    2 * MB,
    8 * MB,
    64 * MB,
    ...(scale === "full" ? [256 * MB] : []),
  ];
  const impls = implementations();
  const rows: Record<string, unknown>[] = [];
  const bar = progress("envelope throughput", sizes.length);
  try {
    for (const size of sizes) {
      // Wall clock (-elapsed), as payloadThroughput measures; see opensslSpeedGcm.
      const base = opensslSpeedGcm(Math.min(size, 64 * MB), 1, true);
      if (base !== undefined) {
        rows.push({
          implementation: OPENSSL_ROW,
          bytes: size,
          direction: "encrypt",
          gb_per_s: base / 1e9,
          ratio_to_openssl: 1,
        });
      }
      for (const impl of impls) {
        const t = await payloadThroughput(impl, size, scale === "full" ? 900 : 240);
        for (const [direction, v] of [["encrypt", t.encrypt], ["decrypt", t.decrypt]] as const) {
          rows.push({
            implementation: impl.name,
            bytes: size,
            direction,
            gb_per_s: v / 1e9,
            ratio_to_openssl: base !== undefined ? v / base : null,
          });
        }
      }
      bar.tick();
    }
  } finally {
    for (const i of impls) i.close();
    bar.done();
  }
  return aq.from(rows);
}
