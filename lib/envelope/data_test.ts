import assert from "node:assert/strict";
import { decryptFile, encryptFile } from "./envelope.ts";
import { decryptImage, encryptImage } from "./image.ts";
import { readImage } from "../image/mod.ts";
import { aliceKeys, envTest, sha256File } from "./_test_util.ts";

const DATA = new URL("../../data/", import.meta.url).pathname;

function embeddedFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      if (e.name === "cache" || e.name.startsWith(".")) continue;
      const p = `${dir}${e.name}`;
      if (e.isDirectory) walk(`${p}/`);
      else if (/\.(npy|npz|dcm|png)$/.test(e.name)) out.push(p);
    }
  };
  walk(DATA);
  return out.sort();
}

envTest("bit-exact file round trip for every embedded image file (npy, npz, dcm)", async () => {
  const { publicKey, privateKey } = await aliceKeys();
  const files = embeddedFiles();
  assert.ok(files.length >= 14, `found only ${files.length} files`);
  const dir = await Deno.makeTempDir();
  for (const f of files) {
    const before = await sha256File(f);
    for (const suite of ["aes-256-gcm", "aes-256-cbc-hmac-sha256"] as const) {
      await encryptFile(f, `${dir}/x.mce`, publicKey, { suite });
      await decryptFile(`${dir}/x.mce`, `${dir}/x.out`, privateKey);
      assert.equal(await sha256File(`${dir}/x.out`), before, `${f} ${suite}`);
      await Deno.remove(`${dir}/x.mce`);
      await Deno.remove(`${dir}/x.out`);
    }
    assert.equal(await sha256File(f), before, `${f} was modified`);
  }
});

envTest("image-aware envelopes: every clinical NPY and DICOM image with its metadata", async () => {
  const { publicKey, privateKey } = await aliceKeys();
  const files = embeddedFiles().filter((f) => /\.(npy|dcm)$/.test(f));
  for (const f of files) {
    const img = await readImage(f);
    for (const clearMetadata of [false, true]) {
      const env = await encryptImage(img, publicKey, { clearMetadata });
      const r = await decryptImage(env, privateKey);
      assert.deepEqual(r.image.data, img.data, f);
      assert.equal(r.image.width, img.width);
      assert.equal(r.image.height, img.height);
      assert.equal(r.image.bitDepth, img.bitDepth);
      assert.equal(r.image.modality, img.modality);
      assert.deepEqual(r.image.rescale, img.rescale);
      assert.deepEqual(r.image.pixelSpacing, img.pixelSpacing);
    }
  }
});
