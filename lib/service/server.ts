/**
 * The diagnostic service: paper A's encrypted inference behind a real socket. `Deno.serve`
 * (TLS when given a certificate) under `/v1/`:
 *
 * | method | path               | body → reply                                                   |
 * | ------ | ------------------ | -------------------------------------------------------------- |
 * | GET    | `/v1/health`       | → `{status, model}` (no token)                                 |
 * | GET    | `/v1/metrics`      | → requests, errors, latency histogram, bytes, queue depth      |
 * | GET    | `/v1/he/spec`      | `?preset=` → what a client needs to encrypt for this model     |
 * | POST   | `/v1/he/keys`      | evaluation keys (wire frame) → `{keyId, created}`              |
 * | POST   | `/v1/he/infer`     | encrypted query (wire frame) → encrypted logits (wire frame)   |
 * | POST   | `/v1/plain/infer`  | an NPY/PNG/DICOM image → `{logits, label}` (the baseline)      |
 *
 * Every endpoint but health needs `Authorization: Bearer TOKEN`; a client sees only its own
 * keys. Encrypted queries are charged to the client's budget (429 when spent). The CPU-bound
 * evaluation runs one at a time behind a bounded queue (503 with `Retry-After` when full).
 * Bodies are capped per endpoint (413), and every refusal is a JSON error
 * `{error: {code, message}}` with a 4xx status; the server keeps serving. The audit log records
 * who asked what, when, and the sizes, never pixels or ciphertext bytes.
 *
 * @example
 * ```ts ignore
 * import { startService } from "./server.ts";
 * import { ServiceStore } from "./store.ts";
 * const store = ServiceStore.open(await Deno.makeTempDir());
 * const svc = await startService({ store, model, port: 0 });
 * console.log((await fetch(`${svc.url}/v1/health`)).status); // 200
 * await svc.shutdown();
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { HeServer } from "../he/server.ts";
import { imageToInput } from "../he/client.ts";
import type { HeModel } from "../he/model.ts";
import { compile } from "../he/plan.ts";
import { forwardProgram } from "../he/noise.ts";
import { PRESETS } from "../he/params.ts";
import { clientSpec } from "../he/spec.ts";
import { decodeImage, sniffFormat } from "../image/io.ts";
import type { ClientRecord, ServiceStore } from "./store.ts";
import { keysFromWire, queryFromWire, resultToWire, WIRE_TYPE } from "./wire.ts";
import { Metrics } from "./metrics.ts";

/** Largest bodies accepted, in bytes, per endpoint. */
export interface Limits {
  /** Evaluation keys (about 53 MB for the shipped model at N = 8192). */
  keysBytes: number;
  /** An encrypted query (a batch query is 784 ciphertexts). */
  queryBytes: number;
  /** A plaintext image. */
  imageBytes: number;
  /** Queries waiting behind the one being evaluated. */
  maxWaiting: number;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Limits = {
  keysBytes: 256 * 2 ** 20,
  queryBytes: 1024 * 2 ** 20,
  imageBytes: 64 * 2 ** 20,
  maxWaiting: 4,
};

/** What the service is built from. */
export interface ServiceOptions {
  /** The state: clients, keys, audit log. */
  store: ServiceStore;
  /** The model served. */
  model: HeModel;
  /** Class names, in logit order. */
  labels?: readonly string[];
  /** Body and queue limits. */
  limits?: Partial<Limits>;
}

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

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return bytesResponse(
    new TextEncoder().encode(JSON.stringify(body)),
    "application/json",
    status,
    headers,
  );
}

function bytesResponse(
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
const received = new WeakMap<Request, number>();

/** Reads a body of at most `cap` bytes: 413 as soon as it is known to be larger. */
async function readBody(req: Request, cap: number): Promise<Uint8Array> {
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

function wantType(req: Request, type: string): void {
  const got = (req.headers.get("content-type") ?? "").split(";")[0].trim();
  if (got !== type) {
    throw new HttpError(415, "wrong-content-type", `send ${type}, not ${got || "no content type"}`);
  }
}

/** One HE evaluation at a time; at most `maxWaiting` queued behind it. */
class WorkQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #depth = 0;
  constructor(readonly maxWaiting: number) {}
  /** Queries running or waiting. */
  get depth(): number {
    return this.#depth;
  }
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#depth > this.maxWaiting) {
      throw new HttpError(503, "busy", `${this.#depth} queries are ahead; retry shortly`, {
        "retry-after": "2",
      });
    }
    this.#depth++;
    // Each job starts on a fresh macrotask, so requests that arrived meanwhile reach the queue
    // and are counted (the evaluation itself runs on this thread and does not yield).
    const p = this.#tail.then(() => new Promise((r) => setTimeout(r, 0))).then(job);
    this.#tail = p.catch(() => {}).finally(() => this.#depth--);
    return p;
  }
}

