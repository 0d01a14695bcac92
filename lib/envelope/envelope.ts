/**
 * Hybrid envelopes (SPEC.md): a fresh AES-256 file key wrapped with RSA-OAEP-SHA-256 for each
 * recipient, a MAC over the header, and the payload in STREAM chunks of AES-256-GCM (default) or
 * AES-256-CBC + HMAC-SHA-256. In memory ({@linkcode encrypt}, {@linkcode decrypt}) or file to file
 * with bounded memory ({@linkcode encryptFile}, {@linkcode decryptFile}).
 *
 * @example Round trip in memory
 * ```ts
 * import { decrypt, encrypt } from "./envelope.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * const { publicKey, privateKey } = await generateKeyPair(2048);
 * const sealed = await encrypt(new TextEncoder().encode("scan"), publicKey);
 * const opened = await decrypt(sealed, privateKey);
 * console.log(new TextDecoder().decode(opened.data)); // "scan"
 * closeWorkers();
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { assertNotInput, writeFileAtomic } from "../core/fs.ts";
import type { ChunkEngine, EngineName } from "./_engine.ts";
import {
  chunkCipherLen,
  chunkCount,
  type ChunkRun,
  type PayloadKeys,
  runSizes,
  type SuiteId,
} from "./_layout.ts";
import {
  encodeHeaderBody,
  equalBytes,
  expectedFileSize,
  type Header,
  headerMac,
  NeedMore,
  parseHeader,
  payloadKeys,
  RSA_TYPE,
  type Stanza,
} from "./_header.ts";
import { getEngine, getStreamingEngine } from "./engines.ts";
import { type PrivateKey, type PublicKey, shortFingerprint } from "./keys.ts";

/** The payload ciphers: GCM (default) or the paper's CBC variant with encrypt-then-MAC. */
export type CipherSuite = "aes-256-gcm" | "aes-256-cbc-hmac-sha256";

/** Free-form JSON metadata carried with the content (SPEC.md §5). */
export type Metadata = Record<string, unknown>;

/** Options of {@linkcode encrypt} and {@linkcode encryptFile}. */
export interface EncryptOptions {
  /** Payload cipher; default `"aes-256-gcm"`. */
  suite?: CipherSuite;
  /** Metadata to carry (encrypted unless `clearMetadata`). */
  metadata?: Metadata;
  /** Put the metadata in the header, authenticated but readable without a key. */
  clearMetadata?: boolean;
  /** Chunk size exponent, 10..24; default 16 (64 KiB). */
  chunkExponent?: number;
  /** Payload engine; default the fastest available (see `engines.ts`). */
  engine?: EngineName | ChunkEngine;
  /** For test vectors only: a fixed 32-byte file key (never set this in normal use). */
  fileKey?: Uint8Array;
  /** For test vectors only: a fixed 16-byte payload nonce. */
  nonce?: Uint8Array;
  /** File name used in error messages. */
  file?: string;
}

/** Options of {@linkcode decrypt} and {@linkcode decryptFile}. */
export interface DecryptOptions {
  /** Payload engine; default the fastest available. */
  engine?: EngineName | ChunkEngine;
  /** File name used in error messages. */
  file?: string;
}

/** A recipient as listed by {@linkcode inspect}. */
export interface RecipientInfo {
  /** Stanza type. */
  type: string;
  /** Hex SHA-256 fingerprint of the recipient's public key (RSA stanzas). */
  fingerprint?: string;
  /** RSA modulus size in bits (RSA stanzas). */
  bits?: number;
}

/** What {@linkcode inspect} can tell without a key. */
export interface EnvelopeInfo {
  /** Format version. */
  version: number;
  /** Payload cipher. */
  suite: CipherSuite;
  /** Plaintext bytes per chunk. */
  chunkSize: number;
  /** Number of chunks. */
  chunks: number;
  /** Stream plaintext length L (content + metadata record). */
  plaintextBytes: number;
  /** Header size. */
  headerBytes: number;
  /** Payload size. */
  payloadBytes: number;
  /** Size the file must have. */
  expectedFileBytes: number;
  /** Actual size. */
  fileBytes: number;
  /** Recipients. */
  recipients: RecipientInfo[];
  /** Whether metadata is encrypted inside the payload (true unless clear metadata). */
  metadataEncrypted: boolean;
  /** Clear metadata, if present. */
  clearMetadata?: Metadata;
}

