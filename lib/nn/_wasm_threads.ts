/**
 * Starts tfjs's multi-threaded wasm binary (XNNPACK with a pthread pool) under Deno.
 *
 * tfjs-backend-wasm 4.22 ships `tfjs-backend-wasm-threaded-simd.wasm` but never uses it outside a
 * browser, and three things stop it in Deno:
 *
 * 1. Its flag `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to `false` when `IS_NODE`.
 * 2. Emscripten's Node path starts each pthread with `new worker_threads.Worker(blob: URL)`; Deno
 *    accepts only file paths there (`ERR_WORKER_PATH`). The worker script also loads the module
 *    factory with `importScripts(blob)` and assigns `globalThis.location`, a getter in Deno.
 *    Here the worker script is written once to a content-addressed file in the temp directory,
 *    with the factory loaded by `require()` from the npm package instead.
 * 3. tfjs's C++ side caps the pool at `emscripten_num_logical_cores() / 2` ("many x86-64
 *    processors have 2 threads per core"), so a 2-core machine gets 1 thread. While the module
 *    initialises, `os.cpus()` (what Emscripten counts on Node) lists twice the threads wanted.
 *
 * The patches (`URL.createObjectURL`, `os.cpus`, `globalThis.Worker`) are undone as soon as the
 * backend has started; the pthread workers are `unref()`ed so they never keep a process alive,
 * and the idle ones of Emscripten's pre-started pool of 8 are stopped.
 * Results are bit-identical to the single-threaded binary: XNNPACK splits work by output tiles,
 * never across a sum (`backend_test.ts` checks it).
 *
 * Private to `lib/nn`: use {@linkcode ./backend.ts} (`initBackend`, `MEDCRYPT_WASM_THREADS`).
 *
 * @example
 * ```ts
 * import { threadedWasmUnavailable } from "./_wasm_threads.ts";
 * console.log(threadedWasmUnavailable("/nowhere/")); // dist/tfjs-backend-wasm-threaded-simd.wasm not found in /nowhere/
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as tfwasm from "@tensorflow/tfjs-backend-wasm";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import os from "node:os";
import { MedCryptError } from "../core/errors.ts";

/** The exact fragment of tfjs 4.22's pthread worker script that loads the module factory. */
const IMPORT_FACTORY =
  `if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}`;
/** The assignment Deno refuses (`location` is a getter on a worker's global scope). */
const SET_LOCATION = "location:{href:__filename},";

/**
 * Why the threaded binary cannot be used from `pkgDir` (the `@tensorflow/tfjs-backend-wasm`
 * folder, with a trailing slash), or `undefined` when it can.
 *
 * @param pkgDir the package folder
 * @returns the reason, or undefined
 * @example
 * ```ts
 * import { threadedWasmUnavailable } from "./_wasm_threads.ts";
 * console.log(threadedWasmUnavailable("/nowhere/")?.includes("not found")); // true
 * ```
 */
export function threadedWasmUnavailable(pkgDir: string): string | undefined {
  if (typeof SharedArrayBuffer === "undefined") return "no SharedArrayBuffer";
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(m.buffer instanceof SharedArrayBuffer)) return "no shared WebAssembly memory";
  } catch {
    return "no shared WebAssembly memory";
  }
  for (
    const f of [
      "dist/tfjs-backend-wasm-threaded-simd.wasm",
      "wasm-out/tfjs-backend-wasm-threaded-simd.js",
    ]
  ) {
    try {
      Deno.statSync(pkgDir + f);
    } catch {
      return `${f} not found in ${pkgDir}`;
    }
  }
  return undefined;
}

/** Writes the Deno-compatible pthread worker script (once per content) and returns its path. */
function workerScript(pkgDir: string): string {
  const req = createRequire(`${pkgDir}package.json`);
  const { wasmWorkerContents } = req(
    `${pkgDir}wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`,
  ) as { wasmWorkerContents: string };
  if (!wasmWorkerContents.includes(IMPORT_FACTORY) || !wasmWorkerContents.includes(SET_LOCATION)) {
    throw new MedCryptError(
      "unsupported",
      "the pthread worker script is not the one of tfjs-backend-wasm 4.22",
    );
  }
  const factory = `${pkgDir}wasm-out/tfjs-backend-wasm-threaded-simd.js`;
  // tfjs escapes the newlines of its template literal the same way before making its Blob
  const src = wasmWorkerContents.replace(/\n/g, "\\n")
    .replace(SET_LOCATION, "")
    .replace(
      IMPORT_FACTORY,
      `global.WasmBackendModuleThreadedSimd=require(${JSON.stringify(factory)});`,
    );
  const hash = createHash("sha256").update(src).digest("hex").slice(0, 16);
  const path = `${os.tmpdir()}/medcrypt-tfjs-pthread-${hash}.cjs`;
  try {
    if (Deno.readTextFileSync(path) === src) return path;
  } catch { /* not written yet */ }
  const tmp = `${path}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(tmp, src);
  Deno.renameSync(tmp, path);
  return path;
}

interface EmscriptenThreads {
  PThread?: {
    unusedWorkers: { unref(): void; terminate(): void }[];
    runningWorkers: { unref(): void }[];
  };
}

/**
 * Initialises tfjs's wasm backend with its threaded SIMD binary and `threads` XNNPACK threads.
 * Throws if it does not start; the caller then falls back to the single-threaded binary.
 *
 * @param pkgDir the `@tensorflow/tfjs-backend-wasm` folder (trailing slash)
 * @param threads the pool size wanted (≥ 2)
 * @returns the pool size XNNPACK reports
 * @example
 * ```ts ignore
 * import { startThreadedWasm } from "./_wasm_threads.ts";
 * console.log(await startThreadedWasm("node_modules/@tensorflow/tfjs-backend-wasm/", 2)); // 2
 * ```
 */
export async function startThreadedWasm(pkgDir: string, threads: number): Promise<number> {
  const script = workerScript(pkgDir);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  tfwasm.setThreadsCount(threads);
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  const Worker = globalThis.Worker;
  URL.createObjectURL = (obj: Blob) =>
    obj instanceof Blob && obj.type === "application/javascript" ? script : createObjectURL(obj);
  // tfjs caps the pool at half the cores it is shown: show it twice the threads wanted
  (os as { cpus: typeof os.cpus }).cpus = () => {
    const c = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => c[i % c.length]);
  };
  try {
    if (!(await tf.setBackend("wasm"))) {
      throw new MedCryptError("backend-failed", "tf.setBackend('wasm') returned false");
    }
  } finally {
    URL.createObjectURL = createObjectURL;
    (os as { cpus: typeof os.cpus }).cpus = cpus;
    globalThis.Worker = Worker;
  }
  const pool = (tf.backend() as unknown as { wasm: EmscriptenThreads }).wasm.PThread;
  for (const w of pool?.runningWorkers ?? []) w.unref();
  // Emscripten pre-starts 8 workers (a V8 isolate each); XNNPACK's pool took its
  // threads at start-up and tfjs starts no others, so the idle ones are stopped
  for (const w of pool?.unusedWorkers.splice(0) ?? []) w.terminate();
  return tfwasm.getThreadsCount();
}
