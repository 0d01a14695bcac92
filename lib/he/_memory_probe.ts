/**
 * Measures memory over 1,000 encrypted inferences in a process of its own and prints
 * `{images, rss0, rss1, heap0, heap1}` as JSON (used by `memory_test.ts`): the small preset and
 * the tiny model, client → server → client each time, 100 batch-mode queries of 10 images plus
 * 50 latency-mode queries of one image (1,050 in all), after a warm-up of 60 batch and 20
 * latency-mode queries.
 *
 * Why the warm-up is this long: there is no per-inference leak outside the SEAL heap, but RSS
 * rises once, during roughly the first 250 calls of each step (encrypt, evaluate, decrypt probed
 * alone, 1,000 calls each, full GC before every reading), while V8's used heap and external
 * memory stay constant. That step is warm-up — JIT tiers and glibc malloc raising its dynamic
 * mmap threshold after the first large freed buffers (serialized ciphertexts are 100–400 KiB),
 * after which such buffers come from the brk heap and its high-water mark stays mapped; with
 * `MALLOC_MMAP_THRESHOLD_=65536` the step disappears. A warm-up of 10 queries would still include
 * the step (16–27 % RSS growth); after 60 the probe measures only the growth per inference from
 * there on (< 1 %).
 *
 * @module
 */
import { clientSpec, HeClient, HeServer, PRESETS, sealHeapBytes, tinyModel } from "./mod.ts";

const params = PRESETS["ckks-4096-d3"];
const model = tinyModel(2);
const spec = clientSpec(model, params);
const client = await HeClient.create(params, { compression: "none" });
const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
const xs = Array.from({ length: 10 }, (_, k) => new Float64Array(16).map((_, i) => (i + k) / 26));
const batch = async () => client.decrypt(await server.evaluate(client.encryptBatch(spec, xs)));
const single = async () =>
  client.decrypt(await server.evaluate(client.encryptSingle(spec, [xs[0]])));
/** Full GC before a reading (run with --expose-gc), so RSS counts what is retained, not garbage. */
function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) { for (let i = 0; i < 3; i++) gc(); }
}

try {
  for (let i = 0; i < 60; i++) await batch(); // warm-up: JIT, pools, caches and malloc settle
  for (let i = 0; i < 20; i++) await single();
  collect();
  const rss0 = Deno.memoryUsage().rss, heap0 = sealHeapBytes();
  let images = 0;
  for (let i = 0; i < 100; i++) images += (await batch()).length / 2;
  for (let i = 0; i < 50; i++) images += (await single()).length / 2;
  collect();
  const rss1 = Deno.memoryUsage().rss, heap1 = sealHeapBytes();
  console.log(JSON.stringify({ images, rss0, rss1, heap0, heap1 }));
} finally {
  server.delete();
  client.delete();
}
