/**
 * The three payload engines: OpenSSL's libcrypto through FFI with a worker per extra core sharing
 * large runs through a `SharedArrayBuffer` control block (the fast path), `node:crypto`, and WebCrypto (the portable fallback).
 *
 * @example
 * ```ts
 * import { webcryptoEngine } from "./_engines_impl.ts";
 * console.log(webcryptoEngine().name); // "webcrypto"
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import type { ChunkEngine } from "./_engine.ts";
import {
  chunkCipherLen,
  type ChunkRun,
  type PayloadKeys,
  runSizes,
  streamNonce,
} from "./_layout.ts";
import { type Libcrypto, loadLibcrypto } from "./_openssl.ts";
import { Control, subRun } from "./_pool.ts";

/** Views `u` as backed by an `ArrayBuffer` (WebCrypto's `BufferSource` typing). */
function ab(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u as Uint8Array<ArrayBuffer>;
}

function* chunks(chunkSize: number, run: ChunkRun, suite: 1 | 2) {
  const full = chunkCipherLen(suite, chunkSize);
  for (let j = 0; j < run.count; j++) {
    const last = j === run.count - 1;
    const p = last ? run.lastPlain : chunkSize;
    yield {
      j,
      p,
      c: chunkCipherLen(suite, p),
      plainOff: j * chunkSize,
      cipherOff: j * full,
      nonce: streamNonce(new Uint8Array(12), run.counter + j, last && run.final),
    };
  }
}

// ---------------------------------------------------------------- WebCrypto

interface WebKeys {
  enc: CryptoKey;
  mac?: CryptoKey;
  iv?: CryptoKey;
}
const webKeyCache = new WeakMap<PayloadKeys, Promise<WebKeys>>();

function webKeys(keys: PayloadKeys): Promise<WebKeys> {
  let p = webKeyCache.get(keys);
  if (!p) {
    const s = crypto.subtle;
    const hmac = { name: "HMAC", hash: "SHA-256" };
    p = (async () => ({
      enc: await s.importKey(
        "raw",
        ab(keys.encKey),
        keys.suite === 1 ? "AES-GCM" : "AES-CBC",
        false,
        [
          "encrypt",
          "decrypt",
        ],
      ),
      mac: keys.macKey
        ? await s.importKey("raw", ab(keys.macKey), hmac, false, ["sign", "verify"])
        : undefined,
      iv: keys.ivKey ? await s.importKey("raw", ab(keys.ivKey), hmac, false, ["sign"]) : undefined,
    }))();
    webKeyCache.set(keys, p);
  }
  return p;
}

/**
 * @returns the WebCrypto engine (portable: works wherever `crypto.subtle` does); chunks of a
 *   run are submitted concurrently
 * @example
 * ```ts
 * import { webcryptoEngine } from "./_engines_impl.ts";
 * import { payloadKeys } from "./_header.ts";
 * const keys = await payloadKeys(1, new Uint8Array(32), new Uint8Array(16));
 * const run = { counter: 0, count: 1, lastPlain: 5, final: true }; // one 5-byte chunk
 * const sealed = new Uint8Array(5 + 16), opened = new Uint8Array(5);
 * const e = webcryptoEngine();
 * await e.seal(keys, 64, run, new TextEncoder().encode("hello"), sealed);
 * const failed = await e.open(keys, 64, run, sealed, opened);
 * console.log(e.name, failed, new TextDecoder().decode(opened)); // webcrypto -1 hello
 * ```
 */
