/**
 * The exact variant: a keyed, learned, bit-exact reversible cipher on integer pixels.
 *
 * The image (padded to even size) is split into four polyphase parts `P₀..P₃` (`P_j(y,x) =
 * X(2y + ⌊j/2⌋, 2x + j mod 2)`). Each round updates every part in turn with an additive coupling
 * modulo `M = 2^B` (B = 8 for ≤ 8-bit images, 16 above):
 *
 *     P_i ← (P_i + T(f_{r,i}(P_{i+1}, P_{i+2}, P_{i+3}, K_{r,i})) + S_{r,i}) mod M
 *
 * where `f` is a small CNN evaluated in fixed-point integer arithmetic (`_fixed.ts`), `T` scales its
 * output to pixel units, `K` are chaotic key maps fed to the CNN and `S` a chaotic integer key
 * stream. After the four updates the `4·h·w` values are shuffled by a chaotic permutation. Since
 * `f` never sees the part it updates, decryption subtracts the same integer and is exact, and since
 * `f` is integer arithmetic in plain TypeScript, it is the same on every machine and tfjs backend.
 *
 * @example
 * ```ts
 * import { decryptExact, encryptExact } from "./exact.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * import { medImage } from "../../image/types.ts";
 * const model = await initModel(DEFAULT_CONFIG, 1);
 * const img = medImage(Uint8Array.from({ length: 36 }, (_, i) => i * 7), 6, 6);
 * const { cipher, header } = await encryptExact(img, "key", model);
 * console.log((await decryptExact(cipher, header, "key", model)).data.join() === img.data.join()); // true
 * ```
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { type ChaosKey, deriveChaosKey, imageHash } from "../chaos/keys.ts";
import type { CipherDecryptOptions, CipherResult } from "../types.ts";
import { ACT_BITS, type QConv, qstack, quantizeConv } from "./_fixed.ts";
import type { RevCipherModel } from "./model.ts";
import {
  checkCipherAgainstHeader,
  type RevHeader,
  SCHEME,
  sealHeader,
  verifyHeader,
} from "./header.ts";
import { fromHex, toHex } from "../../core/bytes.ts";
import { type UserKey } from "../types.ts";

/** Bits of the cipher container for a plain bit depth: 8 up to 8 bits, else 16. */
export function containerBits(bitDepth: number): 8 | 16 {
  return bitDepth <= 8 ? 8 : 16;
}

const qcache = new WeakMap<RevCipherModel, QConv[][][]>();

/** The model's exact-variant coupling CNNs, quantised (cached per model). */
export function quantizedCouplings(model: RevCipherModel): QConv[][][] {
  let q = qcache.get(model);
  if (!q) {
    q = [];
    for (let r = 0; r < model.config.exact.rounds; r++) {
      const row: QConv[][] = [];
      for (let i = 0; i < 4; i++) {
        const layers: QConv[] = [];
        for (let l = 0; l < 3; l++) {
          const w = model.tensors.get(`exact/r${r}/p${i}/c${l}/w`)!;
          const b = model.tensors.get(`exact/r${r}/p${i}/c${l}/b`)!;
          layers.push(quantizeConv(w.data, w.shape, b.data));
        }
        row.push(layers);
      }
      q.push(row);
    }
    qcache.set(model, q);
  }
  return q;
}

/** Splits an even-sized image into 4 polyphase parts. */
export function toParts(data: ArrayLike<number>, W: number, H: number): Float64Array[] {
  const w = W / 2, h = H / 2;
  const parts = [0, 1, 2, 3].map(() => new Float64Array(w * h));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let j = 0; j < 4; j++) {
        parts[j][y * w + x] = data[(2 * y + (j >> 1)) * W + 2 * x + (j & 1)];
      }
    }
  }
  return parts;
}

/** Interleaves 4 polyphase parts back into an image. */
export function fromParts(parts: Float64Array[], W: number, H: number): Float64Array {
  const w = W / 2, h = H / 2, out = new Float64Array(W * H);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let j = 0; j < 4; j++) {
        out[(2 * y + (j >> 1)) * W + 2 * x + (j & 1)] = parts[j][y * w + x];
      }
    }
  }
  return out;
}

interface RoundKeys {
  s: Uint32Array[];
  k: Uint32Array[];
  perm: Int32Array;
}

async function roundKeys(ck: ChaosKey, model: RevCipherModel, hw: number, bits: number) {
  const { rounds, keyChannels } = model.config.exact;
  const out: RoundKeys[] = [];
  for (let r = 0; r < rounds; r++) {
    const s: Uint32Array[] = [], k: Uint32Array[] = [];
    for (let i = 0; i < 4; i++) {
      s.push((await ck.stream(`exact/r${r}/p${i}/s`)).integers(hw, bits));
      const kw = (await ck.stream(`exact/r${r}/p${i}/k`)).words(hw * keyChannels);
      for (let j = 0; j < kw.length; j++) kw[j] = kw[j] >>> 16; // 16-bit key maps
      k.push(kw);
    }
    out.push({ s, k, perm: (await ck.stream(`exact/r${r}/perm`)).permutation(4 * hw) });
  }
  return out;
}

