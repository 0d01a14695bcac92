import { deepEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import { medImage } from "../image/types.ts";
import { MedCryptError } from "../core/errors.ts";
import { aesCtrFixedCipher, aesGcmCipher } from "../ciphers/aes.ts";
import { perturb, PERTURBATIONS, perturbedDecryption } from "./robustness.ts";

const img = medImage(new Uint16Array(64).fill(1000), 8, 8, { bitDepth: 12 });

Deno.test("perturb: crops, salt and pepper at the bit depth, Gaussian clamped, seeded", () => {
  const zeros = (level: number) =>
    perturb(img, { name: "c", kind: "crop", level }, 1).data.filter((v) => v === 0).length;
  assertEquals([zeros(1 / 16), zeros(1 / 4), zeros(1 / 2)], [4, 16, 32]);
  const sp = perturb(img, { name: "s", kind: "salt-pepper", level: 0.5 }, 1).data;
  assert(sp.some((v) => v === 4095) && sp.some((v) => v === 0));
  const g = perturb(img, { name: "g", kind: "gaussian", level: 0.05 }, 3);
  assertEquals(g.bitDepth, 12);
  assert(g.data.every((v) => v >= 0 && v <= 4095) && g.data.some((v) => v !== 1000));
  assertEquals(g.data, perturb(img, { name: "g", kind: "gaussian", level: 0.05 }, 3).data);
  assertEquals(img.data[0], 1000, "the input is not modified");
  throws(
    () => perturb(img, { name: "bad", kind: "crop", level: 2 }, 1),
    (e) => e instanceof MedCryptError && e.code === "bad-argument",
  );
  assertEquals(PERTURBATIONS.map((p) => p.kind), [
    "salt-pepper",
    "salt-pepper",
    "gaussian",
    "gaussian",
    "crop",
    "crop",
    "crop",
  ]);
});

Deno.test("perturbedDecryption: GCM refuses every damaged image, fixed-nonce CTR keeps the undamaged pixels", async () => {
  const plain = medImage(Uint16Array.from({ length: 256 }, (_, i) => (i * 37) % 4096), 16, 16, {
    bitDepth: 12,
  });
  const crop = PERTURBATIONS.find((p) => p.name === "crop 1/4")!;
  const gcm = await perturbedDecryption(aesGcmCipher(), "key", [plain, plain], crop, 1, {
    psnrCap: 100,
  });
  assertEquals(gcm.refused, 1);
  assertEquals(gcm.decrypted.length, 2);
  // An 8-bit CTR image decrypts pixel by pixel: only the cropped corner is lost, nothing is refused.
  const plain8 = medImage(Uint8Array.from({ length: 256 }, (_, i) => (i * 37) % 256), 16, 16);
  const ctr = await perturbedDecryption(aesCtrFixedCipher(), "key", [plain8], crop, 1);
  assertEquals(ctr.refused, 0);
  const outside = (i: number) => i % 16 >= 8 || i >= 128;
  assert(ctr.decrypted[0].data.every((v, i) => !outside(i) || v === plain8.data[i]));
  assert(Number.isFinite(ctr.psnr) && ctr.psnr > 0 && ctr.ssim < 1);
});
