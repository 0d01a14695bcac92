/**
 * The image commands run as the user runs them: `deno run -A tasks/medcrypt.ts …` in a
 * subprocess, checking stdout, stderr and the exit code.
 */
import assert from "node:assert/strict";
import { assertOneLineError, medcrypt, ROOT } from "./_test_util.ts";
import { readNpyHeader } from "../image/npy.ts";

const DATA = `${ROOT}data`;

Deno.test("info --json gives the right size and bit depth for every embedded file", async () => {
  const expected: [string, number, number, number, string | null, string][] = [
    ["clinical/ct-abdomen-1.npy", 512, 512, 12, null, "npy"],
    ["clinical/ct-abdomen-2.npy", 512, 512, 12, null, "npy"],
    ["clinical/ct-abdomen-3.npy", 512, 512, 11, null, "npy"],
    ["clinical/ct-abdomen-4.npy", 512, 512, 12, null, "npy"],
    ["clinical/cxr-1.npy", 1024, 1024, 8, null, "npy"],
    ["clinical/mr-brain-1.npy", 240, 240, 11, null, "npy"],
    ["clinical/mr-brain-2.npy", 240, 240, 11, null, "npy"],
    ["clinical/mr-brain-3.npy", 240, 240, 12, null, "npy"],
    ["clinical/mr-brain-4.npy", 240, 240, 11, null, "npy"],
    ["clinical/mr-pelvis-1.npy", 320, 320, 11, null, "npy"],
    ["clinical/mr-pelvis-2.npy", 320, 320, 11, null, "npy"],
    ["dicom/CT_small.dcm", 128, 128, 16, "CT", "dicom"],
    ["dicom/MR_small.dcm", 64, 64, 16, "MR", "dicom"],
    ["pneumoniamnist.npz", 28, 28, 8, null, "npz"],
  ];
  // every file in data/ that is an image or archive is covered
  const listed = new Set(expected.map((e) => e[0]));
  for (const sub of ["clinical", "dicom", ""]) {
    for await (const e of Deno.readDir(`${DATA}/${sub}`)) {
      if (e.isFile && /\.(npy|dcm|npz|png)$/.test(e.name)) {
        assert.ok(listed.has(sub ? `${sub}/${e.name}` : e.name), `untested file ${e.name}`);
      }
    }
  }
  for (const [file, width, height, bitDepth, modality, format] of expected) {
    const r = await medcrypt("info", `data/${file}`, "--json");
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(
      {
        width: j.width,
        height: j.height,
        bitDepth: j.bitDepth,
        modality: j.modality,
        format: j.format,
      },
      { width, height, bitDepth, modality, format },
      file,
    );
  }
});

Deno.test("info (text) describes an npz archive and a DICOM", async () => {
  const npz = await medcrypt("info", "data/pneumoniamnist.npz");
  assert.equal(npz.code, 0);
  assert.match(npz.stdout, /train_images\s+\|u1 \(2428, 28, 28\)/);
  const dcm = await medcrypt("info", "data/dicom/CT_small.dcm");
  assert.match(dcm.stdout, /size:\s+128 × 128/);
  assert.match(dcm.stdout, /1\.2\.840\.10008\.1\.2\.1, 16\/16 bits signed/);
});

