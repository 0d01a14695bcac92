import assert from "node:assert/strict";
import { Rng } from "../../core/random.ts";
import { medImage } from "../../image/types.ts";
import zxing from "@zxing/library";
import {
  CODEWORD,
  encodeCodeword,
  protectCipher,
  recoverCipher,
  ROBUST_PARITY,
  robustLayout,
} from "./robust.ts";

const rnd16 = (w: number, h: number, seed: number) => {
  const r = new Rng(seed);
  return medImage(Uint16Array.from({ length: w * h }, () => r.int(65536)), w, h, { bitDepth: 16 });
};

Deno.test("robust layout: sizes follow from the cipher's size alone", () => {
  const l = robustLayout(256, 256, 16);
  assert.equal(l.dataBytes, 256 * 256 * 2);
  assert.equal(l.perCodeword, CODEWORD - ROBUST_PARITY);
  assert.equal(l.codewords, Math.ceil(l.dataBytes / l.perCodeword));
  assert.ok(l.width * l.height * 2 >= l.codewords * CODEWORD);
  assert.ok(l.width * (l.height - 1) * 2 < l.codewords * CODEWORD, "no spare row");
  assert.throws(() => robustLayout(8, 8, 8, 3), { code: "bad-argument" });
});

Deno.test("robust cipher: random wrong bytes at half the code's capacity are all corrected, exactly", () => {
  for (const [w, h, bits] of [[64, 64, 8], [30, 18, 16]] as const) {
    const c = bits === 8
      ? medImage(Uint8Array.from({ length: w * h }, (_, i) => (i * 131) & 255), w, h)
      : rnd16(w, h, 3);
    const robust = protectCipher(c);
    const l = robustLayout(w, h, bits);
    const bytes = new Uint8Array(robust.data.buffer.slice(0));
    // on average ROBUST_PARITY / 4 wrong bytes per codeword, wherever they land
    const rng = new Rng(9);
    const budget = Math.floor((ROBUST_PARITY / 2) * l.codewords * 0.5);
    for (let k = 0; k < budget; k++) bytes[rng.int(l.codewords * CODEWORD)] ^= 1 + rng.int(255);
    const view = bits === 8 ? bytes : new Uint16Array(bytes.buffer);
    const back = recoverCipher(
      medImage(view, robust.width, robust.height, { bitDepth: bits }),
      w,
      h,
      bits,
    );
    assert.equal(back.failed, 0, `${w}×${h}×${bits}`);
    assert.ok(back.corrected > 0);
    assert.ok(back.cipher.data.every((v, i) => v === c.data[i]), `${w}×${h}×${bits} not exact`);
  }
});

Deno.test("robust cipher: a contiguous block is spread over every codeword", () => {
  const c = rnd16(128, 128, 5);
  const robust = protectCipher(c);
  const d = (robust.data as Uint16Array).slice();
  d.fill(0, 3000, 3000 + Math.round(d.length / 16)); // 1/16 of the image, one run
  const back = recoverCipher(
    medImage(d, robust.width, robust.height, { bitDepth: 16 }),
    128,
    128,
    16,
  );
  assert.equal(back.failed, 0);
  assert.ok(back.cipher.data.every((v, i) => v === c.data[i]));
});

Deno.test("robust cipher: the wrong size is refused; too much damage leaves codewords failed", () => {
  const c = rnd16(32, 32, 1);
  assert.throws(() => recoverCipher(c, 32, 32, 16), { code: "bad-size" });
  const robust = protectCipher(c);
  const d = (robust.data as Uint16Array).slice().fill(7, 0, Math.round(robust.data.length / 3));
  const back = recoverCipher(
    medImage(d, robust.width, robust.height, { bitDepth: 16 }),
    32,
    32,
    16,
  );
  assert.ok(back.failed > 0);
});

Deno.test("robust code: the codewords are ZXing's own Reed–Solomon codewords", () => {
  const rng = new Rng(7);
  for (const parity of [2, 16, ROBUST_PARITY, 100]) {
    for (let t = 0; t < 20; t++) {
      const n = parity + 1 + Math.floor(rng.next() * (CODEWORD - parity - 1));
      const ours = new Uint8Array(n), theirs = new Int32Array(n);
      for (let i = 0; i < n - parity; i++) ours[i] = theirs[i] = Math.floor(rng.next() * 256);
      encodeCodeword(ours, parity);
      new zxing.ReedSolomonEncoder(zxing.GenericGF.QR_CODE_FIELD_256).encode(theirs, parity);
      assert.deepEqual([...ours], [...theirs], `parity ${parity}, length ${n}`);
    }
  }
});
