import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../core/errors.ts";
import { runCli } from "../cli/mod.ts";
import { readImage, writeImage } from "../image/io.ts";
import { type MedImage, medImage } from "../image/types.ts";
import { loadClinicalSamples } from "../datasets/clinical.ts";
import { loadPneumoniaMNIST } from "../datasets/medmnist.ts";
import { psnr, ssim } from "../metrics/similarity.ts";
import { correlations, pearson } from "../metrics/correlation.ts";
import { shannonEntropy } from "../metrics/entropy.ts";
import { uaci } from "../metrics/differential.ts";
import { initBackend } from "../nn/backend.ts";
import { deriveChaosKey } from "../chaos/keys.ts";
import {
  cipherImages,
  decodeQrPng,
  DEFAULT_CONFIG,
  encodeQrPngs,
  exactCoupling,
  initModel,
  loadDefaultModel,
  loadModel,
  packQr,
  quantizedCouplings,
  readQrSet,
  revDecrypt,
  revEncrypt,
  saveModel,
  toTfParams,
  trainRevCipher,
  unpackQr,
  writeQrSet,
} from "./mod.ts";
import { adjacentCorrelations, softEntropy, softNpcrUaci } from "./losses.ts";
import { exactCore } from "./exact.ts";
import { qstack } from "./_fixed.ts";

await initBackend();
Deno.env.set("MEDCRYPT_QUIET", "1");