Deno.test("corrupt, missing and unknown files: one line on stderr, non-zero exit", async () => {
  const dir = await Deno.makeTempDir();
  const ct = await Deno.readFile(`${DATA}/clinical/ct-abdomen-1.npy`);
  await Deno.writeFile(`${dir}/cut.npy`, ct.subarray(0, 5000));
  assertOneLineError(
    await medcrypt("info", `${dir}/cut.npy`),
    /cut\.npy.*declares 524288 data bytes/,
  );
  const dcm = await Deno.readFile(`${DATA}/dicom/CT_small.dcm`);
  await Deno.writeFile(`${dir}/cut.dcm`, dcm.subarray(0, 3000));
  assertOneLineError(await medcrypt("info", `${dir}/cut.dcm`), /cut\.dcm/);
  await Deno.writeFile(`${dir}/junk.png`, new TextEncoder().encode("not a png at all"));
  assertOneLineError(await medcrypt("info", `${dir}/junk.png`), /junk\.png.*not a PNG/);
  assertOneLineError(await medcrypt("info", `${dir}/nope.npy`), /nope\.npy.*no such file/);
  await Deno.writeFile(`${dir}/notes.txt`, new TextEncoder().encode("hello"));
  assertOneLineError(await medcrypt("info", `${dir}/notes.txt`), /not a recognised image/);
  const usage = await medcrypt("info");
  assert.equal(usage.code, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("convert: 16-bit CT NPY → PNG → NPY is bit-exact", async () => {
  const dir = await Deno.makeTempDir();
  const src = `${DATA}/clinical/ct-abdomen-1.npy`;
  let r = await medcrypt("convert", src, `${dir}/ct.png`);
  assert.equal(r.code, 0, r.stderr);
  r = await medcrypt("convert", `${dir}/ct.png`, `${dir}/ct.npy`);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse((await medcrypt("info", `${dir}/ct.png`, "--json")).stdout);
  assert.deepEqual([info.width, info.height, info.bitDepth, info.pngDepth], [512, 512, 12, 16]);
  // The round-tripped pixels hash to what numpy computes for the source in row-major order
  // (sha256(np.ascontiguousarray(np.load(src)).tobytes()), first 16 hex digits).
  const out = await Deno.readFile(`${dir}/ct.npy`);
  const data = out.slice(readNpyHeader(out).dataOffset);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  const hex = [...digest.slice(0, 8)].map((x) => x.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, "a7230271716d9dcf");
  assert.equal(data.length, 512 * 512 * 2);
  // and they equal a direct NPY → NPY rewrite byte for byte
  r = await medcrypt("convert", src, `${dir}/direct.npy`);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await Deno.readFile(`${dir}/ct.npy`), await Deno.readFile(`${dir}/direct.npy`));
  const a = JSON.parse((await medcrypt("info", src, "--json")).stdout);
  const b = JSON.parse((await medcrypt("info", `${dir}/ct.npy`, "--json")).stdout);
  assert.deepEqual([b.min, b.max, b.bitDepth, b.dtype], [a.min, a.max, a.bitDepth, "<u2"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("convert: DICOM out, refusals (unknown extension, input, existing output)", async () => {
  const dir = await Deno.makeTempDir();
  let r = await medcrypt("convert", `${DATA}/dicom/MR_small.dcm`, `${dir}/mr.dcm`);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse((await medcrypt("info", `${dir}/mr.dcm`, "--json")).stdout);
  assert.deepEqual([j.width, j.height, j.bitDepth, j.modality], [64, 64, 16, "MR"]);
  assertOneLineError(
    await medcrypt("convert", `${dir}/mr.dcm`, `${dir}/mr.jpg`),
    /mr\.jpg.*use \.npy, \.png or \.dcm/,
  );
  assertOneLineError(
    await medcrypt("convert", `${dir}/mr.dcm`, `${dir}/mr.dcm`),
    /refusing to overwrite/,
  );
  await Deno.writeFile(`${dir}/taken.png`, new Uint8Array([1]));
  assertOneLineError(
    await medcrypt("convert", `${dir}/mr.dcm`, `${dir}/taken.png`),
    /taken\.png.*--force/,
  );
  r = await medcrypt("convert", `${dir}/mr.dcm`, `${dir}/taken.png`, "--force");
  assert.equal(r.code, 0, r.stderr);
  // a failed conversion leaves no output behind
  await Deno.writeFile(`${dir}/bad.npy`, new Uint8Array(50));
  assertOneLineError(await medcrypt("convert", `${dir}/bad.npy`, `${dir}/out.png`), /bad\.npy/);
  await assert.rejects(() => Deno.stat(`${dir}/out.png`));
  await Deno.remove(dir, { recursive: true });
});
