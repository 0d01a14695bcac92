import assert from "node:assert/strict";
import { medImage } from "../image/types.ts";
import { closeWorkers, decryptImage, generateKeyPair } from "../envelope/mod.ts";
import { clientSpec, HeClient, HeServer, isPublicEvaluationKeys, PRESETS } from "../he/mod.ts";
import { heCnn } from "../nn/models.ts";
import { METHODS, runSession, type Services, viewBytes } from "./session.ts";
import { containsBytes } from "../core/bytes.ts";
import { toHeModel } from "../he/from_tfjs.ts";

Deno.test({
  name: "each adversary view holds only what that adversary would see",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const model = toHeModel(heCnn({ seed: 1 }));
    const params = PRESETS["ckks-8192-d5"];
    const spec = clientSpec(model, params);
    const client = await HeClient.create(params);
    const keys = client.evaluationKeys(spec.rotations);
    const server = await HeServer.create(model, keys);
    const rsa = await generateKeyPair(2048);
    const services: Services = {
      infer: (_x, n) => Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.8 : 0.2)),
      aesKey: await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
        "encrypt",
        "decrypt",
      ]),
      rsa,
      he: { client, server, spec, keys },
    };
    const px = Uint8Array.from({ length: 784 }, (_, i) => (i * 37 + 11) % 251);
    const image = medImage(px, 28, 28);
    const windows = [0, 100, 400, 700].map((o) => px.subarray(o, o + 16));
    const leaks = (bytes: Uint8Array[]) =>
      bytes.some((b) => windows.some((w) => containsBytes(b, w)));
    const secret = client.exportSecretKey();
    try {
      for (const method of METHODS) {
        const s = await runSession(method, image, services);
        // client and API user: their image and the diagnosis, under every method
        for (const v of [s.views.client, s.views.apiUser]) {
          assert.equal(v.kind, "image+output");
          if (v.kind === "image+output") assert.deepEqual(v.probs, s.probs);
        }
        const wire = viewBytes(s.views.eavesdropper), disk = viewBytes(s.views.storage);
        if (method === "Plaintext") {
          assert.ok(leaks(wire) && leaks(disk), "plaintext is visible on the wire and at rest");
          continue;
        }
        assert.equal(s.views.eavesdropper.kind, "bytes");
        assert.ok(!leaks(wire), `${method}: no 16-byte window of the scan on the wire`);
        assert.ok(!leaks(disk), `${method}: no 16-byte window of the scan at rest`);
        if (method === "AES+RSA") {
          // the eavesdropper's bytes are exactly the envelope: they open to the scan with the key
          assert.equal(wire.length, 1);
          assert.deepEqual((await decryptImage(wire[0], rsa.privateKey)).image.data, px);
          assert.equal(disk[0], wire[0], "the stored bytes are the same envelope");
        }
        if (method === "HE") {
          const v = s.views.server;
          assert.equal(v.kind, "he-ciphertexts");
          if (v.kind === "he-ciphertexts") {
            assert.ok(isPublicEvaluationKeys(v.keys), "server keys are a public bundle");
            assert.ok(!("secretKey" in v.keys));
            assert.equal(v.query.kind, "he-query");
          }
          const held = viewBytes(v);
          assert.ok(!leaks(held), "the HE server never holds the scan");
          for (const off of [64, secret.length >> 1, secret.length - 48]) {
            const w = secret.subarray(off, off + 32);
            assert.ok(!held.some((b) => containsBytes(b, w)), "no secret-key bytes at the server");
          }
        } else {
          // AES / AES+RSA servers hold the key, hence the scan
          assert.equal(s.views.server.kind, "image+output");
        }
      }
    } finally {
      server.delete();
      client.delete();
      closeWorkers();
    }
  },
});
