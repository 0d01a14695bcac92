import assert from "node:assert/strict";
import { deriveChaosKey, imageHash } from "../../ciphers/chaos/keys.ts";
import { revEncrypt } from "../../ciphers/revcipher/mod.ts";
import { toHex } from "../../core/bytes.ts";
import { medImage } from "../../image/types.ts";
import { recoverMapState, stateBitInfluence } from "./keystream.ts";
import { attackerImageHash, guessUserKey, identifyImage } from "./header.ts";

Deno.test("state recovery breaks a textbook and a single quantised map, not the four-map XOR", async () => {
  const ck = await deriveChaosKey("k", new Uint8Array(32).fill(3));
  for (const label of ["exact/r0/p0/s", "exact/r1/perm"]) {
    const p = await ck.mapParams(label);
    const textbook = recoverMapState(p[0], "textbook", p.slice(1));
    assert.equal(textbook.predicted, 1, label);
    assert.ok(textbook.rError < 1e-15);
    const quantised = recoverMapState(p[0], "quantised", p.slice(1));
    assert.ok(quantised.predicted > 0.95, `${label}: ${quantised.predicted}`);
    assert.ok(quantised.rError < 1e-9);
    const xor = recoverMapState(p[0], "four-map XOR", p.slice(1));
    assert.ok(xor.predicted < 0.02, `${label}: ${xor.predicted}`);
  }
});

Deno.test("every bit of a scheduled map's state changes its stream", async () => {
  const ck = await deriveChaosKey("k", new Uint8Array(32).fill(5));
  const rows = stateBitInfluence(await ck.mapParams("exact/r0/p1/k"), 256);
  assert.deepEqual(rows.map((r) => [r.parameter, r.influential, r.bits]), [
    ["x0", 52, 52],
    ["r", 40, 40],
    ["burnIn", 8, 8],
  ]);
});

Deno.test("the header's image hash identifies a scan; its check value tests keys offline", async () => {
  const imgs = [8, 16].flatMap((bits) =>
    [1, 2, 3].map((v) => ({
      name: `${bits}-${v}`,
      image: bits === 8
        ? medImage(new Uint8Array(64).fill(v), 8, 8)
        : medImage(new Uint16Array(64).fill(v * 1000), 8, 8, { bitDepth: 12 }),
    }))
  );
  for (const c of imgs) assert.equal(attackerImageHash(c.image), toHex(await imageHash(c.image)));
  const { header } = await revEncrypt(imgs[4].image, "tulip", "exact");
  assert.equal(identifyImage(header.imageHash, imgs).found, "16-2");
  assert.equal(identifyImage(header.imageHash, imgs.slice(0, 3)).found, undefined);
  const r = guessUserKey(header, ["rose", "daisy", "tulip", "iris"]);
  assert.equal(r.found, "tulip");
  assert.equal(r.tried, 3);
  assert.equal(guessUserKey(header, ["rose"]).found, undefined);
});
