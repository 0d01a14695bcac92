import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./mod.ts";
import { readImage, writeImage } from "../image/io.ts";
import { type MedImage, medImage } from "../image/types.ts";
import { loadClinicalSamples } from "../datasets/clinical.ts";
import { loadPneumoniaMNIST } from "../datasets/medmnist.ts";
import { initBackend } from "../nn/backend.ts";
import { medcrypt } from "./_test_util.ts";

await initBackend();
Deno.env.set("MEDCRYPT_QUIET", "1");

async function quietCli(args: string[]): Promise<{ code: number; err: string }> {
  const errs: string[] = [];
  const log = console.log, error = console.error;
  console.log = () => {};
  console.error = (...a: unknown[]) => errs.push(a.join(" "));
  try {
    return { code: await runCli(args), err: errs.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("exact variant: every embedded image bit for bit through the CLI and PNG files", async () => {
  const dir = await Deno.makeTempDir();
  const inputs: { path: string; img: MedImage }[] = [];
  for (const s of await loadClinicalSamples()) inputs.push({ path: s.path, img: s.image });
  const pm = await loadPneumoniaMNIST();
  for (const i of [0, 1, 2, 3]) {
    const img = medImage(pm.test.images.slice(i * 784, (i + 1) * 784), 28, 28);
    const path = join(dir, `pm-${i}.png`);
    await writeImage(path, img);
    inputs.push({ path, img });
  }
  assert.ok(inputs.length >= 17);
  for (const [k, { path, img }] of inputs.entries()) {
    const c = join(dir, `c${k}.png`), out = join(dir, `d${k}.npy`);
    const enc = await quietCli([
      "revcipher",
      "encrypt",
      "--key",
      "k3y",
      "--exact",
      "--in",
      path,
      "--out",
      c,
    ]);
    assert.equal(enc.code, 0, enc.err);
    const cipher = await readImage(c);
    assert.equal(cipher.bitDepth, img.bitDepth <= 8 ? 8 : 16, path);
    const dec = await quietCli(["revcipher", "decrypt", "--key", "k3y", "--in", c, "--out", out]);
    assert.equal(dec.code, 0, dec.err);
    const back = await readImage(out);
    assert.equal(back.width, img.width);
    assert.equal(back.height, img.height);
    assert.equal(back.bitDepth, img.bitDepth, path);
    assert.ok(back.data.every((v, i) => v === img.data[i]), `${path} not bit-exact`);
  }
});

Deno.test("CLI: wrong key, missing QR, wrong-size cipher give one-line errors, no output", async () => {
  const dir = await Deno.makeTempDir();
  const src = join(dir, "p.png");
  await writeImage(src, medImage(Uint8Array.from({ length: 32 * 32 }, (_, i) => i % 251), 32, 32));
  const c = join(dir, "c.png");
  assert.equal(
    (await quietCli(["revcipher", "encrypt", "--key", "a", "--exact", "--in", src, "--out", c]))
      .code,
    0,
  );
  const out = join(dir, "o.png");
  const wrong = await quietCli(["revcipher", "decrypt", "--key", "b", "--in", c, "--out", out]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /wrong key/);
  await assert.rejects(() => Deno.stat(out));
  const noQr = await quietCli([
    "revcipher",
    "decrypt",
    "--key",
    "a",
    "--in",
    c,
    "--qr",
    join(dir, "nope"),
    "--out",
    out,
  ]);
  assert.equal(noQr.code, 1);
  assert.match(noQr.err, /QR folder not found/);
  const small = join(dir, "small.png");
  await writeImage(small, medImage(new Uint8Array(30 * 32), 30, 32));
  const sz = await quietCli([
    "revcipher",
    "decrypt",
    "--key",
    "a",
    "--in",
    small,
    "--qr",
    join(dir, "c.qr"),
    "--out",
    out,
  ]);
  assert.match(sz.err, /30×32 but its header expects 32×32/);
  const deep = join(dir, "deep.png");
  await writeImage(deep, medImage(new Uint16Array(32 * 32), 32, 32));
  const bd = await quietCli([
    "revcipher",
    "decrypt",
    "--key",
    "a",
    "--in",
    deep,
    "--qr",
    join(dir, "c.qr"),
    "--out",
    out,
  ]);
  assert.match(bd.err, /16-bit but its header expects a 8-bit/);
  const same = await quietCli(["revcipher", "encrypt", "--key", "a", "--in", src, "--out", src]);
  assert.equal(same.code, 1);
  const usage = await quietCli(["revcipher", "encrypt", "--in", src]);
  assert.equal(usage.code, 2);
  // small images: the cipher can travel inside the QR codes (--embed), decrypt without --in
  const c2 = join(dir, "c2.png"), qr2 = join(dir, "qr2");
  assert.equal(
    (await quietCli([
      "revcipher",
      "encrypt",
      "--key",
      "a",
      "--exact",
      "--embed",
      "--in",
      src,
      "--out",
      c2,
      "--qr",
      qr2,
    ])).code,
    0,
  );
  const out2 = join(dir, "o2.npy");
  assert.equal(
    (await quietCli(["revcipher", "decrypt", "--key", "a", "--qr", qr2, "--out", out2])).code,
    0,
  );
  assert.deepEqual((await readImage(out2)).data, (await readImage(src)).data);
  // the key as its own QR code, read back from the PNG
  const kq = join(dir, "key.png"), c3 = join(dir, "c3.png"), out3 = join(dir, "o3.npy");
  const args = ["revcipher", "encrypt", "--key", "a", "--exact", "--in", src, "--out", c3];
  assert.equal((await quietCli([...args, "--key-qr", kq])).code, 0);
  const dec = await quietCli(["revcipher", "decrypt", "--key-qr", kq, "--in", c3, "--out", out3]);
  assert.equal(dec.code, 0, dec.err);
  assert.deepEqual((await readImage(out3)).data, (await readImage(src)).data);
});

/** Zeroes the centre block of `fraction` of the area of a PNG image, in place on disk. */
async function cropCentre(path: string, fraction: number): Promise<void> {
  const img = await readImage(path);
  const data = img.data.slice();
  const bw = Math.round(img.width * Math.sqrt(fraction)),
    bh = Math.round(img.height * Math.sqrt(fraction));
  const x0 = Math.floor((img.width - bw) / 2), y0 = Math.floor((img.height - bh) / 2);
  for (let y = y0; y < y0 + bh; y++) data.fill(0, y * img.width + x0, y * img.width + x0 + bw);
  await Deno.remove(path);
  await writeImage(path, medImage(data, img.width, img.height, { bitDepth: img.bitDepth }));
}

Deno.test("exact + robust: a 1/16-cropped 16-bit CT cipher decrypts bit for bit; too much damage is refused", async () => {
  const dir = await Deno.makeTempDir();
  const ct = (await loadClinicalSamples()).find((s) => s.path.includes("ct-abdomen-1"))!;
  assert.ok(ct.image.bitDepth > 8, "the CT sample is more than 8 bits");
  const c = join(dir, "ct.png"), out = join(dir, "ct.npy"), plain = join(dir, "plain.png");
  const enc = await quietCli([
    "revcipher",
    "encrypt",
    "--key",
    "k3y",
    "--exact",
    "--robust",
    "--in",
    ct.path,
    "--out",
    c,
  ]);
  assert.equal(enc.code, 0, enc.err);
  const robust = await readImage(c);
  assert.equal(robust.bitDepth, 16);
  assert.ok(robust.height > ct.image.height, "the erasure code adds rows");
  await cropCentre(c, 1 / 16);
  const dec = await quietCli(["revcipher", "decrypt", "--key", "k3y", "--in", c, "--out", out]);
  assert.equal(dec.code, 0, dec.err);
  const back = await readImage(out);
  assert.equal(back.bitDepth, ct.image.bitDepth);
  assert.ok(back.data.every((v, i) => v === ct.image.data[i]), "not bit-exact after a 1/16 crop");
  // without the erasure code, the same crop is refused (the digest no longer matches)
  assert.equal(
    (await quietCli([
      "revcipher",
      "encrypt",
      "--key",
      "k3y",
      "--exact",
      "--in",
      ct.path,
      "--out",
      plain,
    ])).code,
    0,
  );
  await cropCentre(plain, 1 / 16);
  const refused = await quietCli([
    "revcipher",
    "decrypt",
    "--key",
    "k3y",
    "--in",
    plain,
    "--out",
    join(dir, "x.npy"),
  ]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, /digest|altered/);
  // a quarter cropped is beyond the code: a clear error, no output
  await cropCentre(c, 1 / 4);
  const gone = await quietCli([
    "revcipher",
    "decrypt",
    "--key",
    "k3y",
    "--in",
    c,
    "--out",
    join(dir, "y.npy"),
  ]);
  assert.notEqual(gone.code, 0);
  assert.match(gone.err, /damaged beyond what its erasure code corrects: \d+ of \d+ codewords/);
  await assert.rejects(Deno.stat(join(dir, "y.npy")));
  // --robust is for the exact variant only
  const misuse = await quietCli([
    "revcipher",
    "encrypt",
    "--key",
    "k",
    "--robust",
    "--paper",
    "--in",
    ct.path,
    "--out",
    join(dir, "z.png"),
  ]);
  assert.notEqual(misuse.code, 0);
  assert.match(misuse.err, /--robust needs the exact variant/);
});

Deno.test("no flags: a 16-bit scan round-trips bit for bit, and both commands say 'exact'", async () => {
  const dir = await Deno.makeTempDir();
  const src = "data/clinical/mr-brain-1.npy", c = join(dir, "c.png"), out = join(dir, "d.npy");
  const enc = await medcrypt("revcipher", "encrypt", "--key", "k3y", "--in", src, "--out", c);
  assert.equal(enc.code, 0, enc.stderr);
  assert.match(enc.stdout, /exact variant: decrypts to the very same pixels/);
  const dec = await medcrypt("revcipher", "decrypt", "--key", "k3y", "--in", c, "--out", out);
  assert.equal(dec.code, 0, dec.stderr);
  assert.match(dec.stdout, /exact variant/);
  const [a, b] = [await readImage(src), await readImage(out)];
  assert.ok(a.bitDepth > 8);
  assert.equal(b.bitDepth, a.bitDepth);
  assert.ok(b.data.every((v, i) => v === a.data[i]), "default round trip not bit-exact");
  // decrypting again over the same output is refused without --force, and the file is untouched
  const before = await Deno.readFile(out);
  const again = await medcrypt("revcipher", "decrypt", "--key", "k3y", "--in", c, "--out", out);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists; refusing to overwrite it \(use --force\)/);
  assert.deepEqual(await Deno.readFile(out), before);
  const forced = await medcrypt(
    "revcipher",
    "decrypt",
    "--key",
    "k3y",
    "--in",
    c,
    "--out",
    out,
    "--force",
  );
  assert.equal(forced.code, 0, forced.stderr);
  // so is encrypting over an existing cipher
  const over = await medcrypt("revcipher", "encrypt", "--key", "k", "--in", src, "--out", c);
  assert.equal(over.code, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--paper: encrypt and decrypt print the lossy error measured on this image", async () => {
  const dir = await Deno.makeTempDir();
  const src = "data/clinical/mr-brain-1.npy", c = join(dir, "c.png"), out = join(dir, "d.npy");
  const enc = await medcrypt(
    "revcipher",
    "encrypt",
    "--paper",
    "--key",
    "k3y",
    "--in",
    src,
    "--out",
    c,
  );
  assert.equal(enc.code, 0, enc.stderr);
  const line = /PAPER variant \(lossy\).*max \|Δ\| (\d+) of (\d+) grey levels, PSNR ([\d.]+) dB/;
  const m = line.exec(enc.stdout);
  assert.ok(m, enc.stdout);
  const dec = await medcrypt("revcipher", "decrypt", "--key", "k3y", "--in", c, "--out", out);
  assert.equal(dec.code, 0, dec.stderr);
  const md = line.exec(dec.stdout);
  assert.ok(md, dec.stdout);
  assert.deepEqual(md.slice(1), m.slice(1));
  // the numbers are this very image's error
  const [a, b] = [await readImage(src), await readImage(out)];
  let max = 0, se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    max = Math.max(max, d);
    se += d * d;
  }
  const peak = 2 ** a.bitDepth - 1;
  assert.equal(Number(m[1]), max);
  assert.ok(max > 0, "the paper variant was expected to be lossy on this scan");
  assert.equal(Number(m[2]), peak);
  const psnr = 10 * Math.log10(peak * peak / (se / a.data.length));
  assert.ok(Math.abs(Number(m[3]) - psnr) < 0.06, `${m[3]} vs ${psnr}`);
  await Deno.remove(dir, { recursive: true });
});
