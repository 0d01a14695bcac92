import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { HeClient } from "../he/client.ts";
import { tinyModel } from "../he/model.ts";
import { PRESETS } from "../he/params.ts";
import { clientSpec } from "../he/spec.ts";
import {
  decodeFrame,
  encodeFrame,
  keysFromWire,
  keysToWire,
  queryFromWire,
  queryToWire,
  resultFromWire,
} from "./wire.ts";

function refused(f: () => unknown, re: RegExp): void {
  assert.throws(
    f,
    (e) => e instanceof MedCryptError && e.code === "bad-frame" && re.test(e.message),
  );
}

Deno.test("wire: a frame round-trips; truncated, extended or foreign bytes are refused", () => {
  const f = encodeFrame({ kind: "demo", n: 3 }, [
    new Uint8Array([1, 2, 3]),
    new Uint8Array(0),
    new Uint8Array([9]),
  ]);
  const back = decodeFrame(f, "demo");
  assert.deepEqual(back.header, { kind: "demo", n: 3 });
  assert.deepEqual(back.blobs.map((b) => [...b]), [[1, 2, 3], [], [9]]);
  refused(
    () => decodeFrame(f.subarray(0, f.length - 1), "demo"),
    /^demo: truncated: the blobs need 4 bytes, 3 remain/,
  );
  refused(() => decodeFrame(new Uint8Array([...f, 0]), "demo"), /1 bytes after the last blob/);
  refused(() => decodeFrame(f.subarray(0, 10), "demo"), /truncated: the header needs/);
  refused(() => decodeFrame(new TextEncoder().encode("GET / HTTP/1.1"), "demo"), /no "MCW1" magic/);
  const huge = f.slice();
  new DataView(huge.buffer).setUint32(4, 2 ** 31);
  refused(() => decodeFrame(huge, "demo"), /over the 65536-byte limit/);
  const lying = encodeFrame({ kind: "demo" }, []);
  const text = new TextDecoder().decode(lying.subarray(8)).replace('"blobs":[]', '"blobs":[-1]');
  const forged = new Uint8Array([
    ...lying.subarray(0, 4),
    0,
    0,
    0,
    text.length,
    ...new TextEncoder().encode(text),
  ]);
  refused(() => decodeFrame(forged, "demo"), /non-negative byte lengths/);
});

Deno.test("wire: keys and queries of a real CKKS client survive the wire; a secret key field is refused", async () => {
  const model = tinyModel(1), params = PRESETS["ckks-4096-d3"], spec = clientSpec(model, params);
  const client = await HeClient.create(params);
  try {
    const keys = client.evaluationKeys(spec.rotations);
    const back = keysFromWire(keysToWire(keys));
    assert.equal(back.keyId, keys.keyId);
    assert.deepEqual([...back.galoisKeys.subarray(0, 64)], [...keys.galoisKeys.subarray(0, 64)]);
    const q = client.encryptSingle(spec, [new Float64Array(16).fill(0.5)]);
    const qb = queryFromWire(queryToWire(q));
    assert.equal(qb.count, 1);
    assert.equal(qb.ciphertexts.length, q.ciphertexts.length);
    const withSecret = encodeFrame({
      ...JSON.parse(
        JSON.stringify({
          kind: keys.kind,
          params: keys.params,
          contextId: keys.contextId,
          keyId: keys.keyId,
          galoisSteps: keys.galoisSteps,
        }),
      ),
      secretKey: "AAAA",
    }, [keys.publicKey, keys.relinKeys, keys.galoisKeys]);
    assert.throws(() => keysFromWire(withSecret), /secretKey/);
    refused(() => resultFromWire(queryToWire(q)), /^result: kind is "he-query", not "he-result"/);
  } finally {
    client.delete();
  }
});
