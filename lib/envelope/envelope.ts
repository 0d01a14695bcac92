/**
 * Hybrid envelopes (SPEC.md): a fresh AES-256 file key wrapped with RSA-OAEP-SHA-256 for each
 * recipient, a MAC over the header, and the payload in STREAM chunks of AES-256-GCM (default) or
 * AES-256-CBC + HMAC-SHA-256. In memory ({@linkcode encrypt}, {@linkcode decrypt}) or file to file
 * with bounded memory ({@linkcode encryptFile}, {@linkcode decryptFile}); both decryptions run the
 * same reader over a different byte source.
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
import { fromHex, toHex } from "../core/bytes.ts";
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

/** Free-form metadata carried with the content: a JSON object (SPEC.md §7). */
export type Metadata = Record<string, unknown>;

/** Options of {@linkcode encrypt} and {@linkcode encryptFile}. */
export interface EncryptOptions {
  /** Payload cipher; default `"aes-256-gcm"`. */
  suite?: CipherSuite;
  /** Metadata to carry (encrypted unless `clearMetadata`); must serialise to a JSON object. */
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
/** Strict UTF-8 that keeps a byte order mark, so that JSON.parse rejects it (SPEC.md §7). */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ab = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;

function engineOf(e: EngineName | ChunkEngine | undefined): ChunkEngine {
  return typeof e === "object" ? e : getEngine(e);
}

/** For encryptFile/decryptFile: the OpenSSL engine leaves a core to the file I/O thread. */
function streamEngineOf(e: EngineName | ChunkEngine | undefined): ChunkEngine {
  return typeof e === "object" ? e : getStreamingEngine(e);
}

// ------------------------------------------------------------------ metadata

function isJsonObject(v: unknown): v is Metadata {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function jsonKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

/** @returns the JSON text of writer-side metadata; throws unless it is a JSON object */
function metadataJson(m: unknown, file?: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(m);
  } catch (e) {
    throw new MedCryptError(
      "bad-metadata",
      `the metadata cannot be written as JSON: ${(e as Error).message}`,
      { file, cause: e },
    );
  }
  const value: unknown = json === undefined ? undefined : JSON.parse(json);
  if (!isJsonObject(value)) {
    const kind = value === undefined ? "not representable in JSON" : jsonKind(value);
    throw new MedCryptError(
      "bad-metadata",
      `the metadata must be a JSON object, but it is ${kind}`,
      { file },
    );
  }
  return json!;
}

/** Reads stored metadata: strict UTF-8 JSON text whose value is an object (SPEC.md §7). */
function parseMetadata(bytes: Uint8Array, where: "clear" | "encrypted", file?: string): Metadata {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw new MedCryptError("bad-metadata", `the ${where} metadata is not UTF-8 JSON text`, {
      file,
      cause: e,
    });
  }
  if (!isJsonObject(value)) {
    throw new MedCryptError(
      "bad-metadata",
      `the ${where} metadata is ${jsonKind(value)}, but it must be a JSON object`,
      { file },
    );
  }
  return value;
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
  const seen = new Set<string>();
  for (const r of list) {
    if (seen.has(r.fingerprint)) {
      throw new MedCryptError(
        "usage",
        `the recipient ${shortFingerprint(r.fingerprint)} is given twice`,
        { file: o.file },
      );
    }
    seen.add(r.fingerprint);
  }
  const suite = SUITES[o.suite ?? "aes-256-gcm"];
  if (!suite) throw new MedCryptError("usage", `unknown cipher suite '${o.suite}'`);
  const exponent = o.chunkExponent ?? 16;
  if (!Number.isInteger(exponent) || exponent < 10 || exponent > 24) {
    throw new MedCryptError("usage", `chunk exponent ${exponent} is outside 10..24`);
  }
  const metaJson = o.metadata !== undefined
    ? te.encode(metadataJson(o.metadata, o.file))
    : undefined;
  const inner = metaJson !== undefined && !o.clearMetadata ? metaJson : new Uint8Array(0);
  const prefix = new Uint8Array(4 + inner.length);
  new DataView(prefix.buffer).setUint32(0, inner.length);
  prefix.set(inner, 4);
  const length = prefix.length + contentLen;
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
    body.set(fromHex(r.fingerprint));
    body.set(wrapped, 32);
    stanzas.push({ type: RSA_TYPE, body });
  }
  const body = encodeHeaderBody({
    suite,
    exponent,
    length,
    nonce,
    stanzas,
    clearMetadata: o.clearMetadata ? metaJson : undefined,
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

/** Describes a parsed header; the clear metadata is added by {@linkcode withClearMetadata}. */
function describe(h: Header, fileBytes: number): EnvelopeInfo {
  const C = 2 ** h.exponent;
  const expected = expectedFileSize(h);
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
      s.type === RSA_TYPE
        ? {
          type: s.type,
          fingerprint: toHex(s.body.subarray(0, 32)),
          bits: (s.body.length - 32) * 8,
        }
        : { type: s.type }
    ),
    metadataEncrypted: h.clearMetadata === undefined,
  };
}

