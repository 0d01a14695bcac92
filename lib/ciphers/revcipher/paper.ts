/**
 * The paper variant (paper B's architecture, lossy): FEM → FFPM (α) → FFEM → cipher image;
 * FFDM (inverse couplings + decoder) → decrypted image. Runs on tfjs; α travels in the header.
 *
 * @example
 * ```ts
 * import { decryptPaper, encryptPaper } from "./paper.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * import { medImage } from "../../image/types.ts";
 * const m = await initModel(DEFAULT_CONFIG, 1);
 * const { cipher, header } = await encryptPaper(medImage(new Uint8Array(64), 8, 8), "k", m);
 * console.log((await decryptPaper(cipher, header, "k", m)).width); // 8
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../../core/errors.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { type ChaosKey, deriveChaosKey, imageHash } from "../chaos/keys.ts";
import type { CipherDecryptOptions, CipherResult } from "../types.ts";
import {
  fem,
  ffdm,
  ffem,
  ffpmAlpha,
  type PaperKeys,
  type RevCipherModel,
  type TensorParams,
  toTfParams,
} from "./model.ts";
import {
  checkCipherAgainstHeader,
  type RevHeader,
  SCHEME,
  sealHeader,
  type UnsealedHeader,
  verifyHeader,
} from "./header.ts";
import { containerBits, metaOf, padEven } from "./exact.ts";
import { backendInfo, initBackend } from "../../nn/backend.ts";
import { fromHex, toHex } from "../../core/bytes.ts";
import { type UserKey } from "../types.ts";

async function ensureBackend(): Promise<void> {
  if (!backendInfo().name) await initBackend();
}

const paramCache = new WeakMap<RevCipherModel, TensorParams>();

/** The model's parameters as (cached) tfjs constants. */
export function inferenceParams(model: RevCipherModel): TensorParams {
  let p = paramCache.get(model);
  if (!p || [...p.values()].some((t) => t.isDisposed)) {
    p = toTfParams(model, false);
    paramCache.set(model, p);
  }
  return p;
}

/**
 * The paper variant's chaotic key maps for an `H×W` image, shaped like the feature maps.
 *
 * @param ck the key
 * @param model the model (key channels)
 * @param W even width
 * @param H even height
 * @returns `[1, H/2, W/2, ·]` tensors
 */
export async function paperKeyMaps(
  ck: ChaosKey,
  model: RevCipherModel,
  W: number,
  H: number,
): Promise<PaperKeys> {
  const h = H / 2, w = W / 2, kc = model.config.paper.keyChannels;
  const map = async (label: string, c: number) => {
    const m = (await ck.stream(`paper/${label}`)).featureMap(h, w, c);
    return tf.tensor4d(m.data, [1, h, w, c]);
  };
  return {
    k1: await map("k1", 4),
    k2: await map("k2", kc),
    k3: await map("k3", kc),
    s: await map("s", 4),
  };
}

function disposeKeys(k: PaperKeys) {
  tf.dispose([k.k1, k.k2, k.k3, k.s]);
}

/**
 * Encrypts with the paper variant.
 *
 * @param img the plain image
 * @param key the user key
 * @param model the model
 * @returns cipher (8- or 16-bit) and header (with α)
 * @example
 * ```ts
 * import { encryptPaper } from "./paper.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * import { medImage } from "../../image/types.ts";
 * const r = await encryptPaper(medImage(new Uint8Array(16), 4, 4), "k", await initModel(DEFAULT_CONFIG, 1));
 * console.log(r.header.alpha?.length); // 4
 * ```
 */
export async function encryptPaper(
  img: MedImage,
  key: UserKey,
  model: RevCipherModel,
  options: PaperEncryptOptions = {},
): Promise<CipherResult<RevHeader>> {
  await ensureBackend();
  const bits = containerBits(img.bitDepth), M = 2 ** bits;
  const hash = await imageHash(img);
  const ck = await deriveChaosKey(key, hash);
  const { data, W, H } = padEven(img);
  const keys = await paperKeyMaps(ck, model, W, H);
  const p = inferenceParams(model);
  const scale = 1 / (2 ** img.bitDepth - 1);
  const [alpha, c] = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(data, (v) => v * scale), [1, H, W, 1]);
    const f = fem(p, model.config, x);
    const a = ffpmAlpha(p, f);
    return [a, ffem(p, f, a, keys)];
  });
  const alphaValues = Array.from(await alpha.data());
  const cv = await c.data();
  tf.dispose([alpha, c]);
  disposeKeys(keys);
  const q = bits === 8 ? new Uint8Array(W * H) : new Uint16Array(W * H);
  for (let i = 0; i < q.length; i++) q[i] = Math.round(cv[i] * M) % M;
  const cipher = medImage(q, W, H, { bitDepth: bits });
  const unsealed: UnsealedHeader = {
    scheme: SCHEME,
    variant: "paper",
    width: img.width,
    height: img.height,
    bitDepth: img.bitDepth,
    cipherWidth: W,
    cipherHeight: H,
    cipherBits: bits,
    imageHash: toHex(hash),
    check: toHex(await ck.checkValue()),
    model: model.id,
    alpha: alphaValues,
    ...metaOf(img),
  };
  const header = await sealHeader(unsealed, cipher, ck);
  if (!options.measure) return { cipher, header };
  // decrypt once and record how far the result is from the original, sealed into the header
  const fidelity = measureFidelity(img, await decryptPaper(cipher, header, key, model));
  return { cipher, header: await sealHeader({ ...unsealed, fidelity }, cipher, ck) };
}

