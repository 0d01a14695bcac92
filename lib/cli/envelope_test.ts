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
