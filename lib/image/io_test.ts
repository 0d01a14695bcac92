import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { formatOf, readImage, writeImage } from "./io.ts";
import { medImage } from "./types.ts";

Deno.test("writeImage/readImage round-trip every format, atomically", async () => {
  const dir = await Deno.makeTempDir();
  const img = medImage(new Uint16Array([0, 1, 4095, 77]), 2, 2, { bitDepth: 12 });
  for (const ext of ["npy", "png", "dcm"]) {
    const p = `${dir}/a.${ext}`;
    await writeImage(p, img);
    const back = await readImage(p);
    assert.deepEqual(back.data, img.data, ext);
    assert.equal(back.bitDepth, 12, ext);
  }
  // no temporary files left behind
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assert.deepEqual(names.sort(), ["a.dcm", "a.npy", "a.png"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("unknown extensions, missing files and overwriting an input are refused", async () => {
  const dir = await Deno.makeTempDir();
  const img = medImage(new Uint8Array(4), 2, 2);
  await assert.rejects(() => writeImage(`${dir}/a.jpg`, img), (e: unknown) => {
    assert.ok(e instanceof MedCryptError);
    assert.equal(e.code, "unknown-format");
    assert.match(e.message, /a\.jpg/);
    return true;
  });
  await assert.rejects(() => readImage(`${dir}/missing.npy`), MedCryptError);
  await writeImage(`${dir}/in.npy`, img);
  await assert.rejects(
    () => writeImage(`${dir}/in.npy`, img, [`${dir}/in.npy`]),
    (e: unknown) => e instanceof MedCryptError && e.code === "would-overwrite-input",
  );
  // a corrupt file names itself in the error
  await Deno.writeFile(`${dir}/bad.png`, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  await assert.rejects(() => readImage(`${dir}/bad.png`), /`.*bad\.png`: not a PNG/);
  assert.equal(formatOf("X.DICOM"), "dicom");
  await Deno.remove(dir, { recursive: true });
});