/** Options of {@linkcode encryptPaper}. */
export interface PaperEncryptOptions {
  /** Decrypt once and record the error in the header's `fidelity` (costs one decryption). */
  measure?: boolean;
}

/**
 * How far a lossy decryption is from the original: the largest absolute pixel error and the PSNR
 * in dB against the peak `2^bitDepth − 1` (`null` when the two are equal).
 *
 * @param original the plain image
 * @param decrypted its decryption (same size)
 * @returns max |Δ| and PSNR
 * @example
 * ```ts
 * import { measureFidelity } from "./paper.ts";
 * import { medImage } from "../../image/types.ts";
 * const a = medImage(new Uint8Array([0, 10]), 2, 1), b = medImage(new Uint8Array([0, 12]), 2, 1);
 * console.log(measureFidelity(a, b).maxAbsError); // 2
 * ```
 */
export function measureFidelity(
  original: MedImage,
  decrypted: MedImage,
): { maxAbsError: number; psnr: number | null } {
  let max = 0, se = 0;
  for (let i = 0; i < original.data.length; i++) {
    const d = Math.abs(original.data[i] - decrypted.data[i]);
    if (d > max) max = d;
    se += d * d;
  }
  const peak = 2 ** original.bitDepth - 1, mse = se / original.data.length;
  return { maxAbsError: max, psnr: mse === 0 ? null : 10 * Math.log10((peak * peak) / mse) };
}

/**
 * Decrypts the paper variant (approximately: the decoder is learned).
 *
 * @param cipher the cipher image
 * @param header its header
 * @param key the user key
 * @param model the model the cipher was made with
 * @param options `verify: false` returns the wrong-key output instead of throwing
 * @returns the decrypted image at the original size and bit depth
 * @example
 * ```ts
 * import { decryptPaper, encryptPaper } from "./paper.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * import { medImage } from "../../image/types.ts";
 * const m = await initModel(DEFAULT_CONFIG, 1);
 * const { cipher, header } = await encryptPaper(medImage(new Uint8Array(16), 4, 4), "k", m);
 * console.log((await decryptPaper(cipher, header, "x", m, { verify: false })).height); // 4
 * ```
 */
export async function decryptPaper(
  cipher: MedImage,
  header: RevHeader,
  key: UserKey,
  model: RevCipherModel,
  options: CipherDecryptOptions = {},
): Promise<MedImage> {
  if (header.variant !== "paper" || !header.alpha) {
    throw new MedCryptError("bad-header", `header is for the ${header.variant} variant, not paper`);
  }
  checkCipherAgainstHeader(cipher, header, model);
  await ensureBackend();
  const ck = await deriveChaosKey(key, fromHex(header.imageHash));
  if ((options.verify ?? true) && toHex(await ck.checkValue()) !== header.check) {
    throw new MedCryptError(
      "wrong-key",
      "wrong key (or the header's imageHash or check field was altered): the key check value does not match",
    );
  }
  if (options.verify ?? true) await verifyHeader(cipher, header, ck);
  const W = cipher.width, H = cipher.height, M = 2 ** header.cipherBits;
  const keys = await paperKeyMaps(ck, model, W, H);
  const p = inferenceParams(model);
  const xhat = tf.tidy(() => {
    const c = tf.tensor4d(Float32Array.from(cipher.data, (v) => v / M), [1, H, W, 1]);
    const alpha = tf.tensor2d(Float32Array.from(header.alpha!), [1, 4]);
    return ffdm(p, model.config, c, alpha, keys);
  });
  const xv = await xhat.data();
  xhat.dispose();
  disposeKeys(keys);
  const { width, height, bitDepth } = header, max = 2 ** bitDepth - 1;
  const out = bitDepth <= 8 ? new Uint8Array(width * height) : new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      out[y * width + x] = Math.max(0, Math.min(max, Math.round(xv[y * W + x] * max)));
    }
  }
  return medImage(out, width, height, {
    bitDepth,
    modality: header.modality,
    pixelSpacing: header.pixelSpacing,
    rescale: header.rescale,
  });
}