/**
 * The integer added to part `i` in round `r`: the fixed-point coupling CNN applied to the other
 * three parts and the key maps, in pixel units (not yet reduced modulo `M`).
 */
function couplingShift(
  net: QConv[],
  parts: Float64Array[],
  i: number,
  key: Uint32Array,
  kc: number,
  hw: number,
  w: number,
  bits: number,
): Float64Array {
  const cin = 3 + kc, inp = new Float64Array(hw * cin);
  const up = 2 ** (ACT_BITS - bits);
  const a = parts[(i + 1) % 4], b = parts[(i + 2) % 4], c = parts[(i + 3) % 4];
  inp.set(a.map((v) => v * up), 0);
  inp.set(b.map((v) => v * up), hw);
  inp.set(c.map((v) => v * up), 2 * hw);
  for (let p = 0; p < hw; p++) {
    for (let j = 0; j < kc; j++) inp[(3 + j) * hw + p] = key[p * kc + j];
  }
  const out = qstack(inp, hw / w, w, net);
  const down = 2 ** (bits - ACT_BITS);
  for (let p = 0; p < hw; p++) out[p] = Math.floor(out[p] * down);
  return out;
}

function mod(v: number, m: number): number {
  const r = v % m;
  return r < 0 ? r + m : r;
}

/** Options of the exact cipher core. */
export interface ExactCoreOptions {
  /** Skip the learned coupling CNNs (ablation: key streams and permutations only). */
  withoutNetwork?: boolean;
}

/**
 * The exact cipher on raw integer data (already padded to even size) with a given key seed.
 * Exposed for ablations and the diffusion measurements; use {@linkcode encryptExact} normally.
 *
 * @returns the cipher pixels
 */
export async function exactCore(
  data: ArrayLike<number>,
  W: number,
  H: number,
  bits: number,
  ck: ChaosKey,
  model: RevCipherModel,
  direction: "encrypt" | "decrypt",
  options: ExactCoreOptions = {},
): Promise<Float64Array> {
  const M = 2 ** bits, w = W / 2, hw = (W * H) / 4, kc = model.config.exact.keyChannels;
  const nets = quantizedCouplings(model);
  const keys = await roundKeys(ck, model, hw, bits);
  let parts = toParts(data, W, H);
  const shift = (r: number, i: number) =>
    options.withoutNetwork
      ? new Float64Array(hw)
      : couplingShift(nets[r][i], parts, i, keys[r].k[i], kc, hw, w, bits);
  const flatten = () => {
    const f = new Float64Array(4 * hw);
    parts.forEach((p, j) => f.set(p, j * hw));
    return f;
  };
  const unflatten = (f: Float64Array) => [0, 1, 2, 3].map((j) => f.slice(j * hw, (j + 1) * hw));
  if (direction === "encrypt") {
    for (let r = 0; r < keys.length; r++) {
      for (let i = 0; i < 4; i++) {
        const t = shift(r, i), s = keys[r].s[i], P = parts[i];
        for (let p = 0; p < hw; p++) P[p] = mod(P[p] + t[p] + s[p], M);
      }
      const f = flatten(), g = new Float64Array(4 * hw), perm = keys[r].perm;
      for (let k = 0; k < g.length; k++) g[k] = f[perm[k]];
      parts = unflatten(g);
    }
  } else {
    for (let r = keys.length - 1; r >= 0; r--) {
      const g = flatten(), f = new Float64Array(4 * hw), perm = keys[r].perm;
      for (let k = 0; k < g.length; k++) f[perm[k]] = g[k];
      parts = unflatten(f);
      for (let i = 3; i >= 0; i--) {
        const t = shift(r, i), s = keys[r].s[i], P = parts[i];
        for (let p = 0; p < hw; p++) P[p] = mod(P[p] - t[p] - s[p], M);
      }
    }
  }
  return fromParts(parts, W, H);
}

/** Pads an image to even width and height by repeating its last row/column. */
export function padEven(img: MedImage): { data: Float64Array; W: number; H: number } {
  const W = img.width + (img.width % 2), H = img.height + (img.height % 2);
  const data = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(y, img.height - 1);
    for (let x = 0; x < W; x++) {
      data[y * W + x] = img.data[sy * img.width + Math.min(x, img.width - 1)];
    }
  }
  return { data, W, H };
}

/**
 * The optional metadata (modality, pixel spacing, rescale) a cipher header carries over from the
 * plain image, copied.
 *
 * @param img the plain image
 * @returns the fields present on `img`
 * @example
 * ```ts
 * import { metaOf } from "./exact.ts";
 * import { medImage } from "../../image/types.ts";
 * console.log(metaOf(medImage(new Uint8Array(4), 2, 2, { modality: "CT" }))); // { modality: "CT" }
 * ```
 */
