import {
  deepEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { type MedImage, medImage } from "../image/types.ts";
import type { ImageCipher } from "../ciphers/types.ts";
import { Rng } from "../core/random.ts";
import {
  aesCtrFixedCipher,
  aesGcmCipher,
  aesKeyBytes,
  containerBytes,
  imageFromBytes,
} from "../ciphers/aes.ts";
import {
  fidelity,
  flipKeyBit,
  keySensitivity,
  keySpace,
  measureSpeed,
  onePixelChanged,
  plaintextSensitivity,
} from "./sensitivity.ts";
import { cipherImageTests } from "./suite.ts";

function phantom(w: number, h: number, bits: number) {
  // a smooth "scan": a disc with a gradient, at the given bit depth
  const max = 2 ** bits - 1;
  const d = bits <= 8 ? new Uint8Array(w * h) : new Uint16Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - w / 2, y - h / 2) / (w / 2);
      d[y * w + x] = r < 0.8 ? Math.round(max * (0.3 + 0.5 * x / w)) : 0;
    }
  }
  return medImage(d, w, h, { bitDepth: bits });
}

Deno.test("AES-GCM and AES-CTR round-trip 8-, 12- and 16-bit images bit-exactly", async () => {
  for (const bits of [8, 12, 16]) {
    const img = phantom(32, 24, bits);
    const roundTrip = async <H>(c: ImageCipher<H>, img: MedImage) => {
      const { cipher, header } = await c.encrypt(img, "key");
      assertEquals(cipher.bitDepth, bits <= 8 ? 8 : 16);
      const back = await c.decrypt(cipher, header, "key");
      assert(fidelity(img, back).exact, `${c.name} ${bits}-bit`);
      assertEquals(back.bitDepth, bits);
    };
    await roundTrip(aesGcmCipher(), img);
    await roundTrip(aesCtrFixedCipher(), img);
  }
});

Deno.test("AES-GCM refuses a wrong key or an altered pixel; unverified output is noise", async () => {
  const img = phantom(64, 64, 16), gcm = aesGcmCipher();
  const { cipher, header } = await gcm.encrypt(img, "key");
  await assertRejects(gcm.decrypt(cipher, header, "kex"), /authentication failed/);
  const altered = medImage(cipher.data.slice(), 64, 64);
  altered.data[5] ^= 1;
  await assertRejects(gcm.decrypt(altered, header, "key"), /authentication failed/);
  // without the tag check, the GCM keystream (AES-CTR from IV ‖ 2) decrypts with the right key
  const loose = await gcm.decrypt(altered, header, "key", { verify: false });
  assertEquals(loose.data.filter((v, i) => v !== img.data[i]).length, 1);
  const wrong = await keySensitivity(gcm, img, "key");
  assert(wrong.cipherDiff.npcrPass["0.001"] && wrong.cipherDiff.uaciPass["0.001"]);
  assert(wrong.wrongKey!.psnr < 10 && wrong.wrongKey!.npcr > 99);
});

Deno.test("AES-CTR with a fixed nonce: random-looking cipher, same keystream for every image", async () => {
  const ctr = aesCtrFixedCipher();
  const img = phantom(128, 128, 8);
  const { cipher } = await ctr.encrypt(img, "key");
  const t = cipherImageTests(cipher);
  assert(
    t.uniformity.pass["0.001"] && t.entropy.pass["0.001"] &&
      t.correlation.every((c) => c.pass["0.001"]),
  );
  // a one-pixel change of the plaintext changes one cipher pixel: NPCR = 1/N
  const [s] = await plaintextSensitivity(ctr, img, "key");
  assertEquals(s.npcr, 100 / (128 * 128));
  assert(!s.npcrPass["0.05"]);
  // GCM with a random IV passes the same test
  const [g] = await plaintextSensitivity(aesGcmCipher(), img, "key");
  assert(g.npcrPass["0.001"] && g.uaciPass["0.001"]);
});

Deno.test("key and byte helpers", async () => {
  assertEquals(flipKeyBit("a", 0), new Uint8Array([0x60]));
  assertEquals((await aesKeyBytes(new Uint8Array(32).fill(7)))[0], 7);
  assertEquals(onePixelChanged(medImage(new Uint16Array([65535]), 1, 1), 0).data[0], 0);
  const img = medImage(new Uint16Array([1, 258]), 2, 1);
  assertEquals(containerBytes(img), new Uint8Array([1, 0, 2, 1]));
  assertEquals(imageFromBytes(containerBytes(img), 2, 1, 16).data, img.data);
  assertEquals(keySpace(new Uint8Array(16)).bits, 128);
  assertEquals(keySpace(new Uint8Array(64)).bits, 256);
  const rng = new Rng(1);
  const s = await measureSpeed(
    aesGcmCipher(),
    medImage(Uint8Array.from({ length: 4096 }, () => rng.int(256)), 64, 64),
    "k",
    1,
  );
  assert(s.encryptMBps > 0 && s.decryptMs > 0);
});