/** What {@linkcode decrypt} returns. */
export interface Decrypted {
  /** The content bytes. */
  data: Uint8Array;
  /** The metadata, if any. */
  metadata?: Metadata;
  /** The envelope's description. */
  info: EnvelopeInfo;
}

const SUITES: Record<CipherSuite, SuiteId> = { "aes-256-gcm": 1, "aes-256-cbc-hmac-sha256": 2 };
const SUITE_NAMES: Record<SuiteId, CipherSuite> = {
  1: "aes-256-gcm",
  2: "aes-256-cbc-hmac-sha256",
};
const te = new TextEncoder();
const ab = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function engineOf(e: EngineName | ChunkEngine | undefined): ChunkEngine {
  return typeof e === "object" ? e : getEngine(e);
}

/** For encryptFile/decryptFile: the OpenSSL engine leaves a core to the file I/O thread. */
function streamEngineOf(e: EngineName | ChunkEngine | undefined): ChunkEngine {
  return typeof e === "object" ? e : getStreamingEngine(e);
}

// ------------------------------------------------------------------ writing

interface Prepared {
  header: Uint8Array;
  keys: PayloadKeys;
  length: number;
  chunkSize: number;
  prefix: Uint8Array;
}

async function prepare(
  contentLen: number,
  recipients: PublicKey | PublicKey[],
  o: EncryptOptions,
): Promise<Prepared> {
  const list = Array.isArray(recipients) ? recipients : [recipients];
  if (list.length === 0 || list.length > 1024) {
    throw new MedCryptError("usage", "give between 1 and 1024 recipients", { file: o.file });
  }
  const suite = SUITES[o.suite ?? "aes-256-gcm"];
  if (!suite) throw new MedCryptError("usage", `unknown cipher suite '${o.suite}'`);
  const exponent = o.chunkExponent ?? 16;
  if (!Number.isInteger(exponent) || exponent < 10 || exponent > 24) {
    throw new MedCryptError("usage", `chunk exponent ${exponent} is outside 10..24`);
  }
  const metaJson = o.metadata !== undefined ? JSON.stringify(o.metadata) : undefined;
  const inner = metaJson !== undefined && !o.clearMetadata
    ? te.encode(metaJson)
    : new Uint8Array(0);
  const prefix = new Uint8Array(4 + inner.length);
  new DataView(prefix.buffer).setUint32(0, inner.length);
  prefix.set(inner, 4);
  const length = prefix.length + contentLen;
  if (length >= 2 ** 53) throw new MedCryptError("usage", "input is too large");
  const fileKey = o.fileKey ?? crypto.getRandomValues(new Uint8Array(32));
  const nonce = o.nonce ?? crypto.getRandomValues(new Uint8Array(16));
  if (fileKey.length !== 32 || nonce.length !== 16) {
    throw new MedCryptError("usage", "fileKey must be 32 bytes and nonce 16 bytes");
  }
  const stanzas: Stanza[] = [];
  for (const r of list) {
    const wrapped = new Uint8Array(
      await crypto.subtle.encrypt({ name: "RSA-OAEP" }, r.key, ab(fileKey)),
    );
    const body = new Uint8Array(32 + wrapped.length);
    for (let i = 0; i < 32; i++) body[i] = parseInt(r.fingerprint.slice(2 * i, 2 * i + 2), 16);
    body.set(wrapped, 32);
    stanzas.push({ type: RSA_TYPE, body });
  }
  const body = encodeHeaderBody({
    suite,
    exponent,
    length,
    nonce,
    stanzas,
    clearMetadata: o.clearMetadata && metaJson !== undefined ? metaJson : undefined,
  });
  const mac = await headerMac(fileKey, body);
  const header = new Uint8Array(body.length + 32);
  header.set(body);
  header.set(mac, body.length);
  return {
    header,
    keys: await payloadKeys(suite, fileKey, nonce),
    length,
    chunkSize: 2 ** exponent,
    prefix,
  };
}

function runOf(first: number, end: number, n: number, C: number, L: number): ChunkRun {
  return {
    counter: first,
    count: end - first,
    lastPlain: end === n ? L - (n - 1) * C : C,
    final: end === n,
  };
}

