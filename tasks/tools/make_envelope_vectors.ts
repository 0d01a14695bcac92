/**
 * Writes the envelope test vectors of `lib/envelope/testdata/` (SPEC.md §10).
 *
 * - `deno run -A tasks/tools/make_envelope_vectors.ts` writes the negative vectors `neg-*.mce`
 *   and `negative.json`, derived from the committed positive vector `vec-gcm-3chunks.mce` and its
 *   file key: its stanza is reused and every altered part is re-sealed with the known keys, so
 *   the output is the same on every run.
 * - With `--positive` it first rewrites the positive vectors `vec-*.mce` and `vectors.json` from
 *   fixed key material. RSA-OAEP is randomised, so their headers (and then the negative vectors)
 *   change; their payloads do not.
 *
 * @module
 */
import { concatBytes, sha256Hex, toHex } from "../../lib/core/bytes.ts";
import { encrypt, inspect, type Metadata } from "../../lib/envelope/envelope.ts";
import { readPublicKey } from "../../lib/envelope/keys.ts";
import { closeWorkers, getEngine } from "../../lib/envelope/engines.ts";
import {
  encodeHeaderBody,
  headerMac,
  parseHeader,
  payloadKeys,
  type Stanza,
} from "../../lib/envelope/_header.ts";
import { chunkCipherLen, chunkCount, type SuiteId } from "../../lib/envelope/_layout.ts";

const dir = new URL("../../lib/envelope/testdata/", import.meta.url).pathname;
const fixed = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed + 7) & 255);

/** One vector's recipe. */
interface Recipe {
  name: string;
  suite: "aes-256-gcm" | "aes-256-cbc-hmac-sha256";
  exponent: number;
  content: Uint8Array;
  metadata?: Metadata;
  clearMetadata?: boolean;
}

const recipes: Recipe[] = [
  {
    name: "gcm-3chunks",
    suite: "aes-256-gcm",
    exponent: 10,
    content: fixed(3000, 31),
    metadata: { kind: "file" },
  },
  {
    name: "cbc-3chunks",
    suite: "aes-256-cbc-hmac-sha256",
    exponent: 10,
    content: fixed(3000, 31),
    metadata: { kind: "file" },
  },
  {
    name: "gcm-image-clear-meta",
    suite: "aes-256-gcm",
    exponent: 10,
    content: fixed(2 * 24 * 24, 97),
    metadata: {
      kind: "image",
      width: 24,
      height: 24,
      bitDepth: 16,
      dtype: "u16le",
      modality: "CT",
    },
    clearMetadata: true,
  },
  { name: "gcm-empty", suite: "aes-256-gcm", exponent: 16, content: new Uint8Array(0) },
  {
    name: "cbc-full-last-chunk",
    suite: "aes-256-cbc-hmac-sha256",
    exponent: 10,
    content: fixed(2044, 5),
  },
];

async function writePositive(): Promise<void> {
  const pub = await readPublicKey(`${dir}public.pem`);
  const vectors = [];
  for (const [i, r] of recipes.entries()) {
    const fileKey = fixed(32, 11 + i), nonce = fixed(16, 13 + i);
    const env = await encrypt(r.content, pub, {
      suite: r.suite,
      chunkExponent: r.exponent,
      metadata: r.metadata,
      clearMetadata: r.clearMetadata,
      fileKey,
      nonce,
    });
    const file = `vec-${r.name}.mce`;
    await Deno.writeFile(`${dir}${file}`, env);
    vectors.push({
      file,
      suite: r.suite === "aes-256-gcm" ? 1 : 2,
      exponent: r.exponent,
      fileKey: toHex(fileKey),
      nonce: toHex(nonce),
      headerBytes: inspect(env).headerBytes,
      contentBytes: r.content.length,
      contentSha256: toHex(
        new Uint8Array(await crypto.subtle.digest("SHA-256", r.content as Uint8Array<ArrayBuffer>)),
      ),
      metadata: r.metadata ?? null,
      clearMetadata: r.clearMetadata ?? false,
    });
  }
  await Deno.writeTextFile(
    `${dir}vectors.json`,
    JSON.stringify({ privateKey: "private.pem", publicKey: "public.pem", vectors }, null, 2) + "\n",
  );
  console.log(`wrote ${vectors.length} positive vectors to ${dir}`);
}

/** One negative vector: how it is built from the base vector and how a reader must fail. */
interface NegativeRecipe {
  name: string;
  /** What was done to the base vector. */
  description: string;
  /** The SPEC.md rule it breaks. */
  rule: string;
  /** The `MedCryptError` code the reader fails with. */
  code: string;
  build(b: Base): Promise<Uint8Array>;
}

