import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  backendInfo,
  initBackend,
  registerFastGradients,
  restoreTfjsGradients,
  setGradVariants,
  useBackend,
} from "./backend.ts";
import { Rng } from "../core/random.ts";

type Name = "cpu" | "wasm";

/** Largest |a-b| relative to max(1, max|b|) — gradients of sums can be large. */
function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0, s = 1;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return m / s;
}

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Runs `f` on each backend with the same inputs and returns the gradients as arrays. */
async function gradsOn(
  names: Name[],
  shapes: number[][],
  values: Float32Array[],
  f: (...xs: tf.Tensor[]) => tf.Scalar,
): Promise<Map<Name, Float32Array[]>> {
  const out = new Map<Name, Float32Array[]>();
  for (const n of names) {
    assert.ok(await useBackend(n));
    const gs = tf.tidy(() => {
      const xs = shapes.map((s, i) => tf.tensor(values[i], s));
      return tf.grads(f)(xs).map((g) => g.dataSync() as Float32Array);
    });
    out.set(n, gs);
  }
  return out;
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: "same" | "valid";
}

const CONV_CASES: ConvCase[] = [
  { n: 2, h: 9, w: 8, ci: 3, co: 4, k: 3, s: 1, pad: "same" },
  { n: 3, h: 9, w: 7, ci: 2, co: 5, k: 3, s: 2, pad: "same" },
  { n: 2, h: 10, w: 10, ci: 3, co: 2, k: 4, s: 2, pad: "valid" },
  { n: 1, h: 11, w: 9, ci: 4, co: 3, k: 5, s: 3, pad: "valid" },
  { n: 2, h: 8, w: 8, ci: 3, co: 3, k: 1, s: 2, pad: "same" },
  { n: 4, h: 12, w: 12, ci: 1, co: 8, k: 3, s: 1, pad: "valid" },
  { n: 2, h: 7, w: 13, ci: 5, co: 6, k: 2, s: 2, pad: "same" },
];

Deno.test("initBackend is idempotent, records a name and reports its kernels", async () => {
  const a = await initBackend();
  const b = await initBackend();
  assert.equal(a, b);
  assert.equal(tf.getBackend(), a);
  const info = backendInfo();
  assert.equal(info.name, a);
  if (a === "wasm") {
    assert.ok(info.registeredKernels.includes("Conv2DBackpropFilter"));
    assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"));
  }
});

for (const variant of ["conv", "im2col"] as const) {
  Deno.test(`conv2d gradients on wasm (${variant}) equal cpu within 1e-4`, async () => {
    assert.ok(await useBackend("wasm"), "wasm backend must load");
    setGradVariants({ filter: variant, input: "conv" });
    const rng = new Rng(42);
    try {
      for (const c of CONV_CASES) {
        const xs: [number, number, number, number][] = [
          [c.n, c.h, c.w, c.ci],
          [c.k, c.k, c.ci, c.co],
        ];
        const vals = xs.map((s) => randn(rng, s.reduce((p, q) => p * q, 1)));
        const ys = tf.tidy(() => {
          const x0 = tf.zeros<tf.Rank.R4>(xs[0]), f0 = tf.zeros<tf.Rank.R4>(xs[1]);
          return tf.conv2d(x0, f0, c.s, c.pad).shape;
        });
        const wy = tf.tensor(randn(rng, ys.reduce((p, q) => p * q, 1)), ys);
        const g = await gradsOn(["cpu", "wasm"], xs, vals, (x, f) =>
          // weight the output so every position/channel matters
          tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad).mul(wy).sum());
        wy.dispose();
        const [cpuDx, cpuDf] = g.get("cpu")!;
        const [wDx, wDf] = g.get("wasm")!;
        const ex = relErr(wDx, cpuDx), ef = relErr(wDf, cpuDf);
        assert.ok(ex < 1e-4, `dx ${JSON.stringify(c)}: rel err ${ex}`);
        assert.ok(ef < 1e-4, `dW ${JSON.stringify(c)}: rel err ${ef}`);
      }
    } finally {
      setGradVariants({ filter: "conv", input: "conv" });
    }
  });
}

Deno.test("the gradient check can fail: a transposed filter gradient is caught", async () => {
  const rng = new Rng(7);
  const c = CONV_CASES[1];
  const xs = [[c.n, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co]];
  const vals = xs.map((s) => randn(rng, s.reduce((p, q) => p * q, 1)));
  const g = await gradsOn(
    ["cpu", "wasm"],
    xs,
    vals,
    (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad).square().sum(),
  );
  const wDf = g.get("wasm")![1];
  // the same numbers with the filter's spatial axes swapped (a classic transposition bug)
  const bad = tf.tidy(() =>
    tf.tensor(wDf, xs[1]).transpose([1, 0, 2, 3]).dataSync() as Float32Array
  );
  assert.ok(relErr(wDf, g.get("cpu")![1]) < 1e-4);
  assert.ok(relErr(bad, g.get("cpu")![1]) > 1e-2, "a transposed filter must be detected");
});

