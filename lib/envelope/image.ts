/**
 * Image-aware envelopes: a {@linkcode MedImage}'s pixels are the content and its shape, bit
 * depth, modality, pixel spacing and rescale travel as metadata — encrypted by default, or in
 * clear (still authenticated) with `clearMetadata`.
 *
 * @example
 * ```ts
 * import { decryptImage, encryptImage } from "./image.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * import { medImage } from "../image/types.ts";
 * const { publicKey, privateKey } = await generateKeyPair(2048);
 * const img = medImage(new Uint16Array([0, 4095, 12, 7]), 2, 2, { bitDepth: 12, modality: "CT" });
 * const back = await decryptImage(await encryptImage(img, publicKey), privateKey);
 * console.log(back.image.bitDepth, back.image.modality); // 12 "CT"
 * closeWorkers();
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { type MedImage, medImage } from "../image/types.ts";
import {
  decrypt,
  type DecryptOptions,
  encrypt,
  type EncryptOptions,
  type EnvelopeInfo,
  type Metadata,
} from "./envelope.ts";
import type { PrivateKey, PublicKey } from "./keys.ts";

/**
 * @param img an image
 * @returns the metadata record that describes it (SPEC.md §7)
 * @example
 * ```ts
 * import { imageMetadata } from "./image.ts";
 * import { medImage } from "../image/types.ts";
 * console.log(imageMetadata(medImage(new Uint8Array(4), 2, 2)).dtype); // "u8"
 * ```
 */
export function imageMetadata(img: MedImage): Metadata {
  return {
    kind: "image",
    width: img.width,
    height: img.height,
    bitDepth: img.bitDepth,
    dtype: img.data instanceof Uint8Array ? "u8" : "u16le",
    ...(img.modality !== undefined ? { modality: img.modality } : {}),
    ...(img.pixelSpacing !== undefined ? { pixelSpacing: [...img.pixelSpacing] } : {}),
    ...(img.rescale !== undefined ? { rescale: { ...img.rescale } } : {}),
  };
}

function pixelBytes(img: MedImage): Uint8Array {
  if (img.data instanceof Uint8Array) return img.data;
  const out = new Uint8Array(img.data.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < img.data.length; i++) dv.setUint16(2 * i, img.data[i], true);
  return out;
}

/**
 * Encrypts an image with its metadata.
 *
 * @param img the image
 * @param recipients public key(s)
 * @param options as for `encrypt` (`clearMetadata: true` keeps shape/modality readable)
 * @returns the envelope bytes
 * @example
 * ```ts
 * import { encryptImage, inspect } from "./mod.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * import { medImage } from "../image/types.ts";
 * const { publicKey } = await generateKeyPair(2048);
 * const env = await encryptImage(medImage(new Uint8Array(4), 2, 2), publicKey, { clearMetadata: true });
 * console.log(inspect(env).clearMetadata?.width); // 2
 * closeWorkers();
 * ```
 */
export async function encryptImage(
  img: MedImage,
  recipients: PublicKey | PublicKey[],
  options: Omit<EncryptOptions, "metadata"> & { extraMetadata?: Metadata } = {},
): Promise<Uint8Array> {
  const { extraMetadata, ...rest } = options;
  return await encrypt(pixelBytes(img), recipients, {
    ...rest,
    metadata: { ...extraMetadata, ...imageMetadata(img) },
  });
}

/**
 * Decrypts an image envelope back into a {@linkcode MedImage} (bit-exact).
 *
 * @param envelope the envelope bytes
 * @param identity a recipient's private key
 * @param options engine, file name
 * @returns the image, the full metadata and the envelope description
 * @example
 * ```ts
 * import { decryptImage, encryptImage } from "./image.ts";
 * import { generateKeyPair } from "./keys.ts";
 * import { closeWorkers } from "./engines.ts";
 * import { medImage } from "../image/types.ts";
 * const { publicKey, privateKey } = await generateKeyPair(2048);
 * const r = await decryptImage(await encryptImage(medImage(new Uint8Array([9, 8, 7, 6]), 2, 2), publicKey), privateKey);
 * console.log(r.image.data); // Uint8Array(4) [ 9, 8, 7, 6 ]
 * closeWorkers();
 * ```
 */
export async function decryptImage(
  envelope: Uint8Array,
  identity: PrivateKey,
  options: DecryptOptions = {},
): Promise<{ image: MedImage; metadata: Metadata; info: EnvelopeInfo }> {
  const { data, metadata, info } = await decrypt(envelope, identity, options);
  const m = metadata ?? {};
  const bad = (what: string) =>
    new MedCryptError("bad-metadata", `not an image envelope: ${what}`, { file: options.file });
  if (m.kind !== "image") throw bad('metadata kind is not "image"');
  const w = Number(m.width), h = Number(m.height), bitDepth = Number(m.bitDepth);
  let pixels: Uint8Array | Uint16Array;
  if (m.dtype === "u8") {
    pixels = data;
  } else if (m.dtype === "u16le") {
    if (data.length % 2) throw bad("odd byte count for 16-bit pixels");
    pixels = new Uint16Array(data.length / 2);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < pixels.length; i++) pixels[i] = dv.getUint16(2 * i, true);
  } else throw bad(`unknown dtype ${String(m.dtype)}`);
  const image = medImage(pixels, w, h, {
    bitDepth,
    ...(typeof m.modality === "string" ? { modality: m.modality } : {}),
    ...(Array.isArray(m.pixelSpacing)
      ? { pixelSpacing: [Number(m.pixelSpacing[0]), Number(m.pixelSpacing[1])] as const }
      : {}),
    ...(m.rescale && typeof m.rescale === "object"
      ? {
        rescale: {
          slope: Number((m.rescale as Record<string, unknown>).slope),
          intercept: Number((m.rescale as Record<string, unknown>).intercept),
        },
      }
      : {}),
  });
  return { image, metadata: m, info };
}