/** The positive vector the negative ones derive from, opened with its known file key. */
interface Base {
  file: string;
  bytes: Uint8Array;
  fileKey: Uint8Array;
  suite: SuiteId;
  chunkSize: number;
  nonce: Uint8Array;
  stanzas: Stanza[];
  headerLen: number;
  /** The stream plaintext P. */
  plain: Uint8Array;
  /** The encrypted chunks in order. */
  chunks: Uint8Array[];
}

const engine = getEngine("webcrypto");
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
const utf8 = (s: string) => new TextEncoder().encode(s);

async function openBase(file: string, fileKeyHex: string): Promise<Base> {
  const bytes = await Deno.readFile(`${dir}${file}`);
  const h = parseHeader(bytes, bytes.length, file);
  const fileKey = Uint8Array.from(fileKeyHex.match(/../g)!, (x) => parseInt(x, 16));
  const C = 2 ** h.exponent, n = chunkCount(h.length, C);
  const keys = await payloadKeys(h.suite, fileKey, h.nonce);
  const plain = new Uint8Array(h.length);
  const lastPlain = h.length - (n - 1) * C;
  const run = { counter: 0, count: n, lastPlain, final: true };
  if ((await engine.open(keys, C, run, bytes.subarray(h.headerLen), plain)) >= 0) {
    throw new Error(`${file}: does not decrypt with its file key`);
  }
  const full = chunkCipherLen(h.suite, C), chunks: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const at = h.headerLen + i * full;
    chunks.push(bytes.slice(at, at + (i < n - 1 ? full : chunkCipherLen(h.suite, lastPlain))));
  }
  return {
    file,
    bytes,
    fileKey,
    suite: h.suite,
    chunkSize: C,
    nonce: h.nonce,
    stanzas: h.stanzas,
    headerLen: h.headerLen,
    plain,
    chunks,
  };
}

/** @returns chunk `i` of a stream, sealed with the base's keys and the given final flag */
async function sealChunk(b: Base, i: number, final: boolean, pt: Uint8Array): Promise<Uint8Array> {
  const keys = await payloadKeys(b.suite, b.fileKey, b.nonce);
  const out = new Uint8Array(chunkCipherLen(b.suite, pt.length));
  await engine.seal(
    keys,
    b.chunkSize,
    { counter: i, count: 1, lastPlain: pt.length, final },
    pt,
    out,
  );
  return out;
}

/** @returns a whole envelope with the base's keys and nonce: header (with a valid MAC) + `P` */
async function seal(
  b: Base,
  plain: Uint8Array,
  opts: { stanzas?: Stanza[]; clearMetadata?: Uint8Array } = {},
): Promise<Uint8Array> {
  const body = encodeHeaderBody({
    suite: b.suite,
    exponent: Math.log2(b.chunkSize),
    length: plain.length,
    nonce: b.nonce,
    stanzas: opts.stanzas ?? b.stanzas,
    clearMetadata: opts.clearMetadata,
  });
  const C = b.chunkSize, n = chunkCount(plain.length, C), parts = [body];
  parts.push(await headerMac(b.fileKey, body));
  for (let i = 0; i < n; i++) {
    parts.push(await sealChunk(b, i, i === n - 1, plain.subarray(i * C, (i + 1) * C)));
  }
  return concatBytes(...parts);
}

/** @returns `P` with the metadata record replaced by `meta` (the content is kept) */
function withRecord(b: Base, meta: Uint8Array): Uint8Array {
  const n = new DataView(b.plain.buffer).getUint32(0);
  return concatBytes(u32(meta.length), meta, b.plain.subarray(4 + n));
}

const header = (b: Base) => b.bytes.subarray(0, b.headerLen);

