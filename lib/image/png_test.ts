import assert from "node:assert/strict";
import { decodeNpy } from "./npy.ts";
import { decodePng, encodePng, readPngHeader } from "./png.ts";
import { medImage } from "./types.ts";
import { concat, crc32, errorCode, latin1, zeroZlib } from "./_test_util.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

// Tiny PNGs written byte by byte (chunks, zlib data and CRCs from Python's zlib).
const GREY8 = hex(
  "89504e470d0a1a0a0000000d494844520000000200000002080000000057dd52f80000000e49444154789c6360f8cf20a8040004460133f829378b0000000049454e44ae426082",
); // 2×2: 0 255 / 17 34
const GREY16 = hex(
  "89504e470d0a1a0a0000000d494844520000000200000001100000000081d9fc150000000d49444154789c63e0ffcffc0200042c01facb9879200000000049454e44ae426082",
); // 2×1: 4095 1000
const RGB8 = hex(
  "89504e470d0a1a0a0000000d49484452000000020000000108020000007b40e8dd0000000f49444154789c63f8cfc0c0c5c50500063d011e2dfcd7f40000000049454e44ae426082",
); // 2×1: (255,0,0) (10,10,10)
const PAL1 = hex(
  "89504e470d0a1a0a0000000d4948445200000003000000010103000000212e86f700000006504c5445000000ffffffa5d99fdd0000000a49444154789c63700000004200412937f4ef0000000049454e44ae426082",
); // 3×1 palette [black, white], indices 0 1 0
const GREY1 = hex(
  "89504e470d0a1a0a0000000d4948445200000003000000010100000000339b29190000000a49444154789c6358000000a200a1dc8db1cc0000000049454e44ae426082",
); // 3×1 1-bit: 1 0 1
const GA8 = hex(
  "89504e470d0a1a0a0000000d49484452000000020000000108040000005e2bb7010000000d49444154789c6360ffcfc9000003300110523a32140000000049454e44ae426082",
); // 2×1 grey+alpha: (7,255) (9,0)

Deno.test("hand-made grey PNGs: 8-bit, 16-bit, 1-bit", () => {
  const g8 = decodePng(GREY8);
  assert.deepEqual([g8.width, g8.height, g8.bitDepth], [2, 2, 8]);
  assert.deepEqual([...g8.data], [0, 255, 17, 34]);
  const g16 = decodePng(GREY16);
  assert.ok(g16.data instanceof Uint16Array);
  assert.deepEqual([...g16.data], [4095, 1000]);
  assert.equal(g16.bitDepth, 12); // no text chunk: max(9, bit length of 4095)
  const g1 = decodePng(GREY1);
  assert.deepEqual([g1.bitDepth, ...g1.data], [1, 1, 0, 1]);
});

Deno.test("colour PNGs become grey by BT.601 luma; alpha dropped", () => {
  assert.deepEqual([...decodePng(RGB8).data], [Math.round(0.299 * 255), 10]);
  assert.deepEqual([...decodePng(PAL1).data], [0, 255, 0]);
  assert.deepEqual([...decodePng(GA8).data], [7, 9]);
  assert.equal(readPngHeader(PAL1).colorType, 3);
});

Deno.test("encode/decode keeps bit depth, modality and spacing", () => {
  const img = medImage(new Uint16Array([0, 300, 511, 7]), 2, 2, {
    bitDepth: 14,
    modality: "MR",
    pixelSpacing: [0.5, 0.75],
  });
  const back = decodePng(encodePng(img));
  assert.deepEqual(back, img);
  const small = medImage(new Uint8Array([0, 3, 2, 1]), 2, 2, { bitDepth: 2 });
  assert.deepEqual(decodePng(encodePng(small)), small);
});

Deno.test("embedded 16-bit CT: NPY → PNG → NPY values and bit depth identical", async () => {
  const ct = decodeNpy(
    await Deno.readFile(new URL("../../data/clinical/ct-abdomen-1.npy", import.meta.url)),
  );
  const back = decodePng(encodePng(ct));
  assert.deepEqual(back.data, ct.data);
  assert.equal(back.bitDepth, 12);
});

Deno.test("bad PNGs: signature, truncation, forged size, bad CRC, lying IDAT", () => {
  assert.equal(errorCode(() => decodePng(new Uint8Array(20))), "bad-format");
  assert.equal(errorCode(() => decodePng(GREY8.subarray(0, GREY8.length - 12))), "truncated");
  assert.equal(errorCode(() => decodePng(GREY8.subarray(0, 40))), "truncated");
  const huge = GREY8.slice();
  new DataView(huge.buffer).setUint32(16, 100000); // width 100000 × height 2: fine by the cap…
  new DataView(huge.buffer).setUint32(20, 100000); // …but 10^10 pixels is not
  assert.equal(errorCode(() => decodePng(huge)), "bad-format");
  // within the pixel cap, but 2 GiB of RGBA16 from 14 compressed bytes: refused before allocating
  const big = GREY8.slice();
  new DataView(big.buffer).setUint32(16, 16384);
  new DataView(big.buffer).setUint32(20, 16384);
  big[24] = 16;
  big[25] = 6;
  assert.equal(errorCode(() => decodePng(big)), "truncated");
  const wide = GREY8.slice();
  new DataView(wide.buffer).setUint32(16, 3000); // header says 3000 wide; data holds 2
  assert.equal(errorCode(() => decodePng(wide)), "corrupt");
  const crc = GREY8.slice();
  crc[crc.length - 20] ^= 1; // inside IDAT data
  assert.equal(errorCode(() => decodePng(crc)), "corrupt");
});

Deno.test("zlib bomb: 1 GiB of IDAT behind a 100×100 IHDR is stopped at 10,101 bytes", () => {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 100);
  new DataView(ihdr.buffer).setUint32(4, 100);
  ihdr[8] = 8;
  const chunk = (type: string, data: Uint8Array) => {
    const c = concat(new Uint8Array(4), latin1(type), data, new Uint8Array(4));
    const v = new DataView(c.buffer);
    v.setUint32(0, data.length);
    v.setUint32(8 + data.length, crc32(c.subarray(4, 8 + data.length)));
    return c;
  };
  const bomb = concat(
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zeroZlib(2 ** 30)),
    chunk("IEND", new Uint8Array(0)),
  );
  // Inflation stops once the image's 10,100 bytes are exceeded; an unbounded reader inflated the
  // whole GiB into nothing first (seconds of CPU), and then failed with another message.
  assert.throws(() => decodePng(bomb, "bomb.png"), /inflates to more than 10100 bytes/);
});
