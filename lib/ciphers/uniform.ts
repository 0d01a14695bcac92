/**
 * A reference that is not a cipher: every "encryption" is fresh, seeded uniform noise over the
 * container's bit depth (8 bits for ≤ 8-bit images, else 16). Run through a security suite beside
 * real ciphers, its pass rates show what an ideal cipher scores (about 1 − α per test at level α).
 *
 * @example
 * ```ts
 * import { uniformReference } from "./uniform.ts";
 * import { medImage } from "../image/types.ts";
 * const ref = uniformReference(1);
 * const { cipher } = await ref.encrypt(medImage(new Uint16Array(16), 4, 4, { bitDepth: 12 }), "k");
 * console.log(cipher.bitDepth, cipher.data.length); // 16 16
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { medImage } from "../image/types.ts";
import type { ImageCipher } from "./types.ts";

/**
 * The uniform-noise reference. One generator serves every call, so successive encryptions give
 * different noise, and the same seed with the same sequence of calls gives the same images. The
 * key is ignored and `decrypt` always refuses (there is nothing to decrypt).
 *
 * @param seed seed of the noise
 * @returns an {@linkcode ImageCipher} whose `decrypt` rejects with a `MedCryptError`
 *   (`"not-decryptable"`)
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { uniformReference } from "./uniform.ts";
 * const r = await uniformReference(1).encrypt(medImage(new Uint8Array(4), 2, 2), "k");
 * console.log(r.cipher.bitDepth); // 8
 * ```
 */
export function uniformReference(seed: number): ImageCipher<null> {
  const rng = new Rng(seed);
  return {
    name: "uniform-random (reference)",
    encrypt(img) {
      const bits = img.bitDepth <= 8 ? 8 : 16, n = img.data.length;
      const data = bits === 8 ? new Uint8Array(n) : new Uint16Array(n);
      for (let i = 0; i < n; i++) data[i] = rng.int(2 ** bits);
      return Promise.resolve({
        cipher: medImage(data, img.width, img.height, { bitDepth: bits }),
        header: null,
      });
    },
    decrypt() {
      return Promise.reject(
        new MedCryptError(
          "not-decryptable",
          "the uniform reference is not a cipher: its output is fresh noise and cannot be decrypted",
        ),
      );
    },
  };
}
