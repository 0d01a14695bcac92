/**
 * Chooses and initialises the tfjs backend: `tensorflow` (tfjs-node) when a local installation
 * can be loaded, else `wasm` (XNNPACK, SIMD) with the kernels it lacks registered, else `cpu`.
 *
 * - `MEDCRYPT_BACKEND=wasm|cpu|tensorflow` forces one (an error if it cannot be loaded).
 * - tfjs-node is OPTIONAL and never installed at run time (its install downloads libtensorflow).
 *   To enable it, install it yourself where that download works, e.g.
 *   `cd ~/tfjs-node && npm install @tensorflow/tfjs-node@4.22.0`, then
 *   `export MEDCRYPT_TFJS_NODE=~/tfjs-node/node_modules/@tensorflow/tfjs-node` (a copy under
 *   this repository's `node_modules/@tensorflow/tfjs-node` is found without the variable).
 * - The wasm binaries are read from the npm package in `node_modules` (no network). wasm runs
 *   tfjs's threaded SIMD binary with one XNNPACK thread per core (`MEDCRYPT_WASM_THREADS=N`
 *   sets the count, `1` the single-threaded binary); see `_wasm_threads.ts` for what it takes
 *   to start it in Deno. `backendInfo().wasmThreads` says which binary runs and why.
 *
 * Always `import * as tf from "@tensorflow/tfjs"` and `await initBackend()` before training.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { backendInfo, initBackend } from "./backend.ts";
 * const name = await initBackend();
 * console.log(name === tf.getBackend(), backendInfo().name === name); // true true
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as tfwasm from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { MedCryptError } from "../core/errors.ts";
import { setBackendName } from "../core/provenance.ts";
import {
  type FilterGradVariant,
  type InputGradVariant,
  KERNEL_NAMES,
  registerMissingGradients,
  registerWasmKernels,
  variants,
} from "./_kernels.ts";
import { startThreadedWasm, threadedWasmUnavailable } from "./_wasm_threads.ts";

export type { FilterGradVariant, InputGradVariant } from "./_kernels.ts";

/** The backends this project can run on. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** What {@linkcode backendInfo} reports. */
export interface BackendInfo {
  /** The backend in use, or `undefined` before {@linkcode initBackend}. */
  name?: BackendName;
  /** Whether the wasm backend runs its SIMD binary. */
  simd: boolean;
  /** Number of threads of the wasm backend (1 = single-threaded). */
  threads: number;
  /** Which wasm binary runs and why (threaded, or why not). */
  wasmThreads: string;
  /** Kernels this project registered for the wasm backend. */
  registeredKernels: string[];
  /** Gradients this project registered for every backend (tfjs defines none for them). */
  registeredGradients: string[];
  /** How the conv gradients are computed on wasm. */
  variants: { filter: FilterGradVariant; input: InputGradVariant };
  /** Where tfjs-node was loaded from, when it was. */
  tfjsNodePath?: string;
  /** Why tfjs-node is not in use (not installed, failed to load…). */
  tfjsNodeStatus: string;
  /** Why this backend was chosen. */
  reason: string;
}

const state: {
  name?: BackendName;
  reason: string;
  tfjsNodePath?: string;
  tfjsNodeStatus: string;
  tfjsNodeTried: boolean;
  wasmReady: boolean;
  simd: boolean;
  threads: number;
  threadsStatus: string;
  kernels: string[];
  gradients: string[];
} = {
  reason: "not initialised",
  tfjsNodeStatus: "not tried",
  tfjsNodeTried: false,
  wasmReady: false,
  simd: false,
  threads: 1,
  threadsStatus: "not started",
  kernels: [],
  gradients: [],
};

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

/** XNNPACK threads wanted on wasm: `MEDCRYPT_WASM_THREADS`, else every core (at most 8). */
function wasmThreadsWanted(): number {
  // A job thread (lib/jobs) runs one single-threaded training per core.
  if ("WorkerGlobalScope" in globalThis) return 1;
  const v = env("MEDCRYPT_WASM_THREADS");
  if (v !== undefined) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 8) {
      throw new MedCryptError(
        "usage",
        `MEDCRYPT_WASM_THREADS=${v} is not a thread count; use an integer from 1 to 8`,
      );
    }
    return n;
  }
  return Math.min(8, Math.max(1, navigator.hardwareConcurrency || 1));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function repoNodeModules(): string {
  return new URL("../../node_modules/", import.meta.url).pathname;
}

