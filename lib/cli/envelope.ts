/**
 * `deno task medcrypt` commands for envelopes: `keygen`, `encrypt`, `decrypt`, `inspect`.
 * `encrypt --in DIR --out OUT_DIR` encrypts every file below a folder, one `.mce` per file.
 *
 * @example
 * ```ts
 * import { commands } from "./envelope.ts";
 * console.log(commands.map((c) => c.name)); // [ "keygen", "encrypt", "decrypt", "inspect" ]
 * ```
 * @module
 */
import { dirname, join, resolve } from "node:path";
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import {
  type Flag,
  need,
  oneOf,
  type Parsed,
  parseFlags,
  refuseExisting,
  type Spec,
  str,
  usageError,
} from "./flags.ts";
import { eachFile, listInputs, mirrorPath } from "./batch.ts";
import { writeFileAtomic } from "../core/fs.ts";
import {
  closeWorkers,
  decryptFile,
  encryptFile,
  type EngineName,
  exportPrivatePem,
  exportPublicPem,
  generateKeyPair,
  inspectFile,
  type PublicKey,
  readPrivateKey,
  readPublicKey,
  type RsaBits,
  shortFingerprint,
} from "../envelope/mod.ts";

const enc = new TextEncoder();

const PASSPHRASE_FLAG: Flag = {
  type: "string",
  value: "VAR",
  help: "the name of an environment variable holding the private key's passphrase (the " +
    "passphrase itself is never given on the command line, where other users could see it)",
};

const ENGINE_FLAG: Flag = {
  type: "string",
  value: "openssl|node|webcrypto",
  help: "the AES code that processes the payload: openssl (OpenSSL's libcrypto through FFI), " +
    "node (node:crypto) or webcrypto (crypto.subtle); all give identical bytes",
  default: "openssl when libcrypto loads, else webcrypto; MEDCRYPT_ENGINE overrides",
};

const KEY_NOTE = "Keys: public keys are PEM (SPKI, `-----BEGIN PUBLIC KEY-----`) or JWK (JSON); " +
  "private keys are PEM (PKCS#8), passphrase-sealed PEM (`ENCRYPTED PRIVATE KEY`, scrypt + " +
  "AES-256-CBC, readable by OpenSSL) or JWK. `keygen` makes a pair.";

function passphraseFrom(spec: Spec, p: Parsed): string | undefined {
  const name = str(p, "passphrase-env");
  if (name === undefined) return undefined;
  const v = Deno.env.get(name);
  if (v === undefined || v === "") {
    usageError(spec, `--passphrase-env ${name}: the environment variable is not set or empty`);
  }
  return v;
}

function engineOf(spec: Spec, p: Parsed): EngineName | undefined {
  if (str(p, "engine") === undefined) return undefined;
  return oneOf(spec, p, "engine", ["openssl", "node", "webcrypto"] as const, "openssl");
}

const KEYGEN: Spec = {
  name: "keygen",
  summary: "make an RSA key pair: DIR/public.pem and DIR/private.pem",
  flags: {
    out: {
      required: true,
      type: "string",
      value: "DIR",
      help: "the folder to write public.pem and private.pem into (created if missing)",
    },
    bits: {
      type: "string",
      value: "2048|3072|4096",
      default: "3072",
      help: "RSA modulus size in bits",
    },
    "passphrase-env": {
      ...PASSPHRASE_FLAG,
      help: "seal private.pem with the passphrase held in this environment variable " +
        "(without it private.pem is plain PKCS#8: keep it private)",
    },
  },
  writes: true,
  examples: [
    "keygen --out keys/alice",
    "keygen --out keys/bob --bits 4096 --passphrase-env BOB_PASS",
  ],
  notes: [
    "public.pem is the key to give others (`encrypt --to`); private.pem opens what was " +
    "encrypted to it (`decrypt --key`). Prints both paths and the key's SHA-256 fingerprint.",
  ],
};

const keygen: Command = {
  name: "keygen",
  summary: KEYGEN.summary,
  specs: [KEYGEN],
  async run(args) {
    const p = parseFlags(KEYGEN, args);
    const dir = need(KEYGEN, p, "out");
    const bits = Number(oneOf(KEYGEN, p, "bits", ["2048", "3072", "4096"] as const, "3072"));
    const passphrase = passphraseFrom(KEYGEN, p);
    const pubPath = join(dir, "public.pem"), privPath = join(dir, "private.pem");
    await refuseExisting([privPath, pubPath], p.values.force === true);
    const pair = await generateKeyPair(bits as RsaBits);
    await Deno.mkdir(dir, { recursive: true });
    await writeFileAtomic(
      privPath,
      enc.encode(await exportPrivatePem(pair.privateKey, { passphrase })),
    );
    await writeFileAtomic(pubPath, enc.encode(await exportPublicPem(pair.publicKey)));
    console.log(
      `wrote ${pubPath} and ${privPath} (RSA-${bits}${
        passphrase ? ", passphrase-sealed" : ""
      }), key ${shortFingerprint(pair.publicKey.fingerprint)}`,
    );
    return 0;
  },
};