const negatives: NegativeRecipe[] = [
  {
    name: "header-mac",
    description: "the last byte of the header MAC is flipped",
    rule: "§3: the header MAC MUST verify",
    code: "header-altered",
    build: (b) => {
      const out = b.bytes.slice();
      out[b.headerLen - 1] ^= 0x01;
      return Promise.resolve(out);
    },
  },
  {
    name: "chunk-altered",
    description: "one ciphertext byte of chunk 2 of 3 is flipped",
    rule: "§6: every chunk MUST authenticate",
    code: "chunk-altered",
    build: (b) => {
      const out = b.bytes.slice();
      out[b.headerLen + b.chunks[0].length + 100] ^= 0x80;
      return Promise.resolve(out);
    },
  },
  {
    name: "truncated-at-chunk-boundary",
    description: "the file ends after chunk 2 of 3 (the last chunk is removed)",
    rule: "§7: the file MUST have exactly the size the header implies",
    code: "truncated",
    build: (b) => Promise.resolve(concatBytes(header(b), b.chunks[0], b.chunks[1])),
  },
  {
    name: "trailing-data",
    description: "a fourth chunk, sealed as the final chunk 4, is appended",
    rule: "§7: nothing may follow the final chunk",
    code: "trailing-data",
    build: async (b) =>
      concatBytes(b.bytes, await sealChunk(b, 3, true, new Uint8Array(b.chunkSize))),
  },
  {
    name: "chunks-reordered",
    description: "chunks 1 and 2 of 3 (both full) are swapped",
    rule: "§6: chunk i MUST authenticate with counter i",
    code: "chunk-reordered",
    build: (b) => Promise.resolve(concatBytes(header(b), b.chunks[1], b.chunks[0], b.chunks[2])),
  },
  {
    name: "nonfinal-chunk-marked-final",
    description: "chunk 2 of 3 is re-sealed with the final flag set",
    rule: "§6: the final flag MUST be set on the last chunk and on no other",
    code: "chunk-final-flag",
    build: async (b) => {
      const C = b.chunkSize;
      const c1 = await sealChunk(b, 1, true, b.plain.subarray(C, 2 * C));
      return concatBytes(header(b), b.chunks[0], c1, b.chunks[2]);
    },
  },
  {
    name: "final-chunk-not-marked-final",
    description: "chunk 3 of 3 (the last) is re-sealed without the final flag",
    rule: "§6: the final flag MUST be set on the last chunk and on no other",
    code: "chunk-final-flag",
    build: async (b) => {
      const c2 = await sealChunk(b, 2, false, b.plain.subarray(2 * b.chunkSize));
      return concatBytes(header(b), b.chunks[0], b.chunks[1], c2);
    },
  },
  {
    name: "duplicate-recipient",
    description: "the recipient stanza appears twice (the header MAC is valid)",
    rule: "§4: two RSA-OAEP-SHA256 stanzas MUST NOT have the same fingerprint",
    code: "duplicate-recipient",
    build: (b) => seal(b, b.plain, { stanzas: [b.stanzas[0], b.stanzas[0]] }),
  },
  {
    name: "metadata-array",
    description: 'the encrypted metadata is the JSON array ["file"]',
    rule: "§5: metadata MUST be a JSON object",
    code: "bad-metadata",
    build: (b) => seal(b, withRecord(b, utf8('["file"]'))),
  },
  {
    name: "clear-metadata-string",
    description: 'the clear metadata is the JSON string "CT" (the header MAC is valid)',
    rule: "§5: metadata MUST be a JSON object",
    code: "bad-metadata",
    build: (b) => seal(b, withRecord(b, new Uint8Array(0)), { clearMetadata: utf8('"CT"') }),
  },
  {
    name: "metadata-both",
    description: "metadata is both in the header (clear) and in the payload (encrypted)",
    rule: "§5: metadata MUST NOT be in both places",
    code: "bad-metadata",
    build: (b) => seal(b, b.plain, { clearMetadata: utf8('{"kind":"file"}') }),
  },
];

async function writeNegative(): Promise<void> {
  const base = "vec-gcm-3chunks.mce";
  const { vectors } = JSON.parse(await Deno.readTextFile(`${dir}vectors.json`)) as {
    vectors: { file: string; fileKey: string }[];
  };
  const b = await openBase(base, vectors.find((v) => v.file === base)!.fileKey);
  if (b.chunks.length !== 3 || b.chunks[2].length === b.chunks[0].length) {
    throw new Error(`${base}: expected 3 chunks with a short last one`);
  }
  for (const old of Deno.readDirSync(dir)) {
    if (old.name.startsWith("neg-")) await Deno.remove(`${dir}${old.name}`);
  }
  const index = [];
  for (const r of negatives) {
    const bytes = await r.build(b);
    const file = `neg-${r.name}.mce`;
    await Deno.writeFile(`${dir}${file}`, bytes);
    index.push({
      file,
      base,
      description: r.description,
      rule: r.rule,
      code: r.code,
      sha256: await sha256Hex(bytes),
    });
  }
  await Deno.writeTextFile(
    `${dir}negative.json`,
    JSON.stringify({ privateKey: "private.pem", vectors: index }, null, 2) + "\n",
  );
  console.log(`wrote ${index.length} negative vectors to ${dir}`);
}

if (Deno.args.includes("--positive")) await writePositive();
await writeNegative();
closeWorkers();