/** Loads a locally installed tfjs-node, never installing anything. */
async function tryTensorflow(): Promise<boolean> {
  if (state.tfjsNodeTried) return tf.findBackend("tensorflow") !== null;
  state.tfjsNodeTried = true;
  const candidates = [
    env("MEDCRYPT_TFJS_NODE"),
    `${repoNodeModules()}@tensorflow/tfjs-node`,
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => exists(`${p}/package.json`));
  if (!found) {
    state.tfjsNodeStatus =
      "not installed (optional; set MEDCRYPT_TFJS_NODE to an installed @tensorflow/tfjs-node)";
    return false;
  }
  try {
    const req = createRequire(`${found}/package.json`);
    await Promise.resolve(req(found));
    if (!tf.findBackend("tensorflow")) {
      throw new MedCryptError("backend-failed", "it did not register a 'tensorflow' backend");
    }
    state.tfjsNodePath = found;
    state.tfjsNodeStatus = `loaded from ${found}`;
    return true;
  } catch (e) {
    state.tfjsNodeStatus = `found at ${found} but failed to load: ${
      (e instanceof Error ? e.message : String(e)).split("\n")[0]
    }`;
    return false;
  }
}

async function setupWasm(): Promise<boolean> {
  if (!state.wasmReady) {
    const pkg = `${repoNodeModules()}@tensorflow/tfjs-backend-wasm/`;
    if (exists(`${pkg}dist/tfjs-backend-wasm-simd.wasm`)) tfwasm.setWasmPaths(`${pkg}dist/`);
    const wanted = wasmThreadsWanted();
    let started = false;
    if (wanted > 1) {
      const why = threadedWasmUnavailable(pkg);
      if (why) state.threadsStatus = `single-threaded: ${why}`;
      else {
        try {
          await startThreadedWasm(pkg, wanted);
          started = true;
          state.threadsStatus = `threaded SIMD binary, ${tfwasm.getThreadsCount()} threads`;
        } catch (e) {
          state.threadsStatus = `single-threaded: the threaded binary failed to start (${
            (e instanceof Error ? e.message : String(e)).split("\n")[0]
          })`;
          tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
        }
      }
    } else {
      state.threadsStatus = "WorkerGlobalScope" in globalThis
        ? "single-threaded: a job thread (one training per core)"
        : "single-threaded: MEDCRYPT_WASM_THREADS=1";
    }
    if (!started) {
      try {
        if (!(await tf.setBackend("wasm"))) return false;
      } catch {
        return false;
      }
    }
    state.simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
    state.threads = tfwasm.getThreadsCount();
    state.kernels = registerWasmKernels();
    state.wasmReady = true;
    return true;
  }
  return await tf.setBackend("wasm");
}

/** Silences the cpu backend's one-time "install tfjs-node" banner (we print nothing by default). */
function quietCpu(): void {
  const cpu = tf.findBackend("cpu") as (tf.KernelBackend & { firstUse?: boolean }) | null;
  if (cpu && "firstUse" in cpu) cpu.firstUse = false;
}

async function activate(name: BackendName): Promise<boolean> {
  quietCpu();
  if (state.gradients.length === 0) {
    state.gradients = [...registerMissingGradients(), ...registerFastGradients()];
  }
  if (name === "tensorflow") return (await tryTensorflow()) && (await tf.setBackend("tensorflow"));
  if (name === "wasm") return await setupWasm();
  return await tf.setBackend("cpu");
}

/**
 * Initialises the tfjs backend (idempotent) and records its name for provenance. Concurrent
 * calls run one after another: a second caller never sees a backend that is set but not ready.
 *
 * Order: `MEDCRYPT_BACKEND` if set (forced; an error if unavailable), else `prefer` if given and
 * available, else tensorflow (tfjs-node, if installed locally) → wasm → cpu. Prints nothing.
 *
 * @param prefer a backend to use when available
 * @returns the name of the backend in use
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * console.log(await initBackend("cpu")); // "cpu" (unless MEDCRYPT_BACKEND forces another)
 * ```
 */
export function initBackend(prefer?: BackendName): Promise<BackendName> {
  const next = initQueue.then(() => initBackendNow(prefer));
  initQueue = next.catch(() => undefined);
  return next;
}

let initQueue: Promise<unknown> = Promise.resolve();

async function initBackendNow(prefer?: BackendName): Promise<BackendName> {
  const forced = env("MEDCRYPT_BACKEND");
  if (forced !== undefined) {
    if (forced !== "tensorflow" && forced !== "wasm" && forced !== "cpu") {
      throw new MedCryptError(
        "usage",
        `MEDCRYPT_BACKEND=${forced} is not a backend; use wasm, cpu or tensorflow`,
      );
    }
    if (state.name === forced && tf.getBackend() === forced) return forced;
    if (!(await activate(forced))) {
      throw new MedCryptError(
        "backend",
        `MEDCRYPT_BACKEND=${forced} but that backend cannot be loaded${
          forced === "tensorflow" ? `: tfjs-node ${state.tfjsNodeStatus}` : ""
        }`,
      );
    }
    return done(forced, "forced by MEDCRYPT_BACKEND");
  }
  if (state.name && (!prefer || prefer === state.name) && tf.getBackend() === state.name) {
    return state.name;
  }
  if (prefer && (await activate(prefer))) return done(prefer, "preferred by the caller");
  for (const name of ["tensorflow", "wasm", "cpu"] as const) {
    if (await activate(name)) {
      return done(name, prefer ? `${prefer} unavailable; first available` : "first available");
    }
  }
  throw new MedCryptError(
    "backend",
    "no tfjs backend could be initialised (tried tensorflow, wasm, cpu)",
  );
}

