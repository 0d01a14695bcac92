/**
 * A throw-away `redis-server` on 127.0.0.1 for tests and benchmarks: a free port, its own data
 * folder, append-only persistence on, stopped (or restarted on the same port and data) on demand.
 *
 * @example
 * ```ts ignore
 * import { startRedisServer } from "./redis_server.ts";
 * const redis = await startRedisServer();
 * console.log(redis.url); // e.g. redis://127.0.0.1:40123
 * await redis.stop();
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";

/** A running test server. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  /** Its port. */
  port: number;
  /** Its data folder (the append-only file lives here). */
  dir: string;
  /** Shuts it down cleanly (SIGTERM: the append-only file is flushed), keeping its data. */
  shutdown(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  restart(): Promise<void>;
  /** Shuts it down and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * Whether `redis-server` can be run here.
 *
 * @returns its version line, or undefined when it is not installed
 * @example
 * ```ts
 * import { redisServerVersion } from "./redis_server.ts";
 * const v = redisServerVersion();
 * console.log(v === undefined || v.startsWith("Redis server")); // true
 * ```
 */
export function redisServerVersion(): string | undefined {
  try {
    const out = new Deno.Command("redis-server", { args: ["--version"], stdout: "piped" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function pong(port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await c.write(new TextEncoder().encode("PING\r\n"));
      const buf = new Uint8Array(16);
      const n = await c.read(buf);
      return n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
    } finally {
      c.close();
    }
  } catch {
    return false;
  }
}

/**
 * Starts a server.
 *
 * @param options `appendonly` persistence (default true)
 * @returns the server, answering PING; throws a `MedCryptError` (`no-redis`) when it cannot start
 * @example
 * ```ts ignore
 * import { startRedisServer } from "./redis_server.ts";
 * const redis = await startRedisServer({ appendonly: false });
 * await redis.stop();
 * ```
 */
export async function startRedisServer(
  options: { appendonly?: boolean } = {},
): Promise<RedisServer> {
  if (!redisServerVersion()) {
    throw new MedCryptError(
      "no-redis",
      "redis-server is not installed (Debian: apt-get install redis-server)",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "medcrypt-redis-" });
  const port = freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    options.appendonly === false ? "no" : "yes",
    "--appendfsync",
    "always",
    "--save",
    "",
    "--logfile",
    "redis.log",
  ];
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    child = new Deno.Command("redis-server", { args, stdout: "null", stderr: "null" }).spawn();
    for (let i = 0; i < 100; i++) {
      if (await pong(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new MedCryptError("no-redis", `redis-server did not answer on port ${port} within 5 s`);
  };
  const shutdown = async () => {
    if (!child) return;
    child.kill("SIGTERM");
    await child.status;
    child = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    shutdown,
    restart: async () => {
      await shutdown();
      await start();
    },
    stop: async () => {
      await shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
