/**
 * The service's counters, served at `/v1/metrics`: requests and errors per route, responses per
 * status, a latency histogram per route, and bytes in and out.
 *
 * @example
 * ```ts
 * import { Metrics } from "./metrics.ts";
 * const m = new Metrics();
 * m.record("GET /v1/health", 200, 0.4, 0, 60);
 * m.record("POST /v1/he/infer", 429, 3, 100, 80);
 * const s = m.snapshot();
 * console.log(s.requests["GET /v1/health"], s.errors["POST /v1/he/infer"], s.bytesOut); // 1 1 140
 * ```
 * @module
 */

/** Upper edges of the latency buckets, in ms (the last bucket is everything above). */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 5, 10, 50, 100, 500, 1000, 5000, 30000];

/** What `/v1/metrics` returns (plus the queue depth the server adds). */
export interface MetricsSnapshot {
  /** Seconds since the counters started. */
  uptimeS: number;
  /** Requests per route. */
  requests: Record<string, number>;
  /** Responses with status ≥ 400 per route. */
  errors: Record<string, number>;
  /** Responses per status code. */
  statuses: Record<string, number>;
  /** Per route: counts per bucket of {@linkcode LATENCY_BUCKETS_MS}, then the overflow. */
  latencyMs: { buckets: readonly number[]; counts: Record<string, number[]> };
  /** Body bytes received. */
  bytesIn: number;
  /** Body bytes sent. */
  bytesOut: number;
}

/** Counters of one running service. */
export class Metrics {
  #start = performance.now();
  #requests: Record<string, number> = {};
  #errors: Record<string, number> = {};
  #statuses: Record<string, number> = {};
  #latency: Record<string, number[]> = {};
  #bytesIn = 0;
  #bytesOut = 0;

  /**
   * Counts one answered request.
   *
   * @param route `METHOD /path`
   * @param status the HTTP status sent
   * @param ms time to answer
   * @param bytesIn body bytes received
   * @param bytesOut body bytes sent
   * @example
   * ```ts
   * import { Metrics } from "./metrics.ts";
   * const m = new Metrics();
   * m.record("GET /v1/health", 200, 7, 0, 10);
   * console.log(m.snapshot().latencyMs.counts["GET /v1/health"].indexOf(1)); // 2
   * ```
   */
  record(route: string, status: number, ms: number, bytesIn: number, bytesOut: number): void {
    this.#requests[route] = (this.#requests[route] ?? 0) + 1;
    if (status >= 400) this.#errors[route] = (this.#errors[route] ?? 0) + 1;
    this.#statuses[status] = (this.#statuses[status] ?? 0) + 1;
    const counts = this.#latency[route] ??= new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);
    const b = LATENCY_BUCKETS_MS.findIndex((edge) => ms <= edge);
    counts[b < 0 ? LATENCY_BUCKETS_MS.length : b]++;
    this.#bytesIn += bytesIn;
    this.#bytesOut += bytesOut;
  }

  /**
   * @returns a copy of the counters
   * @example
   * ```ts
   * import { Metrics } from "./metrics.ts";
   * console.log(new Metrics().snapshot().bytesIn); // 0
   * ```
   */
  snapshot(): MetricsSnapshot {
    return structuredClone({
      uptimeS: (performance.now() - this.#start) / 1000,
      requests: this.#requests,
      errors: this.#errors,
      statuses: this.#statuses,
      latencyMs: { buckets: LATENCY_BUCKETS_MS, counts: this.#latency },
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
    });
  }
}