Deno.test("conv2dTranspose forward and gradients on wasm equal cpu", async () => {
  const rng = new Rng(3);
  for (const [s, pad] of [[2, "same"], [1, "valid"], [2, "valid"]] as const) {
    const xs = [[2, 5, 6, 3], [3, 3, 4, 3]]; // filter [kh, kw, outC, inC]
    const vals = xs.map((sh) => randn(rng, sh.reduce((p, q) => p * q, 1)));
    const oh = pad === "same" ? 5 * s : (5 - 1) * s + 3,
      ow = pad === "same" ? 6 * s : (6 - 1) * s + 3;
    const g = await gradsOn(
      ["cpu", "wasm"],
      xs,
      vals,
      (x, f) =>
        tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, oh, ow, 4], s, pad).square()
          .sum(),
    );
    const [cx, cf] = g.get("cpu")!;
    const [wx, wf] = g.get("wasm")!;
    assert.ok(relErr(wx, cx) < 1e-4, `dx s=${s} ${pad}: ${relErr(wx, cx)}`);
    assert.ok(relErr(wf, cf) < 1e-4, `dW s=${s} ${pad}: ${relErr(wf, cf)}`);
  }
});

Deno.test("depthwise conv gradients on wasm equal cpu", async () => {
  const rng = new Rng(5);
  for (
    const [m, s, pad] of [[1, 1, "same"], [2, 2, "same"], [1, 2, "valid"], [3, 1, "valid"]] as const
  ) {
    const xs = [[2, 9, 8, 3], [3, 3, 3, m]];
    const vals = xs.map((sh) => randn(rng, sh.reduce((p, q) => p * q, 1)));
    const g = await gradsOn(
      ["cpu", "wasm"],
      xs,
      vals,
      (x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad).square().sum(),
    );
    const [cx, cf] = g.get("cpu")!;
    const [wx, wf] = g.get("wasm")!;
    assert.ok(relErr(wx, cx) < 1e-4, `dx m=${m} s=${s} ${pad}: ${relErr(wx, cx)}`);
    assert.ok(relErr(wf, cf) < 1e-4, `dW m=${m} s=${s} ${pad}: ${relErr(wf, cf)}`);
  }
});

Deno.test("gather gradient (UnsortedSegmentSum) and einsum run on wasm and match cpu", async () => {
  const rng = new Rng(9);
  const vals = [randn(rng, 5 * 4), randn(rng, 3 * 4)];
  const idx = [0, 3, 3, 1];
  const g = await gradsOn(
    ["cpu", "wasm"],
    [[5, 4], [3, 4]],
    vals,
    (t, u) => tf.matMul(tf.gather(t, tf.tensor1d(idx, "int32")), u, false, true).square().sum(),
  );
  const [c0, c1] = g.get("cpu")!;
  const [w0, w1] = g.get("wasm")!;
  assert.ok(relErr(w0, c0) < 1e-4 && relErr(w1, c1) < 1e-4);
  // einsum (no gradient in tfjs) runs forward on wasm through the cpu fallback
  const e = new Map<string, Float32Array>();
  for (const n of ["cpu", "wasm"] as const) {
    assert.ok(await useBackend(n));
    e.set(
      n,
      tf.tidy(() =>
        tf.einsum("ij,kj->ik", tf.tensor(vals[0], [5, 4]), tf.tensor(vals[1], [3, 4]))
          .dataSync() as Float32Array
      ),
    );
  }
  assert.ok(relErr(e.get("wasm")!, e.get("cpu")!) < 1e-5);
});

