import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import {
  exportJwk,
  exportPrivatePem,
  exportPublicPem,
  generateKeyPair,
  importJwk,
  importPrivatePem,
  importPublicPem,
  readPrivateKey,
  readPublicKey,
  type RsaBits,
} from "./keys.ts";
import { decrypt, encrypt } from "./envelope.ts";
import { envTest, TESTDATA } from "./_test_util.ts";

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MedCryptError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return "no error";
}

envTest("RSA 2048/3072/4096 generation, PEM and JWK round trips keep the fingerprint", async () => {
  for (const bits of [2048, 3072, 4096] as RsaBits[]) {
    const pair = await generateKeyPair(bits);
    assert.equal(pair.publicKey.bits, bits);
    assert.equal(pair.privateKey.fingerprint, pair.publicKey.fingerprint);
    const pub = await importPublicPem(await exportPublicPem(pair.publicKey));
    const priv = await importPrivatePem(await exportPrivatePem(pair.privateKey));
    const jpub = await importJwk(await exportJwk(pair.publicKey));
    const jpriv = await importJwk(await exportJwk(pair.privateKey));
    assert.equal(jpub.kind, "public");
    assert.equal(jpriv.kind, "private");
    for (const k of [pub, priv, jpub, jpriv]) {
      assert.equal(k.fingerprint, pair.publicKey.fingerprint);
    }
    const env = await encrypt(new Uint8Array([bits & 255]), pub);
    assert.deepEqual((await decrypt(env, jpriv as typeof priv)).data, new Uint8Array([bits & 255]));
  }
});

envTest("the fingerprint is SHA-256 of the SPKI DER, as OpenSSL computes it", async () => {
  const pub = await readPublicKey(`${TESTDATA}public.pem`);
  const der = new Deno.Command("openssl", {
    args: ["pkey", "-pubin", "-in", `${TESTDATA}public.pem`, "-outform", "DER"],
    stdout: "piped",
  }).outputSync().stdout;
  const want = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", der)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(pub.fingerprint, want);
});

envTest("passphrase-sealed private key: right, wrong and missing passphrase", async () => {
  const pair = await generateKeyPair(2048);
  const sealed = await exportPrivatePem(pair.privateKey, { passphrase: "correct horse" });
  assert.match(sealed, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  const back = await importPrivatePem(sealed, { passphrase: "correct horse" });
  assert.equal(back.fingerprint, pair.publicKey.fingerprint);
  assert.equal(
    await code(importPrivatePem(sealed, { passphrase: "wrong horse", file: "k.pem" })),
    "wrong-passphrase: `k.pem`: wrong passphrase: the private key could not be unsealed",
  );
  assert.match(await code(importPrivatePem(sealed, { file: "k.pem" })), /^passphrase-required: /);
  // standard PKCS#8 PBES2/scrypt: OpenSSL reads it too
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/k.pem`, sealed);
  const out = new Deno.Command("openssl", {
    args: ["pkey", "-in", `${dir}/k.pem`, "-passin", "pass:correct horse", "-noout", "-text"],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.match(new TextDecoder().decode(out.stdout), /Private-Key: \(2048 bit/);
});

envTest("a public key where a private one is needed; RSA-1024 is refused", async () => {
  assert.equal(
    await code(readPrivateKey(`${TESTDATA}public.pem`)),
    `not-private-key: \`${TESTDATA}public.pem\`: this is a public key; decrypting needs the matching private key (private.pem)`,
  );
  assert.equal(
    await code(readPrivateKey(`${TESTDATA}rsa1024.pem`)),
    `weak-key: \`${TESTDATA}rsa1024.pem\`: RSA key is 1024 bits; at least 2048 are required (make a new one with \`deno task medcrypt keygen\`)`,
  );
  assert.match(await code(readPublicKey(`${TESTDATA}rsa1024.pem`)), /^weak-key: .*1024 bits/);
  assert.match(await code(readPublicKey(`${TESTDATA}README.md`)), /^bad-key: .*not a PEM key file/);
  assert.match(await code(readPublicKey(`${TESTDATA}missing.pem`)), /^not-found: /);
  assert.match(await code(generateKeyPair(1024 as RsaBits)), /^usage: RSA key size must be/);
});

/** The test private key with base64 character `at` of its body replaced. */
function damagedPem(at: number): string {
  const lines = Deno.readTextFileSync(`${TESTDATA}private.pem`).trim().split("\n");
  const body = lines.slice(1, -1).join("");
  const edited = body.slice(0, at) + (body[at] === "A" ? "B" : "A") + body.slice(at + 1);
  return `${lines[0]}\n${edited.match(/.{1,64}/g)!.join("\n")}\n${lines.at(-1)}\n`;
}

Deno.test("a private key with a damaged CRT part or algorithm identifier is refused, though OpenSSL would repair it", async () => {
  // Character 1500 lies in qi, 27 in the NULL parameters of rsaEncryption: both import silently
  // and decrypt correctly unless checked.
  assert.match(
    await code(importPrivatePem(damagedPem(1500), { file: "k.pem" })),
    /^bad-key: `k.pem`: the private key is damaged: its parts/,
  );
  assert.match(
    await code(importPrivatePem(damagedPem(27), { file: "k.pem" })),
    /bad-key: .*algorithm identifier/,
  );
  const jwk = await exportJwk(
    await importPrivatePem(Deno.readTextFileSync(`${TESTDATA}private.pem`)),
  );
  assert.match(
    await code(importJwk({ ...jwk, dp: jwk.dp!.slice(0, 20) }, { file: "k.jwk" })),
    /the private key is damaged/,
  );
});

Deno.test("a sealed key whose scrypt parameters would take minutes or gigabytes is refused before deriving", async () => {
  const { encodeSealed } = await import("./_sealed.ts");
  const sealed = (N: number, r: number, p: number) => {
    const der = encodeSealed(
      { N, r, p },
      new Uint8Array(16),
      new Uint8Array(16),
      new Uint8Array(1232),
    );
    const b64 = btoa(String.fromCharCode(...der)).match(/.{1,64}/g)!.join("\n");
    return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${b64}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
  };
  for (
    const [N, r, p] of [
      [2 ** 14, 8, 65535],
      [2 ** 14, 8, 127],
      [2 ** 14, 127, 2],
      [2 ** 30, 8, 1],
      [0, 8, 2],
    ]
  ) {
    assert.match(
      await code(importPrivatePem(sealed(N, r, p), { passphrase: "x", file: "k.pem" })),
      /^sealed-key-cost: `k.pem`: the key's scrypt parameters/,
      `N=${N} r=${r} p=${p}`,
    );
  }
  // What this tool writes is accepted (and then fails only on the passphrase).
  assert.match(
    await code(importPrivatePem(sealed(2 ** 14, 8, 2), { passphrase: "x" })),
    /^wrong-passphrase/,
  );
});
