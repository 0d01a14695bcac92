/**
 * The keys category of the adversarial suite: every key file a user can hand `encrypt` and
 * `decrypt` by mistake, and the ones an attacker can forge. The wrong private key, a public key
 * where a private one is expected (PEM and JWK), corrupted PEM (characters changed, lines cut,
 * armour damaged) and JWK, passphrase-sealed keys with a wrong or missing passphrase, sealed keys
 * whose scrypt parameters would take hours or gigabytes to derive, RSA keys below 2048 bits, and
 * keys of other algorithms (EC P-256, Ed25519, X25519, RSA-PSS). A key that is read must also
 * work: a corrupted private key that imports is used to decrypt, and must then be refused —
 * never decrypt to other bytes.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./mod.ts";
 * const r = await runSuite({ seed: 1, long: false, only: ["keys"] });
 * console.log(r.tallies[0].crashes); // 0
 * ```
 * @module
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { join } from "node:path";
import { Rng } from "../core/random.ts";
import { closeWorkers } from "../envelope/engines.ts";
import { decrypt, encrypt } from "../envelope/envelope.ts";
import {
  exportJwk,
  exportPrivatePem,
  exportPublicPem,
  generateKeyPair,
  type KeyPair,
  readPrivateKey,
  readPublicKey,
} from "../envelope/keys.ts";
import { TESTDATA } from "../envelope/_test_util.ts";
import { encodeSealed, type ScryptParams } from "../envelope/_sealed.ts";
import { type AdversarialCase, runCli } from "./harness.ts";
import type { BuiltCases, CaseSource, SuiteOptions } from "./types.ts";

/** What the cases share: the keys, an envelope to the first, and a folder for key files. */
interface Ctx {
  dir: string;
  alice: KeyPair;
  bob: KeyPair;
  envelope: Uint8Array;
  envelopeFile: string;
  plainFile: string;
  privatePem: string;
  rng: Rng;
}

let counter = 0;

/** Writes `text` to a fresh file of the work folder. */
async function keyFile(c: Ctx, text: string | Uint8Array, ext = "pem"): Promise<string> {
  const p = join(c.dir, `key-${counter++}.${ext}`);
  if (typeof text === "string") await Deno.writeTextFile(p, text);
  else await Deno.writeFile(p, text);
  return p;
}

/** Reading `text` as a private key and decrypting the envelope with it must be refused. */
function asPrivate(
  c: Ctx,
  name: string,
  text: string | Uint8Array,
  o: { message?: RegExp; passphrase?: string; ext?: string; timeoutMs?: number } = {},
): AdversarialCase {
  return {
    category: "keys",
    name,
    message: o.message ?? /^`[^`]+`: /,
    timeoutMs: o.timeoutMs,
    async run() {
      const file = await keyFile(c, text, o.ext);
      const key = await readPrivateKey(file, { passphrase: o.passphrase });
      return await decrypt(c.envelope, key, { file: c.envelopeFile });
    },
  };
}

/** Reading `text` as a recipient's public key must be refused. */
function asPublic(
  c: Ctx,
  name: string,
  text: string | Uint8Array,
  message?: RegExp,
  ext = "pem",
): AdversarialCase {
  return {
    category: "keys",
    name,
    message: message ?? /^`[^`]+`: /,
    async run() {
      const key = await readPublicKey(await keyFile(c, text, ext));
      return await encrypt(new Uint8Array(8), key);
    },
  };
}

async function context(o: SuiteOptions): Promise<Ctx> {
  const alice = {
    publicKey: await readPublicKey(`${TESTDATA}public.pem`),
    privateKey: await readPrivateKey(`${TESTDATA}private.pem`),
  };
  const envelope = await encrypt(new TextEncoder().encode("a scan"), alice.publicKey);
  const envelopeFile = join(o.workDir, "scan.mce"), plainFile = join(o.workDir, "scan.bin");
  await Deno.writeFile(envelopeFile, envelope);
  await Deno.writeTextFile(plainFile, "a scan");
  return {
    dir: o.workDir,
    alice,
    bob: await generateKeyPair(2048),
    envelope,
    envelopeFile,
    plainFile,
    privatePem: await exportPrivatePem(alice.privateKey),
    rng: new Rng(o.seed),
  };
}

