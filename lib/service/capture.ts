/**
 * A network eavesdropper on loopback: a TCP proxy that forwards every byte between clients and a
 * service unchanged and keeps a copy of each direction, so an experiment can ask what a capture
 * of the socket holds (the pixels? the diagnosis? a secret key?) instead of arguing about it.
 *
 * @example
 * ```ts ignore
 * import { captureProxy, contains } from "./capture.ts";
 * const tap = await captureProxy("http://127.0.0.1:8443");
 * // point a ServiceClient at tap.url, make requests …
 * console.log(tap.bytes(), contains(tap.upstream(), pixels)); // { up: 1234, down: 567 } true
 * await tap.close();
 * ```
 * @module
 */
import { Buffer } from "node:buffer";

/** A running capture. */
export interface SocketCapture {
  /** Base URL that clients use instead of the service's. */
  url: string;
  /** Bytes forwarded so far in each direction (client → service: `up`). */
  bytes(): { up: number; down: number };
  /** Everything the clients sent since the last {@linkcode SocketCapture.clear}. */
  upstream(): Uint8Array;
  /** Everything the service sent back since the last clear. */
  downstream(): Uint8Array;
  /** Forgets the recorded bytes (the counters keep counting). */
  clear(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

async function writeAll(conn: Deno.Conn, chunk: Uint8Array): Promise<void> {
  for (let off = 0; off < chunk.length;) off += await conn.write(chunk.subarray(off));
}

/**
 * Starts a recording proxy on a free loopback port in front of `target`.
 *
 * @param target the service's base URL (`http://host:port`)
 * @returns the capture
 * @example
 * ```ts ignore
 * import { captureProxy } from "./capture.ts";
 * const tap = await captureProxy("http://127.0.0.1:8443");
 * await fetch(`${tap.url}/v1/health`);
 * console.log(tap.bytes().down > 0); // true
 * await tap.close();
 * ```
 */
export function captureProxy(target: string): SocketCapture {
  const { hostname, port } = new URL(target);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const rec = { up: [] as Uint8Array[], down: [] as Uint8Array[] };
  const count = { up: 0, down: 0 };
  const pump = async (from: Deno.Conn, to: Deno.Conn, dir: "up" | "down") => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n = await from.read(buf); n !== null; n = await from.read(buf)) {
        const chunk = buf.slice(0, n);
        rec[dir].push(chunk);
        count[dir] += n;
        await writeAll(to, chunk);
      }
    } catch { /* one side closed: the other is closed below */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* already closed */ }
      conns.delete(c);
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname, port: Number(port) });
      conns.add(client).add(server);
      pump(client, server, "up");
      pump(server, client, "down");
    }
  })().catch(() => {});
  const join = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    bytes: () => ({ ...count }),
    upstream: () => join(rec.up),
    downstream: () => join(rec.down),
    clear() {
      rec.up = [];
      rec.down = [];
    },
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      await accepting;
    },
  };
}

/**
 * Whether `needle` occurs in `haystack` as one contiguous run of bytes.
 *
 * @param haystack bytes searched
 * @param needle bytes looked for (non-empty)
 * @returns true when found
 * @example
 * ```ts
 * import { contains } from "./capture.ts";
 * console.log(contains(Uint8Array.of(1, 2, 3, 4), Uint8Array.of(2, 3)), contains(Uint8Array.of(1, 2), Uint8Array.of(2, 1))); // true false
 * ```
 */
export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length)
    .indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.length)) >= 0;
}
