/**
 * Times every SEAL op class at the default preset (N=8192): encode, encrypt, load, multiply_plain,
 * square+relin, rescale, rotate, add. `deno run -A tasks/tools/profile_he_ops.ts [preset]`.
 *
 * @module
 */
import { loadSeal } from "../../lib/he/seal.ts";
import { makeContext, preset } from "../../lib/he/params.ts";

const seal = await loadSeal();
const he = makeContext(seal, preset(Deno.args[0] ?? "ckks-8192-d5"));
const kg = new seal.KeyGenerator(he.context);
const sk = kg.secretKey();
const rk = kg.createRelinKeys();
const gk = kg.createGaloisKeys();
const enc = new seal.Encryptor(he.context, kg.createPublicKey(), sk);
const encoder = new seal.CKKSEncoder(he.context);
const ev = new seal.Evaluator(he.context);
const v = new Float64Array(he.slots).map((_, i) => (i % 7) / 7);
const pt = new seal.Plaintext(), pt2 = new seal.Plaintext();
const a = new seal.Ciphertext(), b = new seal.Ciphertext(), c = new seal.Ciphertext();
const scale = 2 ** he.params.logScale;
function time(name: string, f: () => void, reps = 30) {
  f();
  const t = performance.now();
  for (let i = 0; i < reps; i++) f();
  console.log(`${name.padEnd(34)} ${((performance.now() - t) / reps).toFixed(3)} ms`);
}
time("encode (vector)", () => encoder.encode(v, scale, pt));
encoder.encode(v, scale, pt);
time("encryptSymmetric", () => enc.encryptSymmetric(pt, a));
enc.encryptSymmetric(pt, a);
enc.encryptSymmetric(pt, b);
const bytes = a.saveToArray(seal.ComprModeType.none) as Uint8Array;
time("ciphertext save (none)", () => a.saveToArray(seal.ComprModeType.none));
time("ciphertext load (none)", () => c.loadFromArray(he.context, bytes));
const zb = a.saveToArray(seal.ComprModeType.zstd) as Uint8Array;
time("ciphertext save (zstd)", () => a.saveToArray(seal.ComprModeType.zstd), 5);
time("ciphertext load (zstd)", () => c.loadFromArray(he.context, zb), 5);
const ptb = pt.saveToArray(seal.ComprModeType.none) as Uint8Array;
time("plaintext load (none)", () => pt2.loadFromArray(he.context, ptb));
time("multiply_plain (top level)", () => ev.multiplyPlain(a, pt, c));
time("add (top level)", () => ev.add(a, b, c));
time("addInplace (top level)", () => ev.addInplace(c, b));
time("square (top level)", () => ev.square(a, c));
ev.square(a, c);
time("relinearize (top level)", () => {
  ev.square(a, c);
  ev.relinearizeInplace(c, rk);
});
time("rotate 1 (top level)", () => ev.rotateVector(a, 1, gk, c));
ev.multiplyPlain(a, pt, c);
time("rescale (top level)", () => ev.rescaleToNext(c, b));
ev.rescaleToNext(c, b);
time("rotate 1 (level 1)", () => ev.rotateVector(b, 1, gk, c));
time("decrypt+decode", () => {
  const d = new seal.Decryptor(he.context, sk);
  d.decrypt(a, pt2);
  encoder.decodeFloat64(pt2);
  d.delete();
});
