import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { decrypt, decryptFile, encrypt, encryptFile, inspect } from "./envelope.ts";
import { availableEngines } from "./engines.ts";
import type { EngineName } from "./_engine.ts";
import { aliceKeys, bobKeys, envTest, pattern } from "./_test_util.ts";

const SUITES = ["aes-256-gcm", "aes-256-cbc-hmac-sha256"] as const;

envTest("round trip: every suite × engine × size, decrypted by every engine", async () => {
  const { publicKey, privateKey } = await aliceKeys();
  const engines = availableEngines();
  assert.ok(engines.includes("webcrypto") && engines.includes("node"));
  for (const suite of SUITES) {
    for (const size of [0, 1, 1019, 1020, 3 * 1024 - 4, 5000, 70_000]) {
      const data = pattern(size, size + 1);
      for (const engine of engines) {
        const env = await encrypt(data, publicKey, {
          suite,
          engine,
          chunkExponent: 10,
          metadata: { kind: "file", n: size },
        });
        for (const dec of engines) {
          const r = await decrypt(env, privateKey, { engine: dec });
          assert.deepEqual(r.data, data, `${suite} ${size} ${engine}→${dec}`);
          assert.deepEqual(r.metadata, { kind: "file", n: size });
        }
      }
    }
  }
});

envTest("every engine writes byte-identical envelopes for a fixed file key and nonce", async () => {
  const { publicKey } = await aliceKeys();
  const fileKey = pattern(32, 3), nonce = pattern(16, 4), data = pattern(300_000, 5);
  for (const suite of SUITES) {
    const payloads = [];
    for (const engine of availableEngines()) {
      const env = await encrypt(data, publicKey, { suite, engine, fileKey, nonce });
      payloads.push(env.subarray(inspect(env).headerBytes));
    }
    for (const p of payloads) assert.deepEqual(p, payloads[0]);
  }
});

envTest(
  "several recipients can each decrypt; metadata encrypted unless asked in clear",
  async () => {
    const a = await aliceKeys(), b = await bobKeys();
    const meta = { kind: "image", width: 3, height: 1, modality: "MR-secret-marker" };
    const env = await encrypt(pattern(3), [a.publicKey, b.publicKey], { metadata: meta });
    assert.deepEqual((await decrypt(env, a.privateKey)).metadata, meta);
    assert.deepEqual((await decrypt(env, b.privateKey)).metadata, meta);
    const info = inspect(env);
    assert.equal(info.recipients.length, 2);
    assert.equal(info.recipients[1].fingerprint, b.publicKey.fingerprint);
    assert.equal(info.metadataEncrypted, true);
    assert.ok(!new TextDecoder("latin1").decode(env).includes("MR-secret-marker"));
    const clear = await encrypt(pattern(3), a.publicKey, { metadata: meta, clearMetadata: true });
    assert.deepEqual(inspect(clear).clearMetadata, meta);
    assert.deepEqual((await decrypt(clear, a.privateKey)).metadata, meta);
  },
);

// ------------------------------------------------------------------ bad input

async function failure(p: Promise<unknown>): Promise<MedCryptError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MedCryptError, `expected MedCryptError, got ${e}`);
    return e;
  }
  assert.fail("expected a failure");
}

const HEADER_CODES = new Set([
  "not-envelope",
  "unsupported-version",
  "malformed-header",
  "truncated",
  "stanza-altered",
  "header-altered",
]);