export function webcryptoEngine(): ChunkEngine {
  const s = crypto.subtle;
  return {
    name: "webcrypto",
    async seal(keys, chunkSize, run, src, dst) {
      const k = await webKeys(keys);
      await Promise.all(
        [...chunks(chunkSize, run, keys.suite)].map(async (c) => {
          const pt = src.subarray(c.plainOff, c.plainOff + c.p);
          if (keys.suite === 1) {
            const ct = await s.encrypt({ name: "AES-GCM", iv: ab(c.nonce) }, k.enc, ab(pt));
            dst.set(new Uint8Array(ct), c.cipherOff);
          } else {
            const iv = new Uint8Array(await s.sign("HMAC", k.iv!, ab(c.nonce)), 0, 16);
            const ct = new Uint8Array(await s.encrypt({ name: "AES-CBC", iv }, k.enc, ab(pt)));
            const macIn = new Uint8Array(12 + ct.length);
            macIn.set(c.nonce);
            macIn.set(ct, 12);
            dst.set(ct, c.cipherOff);
            dst.set(new Uint8Array(await s.sign("HMAC", k.mac!, macIn)), c.cipherOff + ct.length);
          }
        }),
      );
    },
    async open(keys, chunkSize, run, src, dst) {
      const k = await webKeys(keys);
      const results = await Promise.all(
        [...chunks(chunkSize, run, keys.suite)].map(async (c) => {
          const ct = src.subarray(c.cipherOff, c.cipherOff + c.c);
          try {
            let pt: ArrayBuffer;
            if (keys.suite === 1) {
              pt = await s.decrypt({ name: "AES-GCM", iv: ab(c.nonce) }, k.enc, ab(ct));
            } else {
              const body = ct.subarray(0, c.c - 32);
              const macIn = new Uint8Array(12 + body.length);
              macIn.set(c.nonce);
              macIn.set(body, 12);
              if (!(await s.verify("HMAC", k.mac!, ab(ct.subarray(c.c - 32)), macIn))) return c.j;
              const iv = new Uint8Array(await s.sign("HMAC", k.iv!, ab(c.nonce)), 0, 16);
              pt = await s.decrypt({ name: "AES-CBC", iv }, k.enc, ab(body));
            }
            if (pt.byteLength !== c.p) return c.j;
            dst.set(new Uint8Array(pt), c.plainOff);
            return -1;
          } catch {
            return c.j;
          }
        }),
      );
      return results.find((r) => r >= 0) ?? -1;
    },
  };
}

// ---------------------------------------------------------------- node:crypto

/**
 * @returns the `node:crypto` engine (Deno's built-in implementation of Node's API)
 * @example
 * ```ts
 * import { nodeEngine, webcryptoEngine } from "./_engines_impl.ts";
 * import { payloadKeys } from "./_header.ts";
 * const keys = await payloadKeys(1, new Uint8Array(32), new Uint8Array(16));
 * const run = { counter: 0, count: 1, lastPlain: 5, final: true };
 * const sealed = new Uint8Array(5 + 16), opened = new Uint8Array(5);
 * await nodeEngine().seal(keys, 64, run, new TextEncoder().encode("hello"), sealed);
 * // WebCrypto opens what node:crypto sealed: the engines write identical bytes
 * const failed = await webcryptoEngine().open(keys, 64, run, sealed, opened);
 * console.log(nodeEngine().name, failed, new TextDecoder().decode(opened)); // node -1 hello
 * ```
 */
export function nodeEngine(): ChunkEngine {
  return {
    name: "node",
    seal(keys, chunkSize, run, src, dst) {
      for (const c of chunks(chunkSize, run, keys.suite)) {
        const pt = src.subarray(c.plainOff, c.plainOff + c.p);
        if (keys.suite === 1) {
          const ci = createCipheriv("aes-256-gcm", keys.encKey, c.nonce);
          dst.set(ci.update(pt), c.cipherOff);
          ci.final();
          dst.set(ci.getAuthTag(), c.cipherOff + c.p);
        } else {
          const iv = createHmac("sha256", keys.ivKey!).update(c.nonce).digest().subarray(0, 16);
          const ci = createCipheriv("aes-256-cbc", keys.encKey, iv);
          const a = ci.update(pt), b = ci.final();
          dst.set(a, c.cipherOff);
          dst.set(b, c.cipherOff + a.length);
          const body = dst.subarray(c.cipherOff, c.cipherOff + a.length + b.length);
          const tag = createHmac("sha256", keys.macKey!).update(c.nonce).update(body).digest();
          dst.set(tag, c.cipherOff + body.length);
        }
      }
      return Promise.resolve();
    },
    open(keys, chunkSize, run, src, dst) {
      for (const c of chunks(chunkSize, run, keys.suite)) {
        const ct = src.subarray(c.cipherOff, c.cipherOff + c.c);
        try {
          if (keys.suite === 1) {
            const d = createDecipheriv("aes-256-gcm", keys.encKey, c.nonce);
            d.setAuthTag(ct.subarray(c.p));
            const a = d.update(ct.subarray(0, c.p));
            d.final();
            dst.set(a, c.plainOff);
          } else {
            const body = ct.subarray(0, c.c - 32);
            const tag = createHmac("sha256", keys.macKey!).update(c.nonce).update(body).digest();
            if (!timingSafeEqual(tag, ct.subarray(c.c - 32))) return Promise.resolve(c.j);
            const iv = createHmac("sha256", keys.ivKey!).update(c.nonce).digest().subarray(0, 16);
            const d = createDecipheriv("aes-256-cbc", keys.encKey, iv);
            const a = d.update(body), b = d.final();
            if (a.length + b.length !== c.p) return Promise.resolve(c.j);
            dst.set(a, c.plainOff);
            dst.set(b, c.plainOff + a.length);
          }
        } catch {
          return Promise.resolve(c.j);
        }
      }
      return Promise.resolve(-1);
    },
  };
}

