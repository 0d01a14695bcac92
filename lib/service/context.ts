/**
 * What the service's routes share: the store, the model, limits, counters, the HE work queue, the
 * server's RSA identity and the token check.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS } from "./context.ts";
 * console.log(DEFAULT_LIMITS.maxWaiting); // 4
 * ```
 * @module
 */
import type { KeyPair } from "../envelope/keys.ts";
import type { HeModel } from "../he/model.ts";
import type { Metrics } from "./metrics.ts";
import type { ClientRecord, ServiceStore } from "./store.ts";
import type { ServerCache, WorkQueue } from "./_work.ts";

/** Largest bodies accepted, in bytes, per endpoint, and the queue bound. */
export interface Limits {
  /** Evaluation keys (about 42 MB for the shipped model at N = 8192). */
  keysBytes: number;
  /** An encrypted query (a batch query is 784 ciphertexts). */
  queryBytes: number;
  /** A plaintext image, or an envelope holding one. */
  imageBytes: number;
  /** An `.mce` scan stored at rest. */
  scanBytes: number;
  /** Queries waiting behind the one being evaluated. */
  maxWaiting: number;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Limits = {
  keysBytes: 256 * 2 ** 20,
  queryBytes: 1024 * 2 ** 20,
  imageBytes: 64 * 2 ** 20,
  scanBytes: 256 * 2 ** 20,
  maxWaiting: 4,
};

/** What every route module is built from. */
export interface RouteContext {
  /** Clients, keys, scans, audit log. */
  store: ServiceStore;
  /** The model served. */
  model: HeModel;
  /** Class names in logit order. */
  labels: readonly string[];
  /** Body and queue limits. */
  limits: Limits;
  /** Request counters. */
  metrics: Metrics;
  /** The HE evaluation queue. */
  queue: WorkQueue;
  /** Ready SEAL servers. */
  servers: ServerCache;
  /** The server's RSA key pair (envelope inference is addressed to its public half). */
  identity: () => Promise<KeyPair>;
  /** The client a request's bearer token belongs to; 401 otherwise. */
  auth(req: Request): Promise<ClientRecord>;
}