/** The wrong private key, and public keys where a private one is expected. */
async function wrongKinds(c: Ctx): Promise<AdversarialCase[]> {
  const pub = await exportPublicPem(c.alice.publicKey);
  return [
    asPrivate(c, "another user's private key", await exportPrivatePem(c.bob.privateKey), {
      message: /not encrypted to your key/,
    }),
    asPrivate(
      c,
      "another user's private key, sealed, right passphrase",
      await exportPrivatePem(c.bob.privateKey, { passphrase: "pw" }),
      {
        passphrase: "pw",
        message: /not encrypted to your key/,
      },
    ),
    asPrivate(c, "the recipient's public key (PEM) as the private key", pub, {
      message: /public key/,
    }),
    asPrivate(
      c,
      "the recipient's public key (JWK) as the private key",
      JSON.stringify(await exportJwk(c.alice.publicKey)),
      {
        message: /public key/,
        ext: "jwk",
      },
    ),
    asPrivate(
      c,
      "another user's private key (JWK)",
      JSON.stringify(await exportJwk(c.bob.privateKey)),
      {
        message: /not encrypted to your key/,
        ext: "jwk",
      },
    ),
  ];
}

/** The body of a PEM, as one base64 string, and its armour lines. */
function pemParts(pem: string): { begin: string; body: string; end: string } {
  const lines = pem.trim().split("\n");
  return { begin: lines[0], body: lines.slice(1, -1).join(""), end: lines.at(-1)! };
}

