/**
 * The HTTP plumbing the routes share: the refusal type, JSON and byte replies, capped body
 * reading, content-type checks, and the mapping of errors to JSON replies.
 *
 * @example
 * ```ts
 * import { errorResponse, HttpError } from "./_http.ts";
 * const r = errorResponse(new HttpError(404, "not-found", "no such scan"));
 * console.log(r.status, (await r.json()).error.code); // 404 not-found
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import type { ClientRecord } from "./store.ts";

/** A route: answers a request, and says which client made it (for the audit log). */
export type Route = (
  req: Request,
  url: URL,
  params: Record<string, string>,
) => Promise<[Response, ClientRecord?]>;

/** A refusal: HTTP status, stable code, one-line message. */
export class HttpError extends Error {
  /**
   * @param status the HTTP status
   * @param code a stable identifier
   * @param message one line for the client
   * @param headers extra response headers (e.g. `Retry-After`)
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Status of each library error code a request can cause. */
const STATUS: Record<string, number> = {
  "bad-frame": 400,
  "bad-shape": 400,
  "bad-bit-depth": 400,
  "bad-values": 400,
  "bad-input": 400,
  "bad-format": 400,
  "truncated": 400,
  "not-an-image": 400,
  "he-secret-key-refused": 400,
  "he-wrong-context": 400,
  "he-wrong-key": 400,
  "he-bad-ciphertext": 400,
  "usage": 400,
  "key-conflict": 409,
};

/** A JSON reply. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return bytesResponse(
    new TextEncoder().encode(JSON.stringify(body)),
    "application/json",
    status,
    headers,
  );
}

/** A reply of raw bytes with their content type and length. */
export function bytesResponse(
  bytes: Uint8Array,
  type: string,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    status,
    headers: { "content-type": type, "content-length": String(bytes.length), ...headers },
  });
}

/** Body bytes read from each request, for the metrics and the audit log. */
export const received = new WeakMap<Request, number>();

/** Reads a body of at most `cap` bytes: 413 as soon as it is known to be larger. */
export async function readBody(req: Request, cap: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > cap) {
    throw new HttpError(
      413,
      "too-large",
      `the body is ${declared} bytes; this endpoint takes at most ${cap}`,
    );
  }
  if (!req.body) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of req.body) {
    n += chunk.length;
    if (n > cap) {
      throw new HttpError(
        413,
        "too-large",
        `the body is over ${cap} bytes, the limit of this endpoint`,
      );
    }
    parts.push(chunk);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  received.set(req, n);
  return out;
}

/** 415 unless the request has this content type. */
export function wantType(req: Request, type: string): void {
  const got = (req.headers.get("content-type") ?? "").split(";")[0].trim();
  if (got !== type) {
    throw new HttpError(415, "wrong-content-type", `send ${type}, not ${got || "no content type"}`);
  }
}

/** The JSON error for anything a route threw; unexpected errors are logged and kept opaque. */
export function errorResponse(e: unknown): Response {
  if (e instanceof HttpError) {
    return json({ error: { code: e.code, message: e.message } }, e.status, e.headers);
  }
  if (e instanceof MedCryptError) {
    return json({ error: { code: e.code, message: e.message } }, STATUS[e.code] ?? 400);
  }
  console.error(`medcrypt serve: internal error: ${(e as Error)?.stack ?? e}`);
  return json(
    { error: { code: "internal", message: "internal error (logged on the server)" } },
    500,
  );
}
