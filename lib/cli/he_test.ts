import assert from "node:assert/strict";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { encodeNpy, medImage } from "../image/mod.ts";

const cli = new URL("../../tasks/medcrypt.ts", import.meta.url).pathname;

async function medcrypt(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    env: { MEDCRYPT_QUIET: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("cli he-infer --json: client → server → client on a test image, same label as plaintext", async () => {
  const dir = await Deno.makeTempDir();
  const { test } = await loadPneumoniaMNIST();
  const path = `${dir}/test0.npy`;
  await Deno.writeFile(path, encodeNpy(medImage(test.images.slice(0, 784), 28, 28)));
  const r = await medcrypt("he-infer", "--in", path, "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.results.length, 1);
  const [res] = j.results;
  assert.equal(res.encryptedLogits.length, 2);
  assert.equal(res.plainLogits.length, 2);
  for (let c = 0; c < 2; c++) {
    assert.ok(Math.abs(res.encryptedLogits[c] - res.plainLogits[c]) <= j.errorBound.logits);
  }
  assert.equal(res.label, res.plainLabel);
  for (const k of ["keygenMs", "encryptMs", "serverMs", "decryptMs", "perImageMs"]) {
    assert.ok(j.timings[k] > 0, k);
  }
  assert.equal(j.params.name, "ckks-8192-d5");
});

Deno.test("cli he-infer: wrong image size and missing arguments give one clear line", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/big.npy`;
  await Deno.writeFile(path, encodeNpy(medImage(new Uint8Array(32 * 32), 32, 32)));
  const r = await medcrypt("he-infer", "--in", path);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /big\.npy.*32×32.*28×28/);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  const u = await medcrypt("he-infer");
  assert.equal(u.code, 2);
  assert.match(u.stderr, /--in/);
});