function pemOf(begin: string, body: string, end: string): string {
  return `${begin}\n${body.match(/.{1,64}/g)?.join("\n") ?? ""}\n${end}\n`;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 characters of the private PEM changed, and its body cut, then used to decrypt. */
function corruptedPrivate(c: Ctx, long: boolean): AdversarialCase[] {
  const { begin, body, end } = pemParts(c.privatePem);
  const cases: AdversarialCase[] = [];
  const n = long ? 3000 : 24;
  for (let k = 0; k < n; k++) {
    const at = c.rng.int(body.length - 2);
    let ch = B64[c.rng.int(64)];
    if (ch === body[at]) ch = B64[(B64.indexOf(ch) + 1) % 64];
    const edited = body.slice(0, at) + ch + body.slice(at + 1);
    cases.push(
      asPrivate(c, `private PEM: base64 character ${at} changed`, pemOf(begin, edited, end)),
    );
  }
  for (let k = 0; k < (long ? 400 : 8); k++) {
    const cut = 4 * c.rng.int(body.length / 4);
    cases.push(
      asPrivate(
        c,
        `private PEM: body cut to ${cut} characters`,
        pemOf(begin, body.slice(0, cut), end),
      ),
    );
  }
  return cases;
}

/** Damage to the PEM armour and whole-file garbage, as private and as public key. */
async function damagedFiles(c: Ctx): Promise<AdversarialCase[]> {
  const pub = await exportPublicPem(c.alice.publicKey);
  const p = pemParts(pub), q = pemParts(c.privatePem);
  const garbage = Uint8Array.from({ length: 600 }, () => c.rng.int(256));
  const both: [string, string | Uint8Array][] = [
    ["an empty file", ""],
    ["only whitespace", "\n  \n"],
    ["600 random bytes", garbage],
    ["the envelope itself", c.envelope],
    ["a PEM with no END line", `${q.begin}\n${q.body}\n`],
    ["a PEM whose body is not base64", `${q.begin}\n${"*".repeat(300)}\n${q.end}\n`],
    ["a PEM with an empty body", `${q.begin}\n${q.end}\n`],
    ["a certificate label", `-----BEGIN CERTIFICATE-----\n${p.body}\n-----END CERTIFICATE-----\n`],
    ["not JSON after '{'", "{ this is not a key"],
    ["a JSON array", "[1, 2, 3]"],
    ["a JWK without kty", JSON.stringify({ n: "AQAB", e: "AQAB" })],
    ["an RSA JWK whose n is not base64url", JSON.stringify({ kty: "RSA", n: "***", e: "AQAB" })],
  ];
  const cases: AdversarialCase[] = [];
  for (const [what, text] of both) {
    const ext = typeof text === "string" && text.startsWith("{") || text === "[1, 2, 3]"
      ? "jwk"
      : "pem";
    cases.push(
      asPrivate(c, `private key: ${what}`, text, { ext }),
      asPublic(c, `public key: ${what}`, text, undefined, ext),
    );
  }
  for (let k = 0; k < 6; k++) {
    const cut = 4 * (1 + c.rng.int(p.body.length / 4 - 1));
    cases.push(
      asPublic(
        c,
        `public PEM: body cut to ${cut} characters`,
        pemOf(p.begin, p.body.slice(0, cut), p.end),
      ),
    );
  }
  const jwk = await exportJwk(c.alice.privateKey);
  for (const field of ["d", "p", "q", "dp", "dq", "qi", "n"] as const) {
    const cut = { ...jwk, [field]: (jwk[field] as string).slice(0, 20) };
    cases.push(
      asPrivate(c, `private JWK: ${field} cut short`, JSON.stringify(cut), { ext: "jwk" }),
    );
  }
  return cases;
}

/** Sealed keys: wrong, missing and empty passphrase; scrypt parameters that would never finish. */
async function sealed(c: Ctx): Promise<AdversarialCase[]> {
  const pem = await exportPrivatePem(c.alice.privateKey, { passphrase: "correct horse" });
  const wrong = /wrong passphrase/;
  const cases = [
    asPrivate(c, "sealed key, no passphrase", pem, { message: /passphrase/ }),
    asPrivate(c, "sealed key, wrong passphrase", pem, {
      passphrase: "correct hors",
      message: wrong,
    }),
    asPrivate(c, "sealed key, empty passphrase", pem, { passphrase: "", message: wrong }),
    asPrivate(c, "sealed key, passphrase in the wrong case", pem, {
      passphrase: "Correct Horse",
      message: wrong,
    }),
  ];
  const { begin, body, end } = pemParts(pem);
  const der = Uint8Array.from(atob(body), (ch) => ch.charCodeAt(0));
  for (const [what, edit] of scryptEdits(der)) {
    const forged = pemOf(begin, btoa(String.fromCharCode(...edit)), end);
    cases.push(asPrivate(c, `sealed key, scrypt ${what}`, forged, {
      passphrase: "correct horse",
      timeoutMs: 20_000,
    }));
  }
  const forged: [string, ScryptParams][] = [
    ["p = 65535 (hours of work)", { N: 2 ** 14, r: 8, p: 65535 }],
    ["N = 2^30 (128 GiB of memory)", { N: 2 ** 30, r: 8, p: 1 }],
    ["r = 2^20", { N: 2 ** 14, r: 2 ** 20, p: 1 }],
    ["N = 2^62 (not a double)", { N: 2 ** 62, r: 8, p: 1 }],
    ["N = 0", { N: 0, r: 8, p: 2 }],
  ];
  for (const [what, params] of forged) {
    const der = encodeSealed(params, new Uint8Array(16), new Uint8Array(16), new Uint8Array(1232));
    cases.push(
      asPrivate(
        c,
        `sealed key forged with scrypt ${what}`,
        pemOf(begin, btoa(String.fromCharCode(...der)), end),
        {
          passphrase: "correct horse",
          message: /scrypt parameters/,
          timeoutMs: 5_000,
        },
      ),
    );
  }
  return cases;
}

/**
 * Sealed keys whose scrypt parameters are forged. The parameters are DER integers after the
 * salt: the cost N (2^14, encoded `02 02 40 00`), r (`02 01 08`) and p (`02 01 02`). Each edit
 * keeps the DER lengths valid by replacing an integer with one of the same encoded size.
 */
function scryptEdits(der: Uint8Array): [string, Uint8Array][] {
  const find = (pattern: number[]) =>
    der.findIndex((_, i) => pattern.every((b, k) => der[i + k] === b));
  const nAt = find([0x02, 0x02, 0x40, 0x00]), rAt = find([0x02, 0x01, 0x08, 0x02]);
  if (nAt < 0 || rAt < 0) return [];
  const set = (at: number, bytes: number[]) => {
    const out = der.slice();
    out.set(bytes, at);
    return out;
  };
  return [
    ["cost N = 2^15 (not the parameter it was sealed with)", set(nAt + 2, [0x80, 0x00])],
    ["cost N = 0x7fff (not a power of two)", set(nAt + 2, [0x7f, 0xff])],
    ["block size r = 127 (r·N·128 = 256 MiB of memory)", set(rAt + 2, [0x7f])],
    ["parallelism p = 127 (minutes of work)", set(rAt + 5, [0x7f])],
    ["r = 0", set(rAt + 2, [0x00])],
  ];
}

/** RSA keys below 2048 bits, and keys of other algorithms, as public and as private key. */
function otherKeys(c: Ctx): AdversarialCase[] {
  const cases: AdversarialCase[] = [];
  const pair = (
    what: string,
    pk: { publicKey: KeyObject; privateKey: KeyObject },
    message: RegExp,
  ) => {
    const pub = pk.publicKey.export({ type: "spki", format: "pem" }) as string;
    const priv = pk.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    cases.push(
      asPublic(c, `${what} as the recipient's public key`, pub, message),
      asPrivate(c, `${what} as the private key`, priv, { message }),
    );
    const jwk = (k: KeyObject) => JSON.stringify(k.export({ format: "jwk" }));
    if (!what.includes("PSS")) {
      cases.push(
        asPublic(
          c,
          `${what} (JWK) as the recipient's public key`,
          jwk(pk.publicKey),
          message,
          "jwk",
        ),
        asPrivate(c, `${what} (JWK) as the private key`, jwk(pk.privateKey), {
          message,
          ext: "jwk",
        }),
      );
    }
  };
  const weak = /at least 2048|below 2048|2048 are required/;
  for (const bits of [1024, 1536, 2040]) {
    pair(`a ${bits}-bit RSA key`, generateKeyPairSync("rsa", { modulusLength: bits }), weak);
  }
  const other = /RSA/;
  pair("an EC P-256 key", generateKeyPairSync("ec", { namedCurve: "P-256" }), other);
  pair("an Ed25519 key", generateKeyPairSync("ed25519"), other);
  pair("an X25519 key", generateKeyPairSync("x25519"), other);
  // Deno exports RSA-PSS keys only as SPKI: the public half stands for the algorithm.
  const pss = generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).publicKey;
  cases.push(
    asPublic(
      c,
      "an RSA-PSS key as the recipient's public key",
      pss.export({ type: "spki", format: "pem" }) as string,
      /RSA|PSS|OAEP/,
    ),
  );
  return cases;
}

