/**
 * Per-image evaluation of a learned-cipher variant (decryption quality, wrong-key leakage,
 * cipher statistics, sensitivity, diffusion, robustness to noise and cropping, speed) and its
 * means per variant and bit depth.
 *
 * @example
 * ```ts
 * import { damage } from "./evaluate.ts";
 * import { medImage } from "../../image/types.ts";
 * console.log(damage(medImage(new Uint8Array(16).fill(9), 4, 4), "crop-1/4", 1).data.join("")); // 9999900990099999
 * ```
 * @module
 */
import * as aq from "arquero";
import { Rng } from "../../core/random.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { deriveChaosKey } from "../../ciphers/chaos/mod.ts";
import { psnr, ssim } from "../../cipher_metrics/similarity.ts";
import { flipKeyBit } from "../../cipher_metrics/sensitivity.ts";
import { correlations, pearson } from "../../cipher_metrics/correlation.ts";
import { shannonEntropy } from "../../cipher_metrics/entropy.ts";
import { npcr, uaci } from "../../cipher_metrics/differential.ts";
import {
  exactCore,
  loadDefaultModel,
  padEven,
  type RevCipherModel,
  revDecrypt,
  revEncrypt,
  type Variant,
} from "../../ciphers/revcipher/mod.ts";
import { changedFraction } from "../../cipher_metrics/differential.ts";

/** Noise and cropping applied to a cipher image. */
export type Attack = "salt-pepper-1%" | "gaussian-σ1%" | "crop-1/16" | "crop-1/4";
/**
 * Damages a cipher image: salt-and-pepper, Gaussian noise (σ as a fraction of full range), or a
 * zeroed centre block of 1/16 or 1/4 of the area.
 *
 * @param img the cipher
 * @param attack which damage
 * @param seed seed of the noise
 * @returns the damaged copy
 * @example
 * ```ts
 * import { damage } from "./evaluate.ts";
 * import { medImage } from "../../image/types.ts";
 * console.log(damage(medImage(new Uint8Array(64).fill(9), 8, 8), "crop-1/4", 1).data[27]); // 0
 * ```
 */
export function damage(img: MedImage, attack: Attack, seed: number): MedImage {
  const rng = new Rng(seed), max = 2 ** img.bitDepth - 1;
  const d = img.data.slice();
  if (attack === "salt-pepper-1%") {
    for (let i = 0; i < d.length; i++) if (rng.next() < 0.01) d[i] = rng.next() < 0.5 ? 0 : max;
  } else if (attack === "gaussian-σ1%") {
    for (let i = 0; i < d.length; i++) {
      d[i] = Math.max(0, Math.min(max, Math.round(d[i] + rng.normal() * 0.01 * max)));
    }
  } else {
    const f = attack === "crop-1/16" ? 0.25 : 0.5;
    const cw = Math.round(img.width * f), ch = Math.round(img.height * f);
    const x0 = (img.width - cw) >> 1, y0 = (img.height - ch) >> 1;
    for (let y = y0; y < y0 + ch; y++) d.fill(0, y * img.width + x0, y * img.width + x0 + cw);
  }
  return medImage(d, img.width, img.height, { bitDepth: img.bitDepth });
}
const ATTACKS: Attack[] = ["salt-pepper-1%", "gaussian-σ1%", "crop-1/16", "crop-1/4"];
function plusOne(img: MedImage, rng: Rng): MedImage {
  const d = img.data.slice(), i = rng.int(d.length), max = 2 ** img.bitDepth - 1;
  d[i] = d[i] === max ? d[i] - 1 : d[i] + 1;
  return medImage(d, img.width, img.height, { bitDepth: img.bitDepth });
}
/**
 * Evaluates one variant on a set of images: decryption quality, wrong-key leakage, cipher
 * statistics, key and plaintext sensitivity, diffusion under a fixed key, noise/crop robustness
 * and speed. One row per image.
 *
 * @param images named plain images
 * @param variant which variant
 * @param model the model
 * @param seed seed of the keys and noise
 * @returns the table
 * @example
 * ```ts
 * import { evaluateVariant } from "./evaluate.ts";
 * import { medImage } from "../../image/types.ts";
 * const t = await evaluateVariant([{ name: "a", image: medImage(new Uint8Array(64).fill(5), 8, 8) }], "exact");
 * console.log(t.get("decryptPsnr", 0)); // Infinity
 * ```
 */