/** The request handler and what it holds. */
export interface Service {
  /** Answers one request. */
  handler(req: Request): Promise<Response>;
  /** Counters. */
  metrics: Metrics;
  /** Its routes, `METHOD /path` (what `openapi.json` describes). */
  routes: readonly string[];
  /** Releases the cached SEAL servers. */
  close(): void;
}

/**
 * Builds the service's request handler (no socket: see {@linkcode startService}).
 *
 * @param options store, model, limits
 * @returns the handler
 * @example
 * ```ts ignore
 * const svc = createService({ store, model });
 * const r = await svc.handler(new Request("http://x/v1/health"));
 * console.log(r.status); // 200
 * ```
 */
export function createService(options: ServiceOptions): Service {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { store, model } = options;
  const labels = options.labels ?? ["normal", "pneumonia"];
  const metrics = new Metrics();
  const queue = new WorkQueue(limits.maxWaiting);
  const servers = new ServerCache(2);
  const plainProgram = compile(model);

  const auth = async (req: Request): Promise<ClientRecord> => {
    const m = /^Bearer (\S+)$/.exec(req.headers.get("authorization") ?? "");
    const client = m ? await store.authenticate(m[1]) : undefined;
    if (!client) {
      throw new HttpError(
        401,
        "unauthorized",
        "a valid client token is needed (Authorization: Bearer TOKEN)",
      );
    }
    return client;
  };

  const routes: Record<string, (req: Request, url: URL) => Promise<[Response, ClientRecord?]>> = {
    "GET /v1/health": () =>
      Promise.resolve([
        json({ status: "ok", model: { inputShape: model.inputShape, classes: labels } }),
      ]),
    "GET /v1/metrics": async (req) => {
      const c = await auth(req);
      return [json({ ...metrics.snapshot(), queueDepth: queue.depth }), c];
    },
    "GET /v1/he/spec": async (req, url) => {
      const c = await auth(req);
      const name = url.searchParams.get("preset") ?? "ckks-8192-d5";
      const params = PRESETS[name];
      if (!params) {
        throw new HttpError(
          400,
          "unknown-preset",
          `no preset '${name}'; known: ${Object.keys(PRESETS).join(", ")}`,
        );
      }
      return [json({ preset: name, params, spec: clientSpec(model, params), labels }), c];
    },
    "POST /v1/he/keys": async (req) => {
      const c = await auth(req);
      wantType(req, WIRE_TYPE);
      const body = await readBody(req, limits.keysBytes);
      const keys = keysFromWire(body);
      const known = PRESETS[keys.params.name];
      if (!known || JSON.stringify(known) !== JSON.stringify(keys.params)) {
        throw new HttpError(
          400,
          "unknown-preset",
          `the keys use parameters '${keys.params.name}' that this server does not offer`,
        );
      }
      const { created } = await store.putHeKeys(c.id, {
        keyId: keys.keyId,
        contextId: keys.contextId,
        preset: keys.params.name,
      }, body);
      return [json({ keyId: keys.keyId, created }, created ? 201 : 200), c];
    },
    "POST /v1/he/infer": async (req) => {
      const c = await auth(req);
      wantType(req, WIRE_TYPE);
      const query = queryFromWire(await readBody(req, limits.queryBytes));
      const keyBytes = await store.getHeKeys(c.id, query.keyId);
      if (!keyBytes) {
        throw new HttpError(
          404,
          "unknown-key",
          `no evaluation keys ${query.keyId} registered by this client (POST /v1/he/keys first)`,
        );
      }
      if (!store.charge(c.id, query.count)) {
        throw new HttpError(429, "budget-spent", `the query budget of client '${c.name}' is spent`);
      }
      const result = await queue.run(async () => {
        const server = await servers.get(
          `${c.id}/${query.keyId}`,
          () => HeServer.create(model, keysFromWire(keyBytes)),
        );
        return await server.evaluate(query);
      });
      return [bytesResponse(resultToWire(result), WIRE_TYPE), c];
    },
    "POST /v1/plain/infer": async (req) => {
      const c = await auth(req);
      const bytes = await readBody(req, limits.imageBytes);
      const format = sniffFormat(bytes);
      if (!format) {
        throw new HttpError(415, "not-an-image", "the body is not an NPY, PNG or DICOM image");
      }
      if (!store.charge(c.id, 1)) {
        throw new HttpError(429, "budget-spent", `the query budget of client '${c.name}' is spent`);
      }
      const spec = clientSpec(model, PRESETS["ckks-8192-d5"]);
      const x = imageToInput(
        decodeImage(bytes, format, "the uploaded image"),
        spec,
        "the uploaded image",
      );
      const logits = Array.from(forwardProgram(plainProgram, x).at(-1)!);
      const label = labels[logits.indexOf(Math.max(...logits))];
      return [json({ logits, label }), c];
    },
  };

  async function handler(req: Request): Promise<Response> {
    const t0 = performance.now();
    const url = new URL(req.url);
    const key = `${req.method} ${url.pathname}`;
    let response: Response, client: ClientRecord | undefined;
    try {
      const route = routes[key];
      if (!route) {
        const known = Object.keys(routes).some((k) => k.endsWith(` ${url.pathname}`));
        throw known
          ? new HttpError(
            405,
            "method-not-allowed",
            `${req.method} is not allowed on ${url.pathname}`,
          )
          : new HttpError(404, "not-found", `no endpoint ${url.pathname}`);
      }
      [response, client] = await route(req, url);
    } catch (e) {
      response = errorResponse(e);
    }
    const bytesIn = received.get(req) ?? 0;
    const bytesOut = Number(response.headers.get("content-length") ?? 0) || 0;
    const ms = performance.now() - t0;
    metrics.record(routes[key] ? key : "other", response.status, ms, bytesIn, bytesOut);
    try {
      store.audit({
        clientId: client?.id ?? null,
        endpoint: key,
        status: response.status,
        bytesIn,
        bytesOut,
        ms,
      });
    } catch { /* the audit log must not turn an answer into an error */ }
    return response;
  }
  return { handler, metrics, routes: Object.keys(routes), close: () => servers.clear() };
}