/**
 * Encrypts bytes for one or more recipients.
 *
 * @param data the content
 * @param recipients public key(s)
 * @param options suite, metadata, engine…
 * @returns the envelope bytes
 * @example
 * ```ts
 * import { encrypt } from "./envelope.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * const { publicKey } = await generateKeyPair(2048);
 * const env = await encrypt(new Uint8Array(1000), publicKey, { suite: "aes-256-cbc-hmac-sha256" });
 * console.log(env.length > 1000); // true
 * closeWorkers();
 * ```
 */
export async function encrypt(
  data: Uint8Array,
  recipients: PublicKey | PublicKey[],
  options: EncryptOptions = {},
): Promise<Uint8Array> {
  const p = await prepare(data.length, recipients, options);
  const engine = engineOf(options.engine);
  const C = p.chunkSize, L = p.length, suite = p.keys.suite;
  const n = chunkCount(L, C);
  const out = new Uint8Array(p.header.length + runSizes(suite, C, runOf(0, n, n, C, L)).cipher);
  out.set(p.header);
  // head: the chunks holding the metadata record, assembled in a small buffer
  const h = Math.min(n, Math.ceil(p.prefix.length / C));
  const headRun = runOf(0, h, n, C, L);
  const headPlain = new Uint8Array(runSizes(suite, C, headRun).plain);
  headPlain.set(p.prefix);
  headPlain.set(data.subarray(0, headPlain.length - p.prefix.length), p.prefix.length);
  let off = p.header.length;
  await engine.seal(p.keys, C, headRun, headPlain, out.subarray(off));
  off += runSizes(suite, C, headRun).cipher;
  if (h < n) {
    // the rest straight from the caller's buffer (no copy), split across threads by the engine
    await engine.seal(
      p.keys,
      C,
      runOf(h, n, n, C, L),
      data.subarray(h * C - p.prefix.length),
      out.subarray(off),
    );
  }
  return out;
}

// ------------------------------------------------------------------ reading

interface Opened {
  header: Header;
  keys: PayloadKeys;
  info: EnvelopeInfo;
}

function infoOf(h: Header, fileBytes: number): EnvelopeInfo {
  const C = 2 ** h.exponent;
  const expected = expectedFileSize(h);
  let clear: Metadata | undefined;
  if (h.clearMetadata !== undefined) {
    try {
      clear = JSON.parse(h.clearMetadata) as Metadata;
    } catch {
      clear = { unparsable: h.clearMetadata };
    }
  }
  return {
    version: 1,
    suite: SUITE_NAMES[h.suite],
    chunkSize: C,
    chunks: chunkCount(h.length, C),
    plaintextBytes: h.length,
    headerBytes: h.headerLen,
    payloadBytes: expected - h.headerLen,
    expectedFileBytes: expected,
    fileBytes,
    recipients: h.stanzas.map((s) =>
      s.type === RSA_TYPE && s.body.length > 32
        ? { type: s.type, fingerprint: hex(s.body.subarray(0, 32)), bits: (s.body.length - 32) * 8 }
        : { type: s.type }
    ),
    metadataEncrypted: h.clearMetadata === undefined,
    ...(clear ? { clearMetadata: clear } : {}),
  };
}

async function unwrap(identity: PrivateKey, wrapped: Uint8Array): Promise<Uint8Array | null> {
  try {
    const k = new Uint8Array(
      await crypto.subtle.decrypt({ name: "RSA-OAEP" }, identity.key, ab(wrapped)),
    );
    return k.length === 32 ? k : null;
  } catch {
    return null;
  }
}

function sizeError(info: EnvelopeInfo, file?: string): MedCryptError | null {
  const { fileBytes: got, expectedFileBytes: want, headerBytes, chunkSize, chunks } = info;
  if (got === want) return null;
  const full = chunkCipherLen(SUITES[info.suite], chunkSize);
  if (got < want) {
    const payload = got - headerBytes;
    const whole = Math.floor(payload / full);
    const where = payload % full === 0
      ? `at a chunk boundary (after ${whole} of ${chunks} chunks)`
      : `in the middle of chunk ${whole + 1} of ${chunks}`;
    return new MedCryptError(
      "truncated",
      `the file is truncated: ${got} of ${want} bytes are present; it was cut ${where}`,
      { file },
    );
  }
  return new MedCryptError(
    "trailing-data",
    `${
      got - want
    } unexpected bytes after the final chunk (the file was extended or two files were joined)`,
    { file },
  );
}

