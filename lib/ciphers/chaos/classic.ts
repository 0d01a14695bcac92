/**
 * The classic logistic-map permutation–diffusion image cipher, as a baseline for the learned
 * cipher: each round shuffles the pixels with a chaotic permutation, then diffuses with chained
 * modular addition `c[i] = (p[i] + k[i] + c[i−1]) mod 2^B`, where `B` is the container's bit depth
 * (8 for ≤ 8-bit images, 16 above; 12-bit CT data is enciphered over all 16 bits).
 *
 * Defaults reproduce the weak textbook configuration on purpose (one round, a key that does not
 * depend on the image): one forward diffusion pass spreads a plaintext change only to the pixels
 * after it, and a fixed key stream falls to chosen-plaintext and differential attacks. Raise
 * `rounds` and set `bindToImage` for the hardened form (key seeded by SHA-256 of the image, whose
 * hash then travels in the header).
 *
 * @example
 * ```ts
 * import { chaosDecrypt, chaosEncrypt } from "./classic.ts";
 * import { medImage } from "../../image/types.ts";
 * const img = medImage(new Uint8Array([1, 2, 3, 4, 5, 6]), 3, 2);
 * const { cipher, header } = await chaosEncrypt(img, "key");
 * const back = await chaosDecrypt(cipher, header, "key");
 * console.log(back.data.join()); // "1,2,3,4,5,6"
 * ```
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { type ChaosKey, deriveChaosKey, imageHash } from "./keys.ts";
import type { CipherDecryptOptions, CipherResult, ImageCipher } from "../types.ts";
import { fromHex, toHex } from "../../core/bytes.ts";
import { type UserKey } from "../types.ts";

/** Options of the classic cipher. */
export interface ClassicOptions {
  /** Permutation–diffusion rounds (default 1, the textbook form). */
  rounds?: number;
  /** Seed the key with the image hash too (default false, the textbook form). */
  bindToImage?: boolean;
}

/** The classic cipher's header. */
export interface ClassicHeader {
  /** Always `"chaos-classic/v1"`. */
  scheme: "chaos-classic/v1";
  /** Width of the image. */
  width: number;
  /** Height of the image. */
  height: number;
  /** Bit depth of the plain image (the cipher uses the container's: 8 or 16). */
  bitDepth: number;
  /** Rounds. */
  rounds: number;
  /** Hex image hash when the key is bound to the image, else `null`. */
  imageHash: string | null;
  /** Hex key check value. */
  check: string;
}

const DOMAIN = "medcrypt/chaos-classic/v1";

function containerBits(bitDepth: number): 8 | 16 {
  return bitDepth <= 8 ? 8 : 16;
}

async function roundStreams(key: ChaosKey, round: number, n: number, bits: number) {
  const s = await key.stream(`classic/round${round}`);
  const perm = s.permutation(n);
  const ks = s.integers(n, bits);
  const iv = s.integers(1, bits)[0];
  return { perm, ks, iv };
}

/**
 * Encrypts with the classic permutation–diffusion cipher.
 *
 * @param img the plain image (any bit depth 1..16)
 * @param key the user key
 * @param options rounds and image binding
 * @returns the cipher (8- or 16-bit, same size) and the header
 * @example
 * ```ts
 * import { chaosEncrypt } from "./classic.ts";
 * import { medImage } from "../../image/types.ts";
 * const r = await chaosEncrypt(medImage(new Uint16Array(16), 4, 4, { bitDepth: 12 }), "k");
 * console.log(r.cipher.bitDepth, r.header.bitDepth); // 16 12
 * ```
 */
export async function chaosEncrypt(
  img: MedImage,
  key: UserKey,
  options: ClassicOptions = {},
): Promise<CipherResult<ClassicHeader>> {
  const rounds = options.rounds ?? 1;
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 16) {
    throw new MedCryptError("bad-parameter", `rounds=${rounds} is not in 1..16`);
  }
  const hash = options.bindToImage ? await imageHash(img) : null;
  const ck = await deriveChaosKey(key, hash ?? new Uint8Array(32), DOMAIN);
  const bits = containerBits(img.bitDepth), mod = 2 ** bits, n = img.data.length;
  let cur = Uint32Array.from(img.data);
  for (let r = 0; r < rounds; r++) {
    const { perm, ks, iv } = await roundStreams(ck, r, n, bits);
    const next = new Uint32Array(n);
    let prev = iv;
    for (let i = 0; i < n; i++) {
      prev = (cur[perm[i]] + ks[i] + prev) % mod;
      next[i] = prev;
    }
    cur = next;
  }
  const data = bits === 8 ? Uint8Array.from(cur) : Uint16Array.from(cur);
  return {
    cipher: medImage(data, img.width, img.height, { bitDepth: bits }),
    header: {
      scheme: "chaos-classic/v1",
      width: img.width,
      height: img.height,
      bitDepth: img.bitDepth,
      rounds,
      imageHash: hash ? toHex(hash) : null,
      check: toHex(await ck.checkValue()),
    },
  };
}