for (const suite of SUITES) {
  envTest(`${suite}: one flipped bit anywhere in header or payload is caught`, async () => {
    const { publicKey, privateKey } = await aliceKeys();
    const env = await encrypt(pattern(5000), publicKey, {
      suite,
      chunkExponent: 10,
      metadata: { kind: "file" },
    });
    const info = inspect(env);
    const seen = new Map<string, number>();
    for (let pos = 0; pos < env.length; pos += pos < info.headerBytes ? 1 : 23) {
      const bad = env.slice();
      bad[pos] ^= 1 << (pos % 8);
      const e = await failure(decrypt(bad, privateKey, { file: "scan.mce" }));
      assert.ok(e.message.startsWith("`scan.mce`: "), e.message);
      if (pos < info.headerBytes) {
        assert.ok(HEADER_CODES.has(e.code), `header byte ${pos}: ${e.code} ${e.message}`);
        if (pos >= info.headerBytes - 32) assert.equal(e.code, "header-altered");
        if (pos < 8) assert.equal(e.code, "not-envelope");
      } else {
        assert.equal(e.code, "chunk-altered", `payload byte ${pos}: ${e.message}`);
        assert.match(e.message, /chunk \d+ of 5 failed authentication/);
      }
      seen.set(e.code, (seen.get(e.code) ?? 0) + 1);
    }
    assert.ok((seen.get("header-altered") ?? 0) > 100);
  });

  envTest(
    `${suite}: truncation at every chunk boundary and mid-chunk; appended bytes`,
    async () => {
      const { publicKey, privateKey } = await aliceKeys();
      const env = await encrypt(pattern(5000), publicKey, { suite, chunkExponent: 10 });
      const info = inspect(env);
      const full = suite === "aes-256-gcm" ? 1024 + 16 : 1024 + 48;
      for (let k = 0; k < info.chunks; k++) {
        const boundary = info.headerBytes + k * full;
        const e = await failure(decrypt(env.subarray(0, boundary), privateKey, { file: "t.mce" }));
        assert.equal(e.code, "truncated");
        assert.match(e.message, new RegExp(`cut at a chunk boundary \\(after ${k} of 5 chunks\\)`));
        const e2 = await failure(decrypt(env.subarray(0, boundary + 100), privateKey));
        assert.equal(e2.code, "truncated");
        assert.match(e2.message, new RegExp(`cut in the middle of chunk ${k + 1} of 5`));
      }
      for (const cut of [1, 8, 37, info.headerBytes - 1]) {
        const e = await failure(decrypt(env.subarray(0, cut), privateKey));
        assert.ok(["truncated", "not-envelope"].includes(e.code), e.message);
      }
      for (const extra of [1, 16, full]) {
        const longer = new Uint8Array(env.length + extra);
        longer.set(env);
        const e = await failure(decrypt(longer, privateKey));
        assert.equal(e.code, "trailing-data");
        assert.match(e.message, new RegExp(`^${extra} unexpected bytes after the final chunk`));
      }
    },
  );

  envTest(`${suite}: swapped chunks are named`, async () => {
    const { publicKey, privateKey } = await aliceKeys();
    const env = await encrypt(pattern(5000), publicKey, { suite, chunkExponent: 10 });
    const info = inspect(env);
    const full = suite === "aes-256-gcm" ? 1024 + 16 : 1024 + 48;
    for (const [a, b] of [[0, 1], [1, 3], [2, 3]]) {
      const bad = env.slice();
      const at = (i: number) => info.headerBytes + i * full;
      bad.set(env.subarray(at(a), at(a) + full), at(b));
      bad.set(env.subarray(at(b), at(b) + full), at(a));
      const e = await failure(decrypt(bad, privateKey));
      assert.equal(e.code, "chunk-reordered");
      assert.equal(
        e.message,
        `chunk ${a + 1} of 5 is out of place: it is chunk ${
          b + 1
        } (chunks were swapped or reordered)`,
      );
    }
  });
}

envTest("a public key where a private one is needed; the wrong private key", async () => {
  const a = await aliceKeys(), b = await bobKeys();
  const env = await encrypt(pattern(10), a.publicKey);
  const e = await failure(decrypt(env, a.publicKey as never, { file: "x.mce" }));
  assert.equal(e.code, "not-private-key");
  const w = await failure(decrypt(env, b.privateKey, { file: "x.mce" }));
  assert.equal(w.code, "wrong-key");
  assert.match(
    w.message,
    /not encrypted to your key SHA256:[0-9a-f]{16}; its recipients are: SHA256:/,
  );
});

