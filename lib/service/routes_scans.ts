/**
 * Storage at rest: a client uploads `.mce` scans sealed to its own keys, lists, fetches and
 * deletes them. The server checks that an upload is a whole envelope (its header parses and its
 * size is the one the header implies) but holds no key that opens it.
 *
 * @example
 * ```ts ignore
 * import { scanRoutes } from "./routes_scans.ts";
 * console.log(Object.keys(scanRoutes(context)).length); // 4
 * ```
 * @module
 */
import { inspect } from "../envelope/envelope.ts";
import { bytesResponse, HttpError, json, readBody, type Route, wantType } from "./_http.ts";
import type { RouteContext } from "./context.ts";
import { ENVELOPE_TYPE } from "./wire.ts";

const notFound = (id: string) =>
  new HttpError(404, "unknown-scan", `no stored scan '${id}' of this client`);

/**
 * @param ctx what the routes share
 * @returns `POST /v1/scans`, `GET /v1/scans`, `GET /v1/scans/{id}`, `DELETE /v1/scans/{id}`
 */
export function scanRoutes(ctx: RouteContext): Record<string, Route> {
  const { store, limits, auth } = ctx;
  return {
    "POST /v1/scans": async (req) => {
      const c = await auth(req);
      wantType(req, ENVELOPE_TYPE);
      const body = await readBody(req, limits.scanBytes);
      const info = inspect(body, { file: "the uploaded scan" });
      if (info.fileBytes !== info.expectedFileBytes) {
        throw new HttpError(
          400,
          "truncated",
          `the uploaded scan is ${info.fileBytes} bytes, but its header says ${info.expectedFileBytes}`,
        );
      }
      return [json(await store.putScan(c.id, body), 201), c];
    },
    "GET /v1/scans": async (req) => {
      const c = await auth(req);
      return [json({ scans: store.listScans(c.id) }), c];
    },
    "GET /v1/scans/{id}": async (req, _url, { id }) => {
      const c = await auth(req);
      const bytes = /^[0-9a-f]{16}$/.test(id) ? await store.getScan(c.id, id) : undefined;
      if (!bytes) throw notFound(id);
      return [bytesResponse(bytes, ENVELOPE_TYPE), c];
    },
    "DELETE /v1/scans/{id}": async (req, _url, { id }) => {
      const c = await auth(req);
      if (!/^[0-9a-f]{16}$/.test(id) || !await store.deleteScan(c.id, id)) throw notFound(id);
      return [json({ deleted: id }), c];
    },
  };
}
