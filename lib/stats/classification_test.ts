import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  accuracy,
  balancedAccuracy,
  brierScore,
  confusionMatrix,
  expectedCalibrationError,
  precisionRecallF1,
  wilsonInterval,
} from "./classification.ts";
import { throws } from "node:assert/strict";

Deno.test("classification metrics by hand", () => {
  const y = [0, 0, 0, 1, 1], p = [0, 1, 0, 1, 0];
  assertEquals(accuracy(y, p), 3 / 5);
  assertEquals(confusionMatrix(y, p, 2), [[2, 1], [1, 1]]);
  assertEquals(balancedAccuracy(y, p, 2), (2 / 3 + 1 / 2) / 2);
  assertEquals(precisionRecallF1(y, p), { precision: 0.5, recall: 0.5, f1: 0.5 });
  assertEquals(brierScore([1, 0], [0.75, 0.25]), 0.0625);
  // bins: 0.25 → bin 2 (y 0), 0.75 → bin 7 (y 1): |0 − .25|/2 + |1 − .75|/2
  assertEquals(expectedCalibrationError([0, 1], [0.25, 0.75]), 0.25);
  assert(Number.isNaN(NaN));
});

Deno.test("Wilson interval: textbook values, inside [0, 1] at the edges, bad input refused", () => {
  // Newcombe (1998), example: 81/263 → 0.2553 … 0.3662
  const a = wilsonInterval(81, 263);
  assert(Math.abs(a.lo - 0.2553) < 5e-4 && Math.abs(a.hi - 0.3662) < 5e-4, JSON.stringify(a));
  const zero = wilsonInterval(0, 10), all = wilsonInterval(10, 10);
  assertEquals(zero.lo, 0);
  assert(zero.hi > 0.2 && zero.hi < 0.35);
  assertEquals(all.hi, 1);
  throws(() => wilsonInterval(3, 2), RangeError);
});
