/**
 * The diagnostic service: paper A's encrypted inference behind a real socket. `Deno.serve`
 * (TLS when given a certificate) under `/v1/`:
 *
 * | method | path                 | body → reply                                                 |
 * | ------ | -------------------- | ------------------------------------------------------------ |
 * | GET    | `/v1/health`         | → `{status, model}` (no token)                               |
 * | GET    | `/v1/metrics`        | → requests, errors, latency histogram, bytes, queue depth    |
 * | GET    | `/v1/he/spec`        | `?preset=` → what a client needs to encrypt for this model   |
 * | POST   | `/v1/he/keys`        | evaluation keys (wire frame) → `{keyId, created}`            |
 * | POST   | `/v1/he/infer`       | encrypted query (wire frame) → encrypted logits (wire frame) |
 * | POST   | `/v1/plain/infer`    | an NPY/PNG/DICOM image → `{logits, label}` (the baseline)    |
 * | GET    | `/v1/envelope/key`   | → the server's RSA public key (PEM) and fingerprint          |
 * | POST   | `/v1/envelope/infer` | `.mce` image sealed to that key → `.mce` diagnosis           |
 * | POST   | `/v1/scans`          | `.mce` scan → `{id, bytes, sha256, created}` (stored at rest) |
 * | GET    | `/v1/scans`          | → the client's stored scans                                  |
 * | GET    | `/v1/scans/{id}`     | → the stored `.mce`                                          |
 * | DELETE | `/v1/scans/{id}`     | → `{deleted}`                                                |
 *
 * Every endpoint but health needs `Authorization: Bearer TOKEN`; a client sees only its own
 * keys and scans. Queries are charged to the client's budget (429 when spent). The CPU-bound
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
import type { KeyPair } from "../envelope/keys.ts";
import type { HeModel } from "../he/model.ts";
import type { ClientRecord, ServiceStore } from "./store.ts";
import { Metrics } from "./metrics.ts";
import { DEFAULT_LIMITS, type Limits, type RouteContext } from "./context.ts";
import { errorResponse, HttpError, json, received, type Route } from "./_http.ts";
import { ServerCache, WorkQueue } from "./_work.ts";
import { heRoutes } from "./routes_he.ts";
import { diagnoseRoutes } from "./routes_diagnose.ts";
import { scanRoutes } from "./routes_scans.ts";
import { loadServerIdentity } from "./identity.ts";

export { DEFAULT_LIMITS, HttpError };
export type { Limits };

/** What the service is built from. */
export interface ServiceOptions {
  /** The state: clients, keys, scans, audit log. */
  store: ServiceStore;
  /** The model served. */
  model: HeModel;
  /** Class names, in logit order. */
  labels?: readonly string[];
  /** Body and queue limits. */
  limits?: Partial<Limits>;
  /** The server's RSA key pair; default `identity.pem` in the store's folder (created once). */
  identity?: KeyPair;
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
  const { store, model } = options;
  const servers = new ServerCache(2);
  let identity: Promise<KeyPair> | undefined = options.identity &&
    Promise.resolve(options.identity);
  const ctx: RouteContext = {
    store,
    model,
    labels: options.labels ?? ["normal", "pneumonia"],
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    metrics: new Metrics(),
    queue: new WorkQueue(options.limits?.maxWaiting ?? DEFAULT_LIMITS.maxWaiting),
    servers,
    identity: () => (identity ??= loadServerIdentity(store.dir)),
    auth: (req) => authenticate(store, req),
  };
  const routes: Record<string, Route> = {
    ...basicRoutes(ctx),
    ...heRoutes(ctx),
    ...diagnoseRoutes(ctx),
    ...scanRoutes(ctx),
  };
  const table = Object.keys(routes).map((key) => ({ key, ...routePattern(key) }));

  async function handler(req: Request): Promise<Response> {
    const t0 = performance.now();
    const url = new URL(req.url);
    let response: Response, client: ClientRecord | undefined, name = "other";
    try {
      const onPath = table.filter((r) => r.path.test(url.pathname));
      const hit = onPath.find((r) => r.method === req.method);
      if (!hit) {
        throw onPath.length
          ? new HttpError(
            405,
            "method-not-allowed",
            `${req.method} is not allowed on ${url.pathname}`,
          )
          : new HttpError(404, "not-found", `no endpoint ${url.pathname}`);
      }
      name = hit.key;
      const m = hit.path.exec(url.pathname)!;
      const params = Object.fromEntries(hit.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      [response, client] = await routes[hit.key](req, url, params);
    } catch (e) {
      response = errorResponse(e);
    }
    const bytesIn = received.get(req) ?? 0;
    const bytesOut = Number(response.headers.get("content-length") ?? 0) || 0;
    const ms = performance.now() - t0;
    ctx.metrics.record(name, response.status, ms, bytesIn, bytesOut);
    try {
      store.audit({
        clientId: client?.id ?? null,
        endpoint: name,
        status: response.status,
        bytesIn,
        bytesOut,
        ms,
      });
    } catch { /* the audit log must not turn an answer into an error */ }
    return response;
  }
  return {
    handler,
    metrics: ctx.metrics,
    routes: Object.keys(routes),
    close: () => servers.clear(),
  };
}

/** `"GET /v1/scans/{id}"` → method, a path regex, and the parameter names. */
function routePattern(key: string): { method: string; path: RegExp; names: string[] } {
  const [method, template] = key.split(" ");
  const names: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, n) => {
    names.push(n);
    return "([^/]+)";
  });
  return { method, path: new RegExp(`^${source}$`), names };
}

async function authenticate(store: ServiceStore, req: Request): Promise<ClientRecord> {
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
}

/** Health (no token) and metrics. */
function basicRoutes(ctx: RouteContext): Record<string, Route> {
  return {
    "GET /v1/health": () =>
      Promise.resolve([
        json({ status: "ok", model: { inputShape: ctx.model.inputShape, classes: ctx.labels } }),
      ]),
    "GET /v1/metrics": async (req) => {
      const c = await ctx.auth(req);
      return [json({ ...ctx.metrics.snapshot(), queueDepth: ctx.queue.depth }), c];
    },
  };
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