async function openHeader(
  bytes: Uint8Array,
  fileBytes: number,
  identity: PrivateKey,
  file?: string,
): Promise<Opened> {
  if ((identity as { kind?: string }).kind !== "private") {
    throw new MedCryptError(
      "not-private-key",
      "decrypting needs a private key, but a public key was given",
      { file },
    );
  }
  const h = parseHeader(bytes, fileBytes, file);
  const info = infoOf(h, fileBytes);
  const k = identity.bits / 8;
  let fileKey: Uint8Array | null = null;
  for (const s of h.stanzas) {
    if (s.type !== RSA_TYPE || s.body.length < 32) continue;
    if (hex(s.body.subarray(0, 32)) !== identity.fingerprint) continue;
    if (s.body.length !== 32 + k) {
      throw new MedCryptError(
        "stanza-altered",
        `the recipient stanza for your key ${
          shortFingerprint(identity.fingerprint)
        } has the wrong size: the header was altered`,
        { file },
      );
    }
    fileKey = await unwrap(identity, s.body.subarray(32));
    if (!fileKey) {
      throw new MedCryptError(
        "stanza-altered",
        `the wrapped file key for your key ${
          shortFingerprint(identity.fingerprint)
        } does not decrypt (RSA-OAEP check failed): the header was altered`,
        { file },
      );
    }
    break;
  }
  if (!fileKey) {
    // No fingerprint matches. Try every stanza of the right size (an altered fingerprint or type
    // still unwraps; the header MAC then reports the alteration).
    for (const s of h.stanzas) {
      if (s.body.length === 32 + k) fileKey = await unwrap(identity, s.body.subarray(32));
      if (fileKey) break;
    }
  }
  if (!fileKey) {
    const list = info.recipients.map((r) =>
      r.fingerprint ? shortFingerprint(r.fingerprint) : r.type
    )
      .join(", ");
    if (info.expectedFileBytes !== fileBytes && sizeError(info, file)) {
      throw new MedCryptError(
        "header-altered",
        `no recipient matches your key and the header's sizes do not match the file: the header is damaged (or the file is cut and this is the wrong key)`,
        { file },
      );
    }
    throw new MedCryptError(
      "wrong-key",
      `this file is not encrypted to your key ${
        shortFingerprint(identity.fingerprint)
      }; its recipients are: ${list}`,
      { file },
    );
  }
  const mac = await headerMac(fileKey, bytes.subarray(0, h.macOffset));
  if (!equalBytes(mac, bytes.subarray(h.macOffset, h.headerLen))) {
    throw new MedCryptError(
      "header-altered",
      `the header failed authentication (MAC over bytes 0–${
        h.macOffset - 1
      }): the header was altered or damaged`,
      { file },
    );
  }
  const sz = sizeError(info, file);
  if (sz) throw sz;
  return { header: h, keys: await payloadKeys(h.suite, fileKey, h.nonce), info };
}

/** Explains why chunk `i` failed: out of place (it authenticates elsewhere) or altered. */
async function chunkFailure(
  engine: ChunkEngine,
  o: Opened,
  i: number,
  ct: Uint8Array,
  file?: string,
): Promise<MedCryptError> {
  const h = o.header, C = 2 ** h.exponent, L = h.length, n = chunkCount(L, C);
  const full = chunkCipherLen(h.suite, C);
  const scratch = new Uint8Array(C);
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    const run = runOf(j, j + 1, n, C, L);
    if (runSizes(h.suite, C, run).cipher !== ct.length) continue;
    if ((await engine.open(o.keys, C, run, ct, scratch)) < 0) {
      return new MedCryptError(
        "chunk-reordered",
        `chunk ${i + 1} of ${n} is out of place: it is chunk ${
          j + 1
        } (chunks were swapped or reordered)`,
        { file },
      );
    }
  }
  const start = h.headerLen + i * full;
  return new MedCryptError(
    "chunk-altered",
    `chunk ${i + 1} of ${n} failed authentication (file bytes ${start}–${
      start + ct.length - 1
    }): the file was altered or damaged`,
    { file },
  );
}

