import {
  deepEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { medImage } from "../image/types.ts";
import { Rng } from "../core/random.ts";
import { chiSquareUniform, histogram, uniformityBins, uniformityTest } from "./histogram.ts";
import {
  entropyAcceptance,
  entropyMoments,
  entropyMonteCarlo,
  entropyTest,
  localEntropy,
  localEntropyMonteCarlo,
  localEntropyParams,
  localEntropyTest,
  shannonEntropy,
} from "./entropy.ts";
import {
  adjacentCorrelation,
  correlationCritical,
  correlations,
  correlationScatter,
  correlationTests,
} from "./correlation.ts";
import {
  differentialTest,
  npcr,
  npcrCritical,
  npcrCriticalExact,
  uaci,
  uaciCritical,
} from "./differential.ts";
import { psnr, psnrOf, ssim, ssimOf } from "./similarity.ts";
import { pairMetrics } from "./suite.ts";

const close = (a: number, b: number, tol = 1e-9) => assert(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);
const u8 = (v: number[], w: number, h: number) => medImage(Uint8Array.from(v), w, h);
const u16 = (v: number[], w: number, h: number) => medImage(Uint16Array.from(v), w, h);
function randomImage(seed: number, w: number, h: number, bits: number) {
  const rng = new Rng(seed);
  const n = w * h, k = 2 ** bits;
  const data = bits <= 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.int(k);
  return medImage(data, w, h, { bitDepth: bits });
}

Deno.test("histogram and χ² by hand", () => {
  const img = medImage(Uint8Array.from([0, 0, 1, 3]), 2, 2, { bitDepth: 2 });
  assertEquals(Array.from(histogram(img)), [2, 1, 0, 1]);
  // E = 1 per level: (2−1)² + (1−1)² + (0−1)² + (1−1)² = 2
  const c = chiSquareUniform(img);
  assertEquals([c.statistic, c.df, c.bins], [2, 3, 4]);
  // 16-bit into 4 equal-width bins
  assertEquals(Array.from(histogram(u16([0, 16384, 65535, 40000], 2, 2), { bins: 4 })), [
    1,
    1,
    1,
    1,
  ]);
  assertThrows(() => histogram(medImage(Uint8Array.from([9]), 1, 1), { bits: 3 }), /above 7/);
});

Deno.test("uniformity test bins 16-bit data sensibly and checks the low byte", () => {
  assertEquals(uniformityBins(65536, 8), 256);
  assertEquals(uniformityBins(4096, 16), 512);
  assertEquals(uniformityBins(4096, 8), 256);
  const rnd = uniformityTest(randomImage(3, 128, 128, 16));
  assertEquals(rnd.tests.length, 2);
  assert(rnd.pass["0.001"]);
  // high bits random, low byte constant: the binned test alone would pass, the low-byte test fails
  const r = randomImage(4, 128, 128, 16);
  const hi = medImage(r.data.map((v) => v & 0xffe0), 128, 128);
  const t = uniformityTest(hi);
  assert(t.tests[0].pValue > 0.001 && !t.pass["0.05"]);
  assert(!uniformityTest(medImage(new Uint8Array(4096), 64, 64)).pass["0.001"]);
});

Deno.test("entropy by hand: constant 0, two levels 1, 3:1 split, 16-bit", () => {
  assertEquals(shannonEntropy(u8([7, 7, 7, 7], 2, 2)), 0);
  assertEquals(shannonEntropy(u8([0, 255, 255, 0], 2, 2)), 1);
  close(shannonEntropy(u8([0, 0, 0, 1], 2, 2)), -(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25)));
  assertEquals(shannonEntropy(u16([0, 1000, 2000, 65535], 2, 2)), 2);
  assertEquals(shannonEntropy(randomImage(1, 16, 16, 16), { bits: 16 }) <= 8, true);
});