Deno.test("pooling and resize gradients on wasm equal cpu (the native MaxPoolGrad was wrong)", async () => {
  const rng = new Rng(21);
  const shape = [2, 8, 8, 5];
  const xv = randn(rng, 2 * 8 * 8 * 5);
  const ops: [string, (x: tf.Tensor4D) => tf.Tensor][] = [
    ["maxPool 2/2 valid", (x) => tf.maxPool(x, 2, 2, "valid")],
    // ties: after a ReLU most windows hold several zeros; the first maximum takes the gradient
    ["relu → maxPool 2/2 valid", (x) => tf.maxPool(tf.relu(x.sub(0.8)), 2, 2, "valid")],
    ["maxPool 3/3 valid (a border left over)", (x) => tf.maxPool(x, 3, 3, "valid")],
    ["maxPool 3/1 same", (x) => tf.maxPool(x, 3, 1, "same")],
    ["maxPool 3/2 same", (x) => tf.maxPool(x, 3, 2, "same")],
    ["avgPool 3/2 same", (x) => tf.avgPool(x, 3, 2, "same")],
    ["resizeNearest", (x) => tf.image.resizeNearestNeighbor(x, [16, 12])],
    ["resizeBilinear", (x) => tf.image.resizeBilinear(x, [12, 16])],
  ];
  for (const [name, op] of ops) {
    const ys = tf.tidy(() =>
      op(tf.zeros<tf.Rank.R4>(shape as [number, number, number, number])).shape
    );
    const wv = randn(rng, ys.reduce((p, q) => p * q, 1));
    const g = await gradsOn(
      ["cpu", "wasm"],
      [shape],
      [xv],
      (x) => op(x as tf.Tensor4D).mul(tf.tensor(wv, ys)).sum(),
    );
    const e = relErr(g.get("wasm")![0], g.get("cpu")![0]);
    assert.ok(e < 1e-4, `${name}: ${e}`);
  }
});

Deno.test("sums over leading axes (JS kernel) and other axes (native) equal cpu", async () => {
  const rng = new Rng(31);
  const xv = randn(rng, 3 * 4 * 5 * 6);
  const cases: [number | number[], boolean][] = [
    [[0, 1, 2], false],
    [[0, 1, 2], true],
    [0, false],
    [[1, 0], true],
    [-1, false],
    [[0, 1, 2, 3], false],
  ];
  for (const [axis, keepDims] of cases) {
    const r = new Map<string, { v: Float32Array; s: number[] }>();
    for (const be of ["cpu", "wasm"] as const) {
      assert.ok(await useBackend(be));
      r.set(
        be,
        tf.tidy(() => {
          const y = tf.tensor4d(xv, [3, 4, 5, 6]).sum(axis, keepDims);
          return { v: y.dataSync() as Float32Array, s: y.shape };
        }),
      );
    }
    assert.deepEqual(r.get("wasm")!.s, r.get("cpu")!.s);
    assert.ok(relErr(r.get("wasm")!.v, r.get("cpu")!.v) < 1e-5, `axis ${axis}`);
  }
});

Deno.test("depthToSpace gradient equals that of the reshape/transpose composite", async () => {
  const rng = new Rng(13);
  const [n, h, w, bs, c] = [2, 3, 4, 2, 3];
  const xv = randn(rng, n * h * w * bs * bs * c);
  const wv = randn(rng, n * h * bs * w * bs * c);
  for (const be of ["cpu", "wasm"] as const) {
    assert.ok(await useBackend(be));
    const [a, b, fa, fb] = tf.tidy(() => {
      const x = tf.tensor4d(xv, [n, h, w, bs * bs * c]);
      const wt = tf.tensor4d(wv, [n, h * bs, w * bs, c]);
      const viaOp = (t: tf.Tensor) =>
        tf.depthToSpace(t as tf.Tensor4D, bs).mul(wt).sum() as tf.Scalar;
      const viaReshape = (t: tf.Tensor) =>
        t.reshape([n, h, w, bs, bs, c]).transpose([0, 1, 3, 2, 4, 5])
          .reshape([n, h * bs, w * bs, c]).mul(wt).sum() as tf.Scalar;
      return [
        tf.grad(viaOp)(x).dataSync() as Float32Array,
        tf.grad(viaReshape)(x).dataSync() as Float32Array,
        viaOp(x).dataSync() as Float32Array,
        viaReshape(x).dataSync() as Float32Array,
      ];
    });
    assert.ok(relErr(fa, fb) < 1e-5, "the composite must equal depthToSpace");
    assert.ok(relErr(a, b) < 1e-5, `${be}: ${relErr(a, b)}`);
  }
});

Deno.test("comparisons have zero gradients so tf.where(x > 0, …) is differentiable", async () => {
  assert.ok(await useBackend("wasm"));
  const g = tf.tidy(() =>
    tf.grad((x: tf.Tensor) => tf.where(x.greater(0), x.mul(2), x.mul(-3)).sum())(
      tf.tensor1d([-1, 2, -3, 4]),
    ).arraySync()
  );
  assert.deepEqual(g, [-3, 2, -3, 2]);
});

