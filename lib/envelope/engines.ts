/**
 * Payload engines: which well-tested library runs AES for the envelope payload.
 *
 * - `"openssl"` (default when available): OpenSSL 3's libcrypto through Deno's FFI, the same
 *   AES-NI/VAES code `openssl speed` measures, with one worker thread per extra core (STREAM
 *   chunks are independent, so large payloads are split across cores without copies). Needs
 *   `--allow-ffi` and libcrypto 3 (`libssl3` on Debian/Ubuntu; `MEDCRYPT_LIBCRYPTO` overrides
 *   the library path).
 * - `"node"`: Deno's `node:crypto` (`createCipheriv`).
 * - `"webcrypto"`: `crypto.subtle`, the portable fallback that works everywhere Deno runs.
 *
 * `MEDCRYPT_ENGINE=openssl|node|webcrypto` forces one; `MEDCRYPT_THREADS=N` sets the OpenSSL
 * engine's thread count. All engines write byte-identical envelopes.
 *
 * @example
 * ```ts
 * import { availableEngines, closeWorkers, getEngine } from "./engines.ts";
 * console.log(availableEngines()); // [ "openssl", "node", "webcrypto" ] (no "openssl" without FFI)
 * console.log(getEngine().name === availableEngines()[0]); // true: the fastest is the default
 * closeWorkers();
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import type { ChunkEngine, EngineName } from "./_engine.ts";
import {
  closeWorkers,
  nodeEngine,
  opensslEngine,
  type OpensslHandle,
  opensslStreamingEngine,
  webcryptoEngine,
} from "./_engines_impl.ts";

export type { ChunkEngine, EngineName } from "./_engine.ts";
export type { OpensslHandle } from "./_engines_impl.ts";
export { closeWorkers };

let node: ChunkEngine | undefined, web: ChunkEngine | undefined;

/**
 * @returns the engines usable in this process, fastest first
 * @example
 * ```ts
 * import { availableEngines } from "./engines.ts";
 * console.log(availableEngines().includes("webcrypto")); // true
 * ```
 */
export function availableEngines(): EngineName[] {
  return [...(opensslEngine() ? ["openssl" as const] : []), "node", "webcrypto"];
}

/**
 * Picks an engine: the named one, else `MEDCRYPT_ENGINE`, else the fastest available.
 *
 * @param name an engine name
 * @returns the engine
 * @example
 * ```ts
 * import { getEngine } from "./engines.ts";
 * console.log(getEngine("webcrypto").name); // "webcrypto"
 * ```
 */
export function getEngine(name?: EngineName): ChunkEngine {
  let want: string | undefined = name;
  if (!want) {
    try {
      want = Deno.env.get("MEDCRYPT_ENGINE") || undefined;
    } catch { /* no env permission */ }
  }
  if (!want) want = opensslEngine() ? "openssl" : "webcrypto";
  switch (want) {
    case "openssl": {
      const e = opensslEngine();
      if (!e) {
        throw new MedCryptError(
          "engine-unavailable",
          "the OpenSSL engine needs --allow-ffi and libcrypto 3 (set MEDCRYPT_LIBCRYPTO to its path)",
        );
      }
      return e;
    }
    case "node":
      return node ??= nodeEngine();
    case "webcrypto":
      return web ??= webcryptoEngine();
    default:
      throw new MedCryptError(
        "usage",
        `unknown engine '${want}' (choose openssl, node or webcrypto)`,
      );
  }
}

/**
 * @param threads thread count
 * @returns a separate OpenSSL engine with exactly `threads` threads (for benchmarks), or `null`
 *   when OpenSSL is unavailable; call its `close()` when done
 * @example
 * ```ts
 * import { opensslWithThreads } from "./engines.ts";
 * const e = opensslWithThreads(1);
 * console.log(e?.name ?? "none"); // openssl ("none" without --allow-ffi or libcrypto 3)
 * console.log(e?.workerChunks ?? 0); // 0 (one thread: every chunk runs on the caller's thread)
 * e?.close();
 * ```
 */
export function opensslWithThreads(threads: number): OpensslHandle | null {
  return opensslEngine(threads);
}

/**
 * The engine for streaming files: as {@linkcode getEngine}, except that the OpenSSL engine
 * leaves one core to the file I/O thread (see `opensslStreamingEngine`).
 *
 * @param name an engine name
 * @returns the engine
 * @example
 * ```ts
 * import { closeWorkers, getStreamingEngine } from "./engines.ts";
 * console.log(getStreamingEngine("webcrypto").name); // "webcrypto"
 * closeWorkers();
 * ```
 */
export function getStreamingEngine(name?: EngineName): ChunkEngine {
  const e = getEngine(name);
  return e.name === "openssl" ? opensslStreamingEngine() ?? e : e;
}
