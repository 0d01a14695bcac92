/**
 * The chaotic key schedule: SHA-256 (WebCrypto) of the image and the user key seeds a bank of
 * four logistic maps whose quantised, combined states are the key streams.
 *
 * The schedule, step by step (see `README.md` for the reasoning and the key space):
 * 1. `H = SHA-256("medcrypt/image/v1" ‖ width ‖ height ‖ bitDepth ‖ pixels)` — the image hash
 *    ({@linkcode imageHash}). It travels in the cipher's header (QR code), because the decryptor
 *    does not have the image.
 * 2. `S = SHA-256("medcrypt/chaos/v1" ‖ H ‖ userKey)` — the key seed ({@linkcode deriveChaosKey}).
 * 3. For each named stream (e.g. `"round0/part1"`) and each map j = 0..3:
 *    `B = SHA-256(S ‖ label ‖ 0x00 ‖ j ‖ counter)` (`j` and `counter` one byte each);
 *    `x0 = (N mod 2^52 + 0.5) / 2^52` with `N` = `B[0..6]` as a big-endian integer rounded to
 *    float64 (`revcipher/SPEC.md` §4.5);
 *    `r = 3.99 + 0.01·(B[7..11] as 40-bit integer) / 2^40` ∈ [3.99, 4.0); burn-in
 *    `1000 + B[12]` iterations. If the orbit's Lyapunov exponent estimated over 2,000 iterations
 *    is below 0.55 (a periodic window, or an orbit trapped on a short float64 cycle) the counter is
 *    incremented and the map redrawn.
 * 4. Each output word is the XOR of `⌊x·2^40⌋ mod 2^32` over the four maps (the leading 8 bits
 *    of each state, which carry the map's arcsine density, are dropped).
 *
 * @example
 * ```ts
 * import { deriveChaosKey, imageHash } from "./keys.ts";
 * import { medImage } from "../../image/types.ts";
 * const img = medImage(new Uint8Array(16), 4, 4);
 * const key = await deriveChaosKey("correct horse", await imageHash(img));
 * const stream = await key.stream("demo");
 * console.log(stream.uniform(3).length); // 3
 * ```
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";
import type { MedImage } from "../../image/types.ts";
import { lyapunovExponent } from "./logistic.ts";
import { concatBytes, sha256 } from "../../core/bytes.ts";
import { type UserKey, userKeyBytes } from "../types.ts";

const enc = new TextEncoder();

/**
 * The pixels of an image as little-endian bytes (one byte per pixel up to 8 bits, two above).
 *
 * @param img the image
 * @returns its pixel bytes
 * @example
 * ```ts
 * import { pixelBytes } from "./keys.ts";
 * import { medImage } from "../../image/types.ts";
 * console.log(pixelBytes(medImage(new Uint16Array([258]), 1, 1)).join()); // "2,1"
 * ```
 */
export function pixelBytes(img: MedImage): Uint8Array {
  if (img.data instanceof Uint8Array) return img.data;
  const out = new Uint8Array(img.data.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < img.data.length; i++) dv.setUint16(2 * i, img.data[i], true);
  return out;
}

/**
 * The image hash `H` that binds the key streams to one image (step 1 of the schedule). It is a
 * fingerprint of the plaintext: anyone holding the header can test a guessed image against it.
 *
 * @param img the plain image
 * @returns 32 bytes
 * @example
 * ```ts
 * import { imageHash } from "./keys.ts";
 * import { medImage } from "../../image/types.ts";
 * const h = await imageHash(medImage(new Uint8Array([1, 2, 3, 4]), 2, 2));
 * console.log(h.length); // 32
 * ```
 */
export async function imageHash(img: MedImage): Promise<Uint8Array> {
  const head = new Uint8Array(9);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, img.width, true);
  dv.setUint32(4, img.height, true);
  head[8] = img.bitDepth;
  return await sha256(concatBytes(enc.encode("medcrypt/image/v1"), head, pixelBytes(img)));
}

/** Parameters of one logistic map of a stream. */
export interface MapParams {
  /** Start value in (0, 1). */
  x0: number;
  /** Control parameter in [3.99, 4). */
  r: number;
  /** Iterations discarded before output. */
  burnIn: number;
}

const TWO32 = 4294967296;
const TWO40 = 1099511627776;

/**
 * A key stream: four logistic maps stepped together; every output word is the XOR of their
 * quantised states. Deterministic: the same parameters give the same words on every machine.
 *
 * @example
 * ```ts
 * import { ChaosStream } from "./keys.ts";
 * const s = new ChaosStream([
 *   { x0: 0.1, r: 3.995, burnIn: 100 }, { x0: 0.2, r: 3.996, burnIn: 100 },
 *   { x0: 0.3, r: 3.997, burnIn: 100 }, { x0: 0.4, r: 3.998, burnIn: 100 },
 * ]);
 * console.log(s.words(2).length); // 2
 * ```
 */