/** Builds the same small layers model (conv, batchnorm, residual add, pool, dense) on a backend. */
function smallModel(seed: number): tf.LayersModel {
  // conv → batchnorm → relu (ResNet order; relu after BN avoids exact ties in max pooling, whose
  // gradient is ambiguous and broken differently by the cpu and wasm kernels)
  const init = (s: number) => tf.initializers.glorotNormal({ seed: seed + s });
  const inp = tf.input({ shape: [12, 12, 1] });
  const c1 = tf.layers.conv2d({
    filters: 4,
    kernelSize: 3,
    padding: "same",
    kernelInitializer: init(1),
  })
    .apply(inp) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({}).apply(c1) as tf.SymbolicTensor;
  const r1 = tf.layers.activation({ activation: "relu" }).apply(bn) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({
    filters: 4,
    kernelSize: 3,
    padding: "same",
    kernelInitializer: init(2),
  })
    .apply(r1) as tf.SymbolicTensor;
  const res = tf.layers.add().apply([c1, c2]) as tf.SymbolicTensor;
  const p = tf.layers.maxPooling2d({ poolSize: 2 }).apply(res) as tf.SymbolicTensor;
  const c3 = tf.layers.conv2d({
    filters: 6,
    kernelSize: 3,
    strides: 2,
    padding: "valid",
    activation: "relu",
    kernelInitializer: init(3),
  }).apply(p) as tf.SymbolicTensor;
  const a = tf.layers.averagePooling2d({ poolSize: 2 }).apply(c3) as tf.SymbolicTensor;
  const f = tf.layers.flatten().apply(a) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, kernelInitializer: init(4) }).apply(
    f,
  ) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

Deno.test("the fast Tile and FusedBatchNorm gradients (wasm and cpu) equal tfjs's own on cpu within 1e-4", async () => {
  await initBackend();
  assert.ok(backendInfo().registeredGradients.includes("Tile"));
  assert.ok(backendInfo().registeredGradients.includes("FusedBatchNorm"));
  const rng = new Rng(21);
  // tile of a layer-norm-like gain over a batch, and of a rank-2 tensor with every axis tiled
  const tileShapes = [[1, 1, 6], [3, 4]];
  const tileReps = [[5, 7, 1], [2, 3]];
  const tileW = tileShapes.map((s, k) =>
    randn(
      rng,
      s.reduce((a, b) => a * b, 1) *
        tileReps[k].reduce((a, b) => a * b, 1),
    )
  );
  const tileX = tileShapes.map((s) => randn(rng, s.reduce((a, b) => a * b, 1)));
  // batch norm over [n, h, w, c] with rank-1 moments, as tfjs-layers calls it (all five gradients;
  // tfjs's own gradient fails for rank-4 moments, so that case is not compared)
  const bnX = randn(rng, 4 * 3 * 3 * 5), bnW = randn(rng, 4 * 3 * 3 * 5);
  const pos = (a: Float32Array) => a.map((v) => 0.5 + Math.abs(v));
  const bnP = [randn(rng, 5), pos(randn(rng, 5)), randn(rng, 5), randn(rng, 5)];
  const run = async (names: Name[]) => {
    const out = new Map<Name, Float32Array[]>();
    for (const n of names) {
      const tile = await Promise.all(
        tileShapes.map((s, k) =>
          gradsOn([n], [s], [tileX[k]], (x) =>
            tf.tile(x, tileReps[k]).mul(
              tf.tensor(tileW[k], s.map((d, i) => d * tileReps[k][i])),
            ).sum())
        ),
      );
      const bn = await gradsOn(
        [n],
        [[4, 3, 3, 5], [5], [5], [5], [5]],
        [bnX, ...bnP],
        (x, mean, variance, offset, scale) =>
          tf.batchNorm(x, mean, tf.abs(variance).add(0.1), offset, scale, 1e-3)
            .mul(tf.tensor(bnW, [4, 3, 3, 5])).sum(),
      );
      out.set(n, [
        ...tile.flatMap((t) => t.get(n)!),
        ...bn.get(n)!,
      ]);
    }
    return out;
  };
  const fast = await run(["wasm", "cpu"]);
  const src = (k: string) => String(tf.getGradient(k)?.gradFunc);
  const fastTile = src("Tile"), fastBn = src("FusedBatchNorm");
  assert.deepEqual(restoreTfjsGradients(), ["Tile", "FusedBatchNorm"]);
  // the reference really is another implementation
  assert.notEqual(src("Tile"), fastTile);
  assert.notEqual(src("FusedBatchNorm"), fastBn);
  let ref: Float32Array[];
  try {
    ref = (await run(["cpu"])).get("cpu")!;
  } finally {
    registerFastGradients();
  }
  for (const n of ["wasm", "cpu"] as const) {
    const got = fast.get(n)!;
    assert.equal(got.length, ref.length);
    got.forEach((g, i) =>
      assert.ok(relErr(g, ref[i]) < 1e-4, `${n} grad ${i}: ${relErr(g, ref[i])}`)
    );
  }
  // and the fast gradients are back in place
  assert.equal(src("Tile"), fastTile);
  assert.equal(src("FusedBatchNorm"), fastBn);
});