envTest(
  "file decryption: distinct message per bad input, no output left, input untouched",
  async () => {
    const a = await aliceKeys(), b = await bobKeys();
    const dir = await Deno.makeTempDir();
    const plain = `${dir}/scan.bin`;
    await Deno.writeFile(plain, pattern(200_000));
    const good = `${dir}/scan.mce`;
    await encryptFile(plain, good, a.publicKey, { chunkExponent: 14 });
    const env = await Deno.readFile(good);
    const info = inspect(env);
    const full = 16384 + 16;
    const variants: Record<string, Uint8Array> = {
      flipped: env.map((v, i) => i === info.headerBytes + 5000 ? v ^ 4 : v),
      "header-flip": env.map((v, i) => i === info.headerBytes - 3 ? v ^ 1 : v),
      truncated: env.slice(0, info.headerBytes + 3 * full),
      appended: (() => {
        const x = new Uint8Array(env.length + 7);
        x.set(env);
        return x;
      })(),
      swapped: (() => {
        const x = env.slice(), at = (i: number) => info.headerBytes + i * full;
        x.set(env.subarray(at(1), at(2)), at(4));
        x.set(env.subarray(at(4), at(5)), at(1));
        return x;
      })(),
      empty: new Uint8Array(0),
      "not-envelope": await Deno.readFile(
        new URL("../../data/clinical/mr-brain-1.npy", import.meta.url),
      ),
    };
    const messages = new Map<string, string>();
    for (const [name, bytes] of Object.entries(variants)) {
      const input = `${dir}/${name}.mce`;
      await Deno.writeFile(input, bytes);
      const e = await failure(decryptFile(input, `${dir}/${name}.out`, a.privateKey));
      assert.ok(e.message.startsWith(`\`${input}\`: `), e.message);
      messages.set(name, `${e.code}: ${e.message}`);
      assert.deepEqual(await Deno.readFile(input), bytes, `${name}: input modified`);
    }
    messages.set(
      "wrong-key",
      await failure(decryptFile(good, `${dir}/w.out`, b.privateKey)).then((e) =>
        `${e.code}: ${e.message}`
      ),
    );
    const codes = [...messages.values()].map((m) => m.split(":")[0]);
    assert.deepEqual(codes, [
      "chunk-altered",
      "header-altered",
      "truncated",
      "trailing-data",
      "chunk-reordered",
      "empty-file",
      "not-envelope",
      "wrong-key",
    ]);
    assert.equal(new Set(codes).size, codes.length);
    const left = [...Deno.readDirSync(dir)].map((d) => d.name).filter((n) =>
      !n.endsWith(".mce") && n !== "scan.bin"
    );
    assert.deepEqual(left, [], "output or temporary files were left behind");
    // refusing to overwrite the input
    const same = await failure(decryptFile(good, good, a.privateKey));
    assert.equal(same.code, "would-overwrite-input");
    assert.deepEqual(await Deno.readFile(good), env);
  },
);

envTest("a chunk exponent outside 10..24 and an empty recipient list are refused", async () => {
  const { publicKey } = await aliceKeys();
  assert.equal((await failure(encrypt(pattern(1), publicKey, { chunkExponent: 9 }))).code, "usage");
  assert.equal((await failure(encrypt(pattern(1), []))).code, "usage");
});

envTest("engine choice by name; unknown engines are refused", async () => {
  const { publicKey, privateKey } = await aliceKeys();
  for (const e of availableEngines() as EngineName[]) {
    const env = await encrypt(pattern(100), publicKey, { engine: e });
    assert.deepEqual((await decrypt(env, privateKey, { engine: e })).data, pattern(100));
  }
  await assert.rejects(
    () => encrypt(pattern(1), publicKey, { engine: "rot13" as EngineName }),
    /unknown engine 'rot13'/,
  );
});