Deno.test("expected entropy of uniform pixels: exact moments agree with Monte Carlo", () => {
  for (const [n, k] of [[4096, 256], [4096, 65536], [1936, 256], [100, 3]]) {
    const m = entropyMoments(n, k);
    const mc = entropyMonteCarlo(n, k, 600, 11);
    const mean = mc.reduce((a, b) => a + b, 0) / mc.length;
    const sd = Math.sqrt(mc.reduce((a, b) => a + (b - mean) ** 2, 0) / (mc.length - 1));
    const se = Math.sqrt(m.variance / mc.length);
    assert(Math.abs(mean - m.mean) < 4 * se, `n=${n} k=${k}: MC mean ${mean} vs ${m.mean}`);
    assert(
      Math.abs(sd / Math.sqrt(m.variance) - 1) < 0.15,
      `n=${n} k=${k}: MC sd ${sd} vs ${Math.sqrt(m.variance)}`,
    );
  }
  // two levels, n = 2: H = 0 with prob ½, 1 with prob ½
  const two = entropyMoments(2, 2);
  close(two.mean, 0.5);
  close(two.variance, 0.25);
  // the large-N limit: log2 K − (K − 1)/(2 N ln 2)
  close(entropyMoments(65536, 256).mean, 8 - 255 / (2 * 65536 * Math.LN2), 3e-6); // O(K²/N²) remainder
});

Deno.test("entropy acceptance interval covers 1 − α of simulated images", () => {
  const n = 4096, k = 256, reps = 2000;
  const mc = entropyMonteCarlo(n, k, reps, 5);
  for (const a of [0.05, 0.01]) {
    const iv = entropyAcceptance(n, k, a);
    const out = mc.filter((h) => h < iv.lo || h > iv.hi).length / reps;
    assert(Math.abs(out - a) < 4 * Math.sqrt(a * (1 - a) / reps) + 0.002, `α=${a}: ${out} outside`);
  }
  const t = entropyTest(randomImage(8, 64, 64, 8));
  assert(t.pass["0.001"]);
  assert(
    !entropyTest(u8(new Array(4096).fill(0).map((_, i) => i % 256), 64, 64)).pass["0.05"],
    "a perfectly flat histogram is too uniform",
  );
});

Deno.test("local entropy: Wu et al. 2013 layout and mean, Monte-Carlo calibrated interval", () => {
  assertEquals(localEntropyParams(512, 512), { blocks: 30, side: 44, blockPixels: 1936 });
  // 30 squares of 44×44 do not fit in 256×256 (at most 25): the side shrinks to 42
  assertEquals(localEntropyParams(256, 256), { blocks: 30, side: 42, blockPixels: 1764 });
  assertEquals(localEntropyParams(28, 28), { blocks: 30, side: 4, blockPixels: 16 });
  // published μ for k = 30, T_B = 1936, 8 bits: 7.902469317
  close(entropyMoments(1936, 256).mean, 7.902469317, 1e-8);
  // the interval, recomputed by seeded Monte Carlo for a 64×64 image (30 blocks of 11×11)
  const p = localEntropyParams(64, 64);
  const mc = localEntropyMonteCarlo(p, 8, 1500, 9);
  const iv = entropyAcceptance(p.blockPixels, 256, 0.05, p.blocks);
  const out = mc.filter((h) => h < iv.lo || h > iv.hi).length / mc.length;
  assert(Math.abs(out - 0.05) < 0.025, `${out} outside the 95 % interval`);
  // Wu et al.'s published 0.05 interval [7.901901305, 7.903037329] is narrower than ours
  const wu = entropyAcceptance(1936, 256, 0.05, 30);
  assert(wu.lo < 7.901901305 && wu.hi > 7.903037329);
  assert(localEntropyTest(randomImage(2, 256, 256, 8)).pass["0.01"]);
  assertEquals(localEntropy(u8(new Array(4096).fill(3), 64, 64)).value, 0);
  const t16 = localEntropyTest(randomImage(2, 64, 64, 16));
  assert(t16.expected > 6.5 && t16.expected < 6.92, `${t16.expected}`); // 100 pixels per block
});

