import assert from "node:assert/strict";
import { rocAuc, rocCurve } from "./roc.ts";

Deno.test("rocAuc matches the pairwise definition, ties count one half", () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(rocAuc([0.5, 0.5], [0, 1]), 0.5);
  assert.equal(rocAuc([0.1, 0.2, 0.9], [0, 0, 1]), 1);
  // pairs (pos, neg) ranked right: 0.9 > 0.8, 0.2; 0.7 > 0.2; 0.1 > none: 3 of 6
  const scores = [0.9, 0.8, 0.7, 0.2, 0.1], labels = [1, 0, 1, 0, 1];
  assert.equal(rocAuc(scores, labels), 0.5);
  const c = rocCurve(scores, labels);
  assert.deepEqual([c.fpr[0], c.tpr[0], c.fpr.at(-1), c.tpr.at(-1)], [0, 0, 1, 1]);
});

Deno.test("the trapezoid area under rocCurve equals rocAuc", () => {
  const scores = [0.3, 0.3, 0.9, 0.1, 0.5, 0.5, 0.7, 0.2], labels = [1, 0, 1, 0, 1, 0, 0, 1];
  const c = rocCurve(scores, labels);
  let area = 0;
  for (let i = 1; i < c.fpr.length; i++) {
    area += (c.fpr[i] - c.fpr[i - 1]) * (c.tpr[i] + c.tpr[i - 1]) / 2;
  }
  assert.ok(Math.abs(area - rocAuc(scores, labels)) < 1e-12);
});
