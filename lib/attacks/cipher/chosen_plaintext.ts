/**
 * Chosen-plaintext probes and the differential attack on the classic chaos cipher.
 *
 * - {@linkcode zeroImageProbe}: encrypt the all-zero image. For any cipher that reuses its keystream
 *   the result IS the keystream, and XORing it off a new cipher image decrypts it.
 * - {@linkcode chaosDifferentialAttack}: breaks the textbook logistic-map permutation–diffusion
 *   cipher `c[i] = (p[π(i)] + k[i] + c[i−1]) mod 2^B` (one round, key independent of the image)
 *   with 1 + ⌈log_{2^b}(N)⌉ chosen plaintexts. The differences d(c)[i] = c[i] − c[i−1] cancel the
 *   chaining: d(c)[i] − d(E(0))[i] = p[π(i)] (mod 2^B). So E(0) gives the diffusion keystream, and
 *   images whose pixel j holds the base-2^b digits of j give π(i) digit by digit; then any cipher
 *   image decrypts as p[π(i)] = d(c)[i] − d(E(0))[i]. Against a cipher whose keystream changes with
 *   every image (image-bound chaos, random-IV AES) the same steps produce noise.
 *
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { chaosEncrypt } from "../../ciphers/chaos/classic.ts";
 * import { chaosDifferentialAttack } from "./chosen_plaintext.ts";
 * const oracle = async (img: typeof target) => (await chaosEncrypt(img, "secret")).cipher;
 * const target = medImage(Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256), 8, 8);
 * const r = await chaosDifferentialAttack(oracle, await oracle(target), 8);
 * console.log(r.queries, r.guess.data.join() === target.data.join()); // 2 true
 * ```
 * @module
 */
import { type MedImage, medImage } from "../../image/types.ts";
import type { ImageCipher } from "../../ciphers/types.ts";
import { xorKeystreamAttack } from "./known_plaintext.ts";
import { type UserKey } from "../../ciphers/types.ts";

/** An encryption oracle under the attacked (unknown) key. */
export type EncryptOracle = (img: MedImage) => Promise<MedImage>;

/**
 * An encryption oracle for a cipher and key (the attacker may call it, never see the key).
 *
 * @param cipher the cipher
 * @param key the secret key
 * @returns the oracle
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { aesCtrFixedCipher } from "../../ciphers/aes.ts";
 * import { oracleOf } from "./chosen_plaintext.ts";
 * const o = oracleOf(aesCtrFixedCipher(), "k");
 * console.log((await o(medImage(new Uint8Array(4), 2, 2))).width); // 2
 * ```
 */
export function oracleOf<H>(cipher: ImageCipher<H>, key: UserKey): EncryptOracle {
  return async (img) => (await cipher.encrypt(img, key)).cipher;
}

/**
 * The all-zero probe: E(0) used as a keystream to decrypt `target` (a cipher image of an unknown
 * plain image of the same size).
 *
 * @param oracle the encryption oracle
 * @param target cipher image to decrypt
 * @param bitDepth plain bit depth
 * @returns the zero image's cipher and the guess of the target's plain image
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { aesCtrFixedCipher } from "../../ciphers/aes.ts";
 * import { oracleOf, zeroImageProbe } from "./chosen_plaintext.ts";
 * const o = oracleOf(aesCtrFixedCipher(), "k");
 * const secret = medImage(new Uint8Array([5, 6, 7, 8]), 2, 2);
 * const r = await zeroImageProbe(o, await o(secret), 8);
 * console.log(r.guess.data.join()); // "5,6,7,8"
 * ```
 */
export async function zeroImageProbe(
  oracle: EncryptOracle,
  target: MedImage,
  bitDepth: number,
): Promise<{ zeroCipher: MedImage; guess: MedImage }> {
  const n = target.width * target.height;
  const zero = medImage(
    bitDepth <= 8 ? new Uint8Array(n) : new Uint16Array(n),
    target.width,
    target.height,
    { bitDepth },
  );
  const zeroCipher = await oracle(zero);
  return {
    zeroCipher,
    guess: xorKeystreamAttack([{ plain: zero, cipher: zeroCipher }], target, bitDepth),
  };
}

function diffs(c: MedImage, mod: number): Float64Array {
  const d = new Float64Array(c.data.length);
  for (let i = 0; i < d.length; i++) {
    d[i] = ((c.data[i] - (i ? c.data[i - 1] : 0)) % mod + mod) % mod;
  }
  return d;
}

/**
 * The chosen-plaintext differential attack on the textbook chaos cipher (see the module doc).
 *
 * @param oracle encryption oracle under the unknown key
 * @param target the cipher image to decrypt
 * @param bitDepth plain bit depth (the chosen images use digits below 2^bitDepth)
 * @returns the number of chosen plaintexts used, the recovered permutation and the guess
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { chaosEncrypt } from "../../ciphers/chaos/classic.ts";
 * import { chaosDifferentialAttack } from "./chosen_plaintext.ts";
 * const oracle = async (img: typeof t) => (await chaosEncrypt(img, "k", { bindToImage: true })).cipher;
 * const t = medImage(Uint8Array.from({ length: 64 }, (_, i) => i), 8, 8);
 * const r = await chaosDifferentialAttack(oracle, await oracle(t), 8);
 * console.log(r.guess.data.join() === t.data.join()); // false: image-bound keys defeat it
 * ```
 */
export async function chaosDifferentialAttack(
  oracle: EncryptOracle,
  target: MedImage,
  bitDepth: number,
): Promise<{ queries: number; permutation: Int32Array; guess: MedImage }> {
  const { width: w, height: h } = target;
  const n = w * h, base = 2 ** bitDepth;
  const mod = 2 ** (target.bitDepth <= 8 ? 8 : 16);
  const make = (f: (j: number) => number) => {
    const d = bitDepth <= 8 ? new Uint8Array(n) : new Uint16Array(n);
    for (let j = 0; j < n; j++) d[j] = f(j);
    return medImage(d, w, h, { bitDepth });
  };
  const dz = diffs(await oracle(make(() => 0)), mod);
  let queries = 1;
  const perm = new Int32Array(n);
  for (let t = 0, scale = 1; scale < n; t++, scale *= base) {
    const dc = diffs(await oracle(make((j) => Math.floor(j / scale) % base)), mod);
    queries++;
    for (let i = 0; i < n; i++) perm[i] += (((dc[i] - dz[i]) % mod + mod) % mod % base) * scale;
  }
  const dt = diffs(target, mod);
  const out = bitDepth <= 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const j = perm[i];
    if (j >= 0 && j < n) out[j] = (((dt[i] - dz[i]) % mod + mod) % mod) % base;
  }
  return { queries, permutation: perm, guess: medImage(out, w, h, { bitDepth }) };
}
