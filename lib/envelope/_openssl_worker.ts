/**
 * A worker of the OpenSSL engine's pool. It receives the pool's control block once, then sleeps
 * on it (`Atomics.wait`) and, for every job, claims groups of chunks at raw addresses in the
 * shared process memory and runs them with its own libcrypto contexts (see `_pool.ts`). No
 * message is exchanged per job.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { loadLibcrypto } from "./_openssl.ts";
import { chunkCipherLen } from "./_layout.ts";
import { CLOSED, Control, subRun } from "./_pool.ts";

/** Spins this many polls for the next job before sleeping (back-to-back calls skip the wake-up). */
const SPIN = 20_000;

self.onmessage = (e: MessageEvent<{ sab: SharedArrayBuffer }>) => {
  const lib = loadLibcrypto();
  if (!lib) {
    // the caller then does every chunk itself
    self.postMessage({ error: "libcrypto is not available in the worker" });
    return;
  }
  const ctl = new Control(e.data.sab);
  let lastSeq = -1;
  let spin = 0;
  for (;;) {
    const st = ctl.state();
    if (ctl.quitting()) break;
    if ((st & CLOSED) !== 0 || st >>> 8 === lastSeq) {
      if (spin++ < SPIN) continue;
      Atomics.wait(ctl.i32, 0, st, 1000);
      continue;
    }
    if (!ctl.join(st)) continue;
    lastSeq = st >>> 8;
    spin = 0;
    try {
      const j = ctl.job();
      const src = Deno.UnsafePointer.create(BigInt(j.src));
      const dst = Deno.UnsafePointer.create(BigInt(j.dst));
      const [inStride, outStride] = j.op === 0
        ? [j.chunkSize, chunkCipherLen(j.keys.suite, j.chunkSize)]
        : [chunkCipherLen(j.keys.suite, j.chunkSize), j.chunkSize];
      for (let c = ctl.claim(); c; c = ctl.claim()) {
        const part = subRun(j.run, j.chunkSize, c.first, c.count);
        const s = Deno.UnsafePointer.offset(src!, c.first * inStride);
        const d = Deno.UnsafePointer.offset(dst!, c.first * outStride);
        if (j.op === 0) lib.seal(j.keys, j.chunkSize, part, s, d);
        else {
          const r = lib.open(j.keys, j.chunkSize, part, s, d);
          if (r >= 0) ctl.fail(c.first + r);
        }
        ctl.worked(c.count);
      }
    } catch (err) {
      ctl.error(); // the caller throws: chunks this worker claimed may be unprocessed
      self.postMessage({ error: (err as Error).message });
    } finally {
      ctl.leave();
    }
  }
  self.close();
};