function parseMeta(bytes: Uint8Array, file?: string): Metadata {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Metadata;
  } catch {
    throw new MedCryptError("bad-metadata", "the encrypted metadata is not valid JSON", { file });
  }
}

function readHeaderFrom(bytes: Uint8Array, file?: string): Header {
  try {
    return parseHeader(bytes, bytes.length, file);
  } catch (e) {
    if (e instanceof NeedMore) throw new Error("unreachable");
    throw e;
  }
}

/**
 * Decrypts an envelope held in memory, verifying every chunk.
 *
 * @param envelope the envelope bytes
 * @param identity the private key of one recipient
 * @param options engine, file name for messages
 * @returns the content, metadata and envelope description
 * @example
 * ```ts
 * import { decrypt, encrypt } from "./envelope.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * const { publicKey, privateKey } = await generateKeyPair(2048);
 * const env = await encrypt(new Uint8Array([1, 2, 3]), publicKey, { metadata: { kind: "file" } });
 * console.log((await decrypt(env, privateKey)).metadata); // { kind: "file" }
 * closeWorkers();
 * ```
 */
export async function decrypt(
  envelope: Uint8Array,
  identity: PrivateKey,
  options: DecryptOptions = {},
): Promise<Decrypted> {
  const file = options.file;
  const engine = engineOf(options.engine);
  const o = await openHeader(envelope, envelope.length, identity, file);
  const h = o.header, C = 2 ** h.exponent, L = h.length, n = chunkCount(L, C), suite = h.suite;
  const full = chunkCipherLen(suite, C);
  const at = (i: number) => h.headerLen + i * full;
  const fail = async (rel: number, first: number) => {
    const i = first + rel;
    const run = runOf(i, i + 1, n, C, L);
    const ct = envelope.subarray(at(i), at(i) + runSizes(suite, C, run).cipher);
    return await chunkFailure(engine, o, i, ct, file);
  };
  // chunk 0 first: it says how long the metadata record is
  const run0 = runOf(0, 1, n, C, L);
  let head = new Uint8Array(runSizes(suite, C, run0).plain);
  let r = await engine.open(o.keys, C, run0, envelope.subarray(at(0)), head);
  if (r >= 0) throw await fail(r, 0);
  const metaLen = new DataView(head.buffer).getUint32(0);
  const prefixLen = 4 + metaLen;
  if (prefixLen > L) {
    throw new MedCryptError("bad-metadata", "the metadata record is longer than the payload", {
      file,
    });
  }
  const h2 = Math.min(n, Math.ceil(prefixLen / C));
  if (h2 > 1) {
    const run = runOf(1, h2, n, C, L);
    const more = new Uint8Array(C + runSizes(suite, C, run).plain);
    more.set(head);
    r = await engine.open(o.keys, C, run, envelope.subarray(at(1)), more.subarray(C));
    if (r >= 0) throw await fail(r, 1);
    head = more;
  }
  const data = new Uint8Array(L - prefixLen);
  data.set(head.subarray(prefixLen));
  if (h2 < n) {
    const run = runOf(h2, n, n, C, L);
    r = await engine.open(
      o.keys,
      C,
      run,
      envelope.subarray(at(h2)),
      data.subarray(h2 * C - prefixLen),
    );
    if (r >= 0) throw await fail(r, h2);
  }
  let metadata: Metadata | undefined;
  if (metaLen > 0) {
    if (h.clearMetadata !== undefined) {
      throw new MedCryptError("bad-metadata", "metadata is both in clear and encrypted", { file });
    }
    metadata = parseMeta(head.subarray(4, prefixLen), file);
  } else if (o.info.clearMetadata) metadata = o.info.clearMetadata;
  return { data, ...(metadata ? { metadata } : {}), info: o.info };
}

/**
 * Describes an envelope without any key: version, suite, sizes, recipients (fingerprints), and
 * clear metadata if any. No secret is read or shown.
 *
 * @param envelope the envelope bytes (or at least its header, with `fileBytes` given)
 * @param options `fileBytes` when only the start of the file is passed; `file` for messages
 * @returns the description
 * @example
 * ```ts
 * import { encrypt, inspect } from "./envelope.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * const { publicKey } = await generateKeyPair(2048);
 * console.log(inspect(await encrypt(new Uint8Array(10), publicKey)).recipients.length); // 1
 * closeWorkers();
 * ```
 */
