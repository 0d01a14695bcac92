import assert from "node:assert/strict";
import { MedCryptError } from "../../core/errors.ts";
import { Rng } from "../../core/random.ts";
import { medImage } from "../../image/types.ts";
import {
  bifurcationData,
  chaosDecrypt,
  chaosEncrypt,
  ChaosKey,
  deriveChaosKey,
  imageHash,
  logisticOrbit,
  lyapunovExponent,
  orbitSeparation,
} from "./mod.ts";

Deno.test("Lyapunov exponent: negative in the periodic regime, ≈ ln 2 at r = 4", () => {
  assert.ok(lyapunovExponent(2.9) < -0.1);
  assert.ok(lyapunovExponent(3.5) < 0); // period-4 window
  assert.ok(lyapunovExponent(3.83) < 0); // the period-3 window
  assert.ok(Math.abs(lyapunovExponent(4) - Math.log(2)) < 0.02);
});

Deno.test("logistic orbit converges to the fixed point 1 − 1/r for r < 3", () => {
  const o = logisticOrbit(0.3, 2.8, 3);
  for (const v of o) assert.ok(Math.abs(v - (1 - 1 / 2.8)) < 1e-9);
  assert.throws(() => logisticOrbit(0, 3.9, 1), MedCryptError);
  assert.throws(() => logisticOrbit(0.5, 4.1, 1), MedCryptError);
});

Deno.test("bifurcation data: one point at r = 2.5, two below 3.45, spread at 4", () => {
  const d = bifurcationData(2.5, 4, 4, 64);
  const at = (i: number) =>
    new Set(Array.from(d.x.slice(i * 64, (i + 1) * 64), (v) => v.toFixed(6)));
  assert.equal(at(0).size, 1);
  assert.ok(at(3).size > 50);
});

Deno.test("orbits 1e-15 apart separate within 60 iterations", () => {
  const sep = orbitSeparation(0.4, 1e-15, 3.995, 100);
  assert.ok(sep.slice(60).some((v) => v > 0.05));
});

Deno.test("key streams: deterministic, label-separated, uniform bytes (χ² at α = 0.001)", async () => {
  const k = new ChaosKey(new Uint8Array(32).fill(3));
  const a = (await k.stream("x")).words(64), b = (await k.stream("x")).words(64);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, (await k.stream("y")).words(64));
  const n = 256 * 200, counts = new Float64Array(256);
  for (const v of (await k.stream("u")).integers(n, 8)) counts[v]++;
  let chi = 0;
  for (const c of counts) chi += (c - 200) ** 2 / 200;
  assert.ok(chi < 330.5, `χ² = ${chi}`); // critical value for 255 dof at 0.001
  for (const p of await k.mapParams("u")) {
    assert.ok(p.r >= 3.99 && p.r < 4 && p.x0 > 0 && p.x0 < 1);
    assert.ok(lyapunovExponent(p.r, { x0: p.x0 }) > 0.55);
  }
});

Deno.test("one flipped user-key bit changes ≥ 99 % of key-stream bytes", async () => {
  const h = new Uint8Array(32);
  const k1 = new Uint8Array(16).fill(0x5a), k2 = k1.slice();
  k2[7] ^= 1;
  const s1 = (await (await deriveChaosKey(k1, h)).stream("s")).integers(10000, 8);
  const s2 = (await (await deriveChaosKey(k2, h)).stream("s")).integers(10000, 8);
  let diff = 0;
  for (let i = 0; i < s1.length; i++) diff += s1[i] !== s2[i] ? 1 : 0;
  assert.ok(diff / s1.length >= 0.99, `${diff / s1.length}`);
  await assert.rejects(() => deriveChaosKey("", h), MedCryptError);
});

Deno.test("image hash depends on pixels, shape and bit depth", async () => {
  const a = medImage(new Uint16Array([1, 2, 3, 4]), 2, 2, { bitDepth: 12 });
  const b = medImage(new Uint16Array([1, 2, 3, 5]), 2, 2, { bitDepth: 12 });
  const c = medImage(new Uint16Array([1, 2, 3, 4]), 4, 1, { bitDepth: 12 });
  const hs = await Promise.all([a, b, c].map(imageHash));
  assert.equal(new Set(hs.map((h) => h.join())).size, 3);
});

Deno.test("classic cipher: 8/16-bit round trip, key check, hardened form diffuses", async () => {
  const rng = new Rng(5);
  const u8 = medImage(Uint8Array.from({ length: 32 * 32 }, () => rng.int(256)), 32, 32);
  const u12 = medImage(Uint16Array.from({ length: 24 * 20 }, () => rng.int(4096)), 24, 20, {
    bitDepth: 12,
  });
  for (const img of [u8, u12]) {
    for (const opts of [{}, { rounds: 2, bindToImage: true }]) {
      const { cipher, header } = await chaosEncrypt(img, "pass", opts);
      assert.equal(cipher.bitDepth, img.bitDepth <= 8 ? 8 : 16);
      const back = await chaosDecrypt(cipher, header, "pass");
      assert.deepEqual(back.data, img.data);
      assert.equal(back.bitDepth, img.bitDepth);
      await assert.rejects(() => chaosDecrypt(cipher, header, "Pass"), /wrong key/);
      const wrong = await chaosDecrypt(cipher, header, "Pass", { verify: false });
      assert.notDeepEqual(wrong.data, img.data);
    }
  }
  // plaintext sensitivity: weak (1 round, unbound) vs hardened
  const changed = medImage(u8.data.slice(), 32, 32);
  (changed.data as Uint8Array)[500] ^= 1;
  const npcr = async (opts: { rounds?: number; bindToImage?: boolean }) => {
    const c1 = (await chaosEncrypt(u8, "k", opts)).cipher.data;
    const c2 = (await chaosEncrypt(changed, "k", opts)).cipher.data;
    let d = 0;
    for (let i = 0; i < c1.length; i++) d += c1[i] !== c2[i] ? 1 : 0;
    return d / c1.length;
  };
  assert.ok((await npcr({ rounds: 2, bindToImage: true })) > 0.99);
  assert.ok((await npcr({})) < 0.99);
  const { cipher, header } = await chaosEncrypt(u8, "k");
  await assert.rejects(
    () => chaosDecrypt(medImage(new Uint8Array(16), 4, 4), header, "k"),
    /cipher is 4×4/,
  );
  await assert.rejects(
    () => chaosDecrypt(medImage(new Uint16Array(cipher.data), 32, 32), header, "k"),
    /bit/,
  );
});