Deno.test("correlation: ramp is 1, checkerboard −1, all pairs counted", () => {
  const ramp = medImage(
    Uint8Array.from({ length: 64 }, (_, i) => (i % 8) * 10 + Math.floor(i / 8)),
    8,
    8,
  );
  close(adjacentCorrelation(ramp, "horizontal"), 1, 1e-12);
  close(adjacentCorrelation(ramp, "vertical"), 1, 1e-12);
  close(adjacentCorrelation(ramp, "diagonal"), 1, 1e-12);
  const checker = medImage(
    Uint8Array.from({ length: 16 }, (_, i) => ((i % 4) + Math.floor(i / 4)) % 2 * 255),
    4,
    4,
  );
  close(adjacentCorrelation(checker, "horizontal"), -1, 1e-12);
  close(adjacentCorrelation(checker, "diagonal"), 1, 1e-12);
  // by hand: pairs (1,2),(3,4) horizontally in [[1,2],[3,4]] → r = 1; vertical (1,3),(2,4) → 1
  assertEquals(correlations(u8([1, 2, 3, 4], 2, 2)), { horizontal: 1, vertical: 1, diagonal: NaN });
  // by hand on x = [1, 2, 4], y = [2, 4, 3] (rows [1,2,4] and [2,4,3]: vertical pairs)
  const r = adjacentCorrelation(u8([1, 2, 4, 2, 4, 3], 3, 2), "vertical");
  const mx = 7 / 3, my = 3;
  const sxy = (1 - mx) * (2 - my) + (2 - mx) * (4 - my) + (4 - mx) * (3 - my);
  const sxx = (1 - mx) ** 2 + (2 - mx) ** 2 + (4 - mx) ** 2, syy = 1 + 1 + 0;
  close(r, sxy / Math.sqrt(sxx * syy), 1e-12);
  close(correlationCritical(65280, 0.05), 1.959963984540054 / Math.sqrt(65280), 1e-12);
  const t = correlationTests(randomImage(5, 128, 128, 16));
  assert(t.every((d) => d.pass["0.001"]));
  assertEquals(correlationScatter(ramp, "horizontal", 10, 1).x.length, 10);
});

Deno.test("NPCR/UACI: identical → 0, complement by hand, 16-bit normalisation", () => {
  const a = u8([0, 255, 100, 200], 2, 2);
  assertEquals(npcr(a, a), 0);
  assertEquals(uaci(a, a), 0);
  const comp = medImage(a.data.map((v) => 255 - v), 2, 2);
  assertEquals(npcr(a, comp), 100);
  // |2a − 255| = 255, 255, 55, 145 → 710 / (4 · 255)
  close(uaci(a, comp), (100 * 710) / 1020, 1e-12);
  const b = u16([0, 65535, 1000, 40000], 2, 2);
  const bc = medImage(b.data.map((v) => 65535 - v), 2, 2);
  // 65535 + 65535 + 63535 + 14465 = 209070, over 4 · 65535
  close(uaci(b, bc), (100 * 209070) / 262140, 1e-12);
  assertEquals(npcr(u8([1, 2, 3, 4], 2, 2), u8([1, 2, 3, 5], 2, 2)), 25);
  assertThrows(() => npcr(a, u8([1, 2], 2, 1)), /differ in size/);
});

Deno.test("NPCR/UACI critical values equal Wu, Noonan & Agaian 2011 tables", () => {
  const table: [number, number, number, number, number][] = [
    // pixels, α, N*α, U*α−, U*α+ (percent), 8-bit
    [256 * 256, 0.05, 99.5693, 33.2824, 33.6447],
    [256 * 256, 0.01, 99.5527, 33.2255, 33.7016],
    [256 * 256, 0.001, 99.5341, 33.1594, 33.7677],
    [512 * 512, 0.05, 99.5893, 33.3730, 33.5541],
    [512 * 512, 0.01, 99.5810, 33.3445, 33.5826],
    [512 * 512, 0.001, 99.5717, 33.3115, 33.6156],
    [1024 * 1024, 0.05, 99.5994, 33.4183, 33.5088],
  ];
  for (const [n, a, nStar, lo, hi] of table) {
    close(npcrCritical(n, 8, a), nStar, 5e-5);
    const u = uaciCritical(n, 8, a);
    close(u.lo, lo, 5e-5);
    close(u.hi, hi, 5e-5);
  }
  // 16-bit: mean NPCR 65535/65536, mean UACI (F+2)/(3F+3) ≈ 33.334 %
  assert(npcrCritical(65536, 16, 0.05) > 99.99);
  const u16c = uaciCritical(65536, 16, 0.05);
  assert(u16c.lo < 100 * 65537 / (3 * 65536) && u16c.hi > 100 * 65537 / (3 * 65536));
});

Deno.test("exact NPCR critical values: binomial count of equal pixels", () => {
  // Bin(4096, 1/65536): P(X ≥ 2) ≈ 0.0019 ≤ 0.05 < P(X ≥ 1) ≈ 0.061, so one equal pixel is accepted
  assertEquals(npcrCriticalExact(4096, 16, 0.05), 100 * (1 - 1 / 4096));
  // P(X ≥ 3) ≈ 4e-5 ≤ 0.001 < P(X ≥ 2)
  assertEquals(npcrCriticalExact(4096, 16, 0.001), 100 * (1 - 2 / 4096));
  // where the normal approximation holds the two agree closely
  close(npcrCriticalExact(262144, 8, 0.05), npcrCritical(262144, 8, 0.05), 0.001);
  const same = medImage(new Uint16Array(4096).fill(7), 64, 64);
  const other = medImage(Uint16Array.from({ length: 4096 }, (_, i) => (i === 0 ? 7 : 9)), 64, 64);
  const t = differentialTest(same, other, [0.05]);
  assert(t.npcrPass["0.05"] && t.npcr < t.npcrCritical["0.05"]);
});

