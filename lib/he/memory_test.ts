import assert from "node:assert/strict";
import { PRESETS, sealHeapBytes } from "./mod.ts";
import { loadSeal } from "./seal.ts";
import { makeContext } from "./params.ts";

// 1,000 encrypted inferences (see `_memory_probe.ts`, which also explains why it warms up first:
// the first ~250 calls raise RSS once, a warm-up step, not a leak); the full CNN's 1,000-inference
// latency-mode run (with its RSS/heap curve) is in `deno task reproduce --only he --full`.
Deno.test(
  "he: memory stays flat over 1,000 encrypted inferences (RSS growth < 10%, WASM heap constant)",
  async () => {
    // RSS is per process and `deno test --parallel` runs other tests in this one, so the
    // measurement runs in a process of its own.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL("./_memory_probe.ts", import.meta.url).pathname,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.equal(out.code, 0, dec.decode(out.stderr));
    const m = JSON.parse(dec.decode(out.stdout)) as {
      images: number;
      rss0: number;
      rss1: number;
      heap0: number;
      heap1: number;
    };
    assert.equal(m.images, 1050);
    assert.ok(m.rss1 < m.rss0 * 1.1, `RSS grew from ${m.rss0} to ${m.rss1} bytes`);
    assert.equal(m.heap1, m.heap0, `WASM heap grew from ${m.heap0} to ${m.heap1} bytes`);
  },
);

Deno.test("he: the measurement can fail: undeleted ciphertexts do grow the WASM heap", async () => {
  const seal = await loadSeal();
  const he = makeContext(seal, PRESETS["ckks-8192-d3"]);
  const kept: { delete(): void }[] = [];
  try {
    const heap0 = sealHeapBytes();
    for (let i = 0; i < 400; i++) kept.push(new seal.Ciphertext(he.context)); // 4 primes × N × 2
    assert.ok(sealHeapBytes() > heap0, "400 live ciphertexts must grow the heap");
  } finally {
    for (const c of kept) c.delete();
    he.delete();
  }
});
