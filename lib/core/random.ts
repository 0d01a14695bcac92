/**
 * Seeded, reproducible randomness (xoshiro128**) for splits, noise and shuffles. Never use
 * `Math.random` for anything that ends up in a result: record the seed instead.
 *
 * @example
 * ```ts
 * import { Rng } from "./random.ts";
 * const rng = new Rng(42);
 * console.log(rng.next() === new Rng(42).next()); // true
 * ```
 * @module
 */

/**
 * A small seeded pseudo-random generator (xoshiro128**, seeded through splitmix32). Not for keys:
 * key material always comes from `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * import { Rng } from "./random.ts";
 * const rng = new Rng(7);
 * const idx = rng.permutation(10); // a shuffled 0..9
 * console.log(idx.length); // 10
 * ```
 */
export class Rng {
  #s = new Uint32Array(4);
  /** The seed this generator started from. */
  readonly seed: number;

  /** @param seed any integer; the same seed gives the same sequence */
  constructor(seed: number) {
    this.seed = seed;
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /**
   * @returns the next 32-bit unsigned integer
   * @example
   * ```ts
   * import { Rng } from "./random.ts";
   * console.log(new Rng(1).nextUint32() >= 0); // true
   * ```
   */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * @returns a float uniform in [0, 1)
   * @example
   * ```ts
   * import { Rng } from "./random.ts";
   * const u = new Rng(1).next();
   * console.log(u >= 0 && u < 1); // true
   * ```
   */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * @param n exclusive upper bound
   * @returns an integer uniform in [0, n)
   * @example
   * ```ts
   * import { Rng } from "./random.ts";
   * console.log(new Rng(1).int(6) < 6); // true
   * ```
   */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * @returns a standard normal sample (Box–Muller)
   * @example
   * ```ts
   * import { Rng } from "./random.ts";
   * console.log(Number.isFinite(new Rng(1).normal())); // true
   * ```
   */
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * @param n length
   * @returns a uniformly random permutation of 0..n-1 (Fisher–Yates)
   * @example
   * ```ts
   * import { Rng } from "./random.ts";
   * console.log(new Rng(3).permutation(5).sort().join()); // "0,1,2,3,4"
   * ```
   */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
