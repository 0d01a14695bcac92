/**
 * `deno task medcrypt` commands for envelopes: `keygen`, `encrypt`, `decrypt`, `inspect`.
 *
 * @example
 * ```ts
 * import { commands } from "./envelope.ts";
 * console.log(commands.map((c) => c.name)); // [ "keygen", "encrypt", "decrypt", "inspect" ]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import { refuseExisting } from "./flags.ts";
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
  readPrivateKey,
  readPublicKey,
  type RsaBits,
  shortFingerprint,
} from "../envelope/mod.ts";

function parse(
  args: string[],
  usage: string,
  options: Record<string, { type: "string" | "boolean"; multiple?: boolean }>,
  positionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw new MedCryptError("usage", `${(e as Error).message}; usage: medcrypt ${usage}`);
  }
}

function need(v: unknown, flag: string, usage: string): string {
  if (typeof v !== "string" || v === "") {
    throw new MedCryptError("usage", `missing ${flag}; usage: medcrypt ${usage}`);
  }
  return v;
}

function passphraseFrom(envVar: unknown): string | undefined {
  if (typeof envVar !== "string") return undefined;
  const v = Deno.env.get(envVar);
  if (v === undefined || v === "") {
    throw new MedCryptError("usage", `environment variable ${envVar} is not set or empty`);
  }
  return v;
}

const enc = new TextEncoder();
const KEYGEN = "keygen --out DIR [--bits 2048|3072|4096] [--passphrase-env VAR] [--force]";
const ENCRYPT =
  "encrypt --to PUBLIC.pem [--to …] --in FILE --out FILE.mce [--suite gcm|cbc] [--engine openssl|node|webcrypto] [--force]";
const DECRYPT =
  "decrypt --key PRIVATE.pem --in FILE.mce --out FILE [--passphrase-env VAR] [--engine …] [--force]";
const INSPECT = "inspect FILE.mce [--json]";

const keygen: Command = {
  name: "keygen",
  summary:
    "make an RSA key pair: DIR/public.pem and DIR/private.pem (optionally passphrase-sealed)",
  usage: KEYGEN,
  async run(args) {
    const { values } = parse(args, KEYGEN, {
      out: { type: "string" },
      bits: { type: "string" },
      "passphrase-env": { type: "string" },
      force: { type: "boolean" },
    });
    const dir = need(values.out, "--out DIR", KEYGEN);
    const bits = Number(values.bits ?? 3072);
    if (![2048, 3072, 4096].includes(bits)) {
      throw new MedCryptError("usage", `--bits must be 2048, 3072 or 4096, not ${values.bits}`);
    }
    const passphrase = passphraseFrom(values["passphrase-env"]);
    await Deno.mkdir(dir, { recursive: true });
    const pubPath = join(dir, "public.pem"), privPath = join(dir, "private.pem");
    await refuseExisting([privPath], values.force === true);
    await refuseExisting([pubPath], values.force === true);
    const pair = await generateKeyPair(bits as RsaBits);
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

function engineOpt(v: unknown): EngineName | undefined {
  if (v === undefined) return undefined;
  if (v === "openssl" || v === "node" || v === "webcrypto") return v;
  throw new MedCryptError("usage", `--engine must be openssl, node or webcrypto, not ${v}`);
}

const encryptCmd: Command = {
  name: "encrypt",
  summary: "encrypt a file for one or more public keys (AES-256-GCM + RSA-OAEP envelope, .mce)",
  usage: ENCRYPT,
  async run(args) {
    const { values } = parse(args, ENCRYPT, {
      to: { type: "string", multiple: true },
      in: { type: "string" },
      out: { type: "string" },
      suite: { type: "string" },
      engine: { type: "string" },
      force: { type: "boolean" },
    });
    const to = values.to as string[] | undefined;
    if (!to?.length) {
      throw new MedCryptError("usage", `missing --to PUBLIC.pem; usage: medcrypt ${ENCRYPT}`);
    }
    const input = need(values.in, "--in FILE", ENCRYPT);
    const output = need(values.out, "--out FILE.mce", ENCRYPT);
    const suite = values.suite === undefined || values.suite === "gcm"
      ? "aes-256-gcm"
      : values.suite === "cbc"
      ? "aes-256-cbc-hmac-sha256"
      : undefined;
    if (!suite) throw new MedCryptError("usage", `--suite must be gcm or cbc, not ${values.suite}`);
    const recipients = [];
    for (const p of to) recipients.push(await readPublicKey(p));
    await refuseExisting([output], values.force === true);
    try {
      const info = await encryptFile(input, output, recipients, {
        suite,
        engine: engineOpt(values.engine),
        metadata: { kind: "file" },
      });
      console.log(
        `encrypted ${input} → ${output} (${info.fileBytes} bytes, ${info.chunks} chunks, ${info.suite}, ${recipients.length} recipient${
          recipients.length > 1 ? "s" : ""
        })`,
      );
    } finally {
      closeWorkers();
    }
    return 0;
  },
};

const decryptCmd: Command = {
  name: "decrypt",
  summary: "decrypt a .mce file with a private key (every chunk verified; no partial output)",
  usage: DECRYPT,
  async run(args) {
    const { values } = parse(args, DECRYPT, {
      key: { type: "string" },
      in: { type: "string" },
      out: { type: "string" },
      "passphrase-env": { type: "string" },
      engine: { type: "string" },
      force: { type: "boolean" },
    });
    const keyPath = need(values.key, "--key PRIVATE.pem", DECRYPT);
    const input = need(values.in, "--in FILE.mce", DECRYPT);
    const output = need(values.out, "--out FILE", DECRYPT);
    const key = await readPrivateKey(keyPath, {
      passphrase: passphraseFrom(values["passphrase-env"]),
    });
    await refuseExisting([output], values.force === true);
    try {
      const r = await decryptFile(input, output, key, { engine: engineOpt(values.engine) });
      console.log(
        `decrypted ${input} → ${output} (${r.info.plaintextBytes} bytes of plaintext verified)`,
      );
    } finally {
      closeWorkers();
    }
    return 0;
  },
};

const inspectCmd: Command = {
  name: "inspect",
  summary: "show a .mce file's format, sizes and recipients (no key needed, no secrets shown)",
  usage: INSPECT,
  async run(args) {
    const { values, positionals } = parse(args, INSPECT, { json: { type: "boolean" } }, true);
    if (positionals.length !== 1) {
      throw new MedCryptError("usage", `give one file; usage: medcrypt ${INSPECT}`);
    }
    const info = await inspectFile(positionals[0]);
    if (values.json) {
      console.log(JSON.stringify(info, null, 2));
      return 0;
    }
    const lines = [
      `file:        ${positionals[0]}`,
      `format:      MedCrypt envelope v${info.version}, ${info.suite}, ${info.chunks} chunk(s) of ${info.chunkSize} bytes`,
      `sizes:       ${info.fileBytes} bytes on disk = header ${info.headerBytes} + payload ${info.payloadBytes}; plaintext ${info.plaintextBytes} bytes`,
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