async function quietCli(args: string[]): Promise<{ code: number; err: string }> {
  const errs: string[] = [];
  const log = console.log, error = console.error;
  console.log = () => {};
  console.error = (...a: unknown[]) => errs.push(a.join(" "));
  try {
    return { code: await runCli(args), err: errs.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("exact variant: every embedded image bit for bit through the CLI and PNG files", async () => {
  const dir = await Deno.makeTempDir();
  const inputs: { path: string; img: MedImage }[] = [];
  for (const s of await loadClinicalSamples()) inputs.push({ path: s.path, img: s.image });
  const pm = await loadPneumoniaMNIST();
  for (const i of [0, 1, 2, 3]) {
    const img = medImage(pm.test.images.slice(i * 784, (i + 1) * 784), 28, 28);
    const path = join(dir, `pm-${i}.png`);
    await writeImage(path, img);
    inputs.push({ path, img });
  }
  assert.ok(inputs.length >= 17);
  for (const [k, { path, img }] of inputs.entries()) {
    const c = join(dir, `c${k}.png`), out = join(dir, `d${k}.npy`);
    const enc = await quietCli([
      "revcipher",
      "encrypt",
      "--key",
      "k3y",
      "--exact",
      "--in",
      path,
      "--out",
      c,
    ]);
    assert.equal(enc.code, 0, enc.err);
    const cipher = await readImage(c);
    assert.equal(cipher.bitDepth, img.bitDepth <= 8 ? 8 : 16, path);
    const dec = await quietCli(["revcipher", "decrypt", "--key", "k3y", "--in", c, "--out", out]);
    assert.equal(dec.code, 0, dec.err);
    const back = await readImage(out);
    assert.equal(back.width, img.width);
    assert.equal(back.height, img.height);
    assert.equal(back.bitDepth, img.bitDepth, path);
    assert.ok(back.data.every((v, i) => v === img.data[i]), `${path} not bit-exact`);
  }
});

Deno.test("CLI: wrong key, missing QR, wrong-size cipher give one-line errors, no output", async () => {
  const dir = await Deno.makeTempDir();
  const src = join(dir, "p.png");
  await writeImage(src, medImage(Uint8Array.from({ length: 32 * 32 }, (_, i) => i % 251), 32, 32));
  const c = join(dir, "c.png");
  assert.equal(
    (await quietCli(["revcipher", "encrypt", "--key", "a", "--exact", "--in", src, "--out", c]))
      .code,
    0,
  );
  const out = join(dir, "o.png");
  const wrong = await quietCli(["revcipher", "decrypt", "--key", "b", "--in", c, "--out", out]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /wrong key/);
  await assert.rejects(() => Deno.stat(out));
  const noQr = await quietCli([
    "revcipher",
    "decrypt",
    "--key",
    "a",
    "--in",
    c,
    "--qr",
    join(dir, "nope"),
    "--out",
    out,
  ]);
  assert.equal(noQr.code, 1);
  assert.match(noQr.err, /QR folder not found/);
  const small = join(dir, "small.png");
  await writeImage(small, medImage(new Uint8Array(30 * 32), 30, 32));
  const sz = await quietCli([
    "revcipher",
    "decrypt",
    "--key",
    "a",
    "--in",
    small,
    "--qr",
    join(dir, "c.qr"),
    "--out",
    out,
  ]);
  assert.match(sz.err, /30×32 but its header expects 32×32/);
  const deep = join(dir, "deep.png");
  await writeImage(deep, medImage(new Uint16Array(32 * 32), 32, 32));
  const bd = await quietCli([
    "revcipher",
    "decrypt",
    "--key",
    "a",
    "--in",
    deep,
    "--qr",
    join(dir, "c.qr"),
    "--out",
    out,
  ]);
  assert.match(bd.err, /16-bit but its header expects a 8-bit/);
  const same = await quietCli(["revcipher", "encrypt", "--key", "a", "--in", src, "--out", src]);
  assert.equal(same.code, 1);
  const usage = await quietCli(["revcipher", "encrypt", "--in", src]);
  assert.equal(usage.code, 2);
  // small images: the cipher can travel inside the QR codes (--embed), decrypt without --in
  const c2 = join(dir, "c2.png"), qr2 = join(dir, "qr2");
  assert.equal(
    (await quietCli([
      "revcipher",
      "encrypt",
      "--key",
      "a",
      "--exact",
      "--embed",
      "--in",
      src,
      "--out",
      c2,
      "--qr",
      qr2,
    ])).code,
    0,
  );
  const out2 = join(dir, "o2.npy");
  assert.equal(
    (await quietCli(["revcipher", "decrypt", "--key", "a", "--qr", qr2, "--out", out2])).code,
    0,
  );
  assert.deepEqual((await readImage(out2)).data, (await readImage(src)).data);
  // the key as its own QR code, read back from the PNG
  const kq = join(dir, "key.png"), c3 = join(dir, "c3.png"), out3 = join(dir, "o3.npy");
  const args = ["revcipher", "encrypt", "--key", "a", "--exact", "--in", src, "--out", c3];
  assert.equal((await quietCli([...args, "--key-qr", kq])).code, 0);
  const dec = await quietCli(["revcipher", "decrypt", "--key-qr", kq, "--in", c3, "--out", out3]);
  assert.equal(dec.code, 0, dec.err);
  assert.deepEqual((await readImage(out3)).data, (await readImage(src)).data);
});

Deno.test("paper variant: decryption PSNR and SSIM on held-out images; wrong key reveals nothing", async () => {
  const model = await loadDefaultModel();
  const { heldOut } = await cipherImages({ size: 64, trainCount: 1, heldOutCount: 6, seed: 99 });
  const ps: number[] = [], ss: number[] = [], wrongS: number[] = [], wrongC: number[] = [];
  for (const { image } of heldOut) {
    const { cipher, header } = await revEncrypt(image, "held-out key", "paper", model);
    const back = await revDecrypt(cipher, header, "held-out key", model);
    ps.push(psnr(image, back));
    ss.push(ssim(image, back));
    const wrong = await revDecrypt(cipher, header, "held-out kez", model, { verify: false });
    wrongS.push(ssim(image, wrong));
    wrongC.push(Math.abs(pearson(image.data, wrong.data)));
    await assert.rejects(() => revDecrypt(cipher, header, "held-out kez", model), /wrong key/);
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  console.log(
    `held-out ${heldOut.length}: PSNR ${mean(ps).toFixed(2)} dB (min ${
      Math.min(...ps).toFixed(2)
    }), ` +
      `SSIM ${mean(ss).toFixed(3)}; wrong key: SSIM ${mean(wrongS).toFixed(3)}, |r| ${
        mean(wrongC).toFixed(3)
      }`,
  );
  assert.ok(mean(ps) > 27, `mean PSNR ${mean(ps)}`);
  assert.ok(mean(ss) > 0.8, `mean SSIM ${mean(ss)}`);
  assert.ok(Math.max(...wrongS) < 0.1 && Math.max(...wrongC) < 0.15, `${wrongS} ${wrongC}`);
});

Deno.test("flipping one bit of the user key changes ≥ 99 % of cipher pixels (both variants, 8 and 16 bit)", async () => {
  const model = await loadDefaultModel();
  const clinical = await loadClinicalSamples();
  const ct = clinical.find((s) => s.name === "ct-abdomen-1")!.image;
  const { heldOut } = await cipherImages({ size: 64, trainCount: 1, heldOutCount: 1, seed: 5 });
  const crop = medImage(ct.data.slice(0, 64 * 64), 64, 64, { bitDepth: ct.bitDepth });
  const key = new Uint8Array(16).fill(0xa5);
  for (const img of [heldOut[0].image, crop]) {
    for (const variant of ["exact", "paper"] as const) {
      for (const bit of [0, 77, 127]) {
        const k2 = key.slice();
        k2[bit >> 3] ^= 1 << (bit & 7);
        const a = (await revEncrypt(img, key, variant, model)).cipher.data;
        const b = (await revEncrypt(img, k2, variant, model)).cipher.data;
        let diff = 0;
        for (let i = 0; i < a.length; i++) diff += a[i] !== b[i] ? 1 : 0;
        assert.ok(
          diff / a.length >= 0.99,
          `${variant} ${img.bitDepth}-bit bit ${bit}: ${diff / a.length}`,
        );
      }
    }
  }
});

Deno.test("QR set round trip from PNG pixels; damaged, foreign and missing codes are named", async () => {
  const model = await loadDefaultModel();
  const img = medImage(Uint16Array.from({ length: 40 * 40 }, (_, i) => (i * 37) % 4096), 40, 40, {
    bitDepth: 12,
    modality: "CT",
    rescale: { slope: 1, intercept: -1024 },
  });
  const { cipher, header } = await revEncrypt(img, "q", "exact", model);
  const dir = await Deno.makeTempDir();
  const paths = await writeQrSet(dir, packQr(header, cipher)); // 40×40 16-bit cipher: several codes
  assert.ok(paths.length >= 2, `${paths.length}`);
  const pkg = unpackQr(await readQrSet(dir));
  assert.deepEqual(pkg.header, header);
  assert.deepEqual(pkg.cipher?.data, cipher.data);
  const back = await revDecrypt(pkg.cipher!, pkg.header, "q", model);
  assert.deepEqual(back.data, img.data);
  assert.equal(back.modality, "CT");
  // damage: blank the middle of one code
  const pngs = await Promise.all(paths.map((p) => Deno.readFile(p)));
  const { decodePng, encodePng } = await import("../image/png.ts");
  const q = decodePng(pngs[0]);
  const d = q.data.slice();
  for (let y = q.height / 4; y < (3 * q.height) / 4; y++) {
    d.fill(255, y * q.width, (y + 1) * q.width);
  }
  const damaged = encodePng(medImage(d, q.width, q.height, { bitDepth: q.bitDepth }));
  await assert.rejects(
    () => decodeQrPng([damaged, ...pngs.slice(1)], ["damaged.png"]),
    /damaged\.png.*no readable QR/,
  );
  await assert.rejects(() => decodeQrPng(pngs.slice(1)), /missing number 1/);
  const other = await encodeQrPngs(new Uint8Array([1, 2, 3]));
  await assert.rejects(() => decodeQrPng([...pngs, ...other]), /another cipher image's set/);
  await Deno.remove(paths[0]);
  await assert.rejects(() => readQrSet(dir), MedCryptError);
  assert.throws(() => unpackQr(new Uint8Array([2, 0, 0, 0, 123, 125])), /scheme/);
});

Deno.test("a checkpoint of another architecture or another model is refused clearly", async () => {
  const dir = await Deno.makeTempDir();
  const m = await initModel(DEFAULT_CONFIG, 3);
  await saveModel(dir, m);
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
  manifest.config.exact.hidden = 6;
  await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(manifest));
  await assert.rejects(
    () => loadModel(dir),
    /exact\/r0\/p0\/c0\/w' is 3×3×5×4, the architecture needs 3×3×5×6/,
  );
  manifest.config.arch = "other/v9";
  await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(manifest));
  await assert.rejects(() => loadModel(dir), /architecture 'other\/v9'/);
  const img = medImage(new Uint8Array(16).fill(9), 4, 4);
  const { cipher, header } = await revEncrypt(img, "k", "exact", m);
  await assert.rejects(
    async () => revDecrypt(cipher, header, "k", await loadDefaultModel()),
    /made by model/,
  );
});

Deno.test("losses agree with lib/metrics", async () => {
  const { heldOut } = await cipherImages({ size: 32, trainCount: 1, heldOutCount: 2, seed: 3 });
  const a = heldOut[0].image, b = heldOut[1].image;
  const t = (img: MedImage) =>
    tf.tensor4d(Float32Array.from(img.data, (v) => v / 255), [1, 32, 32, 1]);
  const corr = (await adjacentCorrelations(t(a)).data()) as Float32Array;
  const ref = correlations(a);
  assert.ok(Math.abs(corr[0] - ref.horizontal) < 1e-3 && Math.abs(corr[1] - ref.vertical) < 1e-3);
  assert.ok(Math.abs(corr[2] - ref.diagonal) < 1e-3);
  const { npcr: sn, uaci: su } = softNpcrUaci(t(a), t(b), 255);
  assert.ok(Math.abs((await su.data())[0] * 100 - uaci(a, b)) < 1e-3);
  assert.ok((await sn.data())[0] <= 1);
  // soft entropy over 256 bins of an 8-bit image tracks the Shannon entropy
  const se = (await softEntropy(t(a), 256).data())[0];
  assert.ok(Math.abs(se - shannonEntropy(a)) < 0.3, `${se} vs ${shannonEntropy(a)}`);
});

Deno.test("exact coupling: fixed point tracks the float CNN; the exact cipher does not depend on the tfjs backend", async () => {
  const model = await loadDefaultModel();
  const kc = model.config.exact.keyChannels, h = 16, w = 16, hw = h * w;
  const inp = new Float32Array(hw * (3 + kc)).map((_, i) => ((i * 2654435761) % 65536) / 65536);
  const planar = new Float64Array(hw * (3 + kc));
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < 3 + kc; c++) planar[c * hw + p] = Math.round(inp[p * (3 + kc) + c] * 65536);
  }
  const fixed = qstack(planar, h, w, quantizedCouplings(model)[0][0]);
  const floatOn = async (backend: string) => {
    await tf.setBackend(backend);
    const p = toTfParams(model);
    const g = exactCoupling(
      p,
      0,
      0,
      tf.tensor4d(inp, [1, h, w, 3 + kc]).slice([0, 0, 0, 0], [1, h, w, 3]),
      tf.tensor4d(inp, [1, h, w, 3 + kc]).slice([0, 0, 0, 3], [1, h, w, kc]),
    );
    return Float32Array.from(await g.data());
  };
  const onCpu = await floatOn("cpu"), onWasm = await floatOn("wasm");
  let maxErr = 0, roundDiff = 0;
  for (let p = 0; p < hw; p++) {
    maxErr = Math.max(maxErr, Math.abs(fixed[p] / 65536 - onCpu[p]));
    if (Math.floor(onCpu[p] * 65536) !== Math.floor(onWasm[p] * 65536)) roundDiff++;
  }
  console.log(
    `fixed vs float max |Δ| ${
      maxErr.toExponential(2)
    }; cpu vs wasm floor(·2^16) differs at ${roundDiff}/${hw}`,
  );
  assert.ok(maxErr < 0.01, `${maxErr}`);
  await initBackend();
  // the exact cipher never touches tfjs: same cipher whichever backend is active
  const ck = await deriveChaosKey("k", new Uint8Array(32));
  const data = Float64Array.from({ length: 64 }, (_, i) => i * 3);
  const a = await exactCore(data, 8, 8, 8, ck, model, "encrypt");
  await tf.setBackend("cpu");
  const b = await exactCore(data, 8, 8, 8, ck, model, "encrypt");
  await initBackend();
  assert.deepEqual(a, b);
});

Deno.test("training: checkpoint and resume reproduce an uninterrupted run", async () => {
  const pool = (await cipherImages({ size: 16, trainCount: 8, heldOutCount: 0, seed: 4 })).pool;
  const m = await initModel(DEFAULT_CONFIG, 4);
  const opts = { pretrainSteps: 2, steps: 2, exactSteps: 2, batch: 2, quiet: true, seed: 4 };
  const straight = await trainRevCipher(m, pool, opts);
  const dir = await Deno.makeTempDir();
  const first = await trainRevCipher(m, pool, { ...opts, checkpointDir: dir, stopAfter: 3 });
  assert.equal(first.history.step.length, 3);
  // interrupted inside the "full" phase; the same call resumes there
  const resumed = await trainRevCipher(m, pool, { ...opts, checkpointDir: dir });
  assert.ok(resumed.resumed);
  assert.equal(resumed.history.step.length, 6);
  for (let i = 0; i < 6; i++) {
    assert.ok(Math.abs(resumed.history.loss[i] - straight.history.loss[i]) < 1e-4, `step ${i}`);
  }
  assert.ok(straight.history.loss.every(Number.isFinite));
});