function done(name: BackendName, reason: string): BackendName {
  state.name = name;
  state.reason = reason;
  setBackendName(
    name === "wasm"
      ? `wasm${state.simd ? "+simd" : ""}${state.threads > 1 ? ` ×${state.threads} threads` : ""}`
      : name,
  );
  return name;
}

/**
 * Switches to a backend regardless of `MEDCRYPT_BACKEND` (for benchmarks and tests that compare
 * backends in one process).
 *
 * @param name the backend
 * @returns whether it is now in use
 * @example
 * ```ts
 * import { useBackend } from "./backend.ts";
 * console.log(await useBackend("cpu")); // true
 * ```
 */
export async function useBackend(name: BackendName): Promise<boolean> {
  if (!(await activate(name))) return false;
  done(name, "selected by useBackend");
  return true;
}

/**
 * Chooses how the conv gradients are computed on wasm (for benchmarks; defaults are fastest).
 *
 * @param v the variants to set
 * @returns the variants now in effect
 * @example
 * ```ts
 * import { setGradVariants } from "./backend.ts";
 * console.log(setGradVariants({}).filter); // "conv"
 * ```
 */
export function setGradVariants(
  v: { filter?: FilterGradVariant; input?: InputGradVariant },
): { filter: FilterGradVariant; input: InputGradVariant } {
  if (v.filter) variants.filter = v.filter;
  if (v.input) variants.input = v.input;
  return { ...variants };
}

/**
 * Details of the backend in use: name, SIMD, threads, registered kernels, tfjs-node status.
 *
 * @returns the details
 * @example
 * ```ts
 * import { backendInfo, initBackend } from "./backend.ts";
 * await initBackend();
 * console.log(backendInfo().registeredKernels.length >= 0); // true
 * ```
 */
export function backendInfo(): BackendInfo {
  return {
    name: state.name,
    simd: state.simd,
    threads: state.threads,
    wasmThreads: state.threadsStatus,
    registeredKernels: state.wasmReady ? [...state.kernels] : [],
    registeredGradients: [...state.gradients],
    variants: { ...variants },
    tfjsNodePath: state.tfjsNodePath,
    tfjsNodeStatus: state.tfjsNodeStatus,
    reason: state.reason,
  };
}

/**
 * Replaces tfjs-core 4.22's gradient of `Tile`, which slices `dy` once per repetition (3,136
 * slices for a `[1, 1, 48]` layer-norm gain tiled over a `[64, 49, 48]` batch: 15 s of a 17 s
 * ViT step on wasm), with one reshape and one sum: `dy` is viewed as `[r0, s0, r1, s1, …]` and
 * summed over the repetition axes. Batch and layer normalisation in tfjs-layers tile their
 * parameters, so every model with them trains much faster. Idempotent; registered for every
 * backend by {@linkcode initBackend} (gradients are global in tfjs), which is why it lives here
 * and not in a module that registers it as a side effect of being imported.
 *
 * @returns nothing
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { initBackend, registerFastTileGradient } from "./backend.ts";
 * await initBackend(); // registers it; calling it again does nothing
 * registerFastTileGradient();
 * const g = tf.grad((x: tf.Tensor) => tf.tile(x, [3, 2]).mul(tf.range(0, 12).reshape([3, 4])).sum());
 * console.log(Array.from(g(tf.ones([1, 2])).dataSync())); // [24, 28]
 * ```
 */
