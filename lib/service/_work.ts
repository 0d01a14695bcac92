/**
 * The CPU-bound HE work of the service: a bounded queue that runs one evaluation at a time, and a
 * small cache of SEAL servers (one per client key set, least recently used dropped first).
 *
 * @example
 * ```ts
 * import { WorkQueue } from "./_work.ts";
 * const q = new WorkQueue(1);
 * console.log(await q.run(() => Promise.resolve(42))); // 42
 * ```
 * @module
 */
import type { HeServer } from "../he/server.ts";
import { HttpError } from "./_http.ts";

/** One HE evaluation at a time; at most `maxWaiting` queued behind it. */
export class WorkQueue {
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

/** A few SEAL servers kept ready, least recently used dropped first. */
export class ServerCache {
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
