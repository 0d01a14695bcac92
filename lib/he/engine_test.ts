import assert from "node:assert/strict";
import { Engine, galoisElt, partInputs } from "./_engine.ts";
import { makeContext, PRESETS } from "./params.ts";
import { loadSeal } from "./seal.ts";
import { compile, latencyPlan, packImage } from "./plan.ts";
import { forwardProgram } from "./noise.ts";
import { tinyModel } from "./model.ts";

Deno.test("he engine: a directly written constant plaintext is byte-identical to SEAL's encoding", async () => {
  const seal = await loadSeal();
  const he = makeContext(seal, PRESETS["ckks-8192-d5"]);
  const kg = new seal.KeyGenerator(he.context);
  const relin = kg.createRelinKeys();
  const galois = kg.createGaloisKeysWithSteps(Int32Array.from([1]));
  const e = new Engine(seal, he, relin, galois);
  const a = new seal.Plaintext(), b = new seal.Plaintext();
  try {
    for (const [w, level] of [[1.5, 0], [-0.37, 2], [3e-5, 4], [-7.25, 3]] as const) {
      const scale = e.dropPrime(level);
      e.constAt(w, scale, level, a);
      e.encodeAt(new Float64Array(e.slots).fill(w), scale, level, b);
      assert.deepEqual(
        a.saveToArray(seal.ComprModeType.none),
        b.saveToArray(seal.ComprModeType.none),
        `constant ${w} at level ${level}`,
      );
    }
    assert.ok(galois.hasKey(galoisElt(1, 8192)));
  } finally {
    for (const o of [a, b]) o.delete();
    e.delete();
    relin.delete();
    galois.delete();
    kg.delete();
    he.delete();
  }
});

Deno.test("he plan: the packed diagonal (BSGS) algorithm computes the dense layers exactly (plaintext simulation)", () => {
  const prog = compile(tinyModel(4));
  const slots = 64;
  const plan = latencyPlan(prog, slots);
  const x0 = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i));
  let x = packImage(plan.packing, x0, slots)[0];
  const rot = (v: Float64Array, s: number) => Float64Array.from(v, (_, i) => v[(i + s) % slots]);
  const used = new Set<number>();
  for (const st of plan.steps) {
    if (st.kind === "act") {
      x = x.map((v) => v * v + st.d * v);
      continue;
    }
    if (st.kind !== "diag-dense") continue;
    const { n, m, baby, giant, op } = st;
    let acc = new Float64Array(slots);
    for (let g = 0; g < giant; g++) {
      const inner = new Float64Array(slots);
      for (let b = 0; b < baby && g * baby + b < m; b++) {
        const i = g * baby + b;
        if (b) used.add(b);
        const r = rot(x, b);
        for (let k = 0; k < slots; k++) {
          const j = (((k % n) - g * baby) % n + n) % n;
          const row = j % m, col = (j + i) % n;
          const w = row < op.outDim && col < op.inDim ? op.w[row * op.inDim + col] : 0;
          inner[k] += w * r[k];
        }
      }
      if (g) used.add(g * baby);
      const ri = rot(inner, g * baby);
      for (let k = 0; k < slots; k++) acc[k] += ri[k];
    }
    for (let s = n / 2; s >= m; s /= 2) {
      used.add(s);
      const r = rot(acc, s);
      acc = acc.map((v, i) => v + r[i]);
    }
    for (let k = 0; k < slots; k++) if (k % m < op.outDim) acc[k] += op.bias[k % m];
    x = acc;
  }
  const want = forwardProgram(prog, x0).at(-1)!;
  for (let c = 0; c < want.length; c++) {
    for (let k = c; k < slots; k += 2) assert.ok(Math.abs(x[k] - want[c]) < 1e-12, `slot ${k}`);
  }
  // the plan's rotation list is exactly the set of steps the algorithm used
  assert.deepEqual([...used].sort((a, b) => a - b), [...plan.rotations]);
});

Deno.test("he engine: each batch worker is sent exactly the input rows its output rows read", () => {
  const conv = {
    kind: "conv2d" as const,
    kernel: 5,
    stride: 2,
    filters: 2,
    weights: new Float64Array(50).fill(0.1),
    bias: new Float64Array(2),
  };
  const prog = compile({
    inputShape: [28, 28],
    layers: [
      conv,
      { kind: "act", poly: { c0: 0, c1: 0, c2: 1 }, name: "square" },
      { kind: "avgpool", size: 2 },
      {
        kind: "dense",
        units: 2,
        weights: new Float64Array(72 * 2).fill(0.1),
        bias: new Float64Array(2),
      },
    ],
    meta: {},
  });
  const covered = new Set<number>();
  for (let index = 0; index < 2; index++) {
    const needed = partInputs(prog, { index, of: 2 });
    // the pixels the part's conv outputs read: pooled rows split 3 + 3 → conv rows 0..5 / 6..11
    const rows = index === 0 ? [0, 6] : [6, 12];
    const read = new Set<number>();
    for (let oy = rows[0]; oy < rows[1]; oy++) {
      for (let ky = 0; ky < 5; ky++) for (let x = 0; x < 28; x++) read.add((oy * 2 + ky) * 28 + x);
    }
    for (let i = 0; i < 784; i++) {
      if (read.has(i)) assert.ok(needed(i), `part ${index} must get pixel ${i}`);
      if (needed(i)) covered.add(i);
    }
    assert.ok([...Array(784).keys()].filter(needed).length < 784, "a part gets only some rows");
  }
  assert.ok(covered.size >= 27 * 28 - 28);
});
