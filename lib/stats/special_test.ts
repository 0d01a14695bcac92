import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  chiSquareCdf,
  chiSquareQuantile,
  chiSquareQuantileWH,
  chiSquareSf,
  gammaP,
  logGamma,
  normalCdf,
  normalQuantile,
} from "./special.ts";

const close = (a: number, b: number, rel = 1e-9) =>
  assert(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

Deno.test("logGamma matches factorials and Γ(½) = √π", () => {
  close(logGamma(1), 0, 1e-12);
  close(Math.exp(logGamma(11)), 3628800, 1e-10);
  close(Math.exp(logGamma(0.5)), Math.sqrt(Math.PI), 1e-12);
  close(logGamma(1e6 + 1), 12815518.384658169, 1e-12); // ln(10^6!) (Python math.lgamma)
});

Deno.test("gammaP: exponential and χ²₂ closed forms", () => {
  for (const x of [0.1, 1, 5, 30]) close(gammaP(1, x), 1 - Math.exp(-x), 1e-12);
  close(chiSquareCdf(4, 2), 1 - Math.exp(-2), 1e-12);
});

Deno.test("normal quantiles: textbook values", () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-12);
  close(normalQuantile(0.995), 2.5758293035489004, 1e-12);
  close(normalQuantile(0.9995), 3.2905267314918945, 1e-12);
  close(normalQuantile(0.05), -1.6448536269514729, 1e-12);
  close(normalQuantile(0.5), 0, 1e-12);
  close(normalCdf(normalQuantile(1e-9)), 1e-9, 1e-8);
  assertEquals(normalQuantile(0), -Infinity);
});

Deno.test("χ² quantiles equal published table values", () => {
  // Standard χ² table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.4) to the printed digits
  close(chiSquareQuantile(0.95, 1), 3.841, 1e-3 / 3.841);
  close(chiSquareQuantile(0.95, 10), 18.307, 1e-3 / 18.307);
  close(chiSquareQuantile(0.99, 2), 9.210, 1e-3 / 9.21);
  close(chiSquareQuantile(0.001, 100), 61.918, 1e-3 / 61.918);
  close(chiSquareQuantile(0.001, 1), 1.571e-6, 1e-9 / 1.571e-6);
  close(chiSquareQuantile(0.05, 1), 0.00393, 1e-5 / 0.00393);
  // 255 degrees of freedom (the 8-bit histogram test), to many digits
  close(chiSquareQuantile(0.95, 255), 293.2478350807012, 1e-11);
  close(chiSquareQuantile(0.99, 255), 310.45738821990585, 1e-11);
  close(chiSquareQuantile(0.999, 255), 330.51974363400586, 1e-11);
  close(chiSquareQuantile(0.05, 255), 219.0252553920238, 1e-11);
  // 65 535 degrees of freedom (16-bit histogram)
  close(chiSquareQuantile(0.95, 65535), 66131.63093854344, 1e-11);
  close(chiSquareQuantile(0.999, 65535), 66659.47714863172, 1e-11);
});

Deno.test("χ² quantile inverts the CDF; Wilson–Hilferty is close but not exact", () => {
  for (const df of [1, 3, 17, 255, 4095]) {
    for (const p of [0.001, 0.05, 0.5, 0.95, 0.999]) {
      const x = chiSquareQuantile(p, df);
      close(p > 0.5 ? 1 - chiSquareSf(x, df) : chiSquareCdf(x, df), p, 1e-9);
    }
  }
  const wh = chiSquareQuantileWH(0.95, 255);
  assert(Math.abs(wh - 293.2478350807012) < 0.05 && wh !== 293.2478350807012);
});
