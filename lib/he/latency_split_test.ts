import assert from "node:assert/strict";
import { denseSplit } from "./_engine.ts";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { clientSpec, errorBound, HeClient, HeServer, PRESETS } from "./mod.ts";
import { compile } from "./plan.ts";
import { forwardProgram } from "./noise.ts";
import { preprocess } from "./model.ts";
import { loadShippedModel } from "./pipeline.ts";

Deno.test("he latency split: baby and giant steps are divided, each once, about half each", () => {
  for (const [baby, giant] of [[4, 4], [2, 1], [8, 8], [4, 3], [2, 2], [16, 2]]) {
    const s = denseSplit(baby, giant);
    assert.deepEqual(
      [...s.babies[0], ...s.babies[1]].sort((a, b) => a - b),
      [
        ...Array(baby - 1).keys(),
      ].map((b) => b + 1),
    );
    assert.deepEqual([...s.giants[0], ...s.giants[1]].sort((a, b) => a - b), [
      ...Array(giant).keys(),
    ]);
    assert.equal(s.parallel, giant >= 2);
    if (s.parallel) {
      const rots = (r: 0 | 1) => s.babies[r].length + s.giants[r].filter((g) => g > 0).length;
      assert.ok(Math.abs(rots(0) - rots(1)) <= 1, `${baby}×${giant}: ${rots(0)} vs ${rots(1)}`);
    }
  }
  assert.deepEqual(denseSplit(4, 4), {
    parallel: true,
    babies: [[1, 2], [3]],
    giants: [[0, 1], [2, 3]],
  });
});

Deno.test("he latency split: 2 workers give the same result ciphertexts, logits and labels as 1 thread (shipped CNN, ckks-8192-d5)", async () => {
  const model = await loadShippedModel();
  const params = PRESETS["ckks-8192-d5"];
  const spec = clientSpec(model, params);
  const { test } = await loadPneumoniaMNIST();
  const px = test.height * test.width;
  const inputs = [0, 1, 2].map((i) =>
    preprocess(test.images.subarray(i * px, (i + 1) * px), model.inputNorm)
  );
  const client = await HeClient.create(params, { compression: "none", seeded: true });
  const keys = client.evaluationKeys(spec.rotations);
  const one = await HeServer.create(model, keys, { workers: 1 });
  const two = await HeServer.create(model, keys, { workers: 2 });
  try {
    const prog = compile(model);
    const bound = errorBound(prog, params, [inputs], "single").logits;
    for (const x of inputs) {
      const q = client.encryptSingle(spec, [x]);
      const r1 = await one.evaluate(q), r2 = await two.evaluate(q);
      // additions mod q are exact in any order and every rotation is of the same ciphertext
      assert.deepEqual(r2.ciphertexts, r1.ciphertexts, "result ciphertexts byte-identical");
      const l1 = client.decrypt(r1), l2 = client.decrypt(r2);
      const plain = forwardProgram(prog, x).at(-1)!;
      for (let c = 0; c < l1.length; c++) {
        assert.ok(Math.abs(l2[c] - plain[c]) <= bound, `logit ${c}: ${l2[c]} vs ${plain[c]}`);
        assert.equal(l2[c], l1[c]);
      }
      const arg = (l: Float64Array) => l.indexOf(Math.max(...l));
      assert.equal(arg(l2), arg(l1));
      assert.equal(arg(l2), arg(plain as Float64Array));
    }
    assert.equal(two.rotationsPerImage, one.rotationsPerImage);
    // a bad ciphertext is reported by the worker that loaded it, and the pair keeps working
    const q = client.encryptSingle(spec, [inputs[0]]);
    const bad = { ...q, ciphertexts: q.ciphertexts.map((c, j) => j === 5 ? c.slice(0, 100) : c) };
    await assert.rejects(
      two.evaluate(bad),
      (e: Error & { code?: string }) => e.code === "he-wrong-context",
    );
    assert.deepEqual((await two.evaluate(q)).ciphertexts, (await one.evaluate(q)).ciphertexts);
  } finally {
    one.delete();
    two.delete();
    client.delete();
  }
});