// ---------------------------------------------------------------- OpenSSL + workers

/** Runs below this many chunks stay on the calling thread (waking a worker costs ~30 µs). */
const MIN_PARALLEL_CHUNKS = 4;

/** Workers stop after this long without a job (they restart on the next large job). */
const IDLE_MS = 1000;

/**
 * @param count chunks in the run
 * @param threads threads sharing it
 * @returns chunks per claim: ~8 claims per thread, 1..8 chunks (≤ 512 KiB at C = 64 KiB)
 */
function grainOf(count: number, threads: number): number {
  return Math.max(1, Math.min(8, Math.floor(count / (threads * 8))));
}

class OpensslEngine implements ChunkEngine {
  readonly name = "openssl" as const;
  #lib: Libcrypto;
  #threads: number;
  #workers: Worker[] = [];
  #ctl: Control | undefined;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #lastUse = 0;
  #workerChunksBefore = 0;

  constructor(lib: Libcrypto, threads: number) {
    this.#lib = lib;
    this.#threads = threads;
  }

  get threads(): number {
    return this.#threads;
  }

  /** Chunks processed by worker threads so far (the rest ran on the calling thread). */
  get workerChunks(): number {
    return this.#workerChunksBefore + (this.#ctl?.workerChunks() ?? 0);
  }