export async function evaluateVariant(
  images: readonly { name: string; image: MedImage }[],
  variant: Variant,
  model?: RevCipherModel,
  seed = 1,
): Promise<aq.ColumnTable> {
  const m = model ?? await loadDefaultModel();
  const rng = new Rng(seed);
  const rows: Record<string, unknown>[] = [];
  for (const { name, image } of images) {
    const key = Uint8Array.from({ length: 16 }, () => rng.int(256));
    let t = performance.now();
    const { cipher, header } = await revEncrypt(image, key, variant, m);
    const encMs = performance.now() - t;
    t = performance.now();
    const back = await revDecrypt(cipher, header, key, m);
    const decMs = performance.now() - t;
    const wrong = await revDecrypt(cipher, header, flipKeyBit(key, 5), m, { verify: false });
    const c = correlations(cipher);
    const k2 = (await revEncrypt(image, flipKeyBit(key, 100), variant, m)).cipher;
    const p2 = (await revEncrypt(plusOne(image, rng), key, variant, m)).cipher;
    const row: Record<string, unknown> = {
      image: name,
      variant,
      bitDepth: image.bitDepth,
      size: `${image.width}×${image.height}`,
      decryptPsnr: psnr(image, back),
      decryptSsim: ssim(image, back),
      wrongKeySsim: ssim(image, wrong),
      wrongKeyCorr: pearson(image.data, wrong.data),
      cipherEntropy: shannonEntropy(cipher),
      corrH: c.horizontal,
      corrV: c.vertical,
      corrD: c.diagonal,
      keyNpcr: npcr(cipher, k2),
      keyUaci: uaci(cipher, k2),
      plainNpcr: npcr(cipher, p2),
      plainUaci: uaci(cipher, p2),
    };
    if (variant === "exact") {
      // diffusion with the key streams held fixed (the image hash not re-derived): the learned
      // coupling alone, against the same cipher without it
      const ck = await deriveChaosKey(key, new Uint8Array(32));
      const bits = cipher.bitDepth, a = padEven(image), b = padEven(plusOne(image, new Rng(seed)));
      for (
        const [label, withoutNetwork] of [["fixedKeyNpcr", false], [
          "fixedKeyNpcrNoNet",
          true,
        ]] as const
      ) {
        const ca = await exactCore(a.data, a.W, a.H, bits, ck, m, "encrypt", { withoutNetwork });
        const cb = await exactCore(b.data, b.W, b.H, bits, ck, m, "encrypt", { withoutNetwork });
        row[label] = 100 * changedFraction(ca, cb);
      }
    }
    for (const a of ATTACKS) {
      const dec = await revDecrypt(damage(cipher, a, seed), header, key, m, { verify: false });
      row[`psnr ${a}`] = psnr(image, dec);
    }
    row.encryptMs = encMs;
    row.decryptMs = decMs;
    rows.push(row);
  }
  return aq.from(rows);
}
export function summarise(t: aq.ColumnTable): aq.ColumnTable {
  const cols = t.columnNames().filter((c) =>
    !["image", "variant", "size", "bitDepth"].includes(c) && typeof t.get(c, 0) === "number"
  );
  const rows: Record<string, unknown>[] = [];
  for (const v of ["exact", "paper"]) {
    for (const bd of ["8-bit", ">8-bit"]) {
      const sub = t.filter(
        aq.escape((d: { variant: string; bitDepth: number }) =>
          d.variant === v && ((d.bitDepth <= 8) === (bd === "8-bit"))
        ),
      );
      if (sub.numRows() === 0) continue;
      const row: Record<string, unknown> = { variant: v, depth: bd, images: sub.numRows() };
      for (const c of cols) {
        const vals = (sub.array(c) as number[]).filter((x) =>
          typeof x === "number" && !Number.isNaN(x)
        );
        row[c] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : NaN;
      }
      rows.push(row);
    }
  }
  return aq.from(rows);
}