const ENCRYPT: Spec = {
  name: "encrypt",
  summary: "encrypt a file, or every file below a folder, for one or more public keys (.mce)",
  flags: {
    to: {
      required: true,
      type: "string",
      value: "PUBLIC.pem",
      multiple: true,
      help: "a recipient's public key; each recipient can decrypt on their own",
    },
    in: {
      required: true,
      type: "string",
      value: "FILE|DIR",
      help: "the file to encrypt (any kind), or a folder: every file below it, recursively " +
        "(hidden files and folders skipped)",
    },
    out: {
      required: true,
      type: "string",
      value: "FILE.mce|OUT_DIR",
      help: "the envelope to write; for a folder --in, the folder that receives " +
        "OUT_DIR/<relative path>.mce for each file",
    },
    suite: {
      type: "string",
      value: "gcm|cbc",
      default: "gcm",
      help: "gcm: AES-256-GCM; cbc: AES-256-CBC + HMAC-SHA-256 (the reference paper's variant)",
    },
    engine: ENGINE_FLAG,
  },
  writes: true,
  examples: [
    "encrypt --to keys/alice/public.pem --in data/clinical/cxr-1.npy --out cxr-1.npy.mce",
    "encrypt --to keys/alice/public.pem --to keys/bob/public.pem --in data/clinical --out sealed",
  ],
  notes: [
    "The examples need key pairs first: `deno task medcrypt keygen --out keys/alice` (and bob).",
    "The content key is random per file and wrapped for each recipient with RSA-OAEP-SHA-256; " +
    "every chunk is authenticated. Prints one line per file (sizes, chunks, suite) and, for a " +
    "folder, a total; a file that fails is reported and the others are still encrypted " +
    "(exit 1 if any failed). Every output is checked before anything is written.",
    KEY_NOTE,
  ],
};

function describe(info: { fileBytes: number; chunks: number; suite: string }, n: number) {
  return `${info.fileBytes} bytes, ${info.chunks} chunk${
    info.chunks === 1 ? "" : "s"
  }, ${info.suite}, ${n} recipient${n > 1 ? "s" : ""}`;
}

const encryptCmd: Command = {
  name: "encrypt",
  summary: ENCRYPT.summary,
  specs: [ENCRYPT],
  async run(args) {
    const p = parseFlags(ENCRYPT, args);
    const to = (p.values.to as string[] | undefined) ?? [];
    if (to.length === 0) usageError(ENCRYPT, "needs --to PUBLIC.pem");
    const input = need(ENCRYPT, p, "in");
    const output = need(ENCRYPT, p, "out");
    const suite = oneOf(ENCRYPT, p, "suite", ["gcm", "cbc"] as const, "gcm") === "gcm"
      ? "aes-256-gcm"
      : "aes-256-cbc-hmac-sha256";
    const engine = engineOf(ENCRYPT, p);
    const force = p.values.force === true;
    let folder: boolean;
    try {
      folder = (await Deno.stat(input)).isDirectory;
    } catch {
      throw new MedCryptError("not-found", "no such file or folder", { file: input });
    }
    const recipients: PublicKey[] = [];
    for (const k of to) recipients.push(await readPublicKey(k));
    const options = { suite, engine, metadata: { kind: "file" } } as const;
    try {
      if (!folder) {
        await refuseExisting([output], force);
        const info = await encryptFile(input, output, recipients, options);
        console.log(`encrypted ${input} → ${output} (${describe(info, recipients.length)})`);
        return 0;
      }
      const outAbs = resolve(output);
      if (resolve(input) === outAbs) {
        usageError(ENCRYPT, "--out must be another folder than --in");
      }
      if (/\.mce$/i.test(output)) {
        usageError(
          ENCRYPT,
          `--in ${input} is a folder, so --out is the folder to write its .mce files into, not a .mce file`,
        );
      }
      const { files } = await listInputs(input, "all", outAbs);
      const outputs = new Map(files.map((f) => [f, mirrorPath(input, f, output, ".mce", false)]));
      await refuseExisting([...outputs.values()], force);
      return await eachFile("encrypt", files, async (f) => {
        const out = outputs.get(f)!;
        await Deno.mkdir(dirname(out), { recursive: true });
        const info = await encryptFile(f, out, recipients, options);
        return `→ ${out} (${describe(info, recipients.length)})`;
      });
    } finally {
      closeWorkers();
    }
  },
};

