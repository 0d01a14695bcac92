/**
 * The messages between the HE client and the HE server, and the key bundle the server is built
 * from. The server's key type, {@linkcode PublicEvaluationKeys}, has no field that can hold a
 * secret key: it carries only serialized public, relinearization and Galois keys, is branded so
 * that only {@linkcode HeClient.evaluationKeys} (or {@linkcode parsePublicEvaluationKeys}, which
 * checks the bytes) can make one, and declares `secretKey?: never`, so an object that carries a
 * secret key does not type-check where the server expects keys.
 *
 * @example
 * ```ts
 * import { isPublicEvaluationKeys } from "./protocol.ts";
 * console.log(isPublicEvaluationKeys({ kind: "he-public-keys" })); // false
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import type { HeParams } from "./params.ts";

declare const publicKeysBrand: unique symbol;
declare const secretKeyBrand: unique symbol;

/** Serialized evaluation keys: everything the server needs, nothing that decrypts. */
export interface PublicEvaluationKeys {
  /** Brand: only the client (or the checked parser) makes these. */
  readonly [publicKeysBrand]: true;
  /** Tag checked at run time. */
  readonly kind: "he-public-keys";
  /** The CKKS parameters. */
  readonly params: HeParams;
  /** Identity of the SEAL context (hash of its encryption parameters). */
  readonly contextId: string;
  /** Identity of the key pair: SHA-256 (hex, 16 chars) of the serialized public key. */
  readonly keyId: string;
  /** Serialized public key (lets the server check `keyId`; it cannot decrypt). */
  readonly publicKey: Uint8Array;
  /** Serialized relinearization keys. */
  readonly relinKeys: Uint8Array;
  /** Serialized Galois keys, for exactly {@linkcode PublicEvaluationKeys.galoisSteps}. */
  readonly galoisKeys: Uint8Array;
  /** The rotation steps the Galois keys cover (computed from the model). */
  readonly galoisSteps: readonly number[];
  /** A secret key can never be part of this bundle. */
  readonly secretKey?: never;
}

/** A serialized secret key: stays with the client. */
export type SecretKeyBytes = Uint8Array & { readonly [secretKeyBrand]: true };

/** Encrypted images sent by the client. */
export interface EncryptedQuery {
  /** Tag. */
  readonly kind: "he-query";
  /** `single`: one image per group of ciphertexts; `batch`: one image per slot. */
  readonly mode: "single" | "batch";
  /** Context identity. */
  readonly contextId: string;
  /** Key identity. */
  readonly keyId: string;
  /** Number of images. */
  readonly count: number;
  /** Ciphertexts per image (`single`) or per pixel (`batch`, one ciphertext per pixel). */
  readonly ciphertexts: readonly Uint8Array[];
}

/** Encrypted logits sent back by the server. */
export interface EncryptedResult {
  /** Tag. */
  readonly kind: "he-result";
  /** Mode of the query. */
  readonly mode: "single" | "batch";
  /** Context identity. */
  readonly contextId: string;
  /** Key identity. */
  readonly keyId: string;
  /** Number of images. */
  readonly count: number;
  /** Logits per image. */
  readonly classes: number;
  /** `single`: one ciphertext per image (logits in slots 0…classes-1); `batch`: one per class. */
  readonly ciphertexts: readonly Uint8Array[];
  /** Server-side evaluation time in ms (measured by the server). */
  readonly serverMs: number;
}

const ALLOWED = new Set([
  "kind",
  "params",
  "contextId",
  "keyId",
  "publicKey",
  "relinKeys",
  "galoisKeys",
  "galoisSteps",
]);

/**
 * Run-time check of a key bundle's shape (the type system already forbids a secret key; this
 * also rejects objects built around it, e.g. from JavaScript or JSON).
 *
 * @param x anything
 * @returns whether it is a well-formed bundle without extra fields
 * @example
 * ```ts
 * import { isPublicEvaluationKeys } from "./protocol.ts";
 * console.log(isPublicEvaluationKeys(null)); // false
 * ```
 */
export function isPublicEvaluationKeys(x: unknown): x is PublicEvaluationKeys {
  if (typeof x !== "object" || x === null) return false;
  const o = x as Record<string, unknown>;
  if (o.kind !== "he-public-keys") return false;
  for (const k of Object.keys(o)) if (!ALLOWED.has(k)) return false;
  return o.publicKey instanceof Uint8Array && o.relinKeys instanceof Uint8Array &&
    o.galoisKeys instanceof Uint8Array && Array.isArray(o.galoisSteps) &&
    typeof o.keyId === "string" && typeof o.contextId === "string" &&
    typeof o.params === "object" && o.params !== null;
}

/**
 * Checks that `x` is a key bundle and nothing more, throwing a clear error otherwise (used by
 * the server and by its workers, which receive the bundle as a structured clone).
 *
 * @param x the candidate
 * @returns it, typed
 * @example
 * ```ts
 * import { parsePublicEvaluationKeys } from "./protocol.ts";
 * try {
 *   parsePublicEvaluationKeys({ kind: "he-public-keys", secretKey: new Uint8Array(1) });
 * } catch (e) {
 *   console.log((e as Error).message.includes("secret")); // true
 * }
 * ```
 */
export function parsePublicEvaluationKeys(x: unknown): PublicEvaluationKeys {
  if (typeof x === "object" && x !== null) {
    const extra = Object.keys(x).filter((k) => !ALLOWED.has(k));
    if (extra.length) {
      throw new MedCryptError(
        "he-secret-key-refused",
        `the server accepts only public evaluation keys; refusing a bundle with field(s) ${
          extra.join(", ")
        } (a secret key never goes to the server)`,
      );
    }
  }
  if (!isPublicEvaluationKeys(x)) {
    throw new MedCryptError(
      "he-bad-keys",
      "not a public evaluation key bundle (kind, params, contextId, keyId, publicKey, relinKeys, galoisKeys, galoisSteps)",
    );
  }
  return x;
}