export function inspect(
  envelope: Uint8Array,
  options: { fileBytes?: number; file?: string } = {},
): EnvelopeInfo {
  const size = options.fileBytes ?? envelope.length;
  const h = options.fileBytes === undefined
    ? readHeaderFrom(envelope, options.file)
    : parseHeader(envelope, size, options.file);
  return infoOf(h, size);
}

// ------------------------------------------------------------------ files

/** Batch of chunks per engine call when streaming files (64 × 64 KiB = 4 MiB). */
const BATCH_BYTES = 4 * 1024 * 1024;

async function writeAll(f: Deno.FsFile, b: Uint8Array): Promise<void> {
  let o = 0;
  while (o < b.length) o += await f.write(b.subarray(o));
}

/**
 * Fills `b` from `f` with blocking reads on the calling thread. Measured: with async reads each
 * 4 MiB read is handed to Deno's blocking-I/O thread and its completion waits for the event loop
 * and for a core (on 2 busy cores, 200+ ms of waiting per 256 MB and decryptFile at ~1/3 of a
 * plain copy); reads mostly come from the page cache (memcpy), so blocking reads are faster.
 * Writes stay asynchronous so the disk keeps writing while the next batch is read and
 * encrypted.
 */
// deno-lint-ignore require-await
async function readFull(f: Deno.FsFile, b: Uint8Array): Promise<number> {
  let o = 0;
  while (o < b.length) {
    const k = f.readSync(b.subarray(o));
    if (k === null) break;
    o += k;
  }
  return o;
}

