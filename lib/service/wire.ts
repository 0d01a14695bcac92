/**
 * The bytes the diagnostic service and its clients exchange for CKKS: evaluation keys, queries
 * and results, each one frame
 *
 * ```text
 * "MCW1" | u32 big-endian header length | header (UTF-8 JSON object) | blob 0 | blob 1 | …
 * ```
 *
 * where the header names the message (`kind`), carries its small fields and lists the blob
 * lengths (`blobs`); the blobs (serialized SEAL objects) follow back to back and must fill the
 * frame exactly. Decoding checks every field before anything is handed to SEAL, so a truncated,
 * extended or foreign frame is refused with one clear line.
 *
 * @example
 * ```ts
 * import { decodeFrame, encodeFrame } from "./wire.ts";
 * const f = encodeFrame({ kind: "demo" }, [new Uint8Array([1, 2]), new Uint8Array([3])]);
 * const back = decodeFrame(f, "demo");
 * console.log(back.header.kind, back.blobs.map((b) => b.length)); // demo [ 2, 1 ]
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import type { EncryptedQuery, EncryptedResult, PublicEvaluationKeys } from "../he/protocol.ts";
import { parsePublicEvaluationKeys } from "../he/protocol.ts";

/** The media type of a frame on the wire. */
export const WIRE_TYPE = "application/x-medcrypt-wire";

/** Content type of `.mce` envelopes (scans and diagnoses) on the wire. */
export const ENVELOPE_TYPE = "application/x-medcrypt-envelope";

const MAGIC = [0x4d, 0x43, 0x57, 0x31]; // "MCW1"
/** Largest header accepted (the header holds small fields only). */
const MAX_HEADER = 64 * 1024;
/** Most blobs in one frame (a batch query has one ciphertext per pixel: 784 for 28×28). */
const MAX_BLOBS = 4096;

/** A decoded frame: its header and its blobs (views into the frame's bytes). */
export interface Frame {
  /** The header fields. */
  header: Record<string, unknown>;
  /** The blobs, in order. */
  blobs: Uint8Array[];
}

/**
 * Encodes a header and blobs as one frame.
 *
 * @param header small JSON fields (must not contain `blobs`; it is added)
 * @param blobs the binary parts
 * @returns the frame
 * @example
 * ```ts
 * import { encodeFrame } from "./wire.ts";
 * console.log(encodeFrame({ kind: "x" }, []).length); // 29
 * ```
 */
export function encodeFrame(
  header: Record<string, unknown>,
  blobs: readonly Uint8Array[],
): Uint8Array {
  const head = new TextEncoder().encode(
    JSON.stringify({ ...header, blobs: blobs.map((b) => b.length) }),
  );
  const total = 8 + head.length + blobs.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(4, head.length);
  out.set(head, 8);
  let off = 8 + head.length;
  for (const b of blobs) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

const bad = (what: string, detail: string) => new MedCryptError("bad-frame", `${what}: ${detail}`);

function readHeader(
  bytes: Uint8Array,
  what: string,
): { header: Record<string, unknown>; end: number } {
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw bad(what, `not a MedCrypt wire frame (no "MCW1" magic; ${bytes.length} bytes)`);
  }
  const len = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4);
  if (len > MAX_HEADER) {
    throw bad(what, `header of ${len} bytes is over the ${MAX_HEADER}-byte limit`);
  }
  if (8 + len > bytes.length) {
    throw bad(what, `truncated: the header needs ${len} bytes, ${bytes.length - 8} remain`);
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + len)),
    );
  } catch {
    throw bad(what, "the header is not UTF-8 JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw bad(what, "the header is not a JSON object");
  }
  return { header: header as Record<string, unknown>, end: 8 + len };
}

/**
 * Decodes a frame, checking the magic, the header and that the blob lengths fill the frame
 * exactly.
 *
 * @param bytes the frame
 * @param what what the frame should be, for messages (e.g. `"query"`)
 * @returns the header and blobs
 * @example
 * ```ts
 * import { decodeFrame } from "./wire.ts";
 * try {
 *   decodeFrame(new Uint8Array(3), "query");
 * } catch (e) {
 *   console.log((e as Error).message); // query: not a MedCrypt wire frame (no "MCW1" magic; 3 bytes)
 * }
 * ```
 */
export function decodeFrame(bytes: Uint8Array, what: string): Frame {
  const { header, end } = readHeader(bytes, what);
  const lens = header.blobs;
  if (
    !Array.isArray(lens) || lens.length > MAX_BLOBS ||
    !lens.every((n) => Number.isSafeInteger(n) && n >= 0)
  ) {
    throw bad(what, `"blobs" must list at most ${MAX_BLOBS} non-negative byte lengths`);
  }
  const sum = (lens as number[]).reduce((a, b) => a + b, 0);
  if (end + sum !== bytes.length) {
    throw bad(
      what,
      end + sum > bytes.length
        ? `truncated: the blobs need ${sum} bytes, ${bytes.length - end} remain`
        : `${bytes.length - end - sum} bytes after the last blob`,
    );
  }
  const blobs: Uint8Array[] = [];
  let off = end;
  for (const n of lens as number[]) {
    blobs.push(bytes.subarray(off, off + n));
    off += n;
  }
  delete header.blobs;
  return { header, blobs };
}

function field<T>(
  h: Record<string, unknown>,
  name: string,
  ok: (v: unknown) => boolean,
  what: string,
): T {
  if (!ok(h[name])) throw bad(what, `field "${name}" is missing or invalid`);
  return h[name] as T;
}