export class ChaosStream {
  #x: Float64Array;
  #r: Float64Array;
  /** The parameters the stream started from. */
  readonly params: readonly MapParams[];

  /** @param params one entry per map (at least one) */
  constructor(params: MapParams[]) {
    if (params.length === 0) throw new MedCryptError("bad-parameter", "a stream needs a map");
    this.params = params;
    this.#x = new Float64Array(params.length);
    this.#r = new Float64Array(params.length);
    params.forEach((p, j) => {
      let x = p.x0;
      for (let i = 0; i < p.burnIn; i++) x = p.r * x * (1 - x);
      this.#x[j] = x;
      this.#r[j] = p.r;
    });
  }

  /**
   * @returns the next 32-bit word
   * @example
   * ```ts
   * import { ChaosStream } from "./keys.ts";
   * console.log(new ChaosStream([{ x0: 0.3, r: 3.99, burnIn: 10 }]).nextWord() >= 0); // true
   * ```
   */
  nextWord(): number {
    const x = this.#x, r = this.#r;
    let w = 0;
    for (let j = 0; j < x.length; j++) {
      const v = r[j] * x[j] * (1 - x[j]);
      x[j] = v;
      // ToInt32 truncates and reduces modulo 2^32: the low 32 bits of ⌊v·2^40⌋, without fmod.
      w ^= v * TWO40;
    }
    return w >>> 0;
  }

  /**
   * @param n how many
   * @returns `n` 32-bit words
   * @example
   * ```ts
   * import { ChaosStream } from "./keys.ts";
   * console.log(new ChaosStream([{ x0: 0.3, r: 3.99, burnIn: 10 }]).words(4).length); // 4
   * ```
   */
  words(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextWord();
    return out;
  }

  /**
   * @param n how many
   * @param bits 1..32
   * @returns `n` integers uniform in [0, 2^bits) (the low `bits` of each word)
   * @example
   * ```ts
   * import { ChaosStream } from "./keys.ts";
   * const s = new ChaosStream([{ x0: 0.3, r: 3.99, burnIn: 10 }]);
   * console.log(s.integers(5, 8).every((v) => v < 256)); // true
   * ```
   */
  integers(n: number, bits: number): Uint32Array {
    if (!(bits >= 1 && bits <= 32)) throw new MedCryptError("bad-parameter", `bits=${bits}`);
    const out = this.words(n);
    if (bits < 32) {
      const mask = (2 ** bits) - 1;
      for (let i = 0; i < n; i++) out[i] = out[i] & mask;
    }
    return out;
  }

  /**
   * @param n how many
   * @returns `n` floats uniform in [0, 1) with 24-bit resolution (exact in float32)
   * @example
   * ```ts
   * import { ChaosStream } from "./keys.ts";
   * const u = new ChaosStream([{ x0: 0.3, r: 3.99, burnIn: 10 }]).uniform(100);
   * console.log(u.every((v) => v >= 0 && v < 1)); // true
   * ```
   */
  uniform(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.nextWord() >>> 8) / 16777216;
    return out;
  }

  /**
   * A key stream shaped like a feature map `[height, width, channels]` (channels last, as in
   * tfjs), values uniform in [0, 1).
   *
   * @param height rows
   * @param width columns
   * @param channels channels
   * @returns `{ data, shape }`, `data.length = height·width·channels`
   * @example
   * ```ts
   * import { ChaosStream } from "./keys.ts";
   * const m = new ChaosStream([{ x0: 0.3, r: 3.99, burnIn: 10 }]).featureMap(2, 3, 4);
   * console.log(m.shape.join("x"), m.data.length); // "2x3x4" 24
   * ```
   */
  featureMap(
    height: number,
    width: number,
    channels: number,
  ): { data: Float32Array; shape: [number, number, number] } {
    return { data: this.uniform(height * width * channels), shape: [height, width, channels] };
  }

  /**
   * A uniformly drawn permutation of 0..n−1 (Fisher–Yates driven by the stream).
   *
   * @param n length
   * @returns the permutation
   * @example
   * ```ts
   * import { ChaosStream } from "./keys.ts";
   * const p = new ChaosStream([{ x0: 0.3, r: 3.99, burnIn: 10 }]).permutation(6);
   * console.log([...p].sort().join()); // "0,1,2,3,4,5"
   * ```
   */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      // u = fl(hi·2^32 + lo)/2^64 from two words (53 significant bits after rounding) keeps the
      // bias of j below 2^-30 for n ≤ 2^23
      const u = (this.nextWord() * TWO32 + this.nextWord()) / (TWO32 * TWO32);
      const j = Math.floor(u * (i + 1));
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

