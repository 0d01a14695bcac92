/**
 * Throughput and latency measurements shared by the `envelope` benchmark and experiment:
 * payload encryption/decryption per engine, OpenSSL's own `openssl speed` figures from the same
 * run, and RSA-OAEP wrap/unwrap latency.
 *
 * @example
 * ```ts ignore
 * import { opensslSpeedGcm } from "./_measure.ts";
 * console.log(await opensslSpeedGcm(2 * 1024 * 1024, 1)); // bytes/s, or undefined without openssl
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import type { ChunkEngine } from "./_engine.ts";
import { chunkCount, type ChunkRun, runSizes } from "./_layout.ts";
import { payloadKeys } from "./_header.ts";
import { getEngine, opensslWithThreads } from "./engines.ts";
import type { KeyPair } from "./keys.ts";

/** A payload implementation under test. */
export interface Impl {
  /** Display name. */
  name: string;
  /** The engine. */
  engine: ChunkEngine;
  /** Releases threads. */
  close(): void;
}

/** @returns every implementation available here: OpenSSL on all cores, OpenSSL on one, node, WebCrypto */
export function implementations(): Impl[] {
  const out: Impl[] = [];
  const cores = navigator.hardwareConcurrency ?? 1;
  const multi = opensslWithThreads(cores);
  if (multi) {
    out.push({ name: `openssl-ffi ×${cores} threads`, engine: multi, close: () => multi.close() });
    const one = opensslWithThreads(1)!;
    out.push({ name: "openssl-ffi 1 thread", engine: one, close: () => one.close() });
  }
  out.push({ name: "node:crypto", engine: getEngine("node"), close() {} });
  out.push({ name: "webcrypto", engine: getEngine("webcrypto"), close() {} });
  return out;
}

/** Throughput of one implementation at one size. */
export interface Throughput {
  /** Encryption, bytes/s. */
  encrypt: number;
  /** Decryption (with verification), bytes/s. */
  decrypt: number;
}

async function timeIt(fn: () => Promise<unknown>, budgetMs: number, minReps = 1): Promise<number> {
  await fn(); // warm-up (starts workers, key schedules)
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let reps = 0;
    const t0 = performance.now();
    while (reps < minReps || performance.now() - t0 < budgetMs / 3) {
      await fn();
      reps++;
    }
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best / 1000;
}

/**
 * Payload throughput (the bulk cipher over STREAM chunks of 64 KiB, as `encrypt` runs it: one
 * engine call over the whole buffer, split across threads by the engine).
 *
 * @param impl the implementation
 * @param bytes input size
 * @param budgetMs time to spend per direction
 * @returns bytes/s each way
 */
export async function payloadThroughput(
  impl: Impl,
  bytes: number,
  budgetMs: number,
): Promise<Throughput> {
  const C = 65536;
  const keys = await payloadKeys(1, crypto.getRandomValues(new Uint8Array(32)), new Uint8Array(16));
  const n = chunkCount(bytes, C);
  const run: ChunkRun = { counter: 0, count: n, lastPlain: bytes - (n - 1) * C, final: true };
  const sz = runSizes(1, C, run);
  const pt = new Uint8Array(sz.plain);
  for (let i = 0; i < pt.length; i += 4096) pt[i] = i & 255;
  const ct = new Uint8Array(sz.cipher);
  const back = new Uint8Array(sz.plain);
  const e = await timeIt(() => impl.engine.seal(keys, C, run, pt, ct), budgetMs);
  const d = await timeIt(async () => {
    if ((await impl.engine.open(keys, C, run, ct, back)) >= 0) {
      throw new MedCryptError(
        "round-trip-failed",
        `${impl.name}: its own chunks failed verification`,
      );
    }
  }, budgetMs);
  if (back[4096] !== pt[4096]) {
    throw new MedCryptError(
      "round-trip-failed",
      `${impl.name}: decryption did not give back the plaintext`,
    );
  }
  return { encrypt: bytes / e, decrypt: bytes / d };
}

function openssl(args: string[]): string | undefined {
  try {
    const out = new Deno.Command("openssl", { args, stdout: "piped", stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `openssl speed -evp aes-256-gcm -bytes N -seconds S`, one core.
 *
 * By default `openssl speed` divides by the CPU time its process got (user time), not by wall
 * time; on a loaded machine that figure stays high while every wall-clock measurement drops.
 * `elapsed` adds `-elapsed` (wall clock, how {@linkcode payloadThroughput} measures).
 *
 * @param bytes block size
 * @param seconds duration
 * @param elapsed measure wall-clock time instead of CPU time
 * @param opts `decrypt`: time decryption (`-decrypt`); `multi`: that many processes at once
 *   (`-multi N`, the figure is their sum)
 * @returns bytes/s, or `undefined` when `openssl` is missing or fails
 */
export function opensslSpeedGcm(
  bytes: number,
  seconds: number,
  elapsed = false,
  opts: { decrypt?: boolean; multi?: number } = {},
): number | undefined {
  const text = openssl([
    "speed",
    ...(elapsed ? ["-elapsed"] : []),
    ...(opts.decrypt ? ["-decrypt"] : []),
    ...(opts.multi && opts.multi > 1 ? ["-multi", String(opts.multi)] : []),
    "-evp",
    "aes-256-gcm",
    "-bytes",
    String(bytes),
    "-seconds",
    String(seconds),
  ]);
  const m = text && /AES-256-GCM\s+([\d.]+)k/.exec(text);
  return m ? Number(m[1]) * 1000 : undefined;
}

/**
 * `openssl speed rsa2048`: private-key (sign ≈ OAEP decrypt) and public-key (verify ≈ OAEP
 * encrypt) operation times.
 *
 * @param seconds duration
 * @returns seconds per operation, or `undefined`
 */
export function opensslSpeedRsa2048(
  seconds: number,
): { privateOp: number; publicOp: number } | undefined {
  const text = openssl(["speed", "-seconds", String(seconds), "rsa2048"]);
  const m = text && /rsa 2048 bits\s+([\d.]+)s\s+([\d.]+)s/.exec(text);
  return m ? { privateOp: Number(m[1]), publicOp: Number(m[2]) } : undefined;
}

/**
 * RSA-OAEP-SHA-256 wrap and unwrap latency of a 32-byte file key with WebCrypto.
 *
 * @param pair an RSA key pair
 * @param budgetMs time to spend per direction
 * @returns seconds per wrap and per unwrap
 */
export async function rsaLatency(
  pair: KeyPair,
  budgetMs: number,
): Promise<{ wrap: number; unwrap: number }> {
  const k = crypto.getRandomValues(new Uint8Array(32));
  let wrapped = new Uint8Array(0);
  const wrap = await timeIt(
    async () => {
      wrapped = new Uint8Array(
        await crypto.subtle.encrypt({ name: "RSA-OAEP" }, pair.publicKey.key, k),
      );
    },
    budgetMs,
    5,
  );
  const unwrap = await timeIt(
    () => crypto.subtle.decrypt({ name: "RSA-OAEP" }, pair.privateKey.key, wrapped),
    budgetMs,
    5,
  );
  return { wrap, unwrap };
}
