/**
 * The ciphers of paper B's comparison, each with its key and key-space statement: the uniform
 * random reference, AES-256-GCM, AES-256-CTR with a fixed nonce, the classic logistic-map cipher in
 * its textbook and hardened forms, and the learned cipher's two variants with the shipped model
 * (left out, with the reason recorded, when that model cannot be loaded).
 *
 * @example
 * ```ts
 * import { cipherEntries } from "./ciphers.ts";
 * const { ciphers } = await cipherEntries(1);
 * console.log(ciphers[0].label, ciphers[0].decryptable); // "uniform random (reference)" false
 * ```
 * @module
 */
import type { ImageCipher, UserKey } from "../../ciphers/types.ts";
import { aesCtrFixedCipher, aesGcmCipher } from "../../ciphers/aes.ts";
import { uniformReference } from "../../ciphers/uniform.ts";
import { classicChaosCipher } from "../../ciphers/chaos/classic.ts";
import { loadDefaultModel, revcipherExact, revcipherPaper } from "../../ciphers/revcipher/mod.ts";
import { type KeySpace, keySpace } from "../../cipher_metrics/sensitivity.ts";
import { sha256 } from "../../core/bytes.ts";

/** A cipher under evaluation, with its key and key-space statement. */
export interface CipherEntry {
  /** Table label. */
  label: string;
  /** The cipher. */
  cipher: ImageCipher<unknown>;
  /** The key used in this run. */
  key: UserKey;
  /** Whether it decrypts (false for the random reference). */
  decryptable: boolean;
  /** Effective key space. */
  keySpace: KeySpace;
  /** One line on what it is. */
  note: string;
}

/** The ciphers of a run, and why the learned cipher is missing from it if it is. */
export interface CipherLineup {
  /** The ciphers, in table order. */
  ciphers: CipherEntry[];
  /** First line of the error that kept the shipped model from loading; absent when it loaded. */
  learnedMissing?: string;
}

/**
 * The learned cipher's two variants (exact, and the paper's lossy architecture) with the model
 * that ships in `data/models/revcipher/`; when that model cannot be loaded, no entries and the
 * reason, so the run can say so in its notes instead of failing.
 */
async function learnedCiphers(key: Uint8Array): Promise<CipherLineup> {
  try {
    await loadDefaultModel();
  } catch (e) {
    return {
      ciphers: [],
      learnedMissing: (e instanceof Error ? e.message : String(e)).split("\n")[0],
    };
  }
  const ks: KeySpace = {
    bits: 256,
    note: "SHA-256 of image hash and user key seeds the chaotic keys",
  };
  return {
    ciphers: [
      {
        label: "learned cipher (exact)",
        cipher: revcipherExact(),
        key,
        decryptable: true,
        keySpace: ks,
        note: "integer additive coupling mod 2^bits, bit-exact (shipped 64×64 model)",
      },
      {
        label: "learned cipher (paper)",
        cipher: revcipherPaper(),
        key,
        decryptable: true,
        keySpace: ks,
        note: "paper B's lossy architecture (shipped 64×64 model)",
      },
    ],
  };
}

/**
 * The user key of a run: SHA-256 of `"medcrypt paper-b key "` and the decimal seed. A benchmark
 * key, derived so that a run's verdicts are reproducible from its recorded seed and a seed sweep
 * shows how they vary; never a way to make a key for real data.
 *
 * @param seed the run's seed
 * @returns 32 bytes
 * @example
 * ```ts
 * import { runKey } from "./ciphers.ts";
 * const [a, b] = [await runKey(1), await runKey(2)];
 * console.log(a.length, a.join() === (await runKey(1)).join(), a.join() === b.join()); // 32 true false
 * ```
 */
export async function runKey(seed: number): Promise<Uint8Array<ArrayBuffer>> {
  return await sha256(new TextEncoder().encode(`medcrypt paper-b key ${seed}`));
}

/**
 * The ciphers of the comparison, all under the run's key ({@linkcode runKey}). AES-GCM still
 * draws a fresh IV per image from WebCrypto, so its rows vary between runs; every other cipher
 * is a function of the seed.
 *
 * @param seed seed of the key and of the uniform reference
 * @returns the entries, and why the learned cipher is missing if it is
 * @example
 * ```ts
 * import { cipherEntries } from "./ciphers.ts";
 * const { ciphers } = await cipherEntries(1);
 * console.log(ciphers.map((c) => c.label).includes("AES-256-GCM")); // true
 * ```
 */
export async function cipherEntries(seed: number): Promise<CipherLineup> {
  const key = await runKey(seed);
  const ks = keySpace(key);
  const fixed: CipherEntry[] = [
    {
      label: "uniform random (reference)",
      cipher: uniformReference(seed),
      key,
      decryptable: false,
      keySpace: { bits: NaN, note: "not a cipher" },
      note: "fresh uniform noise: what an ideal cipher scores",
    },
    {
      label: "AES-256-GCM",
      cipher: aesGcmCipher(),
      key,
      decryptable: true,
      keySpace: ks,
      note: "random 96-bit IV per image, tag in the header",
    },
    {
      label: "AES-256-CTR fixed nonce",
      cipher: aesCtrFixedCipher(),
      key,
      decryptable: true,
      keySpace: ks,
      note: "same key and counter block for every image",
    },
    {
      label: "chaos classic (textbook)",
      cipher: classicChaosCipher(),
      key,
      decryptable: true,
      keySpace: { bits: 256, note: "SHA-256 of the user key seeds four logistic maps" },
      note: "1 permutation–diffusion round, key independent of the image",
    },
    {
      label: "chaos classic (2 rounds, image-bound)",
      cipher: classicChaosCipher({ rounds: 2, bindToImage: true }),
      key,
      decryptable: true,
      keySpace: { bits: 256, note: "SHA-256 of image hash and user key" },
      note: "image hash travels in the header",
    },
  ];
  const learned = await learnedCiphers(key);
  return { ...learned, ciphers: [...fixed, ...learned.ciphers] };
}
