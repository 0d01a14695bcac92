/**
 * Benchmark suite `service`: the diagnostic service under load on loopback. `medcrypt serve` runs
 * as its own process; 8 concurrent clients mix the three methods (plaintext, AES+RSA envelope,
 * CKKS) for a fixed time, and the suite prints p50/p95/p99 latency, throughput and bytes per
 * request of each method beside the same operation in this process (ratio in-process / remote,
 * so the ratio is what the socket, HTTP and the shared server cost), then the server's RSS before
 * and after a run of HE requests (goal: under 10 % growth).
 *
 * @example
 * ```ts
 * import { suites } from "./service.ts";
 * console.log(suites.map((s) => s.name)); // [ "service" ]
 * ```
 * @module
 */
import { join } from "node:path";
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { closeWorkers } from "../envelope/mod.ts";
import { medImage } from "../image/types.ts";
import { ServiceClient } from "../service/client.ts";
import { spawnServe } from "../service/spawn.ts";
import { type Method, methodCalls, METHODS } from "../service/methods.ts";

/** `medcrypt serve` in its own process, its token and its RSS. */
async function startServer(state: string) {
  const server = await spawnServe(["--state", state, "--max-waiting", "16"]);
  const token = (await Deno.readTextFile(join(state, "local.token"))).trim();
  return {
    url: server.url,
    token,
    rssMb: () => server.rssMb(),
    stop: () => server.stop(),
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function timed(f: () => Promise<unknown>, reps: number): Promise<number[]> {
  await f();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const state = await Deno.makeTempDir({ prefix: "medcrypt-bench-service-" });
  const server = await startServer(state);
  const api = new ServiceClient(server.url, server.token);
  const { test } = await loadPneumoniaMNIST();
  const images = Array.from(
    { length: 32 },
    (_, i) => medImage(test.images.slice(i * 784, (i + 1) * 784), 28, 28),
  );
  const m = await methodCalls(api, images);
  const rows: BenchRow[] = [];
  try {
    // in process, one request at a time
    const base: Record<string, number> = {};
    for (const method of METHODS) {
      let i = 0;
      base[method] = pct(await timed(() => m.inProcess[method](i++ % 32), quick ? 5 : 20), 50);
    }
    // 8 clients mixing the methods for a fixed time
    const seconds = quick ? 10 : 60, clients = 8;
    const lat: Record<Method, number[]> = { plain: [], envelope: [], he: [] };
    const bytes: Record<Method, number> = { plain: 0, envelope: 0, he: 0 };
    let errors = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: clients }, async (_, c) => {
      for (let k = c; performance.now() < until; k++) {
        const method = METHODS[k % 3];
        const t = performance.now();
        try {
          const sentAndReceived = (await m.remote[method](k % 32)).bodyBytes;
          bytes[method] += sentAndReceived; // after the await: no lost update between clients
          lat[method].push(performance.now() - t);
        } catch (e) {
          errors++;
          console.error(`bench service: ${method}: ${(e as Error).message}`);
        }
      }
    }));
    for (const method of METHODS) {
      const l = lat[method], case_ = `${clients} clients, ${seconds} s, loopback`;
      rows.push(
        {
          subject: `${method}: p50 latency (in-process baseline)`,
          case: case_,
          value: pct(l, 50),
          unit: "ms",
          baseline: base[method],
          baselineName: "in process, one at a time",
          ratio: base[method] / pct(l, 50),
        },
        { subject: `${method}: p95 latency`, case: case_, value: pct(l, 95), unit: "ms" },
        { subject: `${method}: p99 latency`, case: case_, value: pct(l, 99), unit: "ms" },
        { subject: `${method}: throughput`, case: case_, value: l.length / seconds, unit: "req/s" },
        {
          subject: `${method}: bytes on the wire per request`,
          case: "request + reply bodies",
          value: bytes[method] / Math.max(1, l.length) / 2 ** 20,
          unit: "MB",
        },
      );
    }
    rows.push({
      subject: "errors under load",
      case: `${lat.plain.length + lat.envelope.length + lat.he.length} requests`,
      value: errors,
      unit: "errors",
    });
    // server RSS over a run of HE requests (2 at a time), after the load above warmed it up
    const n = quick ? 60 : 1000, before = await server.rssMb();
    let sent = 0;
    await Promise.all([0, 1].map(async () => {
      while (sent < n) await m.remote.he(sent++ % 32);
    }));
    const after = await server.rssMb();
    rows.push({
      subject: "server RSS after HE requests (baseline: RSS before + 10 %)",
      case: `${n} HE requests`,
      value: after,
      unit: "MB",
      baseline: before * 1.1,
      baselineName: "before + 10 %",
      ratio: (before * 1.1) / after,
      goal: 1,
    });
  } finally {
    m.release();
    api.close();
    await server.stop();
    closeWorkers();
    await Deno.remove(state, { recursive: true });
  }
  return rows;
}

/** The service suite. */
export const suites: BenchSuite[] = [{ name: "service", run }];