export function registerFastTileGradient(): void {
  if (fastTileRegistered) return;
  fastTileRegistered = true;
  saveTfjsGradient("Tile");
  const warn = console.warn;
  console.warn = () => {}; // tfjs warns that the gradient is being overridden
  try {
    tf.registerGradient({
      kernelName: "Tile",
      inputsToSave: ["x"],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const reps = (attrs as unknown as { reps: number[] }).reps;
        return {
          x: () => {
            const g = Array.isArray(dy) ? dy[0] : dy;
            const shape: number[] = [];
            const axes: number[] = [];
            for (let i = 0; i < x.rank; i++) {
              axes.push(shape.length);
              shape.push(reps[i], x.shape[i]);
            }
            return g.reshape(shape).sum(axes).reshape(x.shape);
          },
        };
      },
    });
  } finally {
    console.warn = warn;
  }
}
let fastTileRegistered = false;
/**
 * Replaces tfjs-core 4.22's gradient of `FusedBatchNorm`, which materialises
 * `tile(1/√(var+ε), x.shape)` for the input gradient (the wasm `Tile` kernel then dominates a
 * DenseNet step), with the same formulas using broadcasting. Idempotent.
 *
 * @returns nothing
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { initBackend, registerFastBatchNormGradient } from "./backend.ts";
 * await initBackend(); // registers it; calling it again does nothing
 * registerFastBatchNormGradient();
 * const g = tf.grad((x: tf.Tensor) => tf.batchNorm(x, tf.zeros([2]), tf.ones([2]), tf.zeros([2]), tf.tensor1d([2, 3]), 0).sum());
 * console.log(Array.from(g(tf.ones([2, 2])).dataSync())); // [2, 3, 2, 3]
 * ```
 */
export function registerFastBatchNormGradient(): void {
  if (fastBnRegistered) return;
  fastBnRegistered = true;
  saveTfjsGradient("FusedBatchNorm");
  const warn = console.warn;
  console.warn = () => {};
  try {
    tf.registerGradient({
      kernelName: "FusedBatchNorm",
      inputsToSave: ["x", "mean", "variance", "scale"],
      gradFunc: (dyIn, saved, attrs) => {
        const dy = Array.isArray(dyIn) ? dyIn[0] : dyIn;
        const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
        const [x, mean, variance, scale] = saved;
        const scaleValue = scale ?? tf.scalar(1);
        const axes: number[] = [];
        if (mean.rank === 1) { for (let i = 0; i < x.rank - 1; i++) axes.push(i); }
        else {
          const off = x.rank - mean.rank;
          for (let i = 0; i < x.rank; i++) {
            if (i < off || (mean.shape[i - off] === 1 && x.shape[i] !== 1)) axes.push(i);
          }
        }
        const red = (t: tf.Tensor) => (axes.length ? t.sum(axes) : t).reshape(mean.shape);
        const xMinusMean = tf.sub(x, mean);
        const dyScaled = tf.mul(dy, scaleValue);
        const inv = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
        const minusHalfRCube = tf.mul(tf.mul(tf.mul(inv, inv), inv), tf.scalar(-0.5));
        return {
          x: () => tf.mul(tf.mul(dy, inv), scaleValue).reshape(x.shape),
          mean: () => red(tf.mul(tf.mul(inv, tf.scalar(-1)), dyScaled)),
          variance: () => red(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyScaled)),
          scale: () => red(tf.mul(dy, tf.mul(xMinusMean, inv))),
          offset: () => red(dy),
        };
      },
    });
  } finally {
    console.warn = warn;
  }
}
let fastBnRegistered = false;

const tfjsGradients = new Map<string, tf.GradConfig>();

function saveTfjsGradient(kernelName: string): void {
  const g = tf.getGradient(kernelName);
  if (g && !tfjsGradients.has(kernelName)) tfjsGradients.set(kernelName, g);
}

function quietRegister(config: tf.GradConfig): void {
  const warn = console.warn;
  console.warn = () => {}; // tfjs warns that a gradient is being overridden
  try {
    tf.registerGradient(config);
  } finally {
    console.warn = warn;
  }
}

/**
 * Puts tfjs's own gradients of `Tile` and `FusedBatchNorm` back (for tests comparing the fast
 * gradients with them); {@linkcode registerFastGradients} installs the fast ones again.
 *
 * @returns the kernels whose tfjs gradient was restored
 * @example
 * ```ts
 * import { registerFastGradients, restoreTfjsGradients } from "./backend.ts";
 * registerFastGradients();
 * console.log(restoreTfjsGradients()); // ["Tile", "FusedBatchNorm"]
 * registerFastGradients();
 * ```
 */
export function restoreTfjsGradients(): string[] {
  for (const g of tfjsGradients.values()) quietRegister(g);
  fastTileRegistered = false;
  fastBnRegistered = false;
  return [...tfjsGradients.keys()];
}

/**
 * Registers the fast `Tile` and `FusedBatchNorm` gradients (idempotent; {@linkcode initBackend}
 * calls it).
 *
 * @returns their kernel names
 * @example
 * ```ts
 * import { registerFastGradients } from "./backend.ts";
 * console.log(registerFastGradients()); // ["Tile", "FusedBatchNorm"]
 * ```
 */
export function registerFastGradients(): string[] {
  registerFastTileGradient();
  registerFastBatchNormGradient();
  return ["Tile", "FusedBatchNorm"];
}

/** Names of the kernels registered for wasm by {@linkcode initBackend}. */
export const WASM_KERNELS: readonly string[] = KERNEL_NAMES;
