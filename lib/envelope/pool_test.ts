import assert from "node:assert/strict";
import { decrypt, decryptFile, encrypt, encryptFile, inspect } from "./envelope.ts";
import { getEngine, getStreamingEngine, opensslWithThreads } from "./engines.ts";
import type { ChunkEngine } from "./_engine.ts";
import { payloadKeys } from "./_header.ts";
import { chunkCount, type ChunkRun, runSizes, type SuiteId } from "./_layout.ts";
import { aliceKeys, envTest, pattern } from "./_test_util.ts";

const C = 1024;
/** Sizes around chunk boundaries, below and above the parallel threshold (4 chunks). */
const SIZES = [
  1,
  C - 1,
  C,
  C + 1,
  3 * C,
  4 * C - 1,
  4 * C,
  4 * C + 1,
  37 * C - 1,
  37 * C,
  200 * C + 17,
];

function runFor(bytes: number, counter = 0): ChunkRun {
  const n = chunkCount(bytes, C);
  return { counter, count: n, lastPlain: bytes - (n - 1) * C, final: true };
}

envTest(
  "OpenSSL worker pool: ×2 and ×3 threads seal byte-identically to 1 thread, node:crypto and WebCrypto around chunk boundaries",
  async () => {
    const multi = [opensslWithThreads(2), opensslWithThreads(3)];
    const one = opensslWithThreads(1);
    if (!multi[0] || !multi[1] || !one) {
      console.log("skipped: OpenSSL (libcrypto 3 through FFI) is not available here");
      return;
    }
    const engines: ChunkEngine[] = [
      ...multi,
      one,
      getEngine("node"),
      getEngine("webcrypto"),
    ] as ChunkEngine[];
    try {
      for (const suite of [1, 2] as SuiteId[]) {
        const keys = await payloadKeys(suite, pattern(32, 7), pattern(16, 8));
        for (const bytes of SIZES) {
          // a run that starts mid-stream (counter 5) exercises the nonce offsets of each claim
          for (const counter of [0, 5]) {
            const run = runFor(bytes, counter);
            const sz = runSizes(suite, C, run);
            const pt = pattern(sz.plain, bytes + counter);
            const outs: Uint8Array[] = [];
            for (const e of engines) {
              const ct = new Uint8Array(sz.cipher);
              await e.seal(keys, C, run, pt, ct);
              outs.push(ct);
            }
            for (let k = 1; k < outs.length; k++) {
              assert.deepEqual(
                outs[k],
                outs[0],
                `suite ${suite} ${bytes} B counter ${counter} engine ${k}`,
              );
            }
            for (const e of engines) {
              const back = new Uint8Array(sz.plain);
              assert.equal(await e.open(keys, C, run, outs[0], back), -1);
              assert.deepEqual(back, pt, `suite ${suite} ${bytes} B open`);
            }
          }
        }
      }
    } finally {
      for (const e of [...multi, one]) e!.close();
    }
  },
);

envTest(
  "OpenSSL worker pool: the first altered chunk is reported wherever it lands, back to back",
  async () => {
    const two = opensslWithThreads(2);
    if (!two) {
      console.log("skipped: OpenSSL (libcrypto 3 through FFI) is not available here");
      return;
    }
    try {
      for (const suite of [1, 2] as SuiteId[]) {
        const keys = await payloadKeys(suite, pattern(32, 9), pattern(16, 10));
        const run = runFor(64 * C + 5);
        const sz = runSizes(suite, C, run);
        const pt = pattern(sz.plain, 11);
        const ct = new Uint8Array(sz.cipher);
        await two.seal(keys, C, run, pt, ct);
        const stride = runSizes(suite, C, runFor(2 * C)).cipher / 2;
        for (const bad of [[0], [63], [64], [40, 7], [5, 60], [31, 32]]) {
          const t = ct.slice();
          for (const i of bad) t[i * stride + 3] ^= 1;
          const r = await two.open(keys, C, run, t, new Uint8Array(sz.plain));
          assert.equal(r, Math.min(...bad), `suite ${suite} altered ${bad}`);
        }
        // many small back-to-back jobs, then a close and a restart of the pool
        for (let k = 0; k < 200; k++) {
          const back = new Uint8Array(sz.plain);
          assert.equal(await two.open(keys, C, run, ct, back), -1);
          if (k % 50 === 0) assert.deepEqual(back, pt);
          if (k === 100) two.close();
        }
      }
    } finally {
      two.close();
    }
  },
);

envTest(
  "encrypt/decrypt of 5 MB: the default (pooled) engine, 1 thread and WebCrypto agree byte for byte",
  async () => {
    const { publicKey, privateKey } = await aliceKeys();
    const fileKey = pattern(32, 12),
      nonce = pattern(16, 13),
      data = pattern(5 * 1024 * 1024 + 3, 14);
    const one = opensslWithThreads(1);
    try {
      const engines: ChunkEngine[] = [getEngine(), getEngine("webcrypto"), ...(one ? [one] : [])];
      const envs = [];
      for (const engine of engines) {
        const env = await encrypt(data, publicKey, {
          engine,
          fileKey,
          nonce,
          metadata: { kind: "file" },
        });
        envs.push(env.subarray(inspect(env).headerBytes));
        assert.deepEqual((await decrypt(env, privateKey, { engine })).data, data);
      }
      for (const e of envs) assert.deepEqual(e, envs[0]);
    } finally {
      one?.close();
    }
  },
);

envTest(
  "encryptFile/decryptFile over several 4 MiB batches (streaming engine, blocking reads) match in-memory WebCrypto byte for byte",
  async () => {
    const { publicKey, privateKey } = await aliceKeys();
    const fileKey = pattern(32, 15), nonce = pattern(16, 16);
    const dir = await Deno.makeTempDir();
    try {
      for (const size of [9 * 1024 * 1024 + 5, 8 * 1024 * 1024 - 4]) {
        const data = pattern(size, size);
        await Deno.writeFile(`${dir}/in.bin`, data);
        await encryptFile(`${dir}/in.bin`, `${dir}/in.mce`, publicKey, { fileKey, nonce });
        const file = await Deno.readFile(`${dir}/in.mce`);
        const mem = await encrypt(data, publicKey, { fileKey, nonce, engine: "webcrypto" });
        assert.deepEqual(
          file.subarray(inspect(file).headerBytes),
          mem.subarray(inspect(mem).headerBytes),
          `payload of ${size} B`,
        );
        await decryptFile(`${dir}/in.mce`, `${dir}/out.bin`, privateKey);
        assert.deepEqual(await Deno.readFile(`${dir}/out.bin`), data);
        await Deno.remove(`${dir}/out.bin`);
      }
      assert.equal(getStreamingEngine().name, getEngine().name);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