Deno.test("NPCR/UACI tests accept about 1 − α of independent random pairs (8 and 16 bit)", () => {
  for (const bits of [8, 16]) {
    let np = 0, ua = 0;
    const reps = 300;
    for (let r = 0; r < reps; r++) {
      const t = differentialTest(
        randomImage(1000 + r, 64, 64, bits),
        randomImage(5000 + r, 64, 64, bits),
        [0.05],
      );
      if (t.npcrPass["0.05"]) np++;
      if (t.uaciPass["0.05"]) ua++;
    }
    // the exact NPCR test is conservative where the count of equal pixels is tiny (16-bit 64×64)
    if (bits === 8) {
      assert(np / reps > 0.9 && np / reps < 0.995, `${bits}-bit NPCR pass ${np / reps}`);
    } else assert(np / reps >= 0.95, `${bits}-bit NPCR pass ${np / reps}`);
    assert(ua / reps > 0.9 && ua / reps < 0.995, `${bits}-bit UACI pass ${ua / reps}`);
  }
});

Deno.test("PSNR and SSIM: known values, bit-depth aware range", () => {
  const z = u8([0, 0, 0, 0], 2, 2);
  assertEquals(psnr(z, z), Infinity);
  // MSE 100 at 8 bits: 10 log10(255² / 100)
  close(psnr(z, u8([10, 10, 10, 10], 2, 2)), 10 * Math.log10(65025 / 100), 1e-12);
  // an error of 1 at 8 bits equals an error of 257 at 16 bits (65535 = 255 · 257): 48.1308 dB
  close(psnr(z, u8([1, 1, 1, 1], 2, 2)), 48.13080360867910, 1e-9);
  close(psnr(u16([0, 0, 0, 0], 2, 2), u16([257, 257, 257, 257], 2, 2)), 48.13080360867910, 1e-9);
  close(psnrOf([0, 0], [0.5, 0.5], 1), 10 * Math.log10(4), 1e-12);
  const img = randomImage(3, 32, 32, 8);
  close(ssim(img, img), 1, 1e-12);
  // constant images: SSIM = (2ab + C1) / (a² + b² + C1), C1 = (0.01 · 255)²
  const c1 = (0.01 * 255) ** 2;
  close(
    ssim(medImage(new Uint8Array(256), 16, 16), medImage(new Uint8Array(256).fill(255), 16, 16)),
    c1 / (65025 + c1),
    1e-12,
  );
  close(
    ssim(
      medImage(new Uint8Array(256).fill(100), 16, 16),
      medImage(new Uint8Array(256).fill(100), 16, 16),
    ),
    1,
    1e-12,
  );
  // the same structure at 16 bits gives the same SSIM as at 8 bits
  const img16 = medImage(Uint16Array.from(img.data, (v) => v * 257), 32, 32);
  const noisy = medImage(img.data.map((v, i) => (v + (i % 7)) & 255), 32, 32);
  const noisy16 = medImage(Uint16Array.from(noisy.data, (v) => v * 257), 32, 32);
  close(ssim(img, noisy), ssim(img16, noisy16), 1e-9);
  assert(ssimOf(img.data, noisy.data, 32, 32, 255) < 1);
});

Deno.test("pairMetrics uses the container bit depth", () => {
  const p = u16([0, 0, 0, 0], 4, 1), c = u16([65535, 0, 65535, 0], 4, 1);
  const m = pairMetrics(p, c);
  assertEquals(m.bitDepth, 16);
  assertEquals(m.entropy, 1);
  assertEquals(m.npcr, 50);
  assertEquals(m.uaci, 50);
  // 4 pixels over 65536 bins, E = 4/65536: Σ (O − E)²/E
  const e = 4 / 65536;
  close(m.chiSquare, (2 * (2 - e) ** 2 + 65534 * e * e) / e, 1e-6);
  assertEquals(m.correlation.horizontal, -1);
  assertEquals(m.correlation.vertical, null); // no vertical pairs in one row
  assertEquals(pairMetrics(u8([1, 2, 3, 4], 2, 2), u8([1, 2, 3, 4], 2, 2)).bitDepth, 8);
});
