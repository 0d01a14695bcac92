/**
 * The CKKS routes: the client spec of the served model, evaluation key registration, and
 * encrypted inference behind a bounded queue (one evaluation at a time, 503 when full).
 *
 * @example
 * ```ts ignore
 * import { heRoutes } from "./routes_he.ts";
 * const routes = heRoutes(context);
 * console.log(Object.keys(routes)); // [ "GET /v1/he/spec", "POST /v1/he/keys", "POST /v1/he/infer" ]
 * ```
 * @module
 */
import { HeServer } from "../he/server.ts";
import { PRESETS } from "../he/params.ts";
import { clientSpec } from "../he/spec.ts";
import { keysFromWire, queryFromWire, resultToWire, WIRE_TYPE } from "./wire.ts";
import { bytesResponse, HttpError, json, readBody, type Route, wantType } from "./_http.ts";
import type { RouteContext } from "./context.ts";

/**
 * @param ctx what the routes share
 * @returns the CKKS routes
 */
export function heRoutes(ctx: RouteContext): Record<string, Route> {
  const { store, model, labels, limits, auth } = ctx;
  const queue = ctx.queue, servers = ctx.servers;
  return {
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
  };
}
