import assert from "node:assert/strict";
import { decodeNpz, encodeNpz, extractNpzMember, listNpz, npzHeaders } from "./npz.ts";
import { crc32, errorCode, zeroDeflate, zipOne } from "./_test_util.ts";
import { encodeNpyArray } from "./npy.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

// Written by numpy 2.4: np.savez(f, img=np.array([[1,2],[3,4]], dtype='<u2'),
// labels=np.array([0,1,1], dtype=np.int64)) — stored members with zip64 local headers.
const NUMPY_SAVEZ = hex(
  "504b03042d000000000000002100a799dc85ffffffffffffffff07001400696d672e6e70790100100088000000000000008800000000000000934e554d5059010076007b276465736372273a20273c7532272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100020003000400504b03042d00000000000000210014479d64ffffffffffffffff0a0014006c6162656c732e6e70790100100098000000000000009800000000000000934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000000001000000000000000100000000000000504b01022d032d000000000000002100a799dc858800000088000000070000000000000000000000800100000000696d672e6e7079504b01022d032d00000000000000210014479d6498000000980000000a00000000000000000000008001c10000006c6162656c732e6e7079504b050600000000020002006d000000950100000000",
);
// The same arrays written by np.savez_compressed (deflated members).
const NUMPY_SAVEZ_COMPRESSED = hex(
  "504b03042d000000080000002100a799dc85ffffffffffffffff07001400696d672e6e70790100100088000000000000004e000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e536aa4aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a402f91a463a0a469a3a0ab50a64032e460626066606160600504b03042d00000008000000210014479d64ffffffffffffffff0a0014006c6162656c732e6e707901001000980000000000000049000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e9369a1aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a402f91ac63a9a3a0ab50a14002e06286044a301504b01022d032d000000080000002100a799dc854e00000088000000070000000000000000000000800100000000696d672e6e7079504b01022d032d00000008000000210014479d6449000000980000000a00000000000000000000008001870000006c6162656c732e6e7079504b050600000000020002006d0000000c0100000000",
);

Deno.test("numpy savez and savez_compressed files (zip64 local headers) decode", () => {
  for (const bytes of [NUMPY_SAVEZ, NUMPY_SAVEZ_COMPRESSED]) {
    const m = decodeNpz(bytes);
    assert.deepEqual([...m.keys()], ["img", "labels"]);
    assert.deepEqual(m.get("img")!.shape, [2, 2]);
    assert.deepEqual([...m.get("img")!.data], [1, 2, 3, 4]);
    assert.equal(m.get("labels")!.dtype, "i8");
    assert.deepEqual([...m.get("labels")!.data], [0, 1, 1]);
  }
  assert.equal(listNpz(NUMPY_SAVEZ_COMPRESSED)[0].method, 8);
});

Deno.test("encodeNpz round-trips stored and deflated", () => {
  const arrays = {
    x: { dtype: "u1" as const, shape: [3, 2], data: new Uint8Array([1, 2, 3, 4, 5, 6]) },
    y: { dtype: "f4" as const, shape: [2], data: new Float32Array([0.5, -1]) },
  };
  for (const compress of [false, true]) {
    const m = decodeNpz(encodeNpz(arrays, { compress }));
    assert.deepEqual(m.get("x"), arrays.x);
    assert.deepEqual([...m.get("y")!.data], [0.5, -1]);
    assert.equal(listNpz(encodeNpz(arrays, { compress }))[0].method, compress ? 8 : 0);
  }
});

Deno.test("embedded PneumoniaMNIST archive lists and decodes", async () => {
  const bytes = await Deno.readFile(new URL("../../data/pneumoniamnist.npz", import.meta.url));
  const h = npzHeaders(bytes);
  assert.deepEqual(h.get("train_images")!.shape, [2428, 28, 28]);
  assert.deepEqual(h.get("val_labels")!.shape, [270, 1]);
  assert.equal(decodeNpz(bytes).get("test_images")!.data.length, 468 * 28 * 28);
});

Deno.test("damaged archives: CRC, truncation, forged sizes, not-a-zip", () => {
  const bytes = NUMPY_SAVEZ.slice();
  bytes[150] ^= 0xff; // inside the img member (bytes 57..193) → CRC mismatch
  assert.equal(errorCode(() => decodeNpz(bytes)), "corrupt");
  assert.equal(errorCode(() => decodeNpz(NUMPY_SAVEZ.subarray(0, 300))), "truncated");
  assert.equal(errorCode(() => decodeNpz(new Uint8Array(40))), "bad-format");
  // forge the deflated member's uncompressed size (central directory, offset of size field)
  const forged = NUMPY_SAVEZ_COMPRESSED.slice();
  const entries = listNpz(forged);
  const cd = forged.length - 22 - 2 * 46 - "img.npy".length - "labels.npy".length;
  new DataView(forged.buffer).setUint32(cd + 24, 0xfffffff0, true);
  assert.equal(listNpz(forged)[0].size, 0xfffffff0);
  assert.equal(errorCode(() => extractNpzMember(forged, listNpz(forged)[0])), "bad-format");
  assert.equal(entries[0].size, 0x88);
});

Deno.test("zip bomb: a member declaring 1 GiB is refused from its NPY header, before allocating", () => {
  const gib = 2 ** 30;
  const bomb = zipOne("train_images.npy", zeroDeflate(gib), gib, 0);
  const rss0 = Deno.memoryUsage().rss;
  const t0 = performance.now();
  const e = (() => {
    try {
      decodeNpz(bomb, "bomb.npz");
    } catch (e) {
      return e as Error;
    }
  })();
  assert.match(e?.message ?? "", /^`bomb\.npz:train_images\.npy`: not an NPY file/);
  assert.ok(Deno.memoryUsage().rss - rss0 < 256 * 2 ** 20, "the member's 1 GiB was allocated");
  assert.ok(performance.now() - t0 < 2000);
});

Deno.test("a member inflating past its declared size is refused, even with a matching CRC", () => {
  const small = encodeNpyArray({ dtype: "u1", shape: [10, 10], data: new Uint8Array(100) });
  const z = zipOne("a.npy", zeroDeflate(2 ** 24, small), small.length, crc32(small));
  assert.throws(() => decodeNpz(z, "o.npz"), /inflates to more than 228 bytes/);
  assert.throws(() => npzHeaders(z, "o.npz"), /inflates to more than 228 bytes/);
});
