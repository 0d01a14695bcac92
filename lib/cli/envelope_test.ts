/**
 * The envelope commands run as the user runs them: `deno run -A tasks/medcrypt.ts …` in a
 * subprocess (keygen → encrypt → inspect → decrypt, and the failures a user meets).
 */
import assert from "node:assert/strict";
import { assertOneLineError, medcrypt, ROOT } from "./_test_util.ts";

const CT = `${ROOT}data/clinical/ct-abdomen-1.npy`;

function decrypt(key: string, input: string, output: string) {
  return medcrypt("decrypt", "--key", key, "--in", input, "--out", output);
}

async function exists(p: string): Promise<boolean> {
  return await Deno.stat(p).then(() => true, () => false);
}

Deno.test("CLI: keygen, encrypt, inspect and decrypt round-trip a 16-bit CT bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let r = await medcrypt("keygen", "--out", `${dir}/alice`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await exists(`${dir}/alice/public.pem`));
    assert.ok(await exists(`${dir}/alice/private.pem`));
    r = await medcrypt(
      "encrypt",
      "--to",
      `${dir}/alice/public.pem`,
      "--in",
      CT,
      "--out",
      `${dir}/ct.mce`,
    );
    assert.equal(r.code, 0, r.stderr);
    r = await medcrypt("inspect", `${dir}/ct.mce`);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
    r = await decrypt(`${dir}/alice/private.pem`, `${dir}/ct.mce`, `${dir}/ct.npy`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await Deno.readFile(`${dir}/ct.npy`), await Deno.readFile(CT));

    // wrong private key: one line, non-zero exit, no output left behind
    r = await medcrypt("keygen", "--out", `${dir}/mallory`);
    assert.equal(r.code, 0, r.stderr);
    r = await decrypt(`${dir}/mallory/private.pem`, `${dir}/ct.mce`, `${dir}/x.npy`);
    assertOneLineError(r, /ct\.mce/);
    assert.equal(await exists(`${dir}/x.npy`), false);

    // one altered byte in the payload: caught, nothing written
    const bytes = await Deno.readFile(`${dir}/ct.mce`);
    bytes[bytes.length - 100] ^= 0x01;
    await Deno.writeFile(`${dir}/bad.mce`, bytes);
    r = await decrypt(`${dir}/alice/private.pem`, `${dir}/bad.mce`, `${dir}/y.npy`);
    assertOneLineError(r, /bad\.mce/);
    assert.equal(await exists(`${dir}/y.npy`), false);

    // an existing output is not overwritten without --force
    r = await decrypt(`${dir}/alice/private.pem`, `${dir}/ct.mce`, `${dir}/ct.npy`);
    assertOneLineError(r, /already exists/);

    // a public key where a private one is needed
    r = await decrypt(`${dir}/alice/public.pem`, `${dir}/ct.mce`, `${dir}/z.npy`);
    assertOneLineError(r, /public\.pem/);

    // missing arguments are a usage error (exit 2)
    r = await medcrypt("encrypt", "--in", CT);
    assert.equal(r.code, 2);
    // no temporary files left anywhere in the folder
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.filter((n) => n.startsWith(".tmp-")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: keygen refuses an existing key pair without --force and leaves it as it was", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let r = await medcrypt("keygen", "--out", dir, "--bits", "2048");
    assert.equal(r.code, 0, r.stderr);
    const before = await Deno.readFile(`${dir}/private.pem`);
    r = await medcrypt("keygen", "--out", dir, "--bits", "2048");
    assertOneLineError(
      r,
      /private\.pem`: already exists; refusing to overwrite it \(use --force\)/,
    );
    assert.deepEqual(await Deno.readFile(`${dir}/private.pem`), before);
    // only public.pem left: still refused, nothing written
    await Deno.remove(`${dir}/private.pem`);
    r = await medcrypt("keygen", "--out", dir, "--bits", "2048");
    assertOneLineError(r, /public\.pem`: already exists/);
    assert.equal(await exists(`${dir}/private.pem`), false);
    r = await medcrypt("keygen", "--out", dir, "--bits", "2048", "--force");
    assert.equal(r.code, 0, r.stderr);
    r = await medcrypt("keygen", "--out", dir, "--bits", "1024");
    assert.equal(r.code, 2);
    assertOneLineError(r, /--bits must be 2048, 3072, 4096.*keygen --help/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: encrypt a folder: one .mce per file below it, a total, and a second run refuses before writing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let r = await medcrypt("keygen", "--out", `${dir}/k`, "--bits", "2048");
    assert.equal(r.code, 0, r.stderr);
    await Deno.mkdir(`${dir}/in/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/in/a.txt`, "first file");
    await Deno.writeFile(`${dir}/in/sub/b.bin`, new Uint8Array([0, 1, 2, 255]));
    await Deno.writeTextFile(`${dir}/in/.hidden`, "skipped");
    const run = (...extra: string[]) =>
      medcrypt(
        "encrypt",
        "--to",
        `${dir}/k/public.pem`,
        "--in",
        `${dir}/in`,
        "--out",
        `${dir}/out`,
        ...extra,
      );
    r = await run();
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0], /in\/a\.txt: → .*out\/a\.txt\.mce \(\d+ bytes, 1 chunk, aes-256-gcm/);
    assert.match(lines[1], /in\/sub\/b\.bin: → .*out\/sub\/b\.bin\.mce/);
    assert.equal(lines[2], "2 files: 2 done, 0 failed");
    assert.equal(await exists(`${dir}/out/.hidden.mce`), false);

    // a second run: a.txt.mce exists, so nothing is written, not even the missing b.bin.mce
    await Deno.remove(`${dir}/out/sub/b.bin.mce`);
    r = await run();
    assertOneLineError(r, /a\.txt\.mce`: already exists; refusing to overwrite it \(use --force\)/);
    assert.equal(await exists(`${dir}/out/sub/b.bin.mce`), false);
    r = await run("--force");
    assert.equal(r.code, 0, r.stderr);

    r = await decrypt(`${dir}/k/private.pem`, `${dir}/out/sub/b.bin.mce`, `${dir}/b.bin`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await Deno.readFile(`${dir}/b.bin`), new Uint8Array([0, 1, 2, 255]));

    // an empty folder is one clear line
    await Deno.mkdir(`${dir}/empty`);
    r = await medcrypt(
      "encrypt",
      "--to",
      `${dir}/k/public.pem`,
      "--in",
      `${dir}/empty`,
      "--out",
      `${dir}/o2`,
    );
    assertOneLineError(r, /empty`: is a folder with no files in it/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: the embedded scans folder in one encrypt, each back bit for bit; a dangling link fails alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let r = await medcrypt("keygen", "--out", `${dir}/k`, "--bits", "2048");
    assert.equal(r.code, 0, r.stderr);
    const scans = [...Deno.readDirSync(`${ROOT}data/clinical`)].map((e) => e.name).sort();
    r = await medcrypt(
      "encrypt",
      "--to",
      `${dir}/k/public.pem`,
      "--in",
      `${ROOT}data/clinical`,
      "--out",
      `${dir}/sealed`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${scans.length} files: ${scans.length} done, 0 failed\n$`));
    for (const s of scans) {
      const back = `${dir}/${s}`;
      r = await decrypt(`${dir}/k/private.pem`, `${dir}/sealed/${s}.mce`, back);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await Deno.readFile(back), await Deno.readFile(`${ROOT}data/clinical/${s}`));
    }
    // a folder with a link to nowhere: the good file is encrypted, the link reported, exit 1
    await Deno.mkdir(`${dir}/study`);
    await Deno.copyFile(CT, `${dir}/study/a.npy`);
    await Deno.symlink(`${dir}/nowhere`, `${dir}/study/b.npy`);
    r = await medcrypt(
      "encrypt",
      "--to",
      `${dir}/k/public.pem`,
      "--in",
      `${dir}/study`,
      "--out",
      `${dir}/o`,
    );
    assert.equal(r.code, 1);
    assert.match(r.stdout, /study\/a\.npy: → /);
    assert.match(r.stdout, /study\/b\.npy: FAILED: /);
    assert.match(r.stdout, /2 files: 1 done, 1 failed/);
    assert.equal(r.stderr.trim(), "medcrypt encrypt: 1 of 2 files failed");
    assert.ok(await exists(`${dir}/o/a.npy.mce`));
    assert.equal(await exists(`${dir}/o/b.npy.mce`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