async function openInput(path: string): Promise<{ f: Deno.FsFile; size: number }> {
  try {
    const f = await Deno.open(path, { read: true });
    const st = await f.stat();
    if (!st.isFile) {
      f.close();
      throw new MedCryptError("io", "is not a regular file", { file: path });
    }
    return { f, size: st.size };
  } catch (e) {
    if (e instanceof MedCryptError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new MedCryptError("not-found", "no such file", { file: path });
    }
    throw new MedCryptError("io", `could not open: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
}

/**
 * Encrypts a file to a new file, chunk by chunk (memory stays bounded whatever the size), with
 * encryption overlapped with asynchronous writing. The output appears only when complete.
 *
 * @param input the file to encrypt (never modified)
 * @param output where the envelope goes (must differ from `input`)
 * @param recipients public key(s)
 * @param options suite, metadata, engine…
 * @returns the description of the written envelope
 * @example
 * ```ts
 * import { encryptFile } from "./envelope.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/a.bin`, new Uint8Array(100_000));
 * const { publicKey } = await generateKeyPair(2048);
 * console.log((await encryptFile(`${dir}/a.bin`, `${dir}/a.mce`, publicKey)).chunks); // 2
 * closeWorkers();
 * ```
 */
export async function encryptFile(
  input: string,
  output: string,
  recipients: PublicKey | PublicKey[],
  options: EncryptOptions = {},
): Promise<EnvelopeInfo> {
  assertNotInput(output, [input]);
  const { f: src, size } = await openInput(input);
  try {
    const p = await prepare(size, recipients, { ...options, file: options.file ?? input });
    const engine = streamEngineOf(options.engine);
    const C = p.chunkSize, L = p.length, suite = p.keys.suite, n = chunkCount(L, C);
    const B = Math.max(1, Math.floor(BATCH_BYTES / C));
    const fullC = chunkCipherLen(suite, C);
    const ins = [new Uint8Array(B * C), new Uint8Array(B * C)];
    const outs = [new Uint8Array(B * fullC), new Uint8Array(B * fullC)];
    let prefixLeft: Uint8Array = p.prefix;
    const fill = async (buf: Uint8Array): Promise<void> => {
      let o = 0;
      if (prefixLeft.length) {
        const k = Math.min(prefixLeft.length, buf.length);
        buf.set(prefixLeft.subarray(0, k));
        prefixLeft = prefixLeft.subarray(k);
        o = k;
      }
      if (o < buf.length) {
        const got = await readFull(src, buf.subarray(o));
        if (got !== buf.length - o) {
          throw new MedCryptError("io", "the file changed size while it was being encrypted", {
            file: input,
          });
        }
      }
    };
    await writeFileAtomic(output, async (out) => {
      await writeAll(out, p.header);
      const batches = Math.ceil(n / B);
      const runAt = (b: number) => runOf(b * B, Math.min(n, (b + 1) * B), n, C, L);
      let reading = fill(ins[0].subarray(0, runSizes(suite, C, runAt(0)).plain));
      let writing: Promise<void> = Promise.resolve();
      for (let b = 0; b < batches; b++) {
        const run = runAt(b), sz = runSizes(suite, C, run);
        await reading;
        if (b + 1 < batches) {
          reading = fill(ins[(b + 1) % 2].subarray(0, runSizes(suite, C, runAt(b + 1)).plain));
          reading.catch(() => {});
        }
        await engine.seal(p.keys, C, run, ins[b % 2].subarray(0, sz.plain), outs[b % 2]);
        await writing;
        writing = writeAll(out, outs[b % 2].subarray(0, sz.cipher));
        writing.catch(() => {});
      }
      await writing;
    });
    const extra = await src.read(new Uint8Array(1));
    if (extra !== null) {
      await Deno.remove(output).catch(() => {});
      throw new MedCryptError("io", "the file grew while it was being encrypted", { file: input });
    }
    return inspect(p.header, {
      fileBytes: p.header.length + runSizes(suite, C, runOf(0, n, n, C, L)).cipher,
    });
  } finally {
    src.close();
  }
}

/**
 * Decrypts an envelope file to a new file, chunk by chunk with bounded memory. Every chunk is
 * verified before the output is renamed into place; on any failure no output is left.
 *
 * @param input the envelope (never modified)
 * @param output where the content goes (must differ from `input`)
 * @param identity the private key of a recipient
 * @param options engine
 * @returns the metadata and the envelope's description
 * @example
 * ```ts
 * import { decryptFile, encryptFile } from "./envelope.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/a.bin`, new Uint8Array([7, 7, 7]));
 * const { publicKey, privateKey } = await generateKeyPair(2048);
 * await encryptFile(`${dir}/a.bin`, `${dir}/a.mce`, publicKey);
 * await decryptFile(`${dir}/a.mce`, `${dir}/b.bin`, privateKey);
 * console.log(await Deno.readFile(`${dir}/b.bin`)); // Uint8Array(3) [ 7, 7, 7 ]
 * closeWorkers();
 * ```
 */
export async function decryptFile(
  input: string,
  output: string,
  identity: PrivateKey,
  options: DecryptOptions = {},
): Promise<{ metadata?: Metadata; info: EnvelopeInfo }> {
  assertNotInput(output, [input]);
  const file = options.file ?? input;
  const { f: src, size } = await openInput(input);
  try {
    // read the header, growing the buffer until it parses
    let buf = new Uint8Array(Math.min(size, 65536));
    let have = await readFull(src, buf);
    let o: Opened | undefined;
    while (!o) {
      try {
        o = await openHeader(buf.subarray(0, have), size, identity, file);
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
        const bigger = new Uint8Array(Math.min(size, Math.max(e.need, buf.length * 2)));
        bigger.set(buf.subarray(0, have));
        have += await readFull(src, bigger.subarray(have));
        buf = bigger;
      }
    }
    const opened = o;
    const h = opened.header, C = 2 ** h.exponent, L = h.length, suite = h.suite;
    const n = chunkCount(L, C), fullC = chunkCipherLen(suite, C);
    const engine = streamEngineOf(options.engine);
    const B = Math.max(1, Math.floor(BATCH_BYTES / C));
    const ins = [new Uint8Array(B * fullC), new Uint8Array(B * fullC)];
    const outs = [new Uint8Array(B * C), new Uint8Array(B * C)];
    // bytes of the payload already read with the header
    let carry = buf.subarray(h.headerLen, have);
    const fill = async (dst: Uint8Array): Promise<void> => {
      const k = Math.min(carry.length, dst.length);
      dst.set(carry.subarray(0, k));
      carry = carry.subarray(k);
      if (k < dst.length) {
        const got = await readFull(src, dst.subarray(k));
        if (got !== dst.length - k) {
          throw new MedCryptError("truncated", "the file became shorter while it was being read", {
            file,
          });
        }
      }
    };
    let metadata: Metadata | undefined;
    await writeFileAtomic(output, async (out) => {
      // consumer of the stream plaintext: metadata record, then content
      let lenBytes = new Uint8Array(0);
      let metaLen = -1;
      let meta: Uint8Array | undefined;
      let metaHave = 0;
      let writing: Promise<void> = Promise.resolve();
      const consume = (plain: Uint8Array): Promise<void> => {
        let p = plain;
        if (metaLen < 0) {
          const need = 4 - lenBytes.length;
          const part = p.subarray(0, need);
          const nb = new Uint8Array(lenBytes.length + part.length);
          nb.set(lenBytes);
          nb.set(part, lenBytes.length);
          lenBytes = nb;
          p = p.subarray(part.length);
          if (lenBytes.length < 4) return writing;
          metaLen = new DataView(lenBytes.buffer).getUint32(0);
          if (4 + metaLen > L) {
            throw new MedCryptError(
              "bad-metadata",
              "the metadata record is longer than the payload",
              {
                file,
              },
            );
          }
          meta = new Uint8Array(metaLen);
        }
        if (metaHave < metaLen) {
          const k = Math.min(metaLen - metaHave, p.length);
          meta!.set(p.subarray(0, k), metaHave);
          metaHave += k;
          p = p.subarray(k);
        }
        if (p.length) {
          const prev = writing;
          writing = prev.then(() => writeAll(out, p));
          writing.catch(() => {});
        }
        return writing;
      };
      const batches = Math.ceil(n / B);
      const runAt = (b: number) => runOf(b * B, Math.min(n, (b + 1) * B), n, C, L);
      let reading = fill(ins[0].subarray(0, runSizes(suite, C, runAt(0)).cipher));
      const written: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
      for (let b = 0; b < batches; b++) {
        const run = runAt(b), sz = runSizes(suite, C, run);
        await reading;
        if (b + 1 < batches) {
          reading = fill(ins[(b + 1) % 2].subarray(0, runSizes(suite, C, runAt(b + 1)).cipher));
          reading.catch(() => {});
        }
        // the output buffer of batch b-2 may still be being written
        await written[b % 2];
        const r = await engine.open(opened.keys, C, run, ins[b % 2], outs[b % 2]);
        if (r >= 0) {
          await reading.catch(() => {});
          const i = run.counter + r;
          const start = r * fullC;
          const len = runSizes(suite, C, runOf(i, i + 1, n, C, L)).cipher;
          throw await chunkFailure(engine, opened, i, ins[b % 2].slice(start, start + len), file);
        }
        written[b % 2] = consume(outs[b % 2].subarray(0, sz.plain));
      }
      await writing;
      if (metaLen > 0) {
        if (h.clearMetadata !== undefined) {
          throw new MedCryptError("bad-metadata", "metadata is both in clear and encrypted", {
            file,
          });
        }
        metadata = parseMeta(meta!, file);
      }
    });
    if (!metadata && opened.info.clearMetadata) metadata = opened.info.clearMetadata;
    return { ...(metadata ? { metadata } : {}), info: opened.info };
  } finally {
    src.close();
  }
}

/**
 * Describes an envelope file without a key (reads only its header).
 *
 * @param path the `.mce` file
 * @returns the description
 * @example
 * ```ts
 * import { encryptFile, inspectFile } from "./envelope.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/a.bin`, new Uint8Array(10));
 * await encryptFile(`${dir}/a.bin`, `${dir}/a.mce`, (await generateKeyPair(2048)).publicKey);
 * console.log((await inspectFile(`${dir}/a.mce`)).suite); // "aes-256-gcm"
 * closeWorkers();
 * ```
 */
export async function inspectFile(path: string): Promise<EnvelopeInfo> {
  const { f, size } = await openInput(path);
  try {
    let buf = new Uint8Array(Math.min(size, 65536));
    let have = await readFull(f, buf);
    for (;;) {
      try {
        return infoOf(parseHeader(buf.subarray(0, have), size, path), size);
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
        const bigger = new Uint8Array(Math.min(size, Math.max(e.need, buf.length * 2)));
        bigger.set(buf.subarray(0, have));
        have += await readFull(f, bigger.subarray(have));
        buf = bigger;
      }
    }
  } finally {
    f.close();
  }
}
