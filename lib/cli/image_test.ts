/**
 * The image commands run as the user runs them: `deno run -A tasks/medcrypt.ts …` in a
 * subprocess, checking stdout, stderr and the exit code.
 */
import assert from "node:assert/strict";
import { assertOneLineError, medcrypt, ROOT } from "./_test_util.ts";
import { readNpyHeader } from "../image/npy.ts";
import { readPngHeader } from "../image/png.ts";
import { readImage, writeImage } from "../image/io.ts";
import { medImage } from "../image/types.ts";

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
    assert.equal(j.unit, file === "dicom/CT_small.dcm" ? "HU" : null, file);
  }
});

Deno.test("info (text) describes an npz archive and a DICOM", async () => {
  const npz = await medcrypt("info", "data/pneumoniamnist.npz");
  assert.equal(npz.code, 0);
  assert.match(npz.stdout, /train_images\s+\|u1 \(2428, 28, 28\)/);
  const dcm = await medcrypt("info", "data/dicom/CT_small.dcm");
  assert.match(dcm.stdout, /size:\s+128 × 128/);
  assert.match(dcm.stdout, /1\.2\.840\.10008\.1\.2\.1, 16\/16 bits signed/);
  // the rescale and the physical values, with their unit
  assert.match(dcm.stdout, /rescale:\s+physical = stored × 1 − 33792 HU \(Hounsfield units, CT\)/);
  assert.match(dcm.stdout, /values:\s+32896 \.\. 34959 stored = −896 \.\. 1167 HU/);
});

Deno.test("info DIR: one line per file and a total", async () => {
  const r = await medcrypt("info", "data/clinical");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 12);
  for (const l of lines.slice(0, 11)) {
    assert.match(l, /^data\/clinical\/[\w-]+\.npy: \d+ × \d+, \d+-bit, modality unknown, values /);
  }
  assert.match(
    lines[1],
    /ct-abdomen-2\.npy: 512 × 512, 12-bit, modality unknown, values 0\.\.2196$/,
  );
  assert.equal(lines[11], "11 files: 11 done, 0 failed");
  assert.equal(r.stderr, "");
});

