/**
 * A worker of the OpenSSL engine's pool: runs chunk runs at raw addresses in the shared process
 * memory with its own libcrypto contexts.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { loadLibcrypto } from "./_openssl.ts";
import type { ChunkRun, PayloadKeys } from "./_layout.ts";

/** A request from the pool. */
interface Job {
  id: number;
  op: "seal" | "open";
  keys: PayloadKeys;
  chunkSize: number;
  run: ChunkRun;
  src: number | bigint;
  dst: number | bigint;
}

self.onmessage = (e: MessageEvent<Job>) => {
  const j = e.data;
  try {
    const lib = loadLibcrypto();
    if (!lib) throw new Error("libcrypto is not available in the worker");
    const src = Deno.UnsafePointer.create(BigInt(j.src)),
      dst = Deno.UnsafePointer.create(BigInt(j.dst));
    let result = -1;
    if (j.op === "seal") lib.seal(j.keys, j.chunkSize, j.run, src, dst);
    else result = lib.open(j.keys, j.chunkSize, j.run, src, dst);
    self.postMessage({ id: j.id, result });
  } catch (err) {
    self.postMessage({ id: j.id, error: (err as Error).message });
  }
};
