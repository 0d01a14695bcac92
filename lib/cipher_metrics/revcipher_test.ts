import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { type MedImage, medImage } from "../image/types.ts";
import { loadClinicalSamples } from "../datasets/clinical.ts";
import { psnr, ssim } from "./similarity.ts";
import { correlations, pearson } from "./correlation.ts";
import { shannonEntropy } from "./entropy.ts";
import { uaci } from "./differential.ts";
import { initBackend } from "../nn/backend.ts";
import {
  cipherImages,
  loadDefaultModel,
  revDecrypt,
  revEncrypt,
} from "../ciphers/revcipher/mod.ts";
import { adjacentCorrelations, softEntropy, softNpcrUaci } from "../ciphers/revcipher/losses.ts";

await initBackend();
Deno.env.set("MEDCRYPT_QUIET", "1");

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

Deno.test("losses agree with lib/cipher_metrics", async () => {
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
