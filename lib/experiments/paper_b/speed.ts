/**
 * Decryption, wrong keys, speed and key space of each decryptable cipher: how many images decrypt
 * bit-exactly, the decrypted and wrong-key PSNR from the per-image records, encryption and
 * decryption time on the first image of each set, and the key-space statement.
 *
 * @example
 * ```ts
 * import { decryptionTable } from "./speed.ts";
 * console.log(decryptionTable([], 64).numRows()); // 0
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { type KeySpace, measureSpeed, type Speed } from "../../cipher_metrics/sensitivity.ts";
import { PSNR_CAP } from "../../attacks/cipher/known_plaintext.ts";
import { IMAGE_SETS, type ImageSet } from "./options.ts";
import type { CipherEntry } from "./ciphers.ts";
import { firstOf, type TestImage } from "./images.ts";
import type { ImageRecord } from "./security.ts";

/** Decryption, wrong-key output, speed and key space of one cipher. */
export interface DecryptionSummary {
  /** Cipher label. */
  cipher: string;
  /** Records decrypted bit-exactly. */
  exact: number;
  /** Records with a decryption. */
  decrypted: number;
  /** Mean PSNR (dB) of the decryptions, exact ones counted as {@linkcode PSNR_CAP}. */
  decryptedPsnr: number;
  /** Mean PSNR (dB) of wrong-key decryptions against the plain image (NaN when all were refused). */
  wrongKeyPsnr: number;
  /** Mean NPCR (%) of wrong-key decryptions against the plain image (NaN when all were refused). */
  wrongKeyNpcr: number;
  /** Speed on the first image of each set (3 timed repetitions after a warm-up). */
  speed: Record<ImageSet, Speed>;
  /** Effective key space. */
  keySpace: KeySpace;
}

/**
 * Times every decryptable cipher on the first image of each set and summarises its records.
 *
 * @param ciphers the ciphers (the reference, which does not decrypt, is skipped)
 * @param images the images (each set needs one)
 * @param records the per-image records of the statistics part
 * @returns one summary per decryptable cipher
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { cipherEntries } from "./ciphers.ts";
 * import { evaluateAll } from "./security.ts";
 * import { decryptionSummaries } from "./speed.ts";
 * const images = [
 *   { name: "a", set: "16-bit" as const, image: medImage(new Uint16Array(4096).fill(900), 64, 64, { bitDepth: 12 }) },
 *   { name: "b", set: "8-bit" as const, image: medImage(new Uint8Array(4096).fill(9), 64, 64) },
 * ];
 * const gcm = (await cipherEntries(1)).ciphers.filter((c) => c.label === "AES-256-GCM");
 * const [s] = await decryptionSummaries(gcm, images, await evaluateAll(gcm, images, 1));
 * console.log(`${s.exact}/${s.decrypted}`, s.keySpace.bits); // "2/2" 256
 * ```
 */
export async function decryptionSummaries(
  ciphers: readonly CipherEntry[],
  images: readonly TestImage[],
  records: readonly ImageRecord[],
): Promise<DecryptionSummary[]> {
  const out: DecryptionSummary[] = [];
  for (const c of ciphers.filter((c) => c.decryptable)) {
    const speed = {} as Record<ImageSet, Speed>;
    for (const set of IMAGE_SETS) {
      speed[set] = await measureSpeed(c.cipher, firstOf(images, set).image, c.key, 3);
    }
    const recs = records.filter((r) => r.cipher === c.label && r.fidelity);
    const wrong = recs.filter((r) => r.key?.wrongKey).map((r) => r.key!.wrongKey!);
    out.push({
      cipher: c.label,
      exact: recs.filter((r) => r.fidelity!.exact).length,
      decrypted: recs.length,
      decryptedPsnr: recs.reduce((a, r) => a + Math.min(r.fidelity!.psnr, PSNR_CAP), 0) /
        recs.length,
      wrongKeyPsnr: wrong.length ? wrong.reduce((a, w) => a + w.psnr, 0) / wrong.length : NaN,
      wrongKeyNpcr: wrong.length ? wrong.reduce((a, w) => a + w.npcr, 0) / wrong.length : NaN,
      speed,
      keySpace: c.keySpace,
    });
  }
  return out;
}

/**
 * The decryption, speed and key-space table (timings for S × S images).
 *
 * @param rows the summaries
 * @param size the side S, named in the timing columns
 * @returns the table, one row per cipher
 * @example
 * ```ts
 * import { decryptionTable } from "./speed.ts";
 * console.log(decryptionTable([], 64).numCols()); // 0
 * ```
 */
export function decryptionTable(rows: readonly DecryptionSummary[], size: number): ColumnTable {
  return aq.from(rows.map((r) => ({
    cipher: r.cipher,
    "exact decryptions": `${r.exact}/${r.decrypted}`,
    "decrypted PSNR (dB, mean, exact=100)": r.decryptedPsnr,
    "wrong-key PSNR (dB)": r.wrongKeyPsnr,
    "wrong-key NPCR vs plain (%)": r.wrongKeyNpcr,
    [`encrypt ms/image ${size}² 16-bit`]: r.speed["16-bit"].encryptMs,
    [`decrypt ms/image ${size}² 16-bit`]: r.speed["16-bit"].decryptMs,
    "encrypt MB/s 16-bit": r.speed["16-bit"].encryptMBps,
    "encrypt MB/s 8-bit": r.speed["8-bit"].encryptMBps,
    "key space (bits)": r.keySpace.bits,
    "key space note": r.keySpace.note,
  })));
}
