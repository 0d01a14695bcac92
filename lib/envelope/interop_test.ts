import assert from "node:assert/strict";
import { decryptFile, encrypt, encryptFile } from "./envelope.ts";
import { exportPrivatePem } from "./keys.ts";
import { aliceKeys, bobKeys, envTest, pattern, TESTDATA } from "./_test_util.ts";
import { pythonSkipReason, runPython } from "./_python.ts";

const skip = pythonSkipReason();
if (skip) console.log(`interop_test: skipped: ${skip}`);

const SUITES = [["aes-256-gcm", "1"], ["aes-256-cbc-hmac-sha256", "2"]] as const;

envTest("interop: TypeScript encrypts → independent Python (PyCryptodome) decrypts", async () => {
  const a = await aliceKeys(), b = await bobKeys();
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/bob.pem`,
    await exportPrivatePem(b.privateKey, { passphrase: "pw" }),
  );
  for (const [suite] of SUITES) {
    for (
      const [size, exp, clear] of [[0, 10, false], [5000, 10, true], [300_000, 16, false]] as const
    ) {
      const data = pattern(size, 9);
      await Deno.writeFile(`${dir}/in.bin`, data);
      const meta = { kind: "image", width: 10, height: 20, bitDepth: 12, modality: "CT" };
      await encryptFile(`${dir}/in.bin`, `${dir}/x.mce`, [a.publicKey, b.publicKey], {
        suite,
        chunkExponent: exp,
        metadata: meta,
        clearMetadata: clear,
      });
      await Deno.remove(`${dir}/out.bin`).catch(() => {});
      const r = runPython([
        "decrypt",
        "--key",
        `${dir}/bob.pem`,
        "--passphrase",
        "pw",
        "--in",
        `${dir}/x.mce`,
        "--out",
        `${dir}/out.bin`,
        "--meta-out",
        `${dir}/meta.json`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await Deno.readFile(`${dir}/out.bin`), data, `${suite} ${size}`);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/meta.json`)), meta);
    }
  }
  // and Python rejects an altered envelope
  const env = await encrypt(pattern(3000), a.publicKey, { chunkExponent: 10 });
  env[env.length - 5] ^= 1;
  await Deno.writeFile(`${dir}/bad.mce`, env);
  const r = runPython([
    "decrypt",
    "--key",
    `${TESTDATA}private.pem`,
    "--in",
    `${dir}/bad.mce`,
    "--out",
    `${dir}/o`,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^interop: chunk-altered: chunk 2 failed authentication\n$/);
}, skip !== undefined);

envTest("interop: independent Python (PyCryptodome) encrypts → TypeScript decrypts", async () => {
  const a = await aliceKeys();
  const dir = await Deno.makeTempDir();
  for (const [, suiteNo] of SUITES) {
    for (const [size, exp] of [[1, 10], [4096, 10], [200_000, 16]] as const) {
      const data = pattern(size, 11);
      await Deno.writeFile(`${dir}/in.bin`, data);
      const meta = { kind: "file", note: "from python" };
      const r = runPython([
        "encrypt",
        "--to",
        `${TESTDATA}public.pem`,
        "--in",
        `${dir}/in.bin`,
        "--out",
        `${dir}/p${suiteNo}-${size}.mce`,
        "--suite",
        suiteNo,
        "--exp",
        String(exp),
        "--meta",
        JSON.stringify(meta),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const out = `${dir}/back-${suiteNo}-${size}.bin`;
      const got = await decryptFile(`${dir}/p${suiteNo}-${size}.mce`, out, a.privateKey);
      assert.deepEqual(await Deno.readFile(out), data);
      assert.deepEqual(got.metadata, meta);
    }
  }
}, skip !== undefined);

envTest(
  "interop: independent Python (PyCryptodome) rejects every negative vector with its code",
  async () => {
    const { vectors } = JSON.parse(await Deno.readTextFile(`${TESTDATA}negative.json`)) as {
      vectors: { file: string; code: string }[];
    };
    const out = runPython(["check-negative", `${TESTDATA}negative.json`]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), `ok ${vectors.length} rejected`);
    // and its `decrypt` command fails with a one-line message and writes nothing
    const dir = await Deno.makeTempDir();
    for (const v of vectors) {
      const r = runPython([
        "decrypt",
        "--key",
        `${TESTDATA}private.pem`,
        "--in",
        `${TESTDATA}${v.file}`,
        "--out",
        `${dir}/out`,
      ]);
      assert.equal(r.code, 1, `${v.file}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^interop: ${v.code}: [^\\n]+\\n$`), v.file);
      assert.deepEqual([...Deno.readDirSync(dir)], [], `${v.file}: Python left output`);
    }
    await Deno.remove(dir);
  },
  skip !== undefined,
);
