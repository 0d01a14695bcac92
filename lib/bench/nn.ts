/**
 * Benchmark suite `nn`: training images/s of a reference small CNN (64×64 grey, batch 32,
 * conv16-conv32-maxpool-conv64-GAP-dense, Adam) on each available tfjs backend side by side —
 * cpu, wasm with the earlier Conv3D-adapter gradients (baseline), wasm with this project's
 * kernels (im2col and conv variants) on the threaded binary and, in a child process, on the
 * single-threaded one, tensorflow (tfjs-node) when installed — and the same network in PyTorch on
 * the CPU (`lib/bench/_torch_cnn.py`, run with Debian's `/usr/bin/python3` when `python3-torch`
 * is installed) with all cores (before and after the tfjs rows) and with one thread, for a
 * per-core comparison.
 *
 * Goal: wasm training ≥ 0.5× PyTorch's images/s.
 *
 * @example
 * ```ts
 * import { suites } from "./nn.ts";
 * console.log(suites.map((s) => s.name)); // ["nn"]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BenchRow, BenchSuite } from "./types.ts";
import {
  backendInfo,
  type BackendName,
  initBackend,
  setGradVariants,
  useBackend,
} from "../nn/backend.ts";

/** Builds the reference CNN (seeded initialisers). */
function referenceCnn(): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [64, 64, 1],
        filters: 16,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(1),
      }),
      tf.layers.conv2d({
        filters: 32,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(2),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({
        filters: 64,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(3),
      }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 2, kernelInitializer: init(4) }),
    ],
  });
}

/**
 * Trains the reference CNN on random data for `steps` steps after `warmup` steps.
 *
 * @param batch batch size
 * @param warmup steps not timed
 * @param steps steps timed
 * @returns images per second
 */
async function tfjsImagesPerSecond(batch: number, warmup: number, steps: number): Promise<number> {
  const model = referenceCnn();
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([batch, 64, 64, 1], 0, 1, "float32", 7);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), "int32"), 2);
  const step = async () => {
    const l = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar,
      true,
    )!;
    await l.data();
    l.dispose();
  };
  for (let i = 0; i < warmup; i++) await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const dt = (performance.now() - t0) / 1000;
  opt.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return (batch * steps) / dt;
}

/**
 * Where one training step's time goes on the current backend: kernel time per kernel name
 * (`tf.profile`, after a warm-up step), largest first, and the total.
 */
async function kernelProfile(
  batch: number,
): Promise<{ total: number; kernels: [string, number][] }> {
  const model = referenceCnn();
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([batch, 64, 64, 1], 0, 1, "float32", 7);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), "int32"), 2);
  const step = () => {
    const l = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar,
      true,
    )!;
    l.dataSync();
    l.dispose();
  };
  step();
  const info = await tf.profile(step);
  const by = new Map<string, number>();
  for (const k of info.kernels) by.set(k.name, (by.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  opt.dispose();
  model.dispose();
  tf.dispose([x, y]);
  const kernels = [...by].sort((a, b) => b[1] - a[1]);
  return { total: kernels.reduce((a, [, t]) => a + t, 0), kernels };
}

/**
 * XNNPACK packs a convolution's filter when it first sees it. The filter gradient's product has a
 * new filter (`dy`) every step: this times that product (conv2's shapes) with a filter packed
 * before and with a fresh one.
 */
function packingCost(): { packed: number; fresh: number } {
  const [ci, co, h, batch] = [16, 32, 64, 32];
  const x = tf.randomNormal([ci, h + 2, h + 2, batch]) as tf.Tensor4D; // [CI, H', W', B]
  const shape = [h, h, batch, co] as [number, number, number, number]; // [OH, OW, B, CO]
  const time = (f: tf.Tensor4D) => {
    const t0 = performance.now();
    tf.conv2d(x, f, 1, "valid").dataSync();
    return performance.now() - t0;
  };
  const packedF = tf.randomNormal(shape) as tf.Tensor4D;
  time(packedF);
  let packed = 0, fresh = 0;
  for (let i = 0; i < 3; i++) {
    packed += time(packedF);
    const f = tf.randomNormal(shape) as tf.Tensor4D;
    fresh += time(f);
    f.dispose();
  }
  tf.dispose([x, packedF]);
  return { packed: packed / 3, fresh: fresh / 3 };
}

/** The instruction set oneDNN used for PyTorch's convolutions, as the twin last reported it. */
let torchIsa = "unknown";

/**
 * Runs the PyTorch twin if Debian's python3-torch is installed (with `threads` threads, 0 = one
 * per core); undefined otherwise.
 */
async function torchImagesPerSecond(
  warmup: number,
  steps: number,
  threads = 0,
): Promise<number | undefined> {
  const script = new URL("./_torch_cnn.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [script, String(warmup), String(steps), String(threads)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return undefined;
    const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    const r = JSON.parse(line) as { imagesPerSecond: number; convIsa?: string };
    if (r.convIsa) torchIsa = r.convIsa;
    return r.imagesPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * Runs this module in a child process whose wasm backend has `threads` XNNPACK threads (a process
 * initialises its wasm binary once) and returns the JSON line it prints, or undefined if it
 * failed or ran with another thread count.
 */
async function inChild<T>(threads: number, args: string[]): Promise<T | undefined> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, ...args],
    env: { MEDCRYPT_WASM_THREADS: String(threads), MEDCRYPT_BACKEND: "wasm" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) return undefined;
  const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "{}");
  return r.threads === threads ? r as T : undefined;
}