/** A sample through the CLI: one clear line each. */
async function cliCases(c: Ctx): Promise<AdversarialCase[]> {
  const pub = await keyFile(c, await exportPublicPem(c.alice.publicKey));
  const bobPem = await keyFile(c, await exportPrivatePem(c.bob.privateKey));
  const sealedPem = await keyFile(
    c,
    await exportPrivatePem(c.alice.privateKey, { passphrase: "x" }),
  );
  const weak = await keyFile(
    c,
    generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({
      type: "spki",
      format: "pem",
    }) as string,
  );
  const ed = await keyFile(
    c,
    generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }) as string,
  );
  const out = join(c.dir, "cli-out.bin");
  const dec = (
    key: string,
  ) => ["decrypt", "--key", key, "--in", c.envelopeFile, "--out", out, "--force"];
  const enc = (
    key: string,
  ) => ["encrypt", "--to", key, "--in", c.plainFile, "--out", `${out}.mce`, "--force"];
  const cli = (name: string, args: string[], message: RegExp): AdversarialCase => ({
    category: "keys",
    name: `${name} (medcrypt ${args[0]})`,
    message,
    run: () => runCli(...args),
    leftovers: async () => {
      const left = [];
      for (const p of [out, `${out}.mce`]) {
        if (await Deno.lstat(p).then(() => true, () => false)) left.push(p);
      }
      return left;
    },
  });
  return [
    cli("the public key as the private key", dec(pub), /public key/),
    cli("another user's private key", dec(bobPem), /not encrypted to your key/),
    cli("sealed key, no --passphrase-env", dec(sealedPem), /passphrase/),
    cli("a 1024-bit RSA recipient", enc(weak), /2048/),
    cli("an Ed25519 recipient", enc(ed), /RSA/),
  ];
}

/** The keys category. */
export const source: CaseSource = {
  category: "keys",
  async build(o: SuiteOptions): Promise<BuiltCases> {
    const c = await context(o);
    const cases = [
      ...await wrongKinds(c),
      ...corruptedPrivate(c, o.long),
      ...await damagedFiles(c),
      ...await sealed(c),
      ...otherKeys(c),
      ...await cliCases(c),
    ];
    return { cases, close: () => Promise.resolve(closeWorkers()) };
  },
};
