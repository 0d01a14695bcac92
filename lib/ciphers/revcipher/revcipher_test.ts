import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../../core/errors.ts";
import { medImage } from "../../image/types.ts";
import { initBackend } from "../../nn/backend.ts";
import { deriveChaosKey } from "../chaos/keys.ts";
import {
  cipherImages,
  decodeQrPng,
  DEFAULT_CONFIG,
  encodeQrPngs,
  exactCoupling,
  initModel,
  loadDefaultModel,
  loadRevCipherModel,
  packQr,
  quantizedCouplings,
  readQrSet,
  revDecrypt,
  revEncrypt,
  saveRevCipherModel,
  toTfParams,
  trainRevCipher,
  unpackQr,
  writeQrSet,
} from "./mod.ts";
import { exactCore } from "./exact.ts";
import { qstack } from "./_fixed.ts";
import { decodeHeader } from "./header.ts";

await initBackend();
Deno.env.set("MEDCRYPT_QUIET", "1");

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
  const { decodePng, encodePng } = await import("../../image/png.ts");
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
  await saveRevCipherModel(dir, m);
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
  manifest.config.exact.hidden = 6;
  await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(manifest));
  await assert.rejects(
    () => loadRevCipherModel(dir),
    /exact\/r0\/p0\/c0\/w' is 3×3×5×4, the architecture needs 3×3×5×6/,
  );
  manifest.config.arch = "other/v9";
  await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(manifest));
  await assert.rejects(() => loadRevCipherModel(dir), /architecture 'other\/v9'/);
  const img = medImage(new Uint8Array(16).fill(9), 4, 4);
  const { cipher, header } = await revEncrypt(img, "k", "exact", m);
  await assert.rejects(
    async () => revDecrypt(cipher, header, "k", await loadDefaultModel()),
    /made by model/,
  );
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

Deno.test("exact variant: altered pixels and another image's header are told apart from a wrong key", async () => {
  const { encryptExact, decryptExact } = await import("./exact.ts");
  const model = await loadDefaultModel();
  const img = (s: number) =>
    medImage(Uint8Array.from({ length: 256 }, (_, i) => (i * 31 + s * 7) % 256), 16, 16);
  const a = await encryptExact(img(1), "k", model), b = await encryptExact(img(2), "k", model);
  const fails = async (p: Promise<unknown>, code: string, re: RegExp) => {
    const e = await p.then(() => undefined, (e) => e);
    assert.ok(e instanceof MedCryptError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
  };
  const altered = a.cipher.data.slice();
  altered[5] ^= 1;
  const mismatch = /the key is right.*pixels were altered, or the header is another image's/;
  await fails(decryptExact(medImage(altered, 16, 16), a.header, "k", model), "integrity", mismatch);
  await fails(decryptExact(a.cipher, b.header, "k", model), "integrity", mismatch);
  await fails(
    decryptExact(a.cipher, a.header, "K", model),
    "wrong-key",
    /^wrong key \(or the header's imageHash or check field was altered\)/,
  );
});

Deno.test("both variants: forged clinical metadata in the header is refused, not restored", async () => {
  const { encryptExact, decryptExact } = await import("./exact.ts");
  const { encryptPaper, decryptPaper } = await import("./paper.ts");
  const model = await loadDefaultModel();
  const ct = medImage(Uint16Array.from({ length: 36 }, (_, i) => (i * 97) % 4096), 6, 6, {
    bitDepth: 12,
    modality: "CT",
    pixelSpacing: [0.5, 0.5],
    rescale: { slope: 1, intercept: -1024 },
  });
  const forgeries: [string, Record<string, unknown>][] = [
    ["rescale intercept", { rescale: { slope: 1, intercept: 0 } }],
    ["rescale slope", { rescale: { slope: 2, intercept: -1024 } }],
    ["pixelSpacing", { pixelSpacing: [0.5, 0.25] }],
    ["modality", { modality: "MR" }],
    ["modality removed", { modality: undefined }],
    ["cipherHash", { cipherHash: "ab".repeat(32) }],
  ];
  for (
    const [variant, enc, dec] of [
      ["exact", encryptExact, decryptExact],
      ["paper", encryptPaper, decryptPaper],
    ] as const
  ) {
    const { cipher, header } = await enc(ct, "k", model);
    assert.equal((await dec(cipher, header, "k", model)).rescale?.intercept, -1024);
    for (const [what, patch] of forgeries) {
      const forged = decodeHeader(
        new TextEncoder().encode(JSON.stringify({ ...header, ...patch })),
      );
      const e = await dec(cipher, forged, "k", model).then(() => undefined, (e) => e);
      assert.ok(e instanceof MedCryptError, `${variant} ${what}: accepted`);
      assert.equal(e.code, "integrity", e.message);
      assert.match(e.message, /^the cipher header was altered: its authentication tag/);
    }
    // unknown members are dropped on reading, so they never reach the decrypted image
    const extra = decodeHeader(new TextEncoder().encode(JSON.stringify({ ...header, note: "x" })));
    assert.equal("note" in extra, false);
    await dec(cipher, extra, "k", model);
  }
});