/** Minimum Lyapunov exponent accepted for a drawn map (see step 3 of the schedule). */
export const MIN_LYAPUNOV = 0.55;

function readUint(bytes: Uint8Array, start: number, count: number): number {
  let v = 0;
  for (let i = 0; i < count; i++) v = v * 256 + bytes[start + i];
  return v;
}

/**
 * The key seed `S` and the streams derived from it.
 *
 * @example
 * ```ts
 * import { ChaosKey } from "./keys.ts";
 * const k = new ChaosKey(new Uint8Array(32).fill(7));
 * console.log((await k.stream("a")).words(1).length); // 1
 * ```
 */
export class ChaosKey {
  /** The 32-byte seed. */
  readonly seed: Uint8Array;

  /** @param seed 32 bytes */
  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new MedCryptError("bad-key", "a chaos key seed is 32 bytes");
    this.seed = seed;
  }

  /**
   * The parameters of the four maps of the stream named `label` (step 3 of the schedule).
   *
   * @param label the stream's name
   * @returns four map parameter sets
   * @example
   * ```ts
   * import { ChaosKey } from "./keys.ts";
   * const p = await new ChaosKey(new Uint8Array(32)).mapParams("x");
   * console.log(p.every((m) => m.r >= 3.99 && m.r < 4)); // true
   * ```
   */
  async mapParams(label: string): Promise<MapParams[]> {
    const out: MapParams[] = [];
    for (let j = 0; j < 4; j++) {
      for (let counter = 0;; counter++) {
        if (counter > 64) {
          throw new MedCryptError("internal", "no chaotic map found in 64 draws (cannot happen)");
        }
        const b = await sha256(
          concatBytes(this.seed, enc.encode(label), new Uint8Array([0, j, counter & 255])),
        );
        const x0 = (readUint(b, 0, 7) % 2 ** 52 + 0.5) / 2 ** 52;
        const r = 3.99 + 0.01 * readUint(b, 7, 5) / TWO40;
        const burnIn = 1000 + b[12];
        if (lyapunovExponent(r, { x0, n: 2000, burnIn }) >= MIN_LYAPUNOV) {
          out.push({ x0, r, burnIn });
          break;
        }
      }
    }
    return out;
  }

  /**
   * @param label the stream's name; different names give independent streams
   * @returns a fresh {@linkcode ChaosStream}
   * @example
   * ```ts
   * import { ChaosKey } from "./keys.ts";
   * const k = new ChaosKey(new Uint8Array(32));
   * const a = (await k.stream("a")).nextWord(), b = (await k.stream("b")).nextWord();
   * console.log(a !== b); // true
   * ```
   */
  async stream(label: string): Promise<ChaosStream> {
    return new ChaosStream(await this.mapParams(label));
  }

  /**
   * A short check value of the key (8 bytes of `SHA-256(S ‖ "check")`), stored in headers so a
   * wrong key is reported before decrypting. It lets an attacker test key guesses offline, which
   * the cipher image already allows; it does not shrink the key space.
   *
   * @returns 8 bytes
   * @example
   * ```ts
   * import { ChaosKey } from "./keys.ts";
   * console.log((await new ChaosKey(new Uint8Array(32)).checkValue()).length); // 8
   * ```
   */
  async checkValue(): Promise<Uint8Array> {
    return (await sha256(concatBytes(this.seed, enc.encode("check")))).slice(0, 8);
  }
}

/**
 * Derives the key seed `S = SHA-256(domain ‖ H ‖ userKey)` (step 2 of the schedule).
 *
 * @param userKey the user's key (passphrase or bytes)
 * @param hash the image hash `H` from {@linkcode imageHash} (32 bytes), taken from the header
 *   when decrypting; pass an all-zero hash for a key that does not depend on the image
 * @param domain separates uses (default `"medcrypt/chaos/v1"`)
 * @returns the {@linkcode ChaosKey}
 * @example
 * ```ts
 * import { deriveChaosKey } from "./keys.ts";
 * const k = await deriveChaosKey("key", new Uint8Array(32));
 * console.log(k.seed.length); // 32
 * ```
 */
export async function deriveChaosKey(
  userKey: UserKey,
  hash: Uint8Array,
  domain = "medcrypt/chaos/v1",
): Promise<ChaosKey> {
  if (hash.length !== 32) {
    throw new MedCryptError("bad-key", `an image hash is 32 bytes, got ${hash.length}`);
  }
  return new ChaosKey(await sha256(concatBytes(enc.encode(domain), hash, userKeyBytes(userKey))));
}
