/**
 * Chunk layout arithmetic shared by every engine and by the reader/writer (SPEC.md §6).
 *
 * @example
 * ```ts
 * import { chunkCipherLen } from "./_layout.ts";
 * console.log(chunkCipherLen(1, 65536)); // 65552
 * ```
 * @module
 */

/** Cipher suite numbers of SPEC.md §3. */
export type SuiteId = 1 | 2;

/** Suite 1: AES-256-GCM. */
export const SUITE_GCM: SuiteId = 1;
/** Suite 2: AES-256-CBC + HMAC-SHA-256. */
export const SUITE_CBC: SuiteId = 2;

/**
 * @param suite the suite
 * @param plainLen plaintext bytes of one chunk
 * @returns the encrypted size of that chunk
 * @example
 * ```ts
 * import { chunkCipherLen } from "./_layout.ts";
 * console.log(chunkCipherLen(2, 10)); // 48
 * ```
 */
export function chunkCipherLen(suite: SuiteId, plainLen: number): number {
  return suite === 1 ? plainLen + 16 : 16 * (Math.floor(plainLen / 16) + 1) + 32;
}

/**
 * @param length stream plaintext length L
 * @param chunkSize C
 * @returns the number of chunks
 * @example
 * ```ts
 * import { chunkCount } from "./_layout.ts";
 * console.log(chunkCount(5, 4)); // 2
 * ```
 */
export function chunkCount(length: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(length / chunkSize));
}

/**
 * @param suite the suite
 * @param length stream plaintext length L
 * @param chunkSize C
 * @returns the payload size in bytes
 * @example
 * ```ts
 * import { payloadLen } from "./_layout.ts";
 * console.log(payloadLen(1, 100, 64)); // 132
 * ```
 */
export function payloadLen(suite: SuiteId, length: number, chunkSize: number): number {
  const n = chunkCount(length, chunkSize);
  const last = length - (n - 1) * chunkSize;
  return (n - 1) * chunkCipherLen(suite, chunkSize) + chunkCipherLen(suite, last);
}

/**
 * Writes the 12-byte STREAM nonce of chunk `counter` into `out`.
 *
 * @param out 12 bytes
 * @param counter chunk index (< 2^53)
 * @param last whether it is the last chunk
 * @returns `out`
 * @example
 * ```ts
 * import { streamNonce } from "./_layout.ts";
 * console.log(streamNonce(new Uint8Array(12), 1, true)); // ..., 1, 1
 * ```
 */
export function streamNonce(out: Uint8Array, counter: number, last: boolean): Uint8Array {
  out.fill(0, 0, 12);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    out[i] = c % 256;
    c = Math.floor(c / 256);
  }
  out[11] = last ? 1 : 0;
  return out;
}

/** Raw payload keys derived from the file key (SPEC.md §6). */
export interface PayloadKeys {
  /** The suite. */
  suite: SuiteId;
  /** Suite 1: the AES-GCM key; suite 2: the AES-CBC key. */
  encKey: Uint8Array;
  /** Suite 2: the HMAC tag key. */
  macKey?: Uint8Array;
  /** Suite 2: the HMAC IV key. */
  ivKey?: Uint8Array;
  /** A process-unique id, so engines can cache key schedules. */
  id: number;
}

/**
 * A run of consecutive chunks: `count` chunks starting at `counter`, all `C` bytes of plaintext
 * but the last of the run, which has `lastPlain` bytes and carries the last-chunk flag when
 * `final` is set.
 */
export interface ChunkRun {
  /** Index of the first chunk of the run. */
  counter: number;
  /** Number of chunks. */
  count: number;
  /** Plaintext bytes of the run's last chunk (1..C). */
  lastPlain: number;
  /** Whether the run ends with the envelope's last chunk. */
  final: boolean;
}

/**
 * @param suite the suite
 * @param chunkSize C
 * @param run the run
 * @returns plaintext and ciphertext sizes of the run
 * @example
 * ```ts
 * import { runSizes } from "./_layout.ts";
 * console.log(runSizes(1, 64, { counter: 0, count: 2, lastPlain: 10, final: true })); // { plain: 74, cipher: 106 }
 * ```
 */
export function runSizes(
  suite: SuiteId,
  chunkSize: number,
  run: ChunkRun,
): { plain: number; cipher: number } {
  return {
    plain: (run.count - 1) * chunkSize + run.lastPlain,
    cipher: (run.count - 1) * chunkCipherLen(suite, chunkSize) +
      chunkCipherLen(suite, run.lastPlain),
  };
}

/**
 * Splits a run into at most `parts` runs of nearly equal chunk counts.
 *
 * @param run the run
 * @param parts how many pieces at most
 * @returns the pieces in order
 * @example
 * ```ts
 * import { splitRun } from "./_layout.ts";
 * console.log(splitRun({ counter: 0, count: 5, lastPlain: 3, final: true }, 64, 2).length); // 2
 * ```
 */
export function splitRun(run: ChunkRun, chunkSize: number, parts: number): ChunkRun[] {
  const k = Math.max(1, Math.min(parts, run.count));
  const out: ChunkRun[] = [];
  let start = 0;
  for (let p = 0; p < k; p++) {
    const size = Math.floor(run.count / k) + (p < run.count % k ? 1 : 0);
    const isLast = p === k - 1;
    out.push({
      counter: run.counter + start,
      count: size,
      lastPlain: isLast ? run.lastPlain : chunkSize,
      final: isLast && run.final,
    });
    start += size;
  }
  return out;
}