export function metaOf(img: MedImage): Pick<RevHeader, "modality" | "pixelSpacing" | "rescale"> {
  return {
    ...(img.modality !== undefined ? { modality: img.modality } : {}),
    ...(img.pixelSpacing !== undefined
      ? { pixelSpacing: [...img.pixelSpacing] as [number, number] }
      : {}),
    ...(img.rescale !== undefined ? { rescale: { ...img.rescale } } : {}),
  };
}

/**
 * Encrypts exactly. The cipher keeps the container's bit depth (8 or 16) and has the even-padded
 * size; the header records the original shape, bit depth and image hash.
 *
 * @param img the plain image
 * @param key the user key
 * @param model the model (its exact-variant coupling CNNs)
 * @returns cipher and header
 * @example
 * ```ts
 * import { encryptExact } from "./exact.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * import { medImage } from "../../image/types.ts";
 * const r = await encryptExact(medImage(new Uint16Array(15), 5, 3, { bitDepth: 12 }), "k", await initModel(DEFAULT_CONFIG, 1));
 * console.log(r.cipher.width, r.cipher.height, r.cipher.bitDepth); // 6 4 16
 * ```
 */
export async function encryptExact(
  img: MedImage,
  key: UserKey,
  model: RevCipherModel,
): Promise<CipherResult<RevHeader>> {
  const bits = containerBits(img.bitDepth);
  const hash = await imageHash(img);
  const ck = await deriveChaosKey(key, hash);
  const { data, W, H } = padEven(img);
  const c = await exactCore(data, W, H, bits, ck, model, "encrypt");
  const cdata = bits === 8 ? Uint8Array.from(c) : Uint16Array.from(c);
  const cipher = medImage(cdata, W, H, { bitDepth: bits });
  const header = await sealHeader(
    {
      scheme: SCHEME,
      variant: "exact",
      width: img.width,
      height: img.height,
      bitDepth: img.bitDepth,
      cipherWidth: W,
      cipherHeight: H,
      cipherBits: bits,
      imageHash: toHex(hash),
      check: toHex(await ck.checkValue()),
      model: model.id,
      ...metaOf(img),
    },
    cipher,
    ck,
  );
  return { cipher, header };
}

/**
 * Decrypts exactly; with `verify` (default) a wrong key, another model, an altered header or an
 * altered cipher is reported as a `MedCryptError` (key check value, then the header's tag and
 * cipher digest, then SHA-256 of the result against the header).
 *
 * @param cipher the cipher image
 * @param header its header
 * @param key the user key
 * @param model the model the cipher was made with
 * @param options `verify: false` returns the wrong-key output
 * @returns the plain image, bit for bit
 * @example
 * ```ts
 * import { decryptExact, encryptExact } from "./exact.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * import { medImage } from "../../image/types.ts";
 * const m = await initModel(DEFAULT_CONFIG, 1);
 * const { cipher, header } = await encryptExact(medImage(new Uint8Array([1, 2, 3, 4]), 2, 2), "k", m);
 * try {
 *   await decryptExact(cipher, header, "K", m);
 * } catch (e) {
 *   console.log((e as Error).message.startsWith("wrong key")); // true
 * }
 * ```
 */
export async function decryptExact(
  cipher: MedImage,
  header: RevHeader,
  key: UserKey,
  model: RevCipherModel,
  options: CipherDecryptOptions = {},
): Promise<MedImage> {
  if (header.variant !== "exact") {
    throw new MedCryptError("bad-header", `header is for the ${header.variant} variant, not exact`);
  }
  checkCipherAgainstHeader(cipher, header, model);
  const verify = options.verify ?? true;
  const ck = await deriveChaosKey(key, fromHex(header.imageHash));
  if (verify && toHex(await ck.checkValue()) !== header.check) {
    throw new MedCryptError(
      "wrong-key",
      "wrong key (or the header's imageHash or check field was altered): the key check value does not match",
    );
  }
  if (verify) await verifyHeader(cipher, header, ck);
  const p = await exactCore(
    cipher.data,
    cipher.width,
    cipher.height,
    header.cipherBits,
    ck,
    model,
    "decrypt",
  );
  const { width, height, bitDepth } = header, max = 2 ** bitDepth - 1;
  const out = bitDepth <= 8 ? new Uint8Array(width * height) : new Uint16Array(width * height);
  let over = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = p[y * cipher.width + x];
      if (v > max) over++;
      out[y * width + x] = v & max;
    }
  }
  if (verify && over > 0) {
    throw new MedCryptError(
      "wrong-key",
      `decryption gave ${over} values above ${bitDepth}-bit range: the cipher's pixels were altered, its header is another image's, or the header's check value was forged for a wrong key`,
    );
  }
  const img = medImage(out, width, height, {
    bitDepth,
    modality: header.modality,
    pixelSpacing: header.pixelSpacing,
    rescale: header.rescale,
  });
  if (verify && toHex(await imageHash(img)) !== header.imageHash) {
    throw new MedCryptError(
      "integrity",
      "the cipher image does not match its header (the key is right, but the decrypted image does not match the image hash in the header): its pixels were altered, or the header is another image's",
    );
  }
  return img;
}
