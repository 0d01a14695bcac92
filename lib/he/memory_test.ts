import assert from "node:assert/strict";
import { clientSpec, HeClient, HeServer, PRESETS, sealHeapBytes, tinyModel } from "./mod.ts";
import { loadSeal } from "./seal.ts";
import { makeContext } from "./params.ts";

// 1,000 encrypted inferences with the small preset and the tiny model, client → server → client
// each time: 100 batch-mode queries of 10 images (1,000 images classified) plus 50 latency-mode
// queries of one image (1,050 in all). The full CNN's 1,000-inference latency-mode run (with its RSS/heap curve)
// is in `deno task reproduce --only he --full`.
Deno.test("he: memory stays flat over 1,000 encrypted inferences (RSS growth < 10%, WASM heap constant)", async () => {
  const params = PRESETS["ckks-4096-d3"];
  const model = tinyModel(2);
  const spec = clientSpec(model, params);
  const client = await HeClient.create(params, { compression: "none" });
  const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
  const xs = Array.from({ length: 10 }, (_, k) => new Float64Array(16).map((_, i) => (i + k) / 26));
  const batch = async () => client.decrypt(await server.evaluate(client.encryptBatch(spec, xs)));
  const single = async () =>
    client.decrypt(await server.evaluate(client.encryptSingle(spec, [xs[0]])));
  try {
    for (let i = 0; i < 10; i++) await batch(); // warm-up: pools and caches reach their size
    for (let i = 0; i < 20; i++) await single();
    const rss0 = Deno.memoryUsage().rss, heap0 = sealHeapBytes();
    let images = 0;
    for (let i = 0; i < 100; i++) images += (await batch()).length / 2;
    for (let i = 0; i < 50; i++) images += (await single()).length / 2;
    const rss1 = Deno.memoryUsage().rss, heap1 = sealHeapBytes();
    assert.equal(images, 1050);
    assert.ok(rss1 < rss0 * 1.1, `RSS grew from ${rss0} to ${rss1} bytes`);
    assert.equal(heap1, heap0, `WASM heap grew from ${heap0} to ${heap1} bytes`);
  } finally {
    server.delete();
    client.delete();
  }
});

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
