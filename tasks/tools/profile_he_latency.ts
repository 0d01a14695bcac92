/**
 * Profiles the latency mode of the shipped model op by op: wraps the server evaluator's SEAL calls
 * and reports time per (op, ciphertext primes), plus client encrypt / decrypt per image.
 * `deno run -A tasks/tools/profile_he_latency.ts [images] [MODEL.json PRESET]` (default: the shipped
 * model with ckks-8192-d5).
 *
 * @module
 */
import { Engine, LatencyEvaluator } from "../../lib/he/_engine.ts";
import { HeClient } from "../../lib/he/client.ts";
import { makeContext, preset } from "../../lib/he/params.ts";
import { compile, latencyPlan } from "../../lib/he/plan.ts";
import { loadShippedModel } from "../../lib/he/pipeline.ts";
import { loadHeModel } from "../../lib/he/model.ts";
import { loadServerKeys } from "../../lib/he/server.ts";
import { loadSeal } from "../../lib/he/seal.ts";
import { clientSpec } from "../../lib/he/spec.ts";

const n = Number(Deno.args[0] ?? 10);
const model = Deno.args[1] ? await loadHeModel(Deno.args[1]) : await loadShippedModel();
const params = preset(Deno.args[2] ?? "ckks-8192-d5");
const spec = clientSpec(model, params);
const client = await HeClient.create(params, { compression: "none", seeded: true });
const keys = client.evaluationKeys(spec.rotations);
const seal = await loadSeal();
const he = makeContext(seal, params);
const { relin, galois } = loadServerKeys(seal, he, keys);
const e = new Engine(seal, he, relin, galois);
const lat = new LatencyEvaluator(e, latencyPlan(compile(model), he.slots));
const stats = new Map<string, { n: number; ms: number }>();
const ev = e.ev as unknown as Record<string, (...a: unknown[]) => unknown>;
for (
  const name of [
    "multiplyPlain",
    "multiplyPlainInplace",
    "rotateVector",
    "addInplace",
    "addPlainInplace",
    "rescaleToNextInplace",
    "rescaleToNext",
    "square",
    "relinearizeInplace",
  ]
) {
  const f = ev[name].bind(ev);
  ev[name] = (...a: unknown[]) => {
    const primes = (a[0] as { coeffModulusSize(): number }).coeffModulusSize();
    const t = performance.now();
    const r = f(...a);
    const k = `${name} @${primes}`;
    const s = stats.get(k) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += performance.now() - t;
    stats.set(k, s);
    return r;
  };
}
const x = new Float64Array(784).map((_, i) => (i % 13) / 13);
let enc = 0, srv = 0, dec = 0;
const ins = Array.from({ length: spec.packing.count }, () => new seal.Ciphertext());
for (let i = 0; i <= n; i++) {
  if (i === 1) stats.clear(), enc = srv = dec = 0;
  let t = performance.now();
  const q = client.encryptSingle(spec, [x]);
  enc += performance.now() - t;
  t = performance.now();
  q.ciphertexts.forEach((b, j) => e.loadQueryCiphertext(b, j, ins[j]));
  const r = lat.evaluate(ins);
  const bytes = r.saveToArray(seal.ComprModeType.none) as Uint8Array;
  r.delete();
  srv += performance.now() - t;
  t = performance.now();
  client.decrypt({
    kind: "he-result",
    mode: "single",
    contextId: keys.contextId,
    keyId: keys.keyId,
    count: 1,
    classes: spec.classes,
    ciphertexts: [bytes],
    serverMs: 0,
  });
  dec += performance.now() - t;
}
console.log(
  `encrypt ${(enc / n).toFixed(1)} server ${(srv / n).toFixed(1)} decrypt ${
    (dec / n).toFixed(1)
  } ms/image`,
);
let tot = 0;
for (const [k, s] of [...stats].sort()) {
  tot += s.ms;
  console.log(
    `${k.padEnd(28)} ${(s.n / n).toFixed(0).padStart(3)}× ${
      (s.ms / n).toFixed(2).padStart(7)
    } ms/image`,
  );
}
console.log(`sum of SEAL evaluator ops ${(tot / n).toFixed(1)} ms/image`);
