/**
 * Latency mode, old path (1 thread) vs 2-worker split, interleaved image by image in one run on
 * the shipped model: wall and process CPU time per image (client encrypt + server + decrypt),
 * and whether the two servers' result ciphertexts are byte-identical.
 * `deno run -A lib/he/_compare_latency.ts [images]`.
 *
 * @module
 */
import process from "node:process";
import { HeClient } from "./client.ts";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { preprocess } from "./model.ts";
import { preset } from "./params.ts";
import { loadShippedModel } from "./pipeline.ts";
import { HeServer } from "./server.ts";
import { clientSpec } from "./spec.ts";

const n = Number(Deno.args[0] ?? 20);
const model = await loadShippedModel();
const params = preset("ckks-8192-d5");
const spec = clientSpec(model, params);
const { test } = await loadPneumoniaMNIST();
const px = test.height * test.width;
const inputs = Array.from(
  { length: n },
  (_, i) => preprocess(test.images.subarray(i * px, (i + 1) * px), model.inputNorm),
);
const client = await HeClient.create(params, { compression: "none", seeded: true });
const keys = client.evaluationKeys(spec.rotations);
const servers = [
  await HeServer.create(model, keys, { workers: 1 }),
  await HeServer.create(model, keys, { workers: 2 }),
];
const wall = [[], []] as number[][], cpu = [[], []] as number[][], srv = [[], []] as number[][];
let identical = 0;
try {
  for (let i = -2; i < n; i++) {
    const x = inputs[Math.max(0, i)];
    const got: Uint8Array[] = [];
    const q = client.encryptSingle(spec, [x]); // the same query for both (encryption is random)
    for (const k of i % 2 ? [1, 0] : [0, 1]) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      // encrypt a query of its own (timed), evaluate the shared one (same cost, same bytes)
      client.encryptSingle(spec, [x]);
      const r = await servers[k].evaluate(q);
      client.decrypt(r);
      const w = performance.now() - t, c = process.cpuUsage(c0);
      got[k] = r.ciphertexts[0];
      if (i >= 0) {
        wall[k].push(w);
        cpu[k].push((c.user + c.system) / 1000);
        srv[k].push(r.serverMs);
      }
    }
    if (i >= 0 && got[0].length === got[1].length && got[0].every((b, j) => b === got[1][j])) {
      identical++;
    }
  }
} finally {
  for (const s of servers) s.delete();
  client.delete();
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
for (const [k, name] of ["1 thread", "2 workers"].entries()) {
  console.log(
    `${name.padEnd(10)} wall median ${med(wall[k]).toFixed(1)} mean ${
      mean(wall[k]).toFixed(1)
    } ms` +
      ` | server median ${med(srv[k]).toFixed(1)} ms | CPU mean ${mean(cpu[k]).toFixed(1)} ms`,
  );
}
console.log(
  `result ciphertexts byte-identical: ${identical}/${n}; rotations ${servers[1].rotationsPerImage}`,
);
