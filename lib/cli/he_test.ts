/**
 * `he-infer` run as the user runs it (`deno run -A tasks/medcrypt.ts …` in a subprocess): a
 * folder with a good and a bad image, a real 1024×1024 scan refused with a runnable suggestion,
 * and the same scan classified with `--resize`.
 */
import assert from "node:assert/strict";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { encodeNpy, medImage } from "../image/mod.ts";
import { assertOneLineError, medcrypt } from "./_test_util.ts";

/** A folder with `good.npy` (a 28×28 PneumoniaMNIST test image) and `big.npy` (32×32). */
async function mixedFolder(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const { test } = await loadPneumoniaMNIST();
  await Deno.writeFile(`${dir}/good.npy`, encodeNpy(medImage(test.images.slice(0, 784), 28, 28)));
  await Deno.mkdir(`${dir}/sub`);
  await Deno.writeFile(`${dir}/sub/big.npy`, encodeNpy(medImage(new Uint8Array(32 * 32), 32, 32)));
  await Deno.writeTextFile(`${dir}/notes.txt`, "not an image: not picked up");
  return dir;
}

Deno.test("cli he-infer --json on a folder: the good image classified as in plaintext, the bad one listed, exit 1", async () => {
  const dir = await mixedFolder();
  try {
    const r = await medcrypt("he-infer", "--in", dir, "--json");
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.results.length, 1);
    const [res] = j.results;
    assert.equal(res.file, `${dir}/good.npy`);
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
    assert.equal(j.failed.length, 1);
    assert.equal(j.failed[0].file, `${dir}/sub/big.npy`);
    assert.match(j.failed[0].error, /32×32.*28×28/);
    assert.match(r.stderr.trim(), /1 of 2 files failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli he-infer on a folder: one line per image (FAILED for the bad one), a total, exit 1", async () => {
  const dir = await mixedFolder();
  try {
    const r = await medcrypt("he-infer", "--in", dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /good\.npy: (normal|pneumonia) \(encrypted logits/);
    assert.match(r.stdout, /sub\/big\.npy: FAILED: image is 32×32; the HE model takes 28×28/);
    assert.match(r.stdout, /2 files: 1 done, 1 failed/);
    assert.doesNotMatch(r.stdout, /notes\.txt/);
    assert.match(r.stdout, /max \|encrypted − plaintext\|/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli he-infer on a 1024×1024 scan: one line that gives --resize and a runnable resize command", async () => {
  const r = await medcrypt("he-infer", "--in", "data/clinical/cxr-1.npy");
  assertOneLineError(
    r,
    /cxr-1\.npy`: image is 1024×1024; the HE model takes 28×28: rerun with `--resize`.*`deno task medcrypt resize data\/clinical\/cxr-1\.npy data\/clinical\/cxr-1-28\.png --size 28 --method area --depth 8`/,
  );
  const u = await medcrypt("he-infer");
  assert.equal(u.code, 2);
  assertOneLineError(u, /--in IMAGE\|DIR.*he-infer --help/);
  const m = await medcrypt("he-infer", "--in", "data/clinical/cxr-1.npy", "--mode", "fast");
  assert.equal(m.code, 2);
  assertOneLineError(m, /--mode must be single, batch/);
});

Deno.test("cli he-infer --resize: the 1024×1024 scan is fitted to 28×28 8-bit, classified, and the line says so", async () => {
  const r = await medcrypt("he-infer", "--in", "data/clinical/cxr-1.npy", "--resize");
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^data\/clinical\/cxr-1\.npy: (normal|pneumonia) \(resized 1024×1024 → 28×28 by area averaging; encrypted logits/,
  );
  assert.doesNotMatch(r.stdout, /files:/); // one file: no total
});

Deno.test("cli he-train: an existing --out is refused before any training", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/m.json`, "keep");
    const r = await medcrypt("he-train", "--out", `${dir}/m.json`, "--epochs", "1");
    assertOneLineError(r, /m\.json`: already exists; refusing to overwrite it \(use --force\)/);
    assert.equal(await Deno.readTextFile(`${dir}/m.json`), "keep");
    const bad = await medcrypt("he-train", "--out", `${dir}/n.json`, "--activation", "relu");
    assert.equal(bad.code, 2);
    assertOneLineError(bad, /--activation must be square, relu-approx/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli he-infer: the resize command it suggests runs, and its copy is classified (needs `resize`)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const scan = `${dir}/scan.npy`;
    await Deno.copyFile("data/clinical/ct-abdomen-1.npy", scan);
    const r = await medcrypt("he-infer", "--in", scan);
    assert.equal(r.code, 1);
    const cmd = /`deno task medcrypt (resize [^`]+)`/.exec(r.stderr)?.[1];
    assert.ok(cmd, r.stderr);
    assert.match(cmd, new RegExp(`${dir}/scan-28\\.png`));
    const made = await medcrypt(...cmd.split(" "));
    assert.equal(made.code, 0, made.stderr);
    const ok = await medcrypt("he-infer", "--in", `${dir}/scan-28.png`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /scan-28\.png: (normal|pneumonia) \(encrypted logits/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
