/**
 * What the learned cipher's header (the QR codes, which travel in the clear) gives away, following
 * `lib/ciphers/revcipher/SPEC.md` §4.2–4.4: the image hash `H` is SHA-256 of the plain image with
 * no key or salt, and the key check value is two SHA-256 of `H` and the user key. So, with the
 * header alone and no network:
 *
 * - {@linkcode identifyImage}: a guessed plain image is confirmed (or ruled out) by hashing it —
 *   whoever holds a candidate set (an archive, a public data set) learns which scan a cipher is;
 * - two ciphers of the same scan carry the same `H` whatever their keys (linkable);
 * - {@linkcode guessUserKey}: a user key is tested offline at hashing speed, so a guessable key
 *   falls to a dictionary however strong the cipher is.
 *
 * @example
 * ```ts
 * import { guessUserKey } from "./header.ts";
 * import { deriveChaosKey } from "../../ciphers/chaos/keys.ts";
 * import { toHex } from "../../core/bytes.ts";
 * const h = new Uint8Array(32).fill(7);
 * const check = toHex(await (await deriveChaosKey("tulip", h)).checkValue());
 * const r = guessUserKey({ imageHash: toHex(h), check }, ["rose", "tulip", "daisy"]);
 * console.log(r.found, r.tried); // tulip 2
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { fromHex, toHex } from "../../core/bytes.ts";
import type { MedImage } from "../../image/types.ts";
import { pixelBytes } from "../../ciphers/chaos/keys.ts";

const enc = new TextEncoder();

/** The header fields these attacks read. */
export interface HeaderLeak {
  /** `H`, hex. */
  imageHash: string;
  /** The key check value, hex (8 bytes). */
  check: string;
}

/** What an offline search found, and how fast it went. */
export interface SearchResult {
  /** The candidate that matched, if any. */
  found?: string;
  /** Candidates tried until the match (all of them when none matched). */
  tried: number;
  /** Wall-clock milliseconds of the search. */
  ms: number;
}

/**
 * The image hash `H` of SPEC §4.2, computed the way an attacker would (one synchronous SHA-256).
 *
 * @param img a plain image
 * @returns `H`, hex
 * @example
 * ```ts
 * import { attackerImageHash } from "./header.ts";
 * import { imageHash } from "../../ciphers/chaos/keys.ts";
 * import { medImage } from "../../image/types.ts";
 * import { toHex } from "../../core/bytes.ts";
 * const img = medImage(new Uint8Array([1, 2, 3, 4]), 2, 2);
 * console.log(attackerImageHash(img) === toHex(await imageHash(img))); // true
 * ```
 */
export function attackerImageHash(img: MedImage): string {
  const head = new Uint8Array(9);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, img.width, true);
  dv.setUint32(4, img.height, true);
  head[8] = img.bitDepth;
  return createHash("sha256").update(enc.encode("medcrypt/image/v1")).update(head)
    .update(pixelBytes(img)).digest("hex");
}

/**
 * Finds which candidate image a header was made from.
 *
 * @param imageHash the header's `H` (hex)
 * @param candidates named candidate images
 * @returns the matching name, candidates tried, time
 * @example
 * ```ts
 * import { attackerImageHash, identifyImage } from "./header.ts";
 * import { medImage } from "../../image/types.ts";
 * const a = medImage(new Uint8Array([1, 2, 3, 4]), 2, 2), b = medImage(new Uint8Array([4, 3, 2, 1]), 2, 2);
 * console.log(identifyImage(attackerImageHash(b), [{ name: "a", image: a }, { name: "b", image: b }]).found); // b
 * ```
 */
export function identifyImage(
  imageHash: string,
  candidates: readonly { name: string; image: MedImage }[],
): SearchResult {
  const t0 = performance.now();
  let tried = 0;
  for (const c of candidates) {
    tried++;
    if (attackerImageHash(c.image) === imageHash) {
      return { found: c.name, tried, ms: performance.now() - t0 };
    }
  }
  return { tried, ms: performance.now() - t0 };
}

/**
 * Tests user keys offline against the header's key check value (SPEC §4.3–4.4).
 *
 * @param header `H` and the check value
 * @param candidates candidate keys (strings are UTF-8 encoded, as the cipher does)
 * @returns the key that matched, candidates tried, time
 * @example
 * ```ts
 * import { guessUserKey } from "./header.ts";
 * const r = guessUserKey({ imageHash: "00".repeat(32), check: "00".repeat(8) }, ["a", "b"]);
 * console.log(r.found, r.tried); // undefined 2
 * ```
 */
export function guessUserKey(
  header: HeaderLeak,
  candidates: Iterable<string | Uint8Array>,
): SearchResult {
  const h = fromHex(header.imageHash);
  const domain = enc.encode("medcrypt/chaos/v1"), tag = enc.encode("check");
  const t0 = performance.now();
  let tried = 0;
  for (const k of candidates) {
    tried++;
    const key = typeof k === "string" ? enc.encode(k) : k;
    const s = createHash("sha256").update(domain).update(h).update(key).digest();
    const check = createHash("sha256").update(s).update(tag).digest().subarray(0, 8);
    if (toHex(check) === header.check) {
      return {
        found: typeof k === "string" ? k : toHex(k),
        tried,
        ms: performance.now() - t0,
      };
    }
  }
  return { tried, ms: performance.now() - t0 };
}