const isId = (v: unknown) => typeof v === "string" && /^[0-9a-f]{1,64}$/.test(v);
const isCount = (v: unknown) =>
  Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 1 << 20;
const isMode = (v: unknown) => v === "single" || v === "batch";

/**
 * Encodes evaluation keys for `POST /v1/he/keys`.
 *
 * @param keys the client's public evaluation keys
 * @returns the frame
 * @example
 * ```ts ignore
 * import { keysToWire } from "./wire.ts";
 * const body = keysToWire(client.evaluationKeys(spec.rotations));
 * ```
 */
export function keysToWire(keys: PublicEvaluationKeys): Uint8Array {
  const { params, contextId, keyId, galoisSteps } = keys;
  return encodeFrame({ kind: keys.kind, params, contextId, keyId, galoisSteps }, [
    keys.publicKey,
    keys.relinKeys,
    keys.galoisKeys,
  ]);
}

/**
 * Decodes evaluation keys, checking the frame and then the bundle (no secret key field).
 *
 * @param bytes the frame
 * @returns the keys
 * @example
 * ```ts
 * import { keysFromWire } from "./wire.ts";
 * try {
 *   keysFromWire(new Uint8Array(0));
 * } catch (e) {
 *   console.log((e as Error).message.startsWith("keys:")); // true
 * }
 * ```
 */
export function keysFromWire(bytes: Uint8Array): PublicEvaluationKeys {
  const { header, blobs } = decodeFrame(bytes, "keys");
  if (header.kind !== "he-public-keys") {
    throw bad("keys", `kind is ${JSON.stringify(header.kind)}, not "he-public-keys"`);
  }
  if (blobs.length !== 3) {
    throw bad("keys", `${blobs.length} blobs, not 3 (public, relin, Galois keys)`);
  }
  const steps = field<number[]>(
    header,
    "galoisSteps",
    (v) => Array.isArray(v) && v.length <= 4096 && v.every(Number.isSafeInteger),
    "keys",
  );
  return parsePublicEvaluationKeys({
    ...header,
    galoisSteps: steps,
    publicKey: blobs[0],
    relinKeys: blobs[1],
    galoisKeys: blobs[2],
  });
}

/**
 * Encodes a query for `POST /v1/he/infer`.
 *
 * @param q the encrypted query
 * @returns the frame
 * @example
 * ```ts ignore
 * import { queryToWire } from "./wire.ts";
 * const body = queryToWire(client.encryptSingle(spec, [x]));
 * ```
 */
export function queryToWire(q: EncryptedQuery): Uint8Array {
  const { kind, mode, contextId, keyId, count } = q;
  return encodeFrame({ kind, mode, contextId, keyId, count }, q.ciphertexts);
}

/**
 * Decodes a query, checking every field.
 *
 * @param bytes the frame
 * @returns the query
 * @example
 * ```ts
 * import { encodeFrame, queryFromWire } from "./wire.ts";
 * try {
 *   queryFromWire(encodeFrame({ kind: "he-query", mode: "fast" }, []));
 * } catch (e) {
 *   console.log((e as Error).message); // query: field "mode" is missing or invalid
 * }
 * ```
 */
export function queryFromWire(bytes: Uint8Array): EncryptedQuery {
  const { header, blobs } = decodeFrame(bytes, "query");
  if (header.kind !== "he-query") {
    throw bad("query", `kind is ${JSON.stringify(header.kind)}, not "he-query"`);
  }
  const q: EncryptedQuery = {
    kind: "he-query",
    mode: field(header, "mode", isMode, "query"),
    contextId: field(header, "contextId", isId, "query"),
    keyId: field(header, "keyId", isId, "query"),
    count: field(header, "count", isCount, "query"),
    ciphertexts: blobs,
  };
  if (!blobs.length) throw bad("query", "no ciphertext");
  return q;
}

/**
 * Encodes a result (the server's reply to a query).
 *
 * @param r the encrypted result
 * @returns the frame
 * @example
 * ```ts ignore
 * import { resultToWire } from "./wire.ts";
 * const body = resultToWire(await server.evaluate(query));
 * ```
 */
export function resultToWire(r: EncryptedResult): Uint8Array {
  const { kind, mode, contextId, keyId, count, classes, serverMs } = r;
  return encodeFrame({ kind, mode, contextId, keyId, count, classes, serverMs }, r.ciphertexts);
}

/**
 * Decodes a result, checking every field.
 *
 * @param bytes the frame
 * @returns the result
 * @example
 * ```ts
 * import { encodeFrame, resultFromWire } from "./wire.ts";
 * try {
 *   resultFromWire(encodeFrame({ kind: "he-query" }, []));
 * } catch (e) {
 *   console.log((e as Error).message); // result: kind is "he-query", not "he-result"
 * }
 * ```
 */
export function resultFromWire(bytes: Uint8Array): EncryptedResult {
  const { header, blobs } = decodeFrame(bytes, "result");
  if (header.kind !== "he-result") {
    throw bad("result", `kind is ${JSON.stringify(header.kind)}, not "he-result"`);
  }
  return {
    kind: "he-result",
    mode: field(header, "mode", isMode, "result"),
    contextId: field(header, "contextId", isId, "result"),
    keyId: field(header, "keyId", isId, "result"),
    count: field(header, "count", isCount, "result"),
    classes: field(header, "classes", isCount, "result"),
    serverMs: field(header, "serverMs", (v) => typeof v === "number" && v >= 0, "result"),
    ciphertexts: blobs,
  };
}
