import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { medImage } from "../../image/types.ts";
import { Rng } from "../../core/random.ts";
import { initBackend } from "../../nn/backend.ts";
import { aesCtrFixedCipher, aesGcmCipher } from "../../ciphers/aes.ts";
import { classicChaosCipher } from "../../ciphers/chaos/classic.ts";
import type { ImageCipher } from "../../ciphers/types.ts";
import { type KnownPair, knownPlaintextCurve, xorKeystreamAttack } from "./known_plaintext.ts";
import { chaosDifferentialAttack, oracleOf, zeroImageProbe } from "./chosen_plaintext.ts";
import { psnr } from "../../cipher_metrics/similarity.ts";

/** Smooth random "scans": blobs at random places, at a bit depth. */
function scans(count: number, w: number, h: number, bits: number, seed: number) {
  const rng = new Rng(seed), max = 2 ** bits - 1;
  return Array.from({ length: count }, () => {
    const cx = rng.next() * w,
      cy = rng.next() * h,
      r = (0.2 + 0.3 * rng.next()) * w,
      lvl = 0.3 + 0.6 * rng.next();
    const d = bits <= 8 ? new Uint8Array(w * h) : new Uint16Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = Math.hypot(x - cx, y - cy) < r ? lvl : 0.1 * rng.next();
        d[y * w + x] = Math.round(max * v);
      }
    }
    return medImage(d, w, h, { bitDepth: bits });
  });
}

async function pairs<H>(c: ImageCipher<H>, imgs: ReturnType<typeof scans>): Promise<KnownPair[]> {
  const out: KnownPair[] = [];
  for (const plain of imgs) out.push({ plain, cipher: (await c.encrypt(plain, "the key")).cipher });
  return out;
}

Deno.test("known plaintext: AES-CTR with a fixed nonce falls to one pair; AES-GCM does not", async () => {
  await initBackend();
  for (const bits of [8, 12]) {
    const imgs = scans(6, 16, 16, bits, bits);
    const ctr = await pairs(aesCtrFixedCipher(), imgs), gcm = await pairs(aesGcmCipher(), imgs);
    const c = knownPlaintextCurve(ctr.slice(0, 4), ctr.slice(4), [1, 4], {
      bitDepth: bits,
      steps: 60,
      convSteps: 20,
      convChannels: 8,
    });
    const g = knownPlaintextCurve(gcm.slice(0, 4), gcm.slice(4), [1, 4], {
      bitDepth: bits,
      steps: 60,
      convSteps: 20,
      convChannels: 8,
    });
    const at = (pts: typeof c, attack: string, n: number) =>
      pts.find((p) => p.attack === attack && p.n === n)!;
    assertEquals(at(c, "xor-keystream", 1).exact, 1, `${bits}-bit CTR xor`);
    assertEquals(at(g, "xor-keystream", 1).exact, 0);
    assertEquals(at(g, "xor-keystream", 4).exact, 0);
    // the network learns the fixed keystream from 4 pairs; against GCM it cannot beat the mean image by much
    assert(
      at(c, "bit-plane network", 1).psnr > 40,
      `${bits}-bit CTR network ${at(c, "bit-plane network", 1).psnr}`,
    );
    assert(
      at(c, "bit-plane network", 4).psnr > 40,
      `${bits}-bit CTR network ${at(c, "bit-plane network", 4).psnr}`,
    );
    assert(
      at(g, "bit-plane network", 4).psnr < at(g, "mean-plain baseline", 4).psnr + 3,
      `GCM network ${at(g, "bit-plane network", 4).psnr}`,
    );
    assert(at(g, "xor-keystream", 1).psnr < 12);
    assert(
      at(g, "conv network", 4).psnr < at(g, "mean-plain baseline", 4).psnr + 3,
      `GCM conv ${at(g, "conv network", 4).psnr}`,
    );
  }
});

Deno.test("chosen plaintext: the zero image is the keystream of fixed-nonce CTR, not of GCM", async () => {
  const [secret] = scans(1, 32, 32, 16, 3);
  const ctr = oracleOf(aesCtrFixedCipher(), "k"), gcm = oracleOf(aesGcmCipher(), "k");
  assertEquals((await zeroImageProbe(ctr, await ctr(secret), 16)).guess.data, secret.data);
  assert(psnr(secret, (await zeroImageProbe(gcm, await gcm(secret), 16)).guess) < 12);
});

Deno.test("differential attack breaks the textbook chaos cipher (8 and 16 bit), not the image-bound one", async () => {
  for (const bits of [8, 12]) {
    const [secret] = scans(1, 64, 64, bits, 7);
    const weak = oracleOf(classicChaosCipher(), "k");
    const r = await chaosDifferentialAttack(weak, await weak(secret), bits);
    assertEquals(r.guess.data, secret.data, `${bits}-bit`);
    assertEquals(r.queries, bits === 8 ? 3 : 2); // 1 + ⌈log_{2^b} 4096⌉
    const bound = oracleOf(classicChaosCipher({ rounds: 2, bindToImage: true }), "k");
    const s = await chaosDifferentialAttack(bound, await bound(secret), bits);
    assert(psnr(secret, s.guess) < 12, `bound ${psnr(secret, s.guess)}`);
  }
  // keystream recovery from a single known pair also fails against the chaos cipher's chaining
  const [a, b] = scans(2, 16, 16, 8, 9);
  const ch = classicChaosCipher();
  const ca = (await ch.encrypt(a, "k")).cipher, cb = (await ch.encrypt(b, "k")).cipher;
  assert(psnr(b, xorKeystreamAttack([{ plain: a, cipher: ca }], cb, 8)) < 20);
});

Deno.test("the conv attacker learns a leaky cipher (a fixed monotone grey-level map)", async () => {
  await initBackend();
  const imgs = scans(6, 16, 16, 8, 21);
  const leak = (p: ReturnType<typeof scans>[number]) =>
    medImage(p.data.map((v) => 255 - v), 16, 16);
  const pairs = imgs.map((plain) => ({ plain, cipher: leak(plain) }));
  const pts = knownPlaintextCurve(pairs.slice(0, 4), pairs.slice(4), [4], {
    bitDepth: 8,
    steps: 5,
    convSteps: 200,
  });
  const conv = pts.find((p) => p.attack === "conv network")!,
    base = pts.find((p) => p.attack === "mean-plain baseline")!;
  assert(conv.psnr > base.psnr + 3, `conv ${conv.psnr} vs baseline ${base.psnr}`);
});