/** Training images/s of the default wasm kernels with `threads` threads (child process). */
async function childImagesPerSecond(
  threads: number,
  warmup: number,
  steps: number,
): Promise<number | undefined> {
  const r = await inChild<{ imagesPerSecond: number }>(threads, [
    "--child",
    String(warmup),
    String(steps),
  ]);
  return r?.imagesPerSecond;
}

/** Start-up time and resident memory of a process that initialises wasm with `threads`. */
function childStartup(threads: number): Promise<{ ms: number; rssMB: number } | undefined> {
  return inChild(threads, ["--startup"]);
}

if (import.meta.main && Deno.args[0] === "--child") {
  await initBackend();
  const ips = await tfjsImagesPerSecond(32, Number(Deno.args[1]), Number(Deno.args[2]));
  console.log(JSON.stringify({ imagesPerSecond: ips, threads: backendInfo().threads }));
}

if (import.meta.main && Deno.args[0] === "--startup") {
  const t0 = performance.now();
  await initBackend();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1000)); // stopped workers release their memory
  console.log(
    JSON.stringify({ ms, rssMB: Deno.memoryUsage().rss / 2 ** 20, threads: backendInfo().threads }),
  );
}

const CASE = (batch: number) => `64×64 grey, batch ${batch}`;

/** The nn suites. */
export const suites: BenchSuite[] = [{
  name: "nn",
  async run({ quick }) {
    await initBackend();
    const [w, n] = quick ? [1, 3] : [2, 10];
    const torch1 = await torchImagesPerSecond(w, n);
    const measured: { subject: string; batch: number; value: number; goal?: number }[] = [];
    const measure = async (
      subject: string,
      backend: BackendName,
      batch: number,
      warmup: number,
      steps: number,
      goal?: number,
    ) => {
      if (!(await useBackend(backend))) return;
      measured.push({
        subject,
        batch,
        value: await tfjsImagesPerSecond(batch, warmup, steps),
        goal,
      });
    };
    setGradVariants({ filter: "conv", input: "conv" });
    await useBackend("wasm");
    const simd = backendInfo().simd ? "+SIMD" : "";
    const threads = backendInfo().threads;
    await measure(
      `wasm${simd} ×${threads} threads (this project's conv-based gradients, default)`,
      "wasm",
      32,
      w,
      n,
      0.5,
    );
    let one: number | undefined;
    if (threads > 1) {
      one = await childImagesPerSecond(1, w, n);
      if (one !== undefined) {
        measured.push({
          subject: `wasm${simd} ×1 thread (same kernels, single-threaded binary)`,
          batch: 32,
          value: one,
        });
      }
    }
    const torchOne = await torchImagesPerSecond(w, n, 1);
    const profile = await kernelProfile(32);
    const startups = threads > 1
      ? [await childStartup(threads), await childStartup(1)]
      : [undefined, undefined];
    const pack = packingCost();
    await measure("tensorflow (tfjs-node)", "tensorflow", 32, w, n);
    setGradVariants({ filter: "im2col", input: "conv" });
    await measure(
      `wasm${simd} ×${threads} threads (im2col + BatchMatMul filter gradient)`,
      "wasm",
      32,
      0,
      quick ? 1 : 3,
    );
    // the earlier adapter is slow (tens of seconds per batch of 32 on a loaded machine)
    setGradVariants({ filter: "adapter", input: "native" });
    await measure(
      `wasm${simd} ×${threads} threads (Conv3D-adapter filter grad + native input grad; baseline)`,
      "wasm",
      quick ? 4 : 32,
      0,
      1,
    );
    setGradVariants({ filter: "conv", input: "conv" });
    // the cpu backend is plain JS: a small batch keeps it to seconds
    await measure("cpu (tfjs-backend-cpu)", "cpu", quick ? 1 : 4, 0, 1);
    await initBackend();
    const torch2 = await torchImagesPerSecond(w, n);
    const torchVals = [torch1, torch2].filter((v): v is number => v !== undefined);
    // best of the runs before and after (PyTorch's second thread is sensitive to any other load)
    const torch = torchVals.length ? Math.max(...torchVals) : undefined;
    const adapter = measured.find((m) => m.subject.includes("baseline"));
    const rows: BenchRow[] = measured.map((m) => ({
      subject: m.subject,
      case: CASE(m.batch),
      value: m.value,
      unit: "images/s",
      ...(torch !== undefined
        ? { baseline: torch, baselineName: "PyTorch CPU, batch 32", ratio: m.value / torch }
        : adapter
        ? {
          baseline: adapter.value,
          baselineName: "wasm Conv3D adapter",
          ratio: m.value / adapter.value,
        }
        : {}),
      goal: torch !== undefined ? m.goal : undefined,
    }));
    const fast = measured[0];
    if (fast && adapter) {
      rows.push({
        subject: "speed-up of the default wasm kernels over the adapter baseline",
        case: `${CASE(fast.batch)} vs ${CASE(adapter.batch)}`,
        value: fast.value,
        unit: "images/s",
        baseline: adapter.value,
        baselineName: "wasm Conv3D adapter",
        ratio: fast.value / adapter.value,
      });
    }
    for (const [name, ms] of profile.kernels.slice(0, 6)) {
      rows.push({
        subject: `profile, wasm ×${threads}: ${name} (${
          (100 * ms / profile.total).toFixed(0)
        } % of the step's kernel time)`,
        case: CASE(32),
        value: ms,
        unit: "ms per step",
        baseline: profile.total,
        baselineName: "all kernels of one step",
      });
    }
    rows.push({
      subject: "filter-gradient product (conv2's shapes) with its filter packed before",
      case: "[16, 66, 66, 32] ⊛ [64, 64, 32, 32]",
      value: pack.packed,
      unit: "ms",
      baseline: pack.fresh,
      baselineName: "a fresh filter, as every training step has",
      ratio: pack.fresh / pack.packed,
    });
    const [sN, s1] = startups;
    if (sN && s1) {
      rows.push({
        subject: `cost of threads: wasm start-up (initBackend) ×${threads} threads`,
        case: "a fresh process",
        value: sN.ms,
        unit: "ms",
        baseline: s1.ms,
        baselineName: "×1 thread",
        ratio: s1.ms / sN.ms,
      }, {
        subject: `cost of threads: resident memory after start-up ×${threads} threads`,
        case: "a fresh process",
        value: sN.rssMB,
        unit: "MB",
        baseline: s1.rssMB,
        baselineName: "×1 thread",
        ratio: s1.rssMB / sN.rssMB,
      });
    }
    if (one !== undefined && torchOne !== undefined) {
      rows.push({
        subject: "per core: wasm ×1 thread vs PyTorch with 1 thread",
        case: CASE(32),
        value: one,
        unit: "images/s",
        baseline: torchOne,
        baselineName: "PyTorch CPU, 1 thread",
        ratio: one / torchOne,
      });
    }
    if (fast && one !== undefined && fast.value !== one) {
      rows.push({
        subject: `threading: wasm ×${threads} threads vs ×1 thread`,
        case: CASE(32),
        value: fast.value,
        unit: "images/s",
        baseline: one,
        baselineName: "wasm ×1 thread",
        ratio: fast.value / one,
      });
    }
    if (torch !== undefined) {
      rows.push({
        subject: `PyTorch, oneDNN convolutions (jit:${torchIsa})${
          torchVals.length > 1 ? ", best of runs before and after" : ""
        }`,
        case: CASE(32),
        value: torch,
        unit: "images/s",
      });
    } else {
      rows.push({
        subject: "PyTorch: not measured (install Debian's python3-torch)",
        case: CASE(32),
        value: NaN,
        unit: "images/s",
      });
    }
    return rows;
  },
}];
