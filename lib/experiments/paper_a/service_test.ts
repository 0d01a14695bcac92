import assert from "node:assert/strict";
import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
import { medImage } from "../../image/types.ts";
import { wireStudy } from "./service.ts";

Deno.test({
  name:
    "paper-a over HTTP: only plaintext shows pixels and diagnoses to the eavesdropper; the secret key and the scans never reach the wire's other end or the server's disk",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { test } = await loadPneumoniaMNIST();
    const images = [0, 1].map((i) => medImage(test.images.slice(i * 784, (i + 1) * 784), 28, 28));
    const { overHttp, wireThreats } = await wireStudy(images, 2);
    assert.deepEqual(overHttp.map((r) => r.method), ["Plaintext", "AES+RSA", "HE"]);
    for (const r of overHttp) {
      assert.equal(r["labels = clear"], "2 / 2", r.method);
      assert.ok(r["wire KB/image"] > 0 && r["p50 ms"] > 0, r.method);
    }
    const he = overHttp.find((r) => r.method === "HE")!;
    assert.ok(he["max |Δ logit|"] < 1e-2, `CKKS error ${he["max |Δ logit|"]}`);
    assert.ok(he["keys MB (once)"] > 10, `keys ${he["keys MB (once)"]} MB`);
    assert.ok(he["wire KB/image"] > 100 * overHttp[0]["wire KB/image"]);
    const at = (position: string, method: string) =>
      wireThreats.find((r) => r.position.startsWith(position) && r.method === method)!;
    assert.equal(at("network", "Plaintext")["images with pixels found"], "2 / 2");
    assert.equal(at("network", "Plaintext")["diagnoses found"], "2 / 2");
    for (const method of ["AES+RSA", "HE"]) {
      assert.equal(at("network", method)["images with pixels found"], "0 / 2", method);
      assert.equal(at("network", method)["diagnoses found"], "0 / 2", method);
    }
    for (const r of wireThreats) {
      assert.equal(r["secret key found"], false, `${r.position} ${r.method}`);
      if (r.position.startsWith("inference server")) {
        assert.equal(r["images with pixels found"], "0 / 2", `${r.method}: nothing on disk`);
        assert.ok(r["bytes examined"] > 0, "the state folder was searched");
      }
    }
  },
});
