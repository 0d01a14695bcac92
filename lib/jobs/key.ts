/**
 * Content keys of jobs: a job is named by what it computes — its kind, its payload in canonical
 * JSON (keys sorted, so `{a, b}` and `{b, a}` are one job) and the code commit that computes it.
 * Equal keys mean equal results, which makes every submission idempotent.
 *
 * @example
 * ```ts
 * import { canonicalJson, jobKey } from "./key.ts";
 * console.log(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })); // {"a":[2,{"c":4,"d":3}],"b":1}
 * console.log(jobKey("k", { a: 1, b: 2 }, "abc") === jobKey("k", { b: 2, a: 1 }, "abc")); // true
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { MedCryptError } from "../core/errors.ts";

/**
 * JSON with object keys sorted at every level; rejects values JSON cannot carry faithfully.
 *
 * @param value a JSON value
 * @returns its canonical text
 * @example
 * ```ts
 * import { canonicalJson } from "./key.ts";
 * try {
 *   canonicalJson({ x: NaN });
 * } catch (e) {
 *   console.log((e as { code: string }).code); // bad-payload
 * }
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, "payload"));
}

function sortKeys(v: unknown, path: string): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) {
      throw new MedCryptError("bad-payload", `${path} is ${v}, which JSON cannot carry`);
    }
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => sortKeys(x, `${path}[${i}]`));
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      if (o[k] !== undefined) out[k] = sortKeys(o[k], `${path}.${k}`);
    }
    return out;
  }
  throw new MedCryptError(
    "bad-payload",
    `${path} is a ${typeof v === "object" ? v.constructor?.name ?? "object" : typeof v}; ` +
      "job payloads are plain JSON (numbers, strings, arrays, plain objects)",
  );
}

/**
 * SHA-256 of a text, in hex.
 *
 * @param text the text
 * @returns 64 hex digits
 * @example
 * ```ts
 * import { sha256Hex } from "./key.ts";
 * console.log(sha256Hex("").slice(0, 8)); // e3b0c442
 * ```
 */
export function sha256Hex(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The content key of a job.
 *
 * @param kind the handler's kind
 * @param payload the JSON payload
 * @param commit the code commit that computes it
 * @returns `kind-` and 32 hex digits of SHA-256 (readable in BullMQ's tooling; BullMQ ids cannot hold `:`)
 * @example
 * ```ts
 * import { jobKey } from "./key.ts";
 * console.log(jobKey("audit-model", { seed: 1 }, "abc").startsWith("audit-model-")); // true
 * ```
 */
export function jobKey(kind: string, payload: unknown, commit: string): string {
  return `${kind}-${sha256Hex(`${kind}\n${canonicalJson(payload)}\n${commit}`).slice(0, 32)}`;
}
