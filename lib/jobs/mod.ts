/**
 * Independent work as jobs: a typed handler per kind of work, and runners that send jobs to this
 * thread ({@linkcode inProcessRunner}, the default), to N job threads ({@linkcode threadRunner}) or
 * to BullMQ workers over Redis on any number of machines ({@linkcode redisRunner},
 * {@linkcode startRedisWorker}). Jobs are keyed by content (kind, payload, commit), so submissions
 * are idempotent and results are checked against the job they answer.
 *
 * @example
 * ```ts
 * import { inProcessRunner } from "./mod.ts";
 * const square = { kind: "square", run: (p: { x: number }) => Promise.resolve(p.x * p.x) };
 * const runner = inProcessRunner([square], { concurrency: 2 });
 * const outs = await Promise.all([2, 3].map((x) => runner.submit<number>("square", { x })));
 * console.log(outs.map((o) => o.result)); // [ 4, 9 ]
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./key.ts";
export * from "./execute.ts";
export * from "./local.ts";
export * from "./threads.ts";
export * from "./redis.ts";
export * from "./select.ts";
export * from "./redis_server.ts";
export * from "./worker_process.ts";