  #ensureWorkers(): Control {
    if (!this.#ctl) {
      const ctl = new Control();
      for (let k = 1; k < this.#threads; k++) {
        const w = new Worker(new URL("./_openssl_worker.ts", import.meta.url), {
          type: "module",
        });
        // a worker that fails only stops helping; its claimed chunks are reported by the control
        // block's error flag
        w.onmessage = () => {};
        w.onerror = (e) => e.preventDefault();
        w.postMessage({ sab: ctl.sab });
        this.#workers.push(w);
      }
      this.#ctl = ctl;
    }
    return this.#ctl;
  }

  /** Arms the idle timer once; it re-arms itself while jobs keep coming (no timer per job). */
  #scheduleIdle(): void {
    this.#lastUse = performance.now();
    if (this.#idle !== undefined) return;
    const check = () => {
      const left = this.#lastUse + IDLE_MS - performance.now();
      if (left <= 0) this.close();
      else this.#idle = setTimeout(check, left + 1);
    };
    this.#idle = setTimeout(check, IDLE_MS);
  }

  /** Stops the workers now (they restart on the next large job). */
  close(): void {
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = undefined;
    if (this.#ctl) {
      this.#workerChunksBefore += this.#ctl.workerChunks();
      this.#ctl.quit();
    }
    this.#ctl = undefined;
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }

  #run(
    op: "seal" | "open",
    keys: PayloadKeys,
    chunkSize: number,
    run: ChunkRun,
    src: Uint8Array,
    dst: Uint8Array,
  ): number {
    const sizes = runSizes(keys.suite, chunkSize, run);
    const [inSize, outSize] = op === "seal"
      ? [sizes.plain, sizes.cipher]
      : [sizes.cipher, sizes.plain];
    if (src.length < inSize || dst.length < outSize) {
      throw new MedCryptError("internal", "engine: the buffers are smaller than the chunk run");
    }
    const srcPtr = Deno.UnsafePointer.of(src), dstPtr = Deno.UnsafePointer.of(dst);
    if (run.count < MIN_PARALLEL_CHUNKS || this.#threads <= 1) {
      return op === "seal"
        ? (this.#lib.seal(keys, chunkSize, run, srcPtr, dstPtr), -1)
        : this.#lib.open(keys, chunkSize, run, srcPtr, dstPtr);
    }
    // Work sharing: this thread and the pool's workers claim groups of chunks until none is
    // left; the caller blocks until every worker that joined has left, so `src` and `dst` stay
    // alive and untouched by JS while other threads use their memory.
    const ctl = this.#ensureWorkers();
    const full = chunkCipherLen(keys.suite, chunkSize);
    const [inStride, outStride] = op === "seal" ? [chunkSize, full] : [full, chunkSize];
    ctl.open({
      op: op === "seal" ? 0 : 1,
      keys,
      chunkSize,
      run,
      src: Number(Deno.UnsafePointer.value(srcPtr)),
      dst: Number(Deno.UnsafePointer.value(dstPtr)),
      grain: grainOf(run.count, this.#threads),
    });
    try {
      for (let c = ctl.claim(); c; c = ctl.claim()) {
        const part = subRun(run, chunkSize, c.first, c.count);
        const s = Deno.UnsafePointer.offset(srcPtr!, c.first * inStride);
        const d = Deno.UnsafePointer.offset(dstPtr!, c.first * outStride);
        if (op === "seal") this.#lib.seal(keys, chunkSize, part, s, d);
        else {
          const r = this.#lib.open(keys, chunkSize, part, s, d);
          if (r >= 0) ctl.fail(c.first + r);
        }
      }
    } finally {
      ctl.close();
      this.#scheduleIdle();
    }
    if (ctl.errored()) {
      throw new MedCryptError("backend-failed", "an OpenSSL worker failed during the job");
    }
    return ctl.failed();
  }

  seal(k: PayloadKeys, c: number, r: ChunkRun, s: Uint8Array, d: Uint8Array): Promise<void> {
    try {
      this.#run("seal", k, c, r, s, d);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  open(k: PayloadKeys, c: number, r: ChunkRun, s: Uint8Array, d: Uint8Array): Promise<number> {
    try {
      return Promise.resolve(this.#run("open", k, c, r, s, d));
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/** The OpenSSL engine as returned to callers. */
export type OpensslHandle = ChunkEngine & { close(): void; readonly workerChunks: number };

let opensslSingleton: OpensslEngine | null | undefined;
let streamingSingleton: OpensslEngine | null | undefined;

function defaultThreads(streaming = false): number {
  let env: string | undefined;
  try {
    env = Deno.env.get("MEDCRYPT_THREADS");
  } catch { /* no env permission */ }
  const cores = navigator.hardwareConcurrency ?? 1;
  const n = env ? Number(env) : streaming ? cores - 1 : cores;
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 16) : 1;
}

/**
 * The OpenSSL engine used when streaming files: one thread fewer than cores (unless
 * `MEDCRYPT_THREADS` is set), because Deno's file reads and writes run on another thread at the
 * same time; on 2 cores a second crypto thread competes with the I/O thread and decryptFile got
 * slower with it.
 *
 * @returns the engine, or `null` when libcrypto cannot be loaded
 * @example
 * ```ts
 * import { closeWorkers, opensslStreamingEngine } from "./_engines_impl.ts";
 * const e = opensslStreamingEngine(); // null without --allow-ffi or libcrypto 3
 * console.log(e?.name ?? "unavailable"); // openssl
 * closeWorkers();
 * ```
 */
export function opensslStreamingEngine(): OpensslHandle | null {
  if (streamingSingleton === undefined) {
    const lib = loadLibcrypto();
    streamingSingleton = lib ? new OpensslEngine(lib, defaultThreads(true)) : null;
  }
  return streamingSingleton;
}

/**
 * @param threads how many threads share large runs (default: `MEDCRYPT_THREADS` or every core)
 * @returns the OpenSSL engine, or `null` when libcrypto cannot be loaded (no FFI permission, no
 *   OpenSSL 3)
 * @example
 * ```ts
 * import { nodeEngine, opensslEngine } from "./_engines_impl.ts";
 * import { payloadKeys } from "./_header.ts";
 * const ossl = opensslEngine(1); // null without --allow-ffi or libcrypto 3
 * const e = ossl ?? nodeEngine();
 * const keys = await payloadKeys(1, new Uint8Array(32), new Uint8Array(16));
 * const run = { counter: 0, count: 1, lastPlain: 5, final: true };
 * const sealed = new Uint8Array(5 + 16), opened = new Uint8Array(5);
 * await e.seal(keys, 64, run, new TextEncoder().encode("hello"), sealed);
 * console.log(e.name); // openssl (node where OpenSSL is unavailable)
 * const failed = await nodeEngine().open(keys, 64, run, sealed, opened); // node:crypto opens it
 * console.log(failed, new TextDecoder().decode(opened)); // -1 hello
 * ossl?.close();
 * ```
 */
export function opensslEngine(threads?: number): OpensslHandle | null {
  if (threads !== undefined) {
    const lib = loadLibcrypto();
    return lib ? new OpensslEngine(lib, threads) : null;
  }
  if (opensslSingleton === undefined) {
    const lib = loadLibcrypto();
    opensslSingleton = lib ? new OpensslEngine(lib, defaultThreads()) : null;
  }
  return opensslSingleton;
}

/**
 * Terminates the OpenSSL engine's worker threads now (they also stop by themselves after
 * 1 s idle). Tests call this so no timer or worker outlives them.
 *
 * @example
 * ```ts
 * import { closeWorkers, opensslEngine } from "./_engines_impl.ts";
 * const e = opensslEngine();
 * closeWorkers(); // the pool stops now; the next large job starts it again
 * console.log(e?.workerChunks ?? 0); // 0 (no chunk has run on a worker thread yet)
 * ```
 */
export function closeWorkers(): void {
  opensslSingleton?.close();
  streamingSingleton?.close();
}
