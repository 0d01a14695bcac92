/**
 * What the learned cipher's header reveals to anyone who sees its QR codes (paper B says it
 * resists brute-force and key-based attacks; the header is outside what it considers): a guessed
 * scan is confirmed by its unkeyed image hash, two ciphers of one scan are linked by it, and a
 * guessable user key is found offline from the key check value, without the network.
 *
 * @example
 * ```ts ignore
 * import { headerLeakStudy } from "./header_leaks.ts";
 * const rows = await headerLeakStudy(images, 1, 3);
 * console.log(rows.map((r) => r.leak));
 * ```
 * @module
 */
import * as aq from "arquero";
import { imageAt, loadPneumoniaMNIST } from "../../datasets/medmnist.ts";
import { resize } from "../../image/ops.ts";
import { revEncrypt } from "../../ciphers/revcipher/mod.ts";
import { guessUserKey, identifyImage } from "../../attacks/cipher/header.ts";
import type { TestImage } from "./images.ts";
import { runKey } from "./ciphers.ts";

/** The weak key of the dictionary row: the README's own example key. */
export const WEAK_KEY = "k3y";

/** Characters of the dictionary of short keys. */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Every key of 1 to `maxLength` characters of {@linkcode ALPHABET}, shortest first. */
function* shortKeys(maxLength: number): Generator<string> {
  for (let len = 1; len <= maxLength; len++) {
    const idx = new Array(len).fill(0);
    while (true) {
      yield idx.map((i) => ALPHABET[i]).join("");
      let p = len - 1;
      while (p >= 0 && ++idx[p] === ALPHABET.length) idx[p--] = 0;
      if (p < 0) break;
    }
  }
}

/** One measured leak. */
export interface HeaderLeakRow {
  /** What leaks. */
  leak: string;
  /** What was measured. */
  measured: string;
  /** The number. */
  value: number;
  /** Its unit. */
  unit: string;
}

const YEAR_S = 365.25 * 24 * 3600;

/**
 * Runs the three attacks on exact-variant headers of the experiment's images.
 *
 * @param images the experiment's images (each is encrypted under the run's key)
 * @param seed the run's seed (its key)
 * @param maxKeyLength longest key of the short-key dictionary
 * @returns the rows
 * @example
 * ```ts ignore
 * import { headerLeakStudy } from "./header_leaks.ts";
 * import { paperBImages } from "./images.ts";
 * const images = await paperBImages({ size: 64, pneumonia: 2, seed: 1 });
 * const rows = await headerLeakStudy(images, 1);
 * console.log(rows[0].value); // 1: every header's scan picked out of the archive
 * ```
 */
export async function headerLeakStudy(
  images: readonly TestImage[],
  seed: number,
  maxKeyLength = 3,
): Promise<HeaderLeakRow[]> {
  const key = await runKey(seed), other = await runKey(seed + 1);
  const size = images[0].image.width;
  // the attacker's archive: every image of the experiment and the whole PneumoniaMNIST test split,
  // prepared as the experiment prepares its images
  const { test } = await loadPneumoniaMNIST();
  const archive = [
    ...Array.from({ length: test.n }, (_, i) => ({
      name: `pneumonia-test-${i}`,
      image: resize(imageAt(test, i, { modality: "DX" }), size, size, "bilinear"),
    })),
    ...images.filter((t) => !t.name.startsWith("pneumonia-test-")).map((t) => ({
      name: t.name,
      image: t.image,
    })),
  ];
  let identified = 0, linked = 0, hashMs = 0, hashed = 0;
  for (const t of images) {
    const a = (await revEncrypt(t.image, key, "exact")).header;
    const b = (await revEncrypt(t.image, other, "exact")).header;
    if (a.imageHash === b.imageHash) linked++;
    const r = identifyImage(a.imageHash, archive);
    if (r.found === t.name) identified++;
    hashMs += r.ms;
    hashed += r.tried;
  }
  const weak = (await revEncrypt(images[0].image, WEAK_KEY, "exact")).header;
  const search = guessUserKey(weak, shortKeys(maxKeyLength));
  const perSecond = search.tried / (search.ms / 1000);
  return [
    {
      leak: "a guessed scan is confirmed by the header's image hash",
      measured: `headers whose scan was picked out of an archive of ${archive.length} images`,
      value: identified / images.length,
      unit: `share of ${images.length}`,
    },
    {
      leak: "(search speed)",
      measured: "candidate images hashed per second",
      value: hashed / (hashMs / 1000),
      unit: "images/s",
    },
    {
      leak: "two ciphers of one scan are linkable",
      measured: "scans whose two ciphers, under two different keys, carry the same image hash",
      value: linked / images.length,
      unit: `share of ${images.length}`,
    },
    {
      leak: "a guessable user key is found offline from the key check value",
      measured: `guesses until the key "${WEAK_KEY}" (every key of 1–${maxKeyLength} characters ` +
        `[a-z0-9], shortest first; found: ${search.found === WEAK_KEY})`,
      value: search.tried,
      unit: "guesses",
    },
    {
      leak: "(search speed)",
      measured: "keys tested per second, one thread, no network",
      value: perSecond,
      unit: "keys/s",
    },
    {
      leak: "(time at that rate)",
      measured: "time to try every 8-character [a-z0-9] key",
      value: 36 ** 8 / perSecond / YEAR_S,
      unit: "years",
    },
    {
      leak: "(time at that rate)",
      measured: "time to try every random 128-bit key",
      value: 2 ** 128 / perSecond / YEAR_S,
      unit: "years",
    },
  ];
}

/**
 * The rows as a table.
 *
 * @param rows the study's rows
 * @returns the table
 * @example
 * ```ts
 * import { headerLeakTable } from "./header_leaks.ts";
 * console.log(headerLeakTable([{ leak: "l", measured: "m", value: 1, unit: "u" }]).numRows()); // 1
 * ```
 */
export function headerLeakTable(rows: readonly HeaderLeakRow[]): aq.ColumnTable {
  return aq.from(rows);
}