Deno.test("a full training step of a layers model gives the same weights on wasm and cpu", async () => {
  const rng = new Rng(11);
  const xv = randn(rng, 6 * 12 * 12);
  const labels = [0, 1, 2, 0, 1, 2];
  const results = new Map<Name, { grads: Float32Array[]; after: Float32Array[] }>();
  for (const n of ["cpu", "wasm"] as const) {
    assert.ok(await useBackend(n));
    const model = smallModel(100);
    const x = tf.tensor4d(xv, [6, 12, 12, 1]);
    const y = tf.oneHot(tf.tensor1d(labels, "int32"), 3);
    const loss = () =>
      tf.losses.softmaxCrossEntropy(
        y,
        model.apply(x, { training: true }) as tf.Tensor,
      ) as tf.Scalar;
    const { grads } = tf.variableGrads(loss);
    const g = model.trainableWeights.map((v) => {
      assert.ok(grads[v.name], `no gradient for ${v.name}`);
      return grads[v.name].dataSync() as Float32Array;
    });
    tf.dispose(grads);
    const opt = tf.train.sgd(0.1);
    opt.minimize(loss);
    const after = model.getWeights().map((w) => w.dataSync() as Float32Array);
    results.set(n, { grads: g, after });
    opt.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
  const c = results.get("cpu")!, w = results.get("wasm")!;
  assert.equal(c.grads.length, w.grads.length);
  c.grads.forEach((g, i) =>
    assert.ok(relErr(w.grads[i], g) < 1e-4, `grad ${i}: ${relErr(w.grads[i], g)}`)
  );
  c.after.forEach((g, i) => assert.ok(relErr(w.after[i], g) < 1e-4, `weight ${i}`));
});

Deno.test("MEDCRYPT_BACKEND with an unknown name is a clear error", async () => {
  const old = Deno.env.get("MEDCRYPT_BACKEND");
  Deno.env.set("MEDCRYPT_BACKEND", "gpu");
  try {
    await assert.rejects(initBackend(), /MEDCRYPT_BACKEND=gpu is not a backend/);
  } finally {
    if (old === undefined) Deno.env.delete("MEDCRYPT_BACKEND");
    else Deno.env.set("MEDCRYPT_BACKEND", old);
  }
});

Deno.test("wasm: the threaded binary runs one XNNPACK thread per core and its gradients are bit-identical to the single-threaded binary's", async () => {
  const script = new URL("./_grad_digest.ts", import.meta.url).pathname;
  const child = async (threads: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      env: { MEDCRYPT_WASM_THREADS: threads, MEDCRYPT_BACKEND: "wasm" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout).trim()) as {
      digest: string;
      threads: number;
      idleWorkers: number;
      runningWorkers: number;
    };
  };
  const [one, two] = [await child("1"), await child("2")];
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2, "the threaded binary did not start with 2 threads");
  // one pthread besides the main thread; Emscripten's 7 other pre-started workers are stopped
  assert.deepEqual([two.runningWorkers, two.idleWorkers], [1, 0]);
  assert.match(one.digest, /^[0-9a-f]{64}$/);
  assert.equal(two.digest, one.digest);
});

Deno.test("wasm: MEDCRYPT_WASM_THREADS that is not 1–8 is a clear usage error", async () => {
  const script = new URL("./_grad_digest.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    env: { MEDCRYPT_WASM_THREADS: "lots" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.success, false);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /MEDCRYPT_WASM_THREADS=lots is not a thread count/,
  );
});

Deno.test("wasm: Identity and a same-dtype Cast share their input's data, and it outlives the input", async () => {
  assert.ok(await useBackend("wasm"));
  const b = tf.backend() as unknown as { refCount(id: object): number };
  const x = tf.tensor([1.5, -2, 3]);
  const y = tf.clone(x); // the Identity kernel
  const z = tf.cast(x, "float32");
  const i = tf.cast(x, "int32"); // a real cast still converts
  assert.equal(b.refCount(x.dataId), 3);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1.5, -2, 3]);
  assert.deepEqual(Array.from(z.dataSync()), [1.5, -2, 3]);
  assert.deepEqual(Array.from(i.dataSync()), [1, -2, 3]);
  tf.dispose([y, z, i]);
});