/** The JSON error for anything a route threw; unexpected errors are logged and kept opaque. */
function errorResponse(e: unknown): Response {
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

/** A few SEAL servers kept ready, least recently used dropped first. */
class ServerCache {
  #map = new Map<string, Promise<HeServer>>();
  constructor(readonly size: number) {}
  get(key: string, make: () => Promise<HeServer>): Promise<HeServer> {
    let p = this.#map.get(key);
    if (p) this.#map.delete(key);
    else p = make();
    this.#map.set(key, p);
    p.catch(() => this.#map.delete(key));
    while (this.#map.size > this.size) {
      const [old, v] = this.#map.entries().next().value!;
      this.#map.delete(old);
      v.then((s) => s.delete(), () => {});
    }
    return p;
  }
  clear(): void {
    for (const v of this.#map.values()) v.then((s) => s.delete(), () => {});
    this.#map.clear();
  }
}

/** Where and how to listen. */
export interface ListenOptions extends ServiceOptions {
  /** Interface; default 127.0.0.1. */
  hostname?: string;
  /** Port; default 8443, 0 for any free one. */
  port?: number;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string; key: string };
}

/** A running service. */
export interface RunningService {
  /** Its base URL, e.g. `http://127.0.0.1:8443`. */
  url: string;
  /** The handler's counters. */
  metrics: Metrics;
  /** Stops accepting, finishes what is in flight, releases everything. */
  shutdown(): Promise<void>;
}

/**
 * Starts the service on a socket.
 *
 * @param options what to serve and where
 * @returns the running service
 * @example
 * ```ts ignore
 * const svc = await startService({ store, model, port: 0 });
 * console.log(svc.url.startsWith("http://127.0.0.1:")); // true
 * await svc.shutdown();
 * ```
 */
export async function startService(options: ListenOptions): Promise<RunningService> {
  const svc = createService(options);
  const hostname = options.hostname ?? "127.0.0.1";
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname,
    port: options.port ?? 8443,
    ...(options.tls ?? {}),
    onListen: (addr) => resolve(addr as Deno.NetAddr),
    onError: (e) => errorResponse(e),
  }, svc.handler);
  const addr = await listening;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `${options.tls ? "https" : "http"}://${host}:${addr.port}`,
    metrics: svc.metrics,
    async shutdown() {
      await server.shutdown();
      svc.close();
    },
  };
}