Deno.test("info DIR goes on past a bad file, reports it and exits 1 (text and --json)", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/sub`);
  await Deno.copyFile(`${DATA}/dicom/MR_small.dcm`, `${dir}/sub/ok.dcm`);
  await Deno.writeFile(`${dir}/bad.npy`, new Uint8Array(50));
  await Deno.writeFile(`${dir}/notes.txt`, new TextEncoder().encode("not an image"));
  const r = await medcrypt("info", dir);
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 3, r.stdout);
  assert.match(lines[0], /bad\.npy: FAILED: \S/);
  assert.match(
    lines[1],
    /sub\/ok\.dcm: 64 × 64, 16-bit, MR, values .* stored = 127\.\.2145 \(no unit/,
  );
  assert.equal(lines[2], "2 files: 1 done, 1 failed");
  assertOneLineError(r, /medcrypt info: 1 of 2 files failed/);
  const j = await medcrypt("info", dir, "--json");
  assert.equal(j.code, 1);
  const objs = j.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(objs.map((o) => [o.file, typeof o.error]), [
    [`${dir}/bad.npy`, "string"],
    [`${dir}/sub/ok.dcm`, "undefined"],
  ]);
  assert.deepEqual([objs[1].width, objs[1].modality, objs[1].unit], [64, "MR", null]);
  await Deno.remove(dir, { recursive: true });
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
  // a 12-bit PNG is near-black in most viewers: the note says so and how to get a preview
  assert.match(r.stdout, /note: the PNG keeps all 12 bits \(16-bit PNG\).*near-black/);
  assert.match(r.stdout, /`deno task medcrypt convert \S+ \S+ct\.png --depth 8 --force`/);
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
  assert.deepEqual(await Deno.readFile(`${dir}/taken.png`), new Uint8Array([1]));
  r = await medcrypt("convert", `${dir}/mr.dcm`, `${dir}/taken.png`, "--force");
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await readImage(`${dir}/taken.png`)).width, 64);
  // a failed conversion leaves no output behind
  await Deno.writeFile(`${dir}/bad.npy`, new Uint8Array(50));
  assertOneLineError(await medcrypt("convert", `${dir}/bad.npy`, `${dir}/out.png`), /bad\.npy/);
  await assert.rejects(() => Deno.stat(`${dir}/out.png`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("convert --window: an 8-bit preview of a CT; HU presets refused for other values", async () => {
  const dir = await Deno.makeTempDir();
  const r = await medcrypt(
    "convert",
    `${DATA}/dicom/CT_small.dcm`,
    `${dir}/lung.png`,
    "--window",
    "lung",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /lung\.png \(png, 128 × 128, 8-bit; window lung \(centre −600, width 1500 HU\)/,
  );
  assert.doesNotMatch(r.stdout, /note:/);
  assert.equal(readPngHeader(await Deno.readFile(`${dir}/lung.png`)).depth, 8);
  const img = await readImage(`${dir}/lung.png`);
  assert.deepEqual([img.bitDepth, img.modality], [8, "CT"]);
  // CT_small is −896..1167 HU: the lung window (−1350..150 HU) clips its top, not its bottom
  assert.ok(Math.max(...img.data) === 255 && Math.min(...img.data) > 0);
  // an NPY has no rescale, so its values are not known to be HU
  assertOneLineError(
    await medcrypt(
      "convert",
      `${DATA}/clinical/ct-abdomen-1.npy`,
      `${dir}/x.png`,
      "--window",
      "lung",
    ),
    /ct-abdomen-1\.npy.*not in HU/,
  );
  await assert.rejects(() => Deno.stat(`${dir}/x.png`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("convert DIR OUT --to: mirrors the tree, refuses existing outputs first, goes on past bad files", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/in/sub`, { recursive: true });
  await writeImage(
    `${dir}/in/a.npy`,
    medImage(new Uint16Array([0, 4095, 7, 9]), 2, 2, { bitDepth: 12 }),
  );
  await Deno.copyFile(`${DATA}/dicom/MR_small.dcm`, `${dir}/in/sub/b.dcm`);
  await Deno.writeFile(`${dir}/in/c.png`, new TextEncoder().encode("not a png"));
  await Deno.mkdir(`${dir}/out/sub`, { recursive: true });
  await Deno.writeFile(`${dir}/out/sub/b.png`, new Uint8Array([1]));
  assert.equal((await medcrypt("convert", `${dir}/in`, `${dir}/out`)).code, 2); // no --to
  const refused = await medcrypt("convert", `${dir}/in`, `${dir}/out`, "--to", "png");
  assertOneLineError(refused, /out\/sub\/b\.png.*already exists.*--force/);
  await assert.rejects(() => Deno.stat(`${dir}/out/a.png`)); // nothing was written
  const r = await medcrypt("convert", `${dir}/in`, `${dir}/out`, "--to", "png", "--force");
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0], /in\/a\.npy: wrote \S+out\/a\.png \(png, 2 × 2, 12-bit\)/);
  assert.match(lines[1], /in\/c\.png: FAILED: .*not a PNG/);
  assert.match(lines[2], /in\/sub\/b\.dcm: wrote \S+out\/sub\/b\.png \(png, 64 × 64, 16-bit\)/);
  assert.equal(lines[3], "3 files: 2 done, 1 failed");
  assert.match(r.stdout, /note: the PNGs keep all their bits/);
  assert.deepEqual([...(await readImage(`${dir}/out/a.png`)).data], [0, 4095, 7, 9]);
  assert.equal((await readImage(`${dir}/out/sub/b.png`)).width, 64);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resize --size 28 --depth 8: a 28×28 8-bit image; bad sizes are usage errors", async () => {
  const dir = await Deno.makeTempDir();
  const r = await medcrypt(
    "resize",
    `${DATA}/clinical/ct-abdomen-1.npy`,
    `${dir}/small.png`,
    "--size",
    "28",
    "--depth",
    "8",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /small\.png \(png, 28 × 28, 8-bit; 512 × 512 by area, stretched \d+\.\.\d+ to 0\.\.255\)/,
  );
  const img = await readImage(`${dir}/small.png`);
  assert.deepEqual([img.width, img.height, img.bitDepth], [28, 28, 8]);
  assert.deepEqual([Math.min(...img.data), Math.max(...img.data)], [0, 255]);
  const bad = await medcrypt(
    "resize",
    `${DATA}/clinical/cxr-1.npy`,
    `${dir}/x.png`,
    "--size",
    "28x",
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--size must be N or WxH.*resize --help/);
  await Deno.remove(dir, { recursive: true });
});
