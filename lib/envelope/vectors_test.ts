import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { decrypt, decryptFile, encrypt, inspect, type Metadata } from "./envelope.ts";
import { availableEngines } from "./engines.ts";
import { aliceKeys, envTest, TESTDATA } from "./_test_util.ts";
import { pythonSkipReason, runPython } from "./_python.ts";

interface Vector {
  file: string;
  suite: 1 | 2;
  exponent: number;
  fileKey: string;
  nonce: string;
  headerBytes: number;
  contentSha256: string;
  metadata: Metadata | null;
  clearMetadata: boolean;
}
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
const hex = (b: ArrayBuffer) =>
  Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

envTest(
  "test vectors: decrypt with every engine, and the payload re-derives from K and N",
  async () => {
    const { publicKey, privateKey } = await aliceKeys();
    const { vectors } = JSON.parse(await Deno.readTextFile(`${TESTDATA}vectors.json`)) as {
      vectors: Vector[];
    };
    assert.equal(vectors.length, 5);
    for (const v of vectors) {
      const env = await Deno.readFile(`${TESTDATA}${v.file}`);
      assert.equal(inspect(env).headerBytes, v.headerBytes);
      for (const engine of availableEngines()) {
        const r = await decrypt(env, privateKey, { engine });
        assert.equal(
          hex(await crypto.subtle.digest("SHA-256", r.data as Uint8Array<ArrayBuffer>)),
          v.contentSha256,
          v.file,
        );
        assert.deepEqual(r.metadata ?? null, v.metadata);
        const again = await encrypt(r.data, publicKey, {
          suite: v.suite === 1 ? "aes-256-gcm" : "aes-256-cbc-hmac-sha256",
          chunkExponent: v.exponent,
          metadata: v.metadata ?? undefined,
          clearMetadata: v.clearMetadata,
          fileKey: unhex(v.fileKey),
          nonce: unhex(v.nonce),
          engine,
        });
        assert.deepEqual(again.subarray(v.headerBytes), env.subarray(v.headerBytes), v.file);
      }
    }
  },
);

const skip = pythonSkipReason();
if (skip) console.log(`vectors_test: Python check of the vectors skipped: ${skip}`);
Deno.test({
  name: "test vectors: the independent Python implementation accepts them",
  ignore: skip !== undefined,
  fn() {
    const out = runPython(["check-vectors", `${TESTDATA}vectors.json`]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), "ok 5 vectors");
  },
});

interface NegativeVector {
  file: string;
  base: string;
  description: string;
  rule: string;
  code: string;
  sha256: string;
}
const negative = JSON.parse(await Deno.readTextFile(`${TESTDATA}negative.json`)) as {
  vectors: NegativeVector[];
};

envTest(
  "negative vectors: decrypt and decryptFile reject each with its MedCryptError code and leave no output",
  async () => {
    const { privateKey } = await aliceKeys();
    assert.equal(negative.vectors.length, 11);
    const dir = await Deno.makeTempDir();
    for (const v of negative.vectors) {
      const path = `${TESTDATA}${v.file}`;
      const env = await Deno.readFile(path);
      assert.equal(hex(await crypto.subtle.digest("SHA-256", env)), v.sha256, v.file);
      const expected = (e: unknown) => {
        assert.ok(e instanceof MedCryptError, `${v.file}: ${e}`);
        assert.equal(e.code, v.code, `${v.file}: ${e.message}`);
        assert.ok(e.message.startsWith(`\`${v.file}\`: `), e.message);
        return true;
      };
      for (const engine of availableEngines()) {
        await assert.rejects(decrypt(env, privateKey, { engine, file: v.file }), expected);
      }
      const out = `${dir}/${v.file}.out`;
      await assert.rejects(decryptFile(path, out, privateKey, { file: v.file }), expected);
      assert.deepEqual([...Deno.readDirSync(dir)], [], `${v.file}: decryptFile left output`);
    }
    await Deno.remove(dir);
  },
);

Deno.test("SPEC.md §10 lists every negative vector with the code of negative.json", async () => {
  const spec = await Deno.readTextFile(new URL("./SPEC.md", import.meta.url));
  const rows = [...spec.matchAll(/^\| `(neg-[a-z-]+)` +\| [^|]+\| `([a-z-]+)` +\|$/gm)]
    .map((m) => [`${m[1]}.mce`, m[2]]);
  assert.deepEqual(rows, negative.vectors.map((v) => [v.file, v.code]));
});
