/**
 * Loading node-seal (Microsoft SEAL 4.1 compiled to WebAssembly) once per thread, and measuring
 * its WebAssembly heap.
 *
 * node-seal 7 does not expose its `WebAssembly.Memory`; {@linkcode loadSeal} captures it while
 * the module instantiates, so {@linkcode sealHeapBytes} can report the heap size (the WASM heap
 * only grows; it is the high-water mark of SEAL's allocations).
 *
 * @example
 * ```ts
 * import { loadSeal, sealHeapBytes } from "./seal.ts";
 * const seal = await loadSeal();
 * // the largest coefficient modulus SEAL allows for N = 4096 at 128-bit security
 * console.log(seal.CoeffModulus.MaxBitCount(4096, seal.SecLevelType.tc128)); // 109
 * console.log(sealHeapBytes() > 0); // true
 * ```
 * @module
 */
import SEAL from "node-seal";
import type { MainModule } from "node-seal";

/** The SEAL runtime module (node-seal 7 embind bindings). */
export type Seal = MainModule;

let sealPromise: Promise<Seal> | undefined;
let memory: WebAssembly.Memory | undefined;

function findMemory(exports: WebAssembly.Exports): void {
  for (const v of Object.values(exports)) {
    if (v instanceof WebAssembly.Memory) memory = v;
  }
}

/**
 * @returns the SEAL module of this thread (instantiated on first call)
 * @example
 * ```ts
 * import { loadSeal } from "./seal.ts";
 * const a = await loadSeal(), b = await loadSeal();
 * console.log(a === b); // true
 * ```
 */
export function loadSeal(): Promise<Seal> {
  if (!sealPromise) {
    const wa = WebAssembly as unknown as Record<string, unknown>;
    const origInst = WebAssembly.instantiate;
    const origStream = WebAssembly.instantiateStreaming;
    type InstResult = WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance;
    const grab = (r: InstResult) => {
      const inst = r instanceof WebAssembly.Instance ? r : r.instance;
      findMemory(inst.exports);
      return r;
    };
    wa.instantiate = (...args: unknown[]) =>
      (origInst as (...a: unknown[]) => Promise<InstResult>)(...args).then(grab);
    if (origStream) {
      wa.instantiateStreaming = (...args: unknown[]) =>
        (origStream as (...a: unknown[]) => Promise<InstResult>)(...args).then(grab);
    }
    sealPromise = SEAL().finally(() => {
      wa.instantiate = origInst;
      if (origStream) wa.instantiateStreaming = origStream;
    });
  }
  return sealPromise;
}

/**
 * @returns the current size of SEAL's WebAssembly heap in bytes (0 before {@linkcode loadSeal})
 * @example
 * ```ts
 * import { loadSeal, sealHeapBytes } from "./seal.ts";
 * await loadSeal();
 * console.log(sealHeapBytes() >= 16 * 1024 * 1024); // true
 * ```
 */
export function sealHeapBytes(): number {
  return memory?.buffer.byteLength ?? 0;
}

/**
 * Turns an exception thrown by SEAL's WebAssembly (a `WebAssembly.Exception` whose `message` is
 * `[type, what]`) into readable text.
 *
 * @param e what was thrown
 * @returns e.g. `"std::invalid_argument: encryption parameters are not set correctly"`
 * @example
 * ```ts
 * import { sealErrorText } from "./seal.ts";
 * console.log(sealErrorText(new Error("x"))); // "x"
 * ```
 */
export function sealErrorText(e: unknown): string {
  const m = (e as { message?: unknown })?.message;
  if (Array.isArray(m)) return m.join(": ");
  if (typeof m === "string") return m;
  return String(e);
}