const DECRYPT: Spec = {
  name: "decrypt",
  summary: "decrypt a .mce file with a private key (every chunk verified; no partial output)",
  flags: {
    key: {
      required: true,
      type: "string",
      value: "PRIVATE.pem",
      help: "the private key of one of the recipients",
    },
    in: { required: true, type: "string", value: "FILE.mce", help: "the envelope to open" },
    out: {
      required: true,
      type: "string",
      value: "FILE",
      help: "where to write the decrypted content",
    },
    "passphrase-env": PASSPHRASE_FLAG,
    engine: ENGINE_FLAG,
  },
  writes: true,
  examples: [
    "decrypt --key keys/alice/private.pem --in cxr-1.npy.mce --out cxr-1.npy",
    "decrypt --key keys/bob/private.pem --passphrase-env BOB_PASS --in cxr-1.npy.mce --out cxr-1.npy",
  ],
  notes: [
    "The output appears only once every chunk has been verified: an altered, truncated or " +
    "wrong-key envelope leaves nothing behind and exits 1 with one line saying why.",
    KEY_NOTE,
  ],
};

const decryptCmd: Command = {
  name: "decrypt",
  summary: DECRYPT.summary,
  specs: [DECRYPT],
  async run(args) {
    const p = parseFlags(DECRYPT, args);
    const keyPath = need(DECRYPT, p, "key");
    const input = need(DECRYPT, p, "in");
    const output = need(DECRYPT, p, "out");
    const engine = engineOf(DECRYPT, p);
    const passphrase = passphraseFrom(DECRYPT, p);
    await refuseExisting([output], p.values.force === true);
    const key = await readPrivateKey(keyPath, { passphrase });
    try {
      const r = await decryptFile(input, output, key, { engine });
      console.log(
        `decrypted ${input} → ${output} (${
          (await Deno.stat(output)).size
        } bytes written; all ${r.info.chunks} chunk(s) authenticated)`,
      );
    } finally {
      closeWorkers();
    }
    return 0;
  },
};

const INSPECT: Spec = {
  name: "inspect",
  summary: "show a .mce file's format, sizes and recipients (no key needed, no secrets shown)",
  positionals: "FILE.mce",
  positionalHelp: "the envelope to describe",
  flags: {
    json: {
      type: "boolean",
      help: "print the description as JSON instead of text",
    },
  },
  examples: ["inspect cxr-1.npy.mce", "inspect cxr-1.npy.mce --json"],
  notes: [
    "Prints the version and suite, chunk count and size, the sizes on disk and of the plaintext, " +
    "whether the file is complete, clear metadata if any, and each recipient's key type, size " +
    "and SHA-256 fingerprint (compare it with the one `keygen` printed).",
  ],
};

const inspectCmd: Command = {
  name: "inspect",
  summary: INSPECT.summary,
  specs: [INSPECT],
  async run(args) {
    const p = parseFlags(INSPECT, args);
    if (p.positionals.length !== 1) usageError(INSPECT, "give one FILE.mce");
    const file = p.positionals[0];
    const info = await inspectFile(file);
    if (p.values.json) {
      console.log(JSON.stringify(info, null, 2));
      return 0;
    }
    const lines = [
      `file:        ${file}`,
      `format:      MedCrypt envelope v${info.version}, ${info.suite}, ${info.chunks} chunk(s) of ${info.chunkSize} bytes`,
      `sizes:       ${info.fileBytes} bytes on disk = header ${info.headerBytes} + payload ${info.payloadBytes}; plaintext ${info.plaintextBytes} bytes (the file and its metadata record)`,
      `complete:    ${
        info.fileBytes === info.expectedFileBytes
          ? "yes"
          : `NO (expected ${info.expectedFileBytes} bytes, found ${info.fileBytes})`
      }`,
      `metadata:    ${
        info.metadataEncrypted
          ? "encrypted (if any)"
          : `in clear: ${JSON.stringify(info.clearMetadata)}`
      }`,
      `recipients:  ${info.recipients.length}`,
      ...info.recipients.map((r) =>
        `  - ${r.type}${r.bits ? ` RSA-${r.bits}` : ""}${
          r.fingerprint ? ` SHA256:${r.fingerprint}` : ""
        }`
      ),
    ];
    console.log(lines.join("\n"));
    return 0;
  },
};

/** The envelope commands. */
export const commands: Command[] = [keygen, encryptCmd, decryptCmd, inspectCmd];