function withClearMetadata(info: EnvelopeInfo, h: Header, file?: string): EnvelopeInfo {
  if (h.clearMetadata === undefined) return info;
  return { ...info, clearMetadata: parseMetadata(h.clearMetadata, "clear", file) };
}

function assertPrivate(identity: PrivateKey, file?: string): void {
  if ((identity as { kind?: string }).kind !== "private") {
    throw new MedCryptError(
      "not-private-key",
      "decrypting needs a private key, but a public key was given",
      { file },
    );
  }
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

/**
 * The key part of the decryption procedure (SPEC.md §8 steps 2–5): unwraps the file key from this
 * identity's stanza, verifies the header MAC, checks the file size and the clear metadata.
 *
 * @param bytes the file's first bytes, holding at least the whole header
 * @param h the header parsed from them
 */
async function openHeader(
  bytes: Uint8Array,
  h: Header,
  fileBytes: number,
  identity: PrivateKey,
  file?: string,
): Promise<Opened> {
  const info = describe(h, fileBytes);
  const k = Math.ceil(identity.bits / 8);
  let fileKey: Uint8Array | null = null;
  for (const s of h.stanzas) {
    if (s.type !== RSA_TYPE || toHex(s.body.subarray(0, 32)) !== identity.fingerprint) continue;
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
    if (info.expectedFileBytes !== fileBytes) {
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
  return {
    header: h,
    keys: await payloadKeys(h.suite, fileKey, h.nonce),
    info: withClearMetadata(info, h, file),
  };
}

/**
 * Explains why chunk `i` failed: it authenticates at another position (reordered), or at its own
 * position with the other final flag (the end of the stream was moved), or nowhere (altered).
 */
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
  const own = runOf(i, i + 1, n, C, L);
  if ((await engine.open(o.keys, C, { ...own, final: !own.final }, ct, scratch)) < 0) {
    return new MedCryptError(
      "chunk-final-flag",
      own.final
        ? `chunk ${
          i + 1
        } of ${n} is the last chunk but was not sealed as the final one: the file was altered`
        : `chunk ${i + 1} of ${n} was sealed as the final chunk, but ${
          n - i - 1
        } more follow it: the file was altered`,
      { file },
    );
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

/** The payload's bytes in order, handed out in pieces. */
interface PayloadSource {
  /** @returns the next `len` bytes; the view stays valid until two more reads have been made */
  read(len: number): Promise<Uint8Array>;
}

/** Where the content (the stream plaintext after the metadata record) goes. */
interface ContentSink {
  /** Called once, when the content length is known. */
  begin(length: number): void;
  /** @returns a buffer of `len` bytes to decrypt content bytes `[offset, offset + len)` into */
  target(offset: number, len: number): Promise<Uint8Array>;
  /** Content bytes `[offset, offset + bytes.length)` are verified (`bytes` may come from `target`). */
  put(offset: number, bytes: Uint8Array): void;
}

/**
 * The payload part of the decryption procedure (SPEC.md §8 steps 6–7), shared by
 * {@linkcode decrypt} and {@linkcode decryptFile}: verifies and decrypts every chunk with its
 * position and final flag, splits the stream plaintext into the metadata record and the content,
 * and hands the content to `sink`.
 *
 * Chunk 0 is decrypted alone first: its first 4 bytes give the metadata length (C ≥ 1024 and
 * L ≥ 4, so they are always in it). The chunks holding the rest of the record go through scratch
 * buffers; the content chunks decrypt straight into the sink's buffers, in runs of at most
 * `maxRun` chunks (one run in memory, which the engine splits across threads).
 *
 * @returns the encrypted metadata, or `undefined` when the record is empty
 */
async function readPayload(
  o: Opened,
  engine: ChunkEngine,
  src: PayloadSource,
  sink: ContentSink,
  maxRun: number,
  file?: string,
): Promise<Metadata | undefined> {
  const h = o.header, suite = h.suite, C = 2 ** h.exponent, L = h.length, n = chunkCount(L, C);
  const runAt = (a: number, b: number) => runOf(a, b, n, C, L);
  const sizes = (run: ChunkRun) => runSizes(suite, C, run);
  const open = async (run: ChunkRun, ct: Uint8Array, dst: Uint8Array, next?: Promise<unknown>) => {
    const r = await engine.open(o.keys, C, run, ct, dst);
    if (r < 0) return;
    const i = run.counter + r, start = r * chunkCipherLen(suite, C);
    const bad = ct.slice(start, start + sizes(runAt(i, i + 1)).cipher);
    await next?.catch(() => {}); // no read may still be running when the caller closes the file
    throw await chunkFailure(engine, o, i, bad, file);
  };
  const run0 = runAt(0, 1);
  const first = new Uint8Array(sizes(run0).plain);
  await open(run0, await src.read(sizes(run0).cipher), first);
  const metaLen = new DataView(first.buffer).getUint32(0);
  if (4 + metaLen > L) {
    throw new MedCryptError(
      "bad-metadata",
      `the metadata record declares ${metaLen} bytes, more than the ${L - 4} the payload holds`,
      { file },
    );
  }
  if (metaLen > 0 && h.clearMetadata !== undefined) {
    throw new MedCryptError("bad-metadata", "metadata is both in clear and encrypted", { file });
  }
  const prefix = 4 + metaLen;
  const meta = new Uint8Array(metaLen);
  sink.begin(L - prefix);
  // verified stream plaintext P[at, at + plain.length): metadata bytes to `meta`, content to sink
  const deliver = (at: number, plain: Uint8Array) => {
    if (at >= prefix) return sink.put(at - prefix, plain);
    const end = Math.min(prefix, at + plain.length), from = Math.max(at, 4);
    if (end > from) meta.set(plain.subarray(from - at, end - at), from - 4);
    if (end < at + plain.length) sink.put(0, plain.subarray(end - at));
  };
  deliver(0, first);
  const split = Math.min(n, Math.max(1, Math.ceil(prefix / C)));
  const runs: ChunkRun[] = [];
  for (const [a, b] of [[1, split], [split, n]]) {
    for (let s = a; s < b; s += maxRun) runs.push(runAt(s, Math.min(b, s + maxRun)));
  }
  let reading = runs.length > 0 ? src.read(sizes(runs[0]).cipher) : undefined;
  for (let k = 0; k < runs.length; k++) {
    const run = runs[k], len = sizes(run).plain, at = run.counter * C;
    const ct = await reading!;
    reading = k + 1 < runs.length ? src.read(sizes(runs[k + 1]).cipher) : undefined;
    reading?.catch(() => {}); // awaited in the next round, or by `open` on failure
    const dst = at >= prefix ? await sink.target(at - prefix, len) : new Uint8Array(len);
    await open(run, ct, dst, reading);
    deliver(at, dst);
  }
  return metaLen > 0 ? parseMetadata(meta, "encrypted", file) : undefined;
}

/** The payload of an envelope in memory: views, no copies. */
function memorySource(envelope: Uint8Array, start: number): PayloadSource {
  let pos = start;
  return {
    read(len) {
      const v = envelope.subarray(pos, pos + len);
      pos += len;
      return Promise.resolve(v);
    },
  };
}

/** Collects the content in one buffer that the engine decrypts into directly. */
class MemorySink implements ContentSink {
  data: Uint8Array = new Uint8Array(0);
  begin(length: number): void {
    this.data = new Uint8Array(length);
  }
  target(offset: number, len: number): Promise<Uint8Array> {
    return Promise.resolve(this.data.subarray(offset, offset + len));
  }
  put(offset: number, bytes: Uint8Array): void {
    const inPlace = bytes.buffer === this.data.buffer &&
      bytes.byteOffset === this.data.byteOffset + offset;
    if (!inPlace) this.data.set(bytes, offset);
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
  assertPrivate(identity, file);
  const h = parseHeader(envelope, envelope.length, file);
  const o = await openHeader(envelope, h, envelope.length, identity, file);
  const sink = new MemorySink();
  const source = memorySource(envelope, h.headerLen);
  const encrypted = await readPayload(o, engineOf(options.engine), source, sink, Infinity, file);
  const metadata = encrypted ?? o.info.clearMetadata;
  return { data: sink.data, ...(metadata ? { metadata } : {}), info: o.info };
}

/**
 * Describes an envelope without any key: version, suite, sizes, recipients (fingerprints), and
 * clear metadata if any. No secret is read or shown, and nothing is authenticated: the header MAC
 * needs the file key.
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
  let h: Header;
  try {
    h = parseHeader(envelope, size, options.file);
  } catch (e) {
    if (!(e instanceof NeedMore)) throw e;
    throw new MedCryptError(
      "usage",
      `only ${envelope.length} bytes were given, but the header needs at least ${e.need}`,
      { file: options.file },
    );
  }
  return withClearMetadata(describe(h, size), h, options.file);
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
 * Reads the start of `f` until the header parses.
 *
 * @returns the bytes read (the header, possibly followed by the start of the payload) and the
 *   header
 */
async function readHeader(
  f: Deno.FsFile,
  size: number,
  file: string,
): Promise<{ bytes: Uint8Array; header: Header }> {
  let buf = new Uint8Array(Math.min(size, 65536));
  let have = await readFull(f, buf);
  for (;;) {
    try {
      const bytes = buf.subarray(0, have);
      return { bytes, header: parseHeader(bytes, size, file) };
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      if (have < buf.length) {
        throw new MedCryptError("truncated", "the file became shorter while it was being read", {
          file,
        });
      }
      const bigger = new Uint8Array(Math.min(size, Math.max(e.need, buf.length * 2)));
      bigger.set(buf.subarray(0, have));
      have += await readFull(f, bigger.subarray(have));
      buf = bigger;
    }
  }
}

/**
 * The payload of an envelope file: the bytes read along with the header first, then blocking
 * reads into two buffers used in turn (a view stays valid while the next read fills the other).
 */
class FileSource implements PayloadSource {
  #f: Deno.FsFile;
  #carry: Uint8Array;
  #bufs: Uint8Array[];
  #next = 0;
  #file: string;

  constructor(f: Deno.FsFile, carry: Uint8Array, bufBytes: number, file: string) {
    this.#f = f;
    this.#carry = carry;
    this.#bufs = [new Uint8Array(bufBytes), new Uint8Array(bufBytes)];
    this.#file = file;
  }

  async read(len: number): Promise<Uint8Array> {
    if (this.#carry.length >= len) {
      const v = this.#carry.subarray(0, len);
      this.#carry = this.#carry.subarray(len);
      return v;
    }
    const dst = this.#bufs[this.#next].subarray(0, len);
    this.#next ^= 1;
    const k = this.#carry.length;
    dst.set(this.#carry);
    this.#carry = this.#carry.subarray(k);
    const got = await readFull(this.#f, dst.subarray(k));
    if (got !== len - k) {
      throw new MedCryptError("truncated", "the file became shorter while it was being read", {
        file: this.#file,
      });
    }
    return dst;
  }
}

/**
 * Writes the content to a file: the engine decrypts into two buffers used in turn, and each is
 * written asynchronously while the next batch is decrypted into the other.
 */
class FileSink implements ContentSink {
  #out: Deno.FsFile;
  #bufs: Uint8Array[];
  #busy: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  #next = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(out: Deno.FsFile, bufBytes: number) {
    this.#out = out;
    this.#bufs = [new Uint8Array(bufBytes), new Uint8Array(bufBytes)];
  }

  begin(): void {}

  async target(_offset: number, len: number): Promise<Uint8Array> {
    const i = this.#next;
    this.#next ^= 1;
    await this.#busy[i];
    return this.#bufs[i].subarray(0, len);
  }

  put(_offset: number, bytes: Uint8Array): void {
    const tail = this.#tail.then(() => writeAll(this.#out, bytes));
    tail.catch(() => {}); // reported by the next `target` of that buffer, or by `finish`
    this.#tail = tail;
    for (let i = 0; i < 2; i++) if (bytes.buffer === this.#bufs[i].buffer) this.#busy[i] = tail;
  }

  /** @returns when every write has completed */
  finish(): Promise<void> {
    return this.#tail;
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
  assertPrivate(identity, file);
  const { f: src, size } = await openInput(input);
  try {
    const { bytes, header: h } = await readHeader(src, size, file);
    const o = await openHeader(bytes, h, size, identity, file);
    const C = 2 ** h.exponent, n = chunkCount(h.length, C);
    const batch = Math.max(1, Math.floor(BATCH_BYTES / C)), perBuffer = Math.min(batch, n);
    const engine = streamEngineOf(options.engine);
    const source = new FileSource(
      src,
      bytes.subarray(h.headerLen),
      perBuffer * chunkCipherLen(h.suite, C),
      file,
    );
    let encrypted: Metadata | undefined;
    await writeFileAtomic(output, async (out) => {
      const sink = new FileSink(out, perBuffer * C);
      try {
        encrypted = await readPayload(o, engine, source, sink, batch, file);
      } catch (e) {
        await sink.finish().catch(() => {}); // no write may still be running on the closed file
        throw e;
      }
      await sink.finish();
    });
    const metadata = encrypted ?? o.info.clearMetadata;
    return { ...(metadata ? { metadata } : {}), info: o.info };
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
    const { header } = await readHeader(f, size, path);
    return withClearMetadata(describe(header, size), header, path);
  } finally {
    f.close();
  }
}