/**
 * Decrypts the classic cipher.
 *
 * @param cipher the cipher image
 * @param header its header
 * @param key the user key
 * @param options `verify: false` returns the wrong-key output instead of throwing
 * @returns the plain image
 * @example
 * ```ts
 * import { chaosDecrypt, chaosEncrypt } from "./classic.ts";
 * import { medImage } from "../../image/types.ts";
 * const { cipher, header } = await chaosEncrypt(medImage(new Uint8Array([9, 8, 7, 6]), 2, 2), "k", { rounds: 2 });
 * console.log((await chaosDecrypt(cipher, header, "k")).data.join()); // "9,8,7,6"
 * ```
 */
export async function chaosDecrypt(
  cipher: MedImage,
  header: ClassicHeader,
  key: UserKey,
  options: CipherDecryptOptions = {},
): Promise<MedImage> {
  if (header.scheme !== "chaos-classic/v1") {
    throw new MedCryptError(
      "bad-header",
      `header scheme '${header.scheme}' is not chaos-classic/v1`,
    );
  }
  const bits = containerBits(header.bitDepth), mod = 2 ** bits, n = cipher.data.length;
  if (cipher.width !== header.width || cipher.height !== header.height) {
    throw new MedCryptError(
      "bad-shape",
      `cipher is ${cipher.width}×${cipher.height}, header says ${header.width}×${header.height}`,
    );
  }
  if (containerBits(cipher.bitDepth) !== bits) {
    throw new MedCryptError(
      "bad-bit-depth",
      `cipher is ${cipher.bitDepth}-bit, header expects a ${bits}-bit cipher`,
    );
  }
  const hash = header.imageHash ? fromHex(header.imageHash) : new Uint8Array(32);
  const ck = await deriveChaosKey(key, hash, DOMAIN);
  const verify = options.verify ?? true;
  if (verify && toHex(await ck.checkValue()) !== header.check) {
    throw new MedCryptError("wrong-key", "wrong key: the key check value does not match");
  }
  const streams = [];
  for (let r = 0; r < header.rounds; r++) streams.push(await roundStreams(ck, r, n, bits));
  let cur = Uint32Array.from(cipher.data);
  for (let r = header.rounds - 1; r >= 0; r--) {
    const { perm, ks, iv } = streams[r];
    const prevRound = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const before = i === 0 ? iv : cur[i - 1];
      prevRound[perm[i]] = ((cur[i] - ks[i] - before) % mod + 2 * mod) % mod;
    }
    cur = prevRound;
  }
  const max = 2 ** header.bitDepth - 1;
  let over = false;
  for (let i = 0; i < n; i++) {
    if (cur[i] > max) {
      over = true;
      if (!verify) cur[i] = cur[i] & max;
    }
  }
  if (over && verify) {
    throw new MedCryptError("wrong-key", "decryption gave values above the image's bit depth");
  }
  const data = header.bitDepth <= 8 ? Uint8Array.from(cur) : Uint16Array.from(cur);
  const out = medImage(data, header.width, header.height, { bitDepth: header.bitDepth });
  if (verify && header.imageHash && toHex(await imageHash(out)) !== header.imageHash) {
    throw new MedCryptError("wrong-key", "the decrypted image does not match the header's hash");
  }
  return out;
}

/**
 * The classic cipher behind the common {@linkcode ImageCipher} interface.
 *
 * @param options rounds and image binding
 * @returns the cipher object
 * @example
 * ```ts
 * import { classicChaosCipher } from "./classic.ts";
 * console.log(classicChaosCipher().name); // chaos-classic
 * console.log(classicChaosCipher({ rounds: 2, bindToImage: true }).name); // chaos-classic-r2-bound
 * ```
 */
export function classicChaosCipher(options: ClassicOptions = {}): ImageCipher<ClassicHeader> {
  const rounds = options.rounds ?? 1;
  const name = `chaos-classic${rounds > 1 ? `-r${rounds}` : ""}${
    options.bindToImage ? "-bound" : ""
  }`;
  return {
    name,
    encrypt: (img, key) => chaosEncrypt(img, key, options),
    decrypt: (cipher, header, key, opts) => chaosDecrypt(cipher, header, key, opts),
  };
}
