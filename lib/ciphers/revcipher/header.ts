/**
 * The learned cipher's header: everything the decryptor needs besides the cipher image and the
 * user key (see `SPEC.md` in this folder). Serialised as compact JSON in a fixed member order;
 * validated field by field on the way in. Every member is authenticated: `cipherHash` is the
 * digest of the cipher image, and `tag` an HMAC-SHA-256 over the header's other members under a
 * key derived from the key seed `S`, so nobody without the user key can change the clinical
 * metadata (rescale, pixel spacing, modality) or pair the header with other pixels.
 *
 * @example
 * ```ts
 * import { decodeHeader, encodeHeader, type RevHeader } from "./header.ts";
 * const h: RevHeader = {
 *   scheme: "revcipher/v2", variant: "exact", width: 3, height: 3, bitDepth: 8,
 *   cipherWidth: 4, cipherHeight: 4, cipherBits: 8, imageHash: "00".repeat(32),
 *   check: "00".repeat(8), model: "0".repeat(16), cipherHash: "00".repeat(32),
 *   tag: "00".repeat(16),
 * };
 * console.log(decodeHeader(encodeHeader(h)).width); // 3
 * ```
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";
import { concatBytes, sha256, toHex } from "../../core/bytes.ts";
import type { MedImage } from "../../image/types.ts";
import type { ChaosKey } from "../chaos/keys.ts";
import type { RevCipherModel } from "./model.ts";

/** The format version this code writes and reads. */
export const SCHEME = "revcipher/v2";

/** The header of a learned-cipher image. */
export interface RevHeader {
  /** Always `"revcipher/v2"`. */
  scheme: "revcipher/v2";
  /** Which variant made the cipher. */
  variant: "exact" | "paper";
  /** Original width. */
  width: number;
  /** Original height. */
  height: number;
  /** Original bit depth (1..16). */
  bitDepth: number;
  /** Width of the cipher image (even; ≥ width). */
  cipherWidth: number;
  /** Height of the cipher image (even; ≥ height). */
  cipherHeight: number;
  /** Bit depth of the cipher image: 8 or 16. */
  cipherBits: 8 | 16;
  /** SHA-256 image hash `H` (hex, 64 digits) that seeds the key streams with the user key. */
  imageHash: string;
  /** Key check value (hex, 16 digits). */
  check: string;
  /** Fingerprint of the model (hex, 16 digits). */
  model: string;
  /** Paper variant: FFPM's α, one per feature channel, as float32 values. */
  alpha?: number[];
  /** SHA-256 digest of the cipher image (hex, 64 digits), `SPEC.md` §9.4. */
  cipherHash: string;
  /** Modality of the original, if known. */
  modality?: string;
  /** Pixel spacing of the original, if known. */
  pixelSpacing?: [number, number];
  /** Rescale of the original, if known. */
  rescale?: { slope: number; intercept: number };
  /**
   * Paper variant, when measured at encrypt time: how far its (lossy) decryption is from the
   * original — the largest absolute pixel error and the PSNR in dB (`null`: no error at all).
   */
  fidelity?: { maxAbsError: number; psnr: number | null };
  /** Authentication tag over all other members (hex, 32 digits), `SPEC.md` §9.4. */
  tag: string;
}

/** A header before {@linkcode sealHeader} adds its cipher digest and tag. */
export type UnsealedHeader = Omit<RevHeader, "cipherHash" | "tag">;

/** The members in their canonical order (`SPEC.md` §9.2); `tag` is always last. */
const ORDER = [
  "scheme",
  "variant",
  "width",
  "height",
  "bitDepth",
  "cipherWidth",
  "cipherHeight",
  "cipherBits",
  "imageHash",
  "check",
  "model",
  "alpha",
  "cipherHash",
  "modality",
  "pixelSpacing",
  "rescale",
  "fidelity",
  "tag",
] as const;

/** The header's known members in canonical order, without unknown members or `tag`. */
function canonical(h: Partial<RevHeader>, withTag: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ORDER) {
    if (h[k] === undefined || (k === "tag" && !withTag)) continue;
    out[k] = k === "rescale"
      ? { slope: h.rescale!.slope, intercept: h.rescale!.intercept }
      : k === "pixelSpacing"
      ? [...h.pixelSpacing!]
      : k === "alpha"
      ? [...h.alpha!]
      : k === "fidelity"
      ? { maxAbsError: h.fidelity!.maxAbsError, psnr: h.fidelity!.psnr }
      : h[k];
  }
  return out;
}

/**
 * @param h the header
 * @returns its compact JSON bytes
 * @example
 * ```ts
 * import { encodeHeader, type RevHeader } from "./header.ts";
 * const h: RevHeader = {
 *   scheme: "revcipher/v2", variant: "exact", width: 3, height: 3, bitDepth: 8,
 *   cipherWidth: 4, cipherHeight: 4, cipherBits: 8, imageHash: "00".repeat(32),
 *   check: "00".repeat(8), model: "0".repeat(16), cipherHash: "00".repeat(32),
 *   tag: "00".repeat(16),
 * };
 * const text = new TextDecoder().decode(encodeHeader(h));
 * console.log(text.startsWith('{"scheme":"revcipher/v2","variant":"exact","width":3')); // true
 * ```
 */
export function encodeHeader(h: RevHeader): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(canonical(h, true)));
}

function bad(detail: string): never {
  throw new MedCryptError("bad-header", `cipher header: ${detail}`);
}

const isHex = (s: unknown, n: number) =>
  typeof s === "string" && new RegExp(`^[0-9a-f]{${n}}$`).test(s);
const isDim = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65536;

/**
 * Parses and validates a header.
 *
 * @param bytes JSON bytes from {@linkcode encodeHeader}
 * @returns the header's known members (unknown ones are dropped); a `MedCryptError`
 *   (`"bad-header"`) names the first bad field. The tag is checked later, by
 *   {@linkcode verifyHeader}, which needs the key.
 * @example
 * ```ts
 * import { decodeHeader } from "./header.ts";
 * try {
 *   decodeHeader(new TextEncoder().encode("{}"));
 * } catch (e) {
 *   console.log((e as Error).message); // "cipher header: scheme 'undefined' is not revcipher/v2"
 * }
 * ```
 */
export function decodeHeader(bytes: Uint8Array): RevHeader {
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    bad("not valid JSON");
  }
  if (typeof h !== "object" || h === null) bad("not an object");
  if (h.scheme === "revcipher/v1") {
    bad(
      "scheme 'revcipher/v1' is the first version, whose header is not authenticated; " +
        "this version reads revcipher/v2 only (decrypt it with an older medcrypt and encrypt again)",
    );
  }
  if (h.scheme !== SCHEME) bad(`scheme '${h.scheme}' is not ${SCHEME}`);
  if (h.variant !== "exact" && h.variant !== "paper") bad(`variant '${h.variant}' is unknown`);
  for (const k of ["width", "height", "cipherWidth", "cipherHeight"]) {
    if (!isDim(h[k])) bad(`${k} '${h[k]}' is not a size`);
  }
  if (!Number.isInteger(h.bitDepth) || (h.bitDepth as number) < 1 || (h.bitDepth as number) > 16) {
    bad(`bitDepth '${h.bitDepth}' is not in 1..16`);
  }
  if (h.cipherBits !== 8 && h.cipherBits !== 16) bad(`cipherBits '${h.cipherBits}' is not 8 or 16`);
  const [w, ht, bd] = [h.width as number, h.height as number, h.bitDepth as number];
  if (h.cipherWidth !== w + (w % 2) || h.cipherHeight !== ht + (ht % 2)) {
    bad(`cipher size ${h.cipherWidth}×${h.cipherHeight} is not ${w}×${ht} padded to even`);
  }
  if (h.cipherBits !== (bd <= 8 ? 8 : 16)) {
    bad(`cipherBits ${h.cipherBits} does not fit bitDepth ${bd} (8 up to 8 bits, else 16)`);
  }
  if (!isHex(h.imageHash, 64)) bad("imageHash is not 64 hex digits");
  if (!isHex(h.check, 16)) bad("check is not 16 hex digits");
  if (!isHex(h.model, 16)) bad("model is not 16 hex digits");
  if (!isHex(h.cipherHash, 64)) bad("cipherHash is not 64 hex digits");
  if (!isHex(h.tag, 32)) bad("tag is not 32 hex digits");
  if (h.variant === "paper") {
    if (!Array.isArray(h.alpha) || h.alpha.length !== 4 || !h.alpha.every(Number.isFinite)) {
      bad("the paper variant needs alpha: 4 numbers");
    }
  }
  if (h.modality !== undefined && typeof h.modality !== "string") bad("modality is not a string");
  const ps = h.pixelSpacing;
  if (ps !== undefined && !(Array.isArray(ps) && ps.length === 2 && ps.every(Number.isFinite))) {
    bad("pixelSpacing is not 2 numbers");
  }
  const rs = h.rescale as Record<string, unknown> | undefined;
  if (
    rs !== undefined &&
    (typeof rs !== "object" || rs === null || !Number.isFinite(rs.slope) ||
      !Number.isFinite(rs.intercept))
  ) {
    bad("rescale is not { slope, intercept } numbers");
  }
  const fi = h.fidelity as Record<string, unknown> | undefined;
  if (
    fi !== undefined &&
    (typeof fi !== "object" || fi === null || !Number.isInteger(fi.maxAbsError) ||
      (fi.maxAbsError as number) < 0 || !(fi.psnr === null || Number.isFinite(fi.psnr)))
  ) {
    bad("fidelity is not { maxAbsError: whole number, psnr: number or null }");
  }
  return canonical(h as Partial<RevHeader>, true) as unknown as RevHeader;
}

/**
 * The cipher image's pixel bytes in its container (`SPEC.md` §3): one byte per pixel for 8 bits,
 * `u16` little-endian for 16, whatever typed array the image was read into.
 */
function containerBytes(img: MedImage, bits: 8 | 16): Uint8Array {
  if (bits === 8) return img.data instanceof Uint8Array ? img.data : Uint8Array.from(img.data);
  const out = new Uint8Array(img.data.length * 2), dv = new DataView(out.buffer);
  for (let i = 0; i < img.data.length; i++) dv.setUint16(2 * i, img.data[i], true);
  return out;
}

const te = new TextEncoder();

/**
 * The cipher digest of `SPEC.md` §9.4: the image hash of §4.2 applied to the cipher image, with
 * its size and container bits.
 *
 * @param cipher the cipher image
 * @param bits its container bits
 * @returns 64 hex digits
 * @example
 * ```ts
 * import { cipherDigest } from "./header.ts";
 * import { medImage } from "../../image/types.ts";
 * console.log((await cipherDigest(medImage(new Uint8Array(4), 2, 2), 8)).length); // 64
 * ```
 */
export async function cipherDigest(cipher: MedImage, bits: 8 | 16): Promise<string> {
  const dims = new Uint8Array(9), dv = new DataView(dims.buffer);
  dv.setUint32(0, cipher.width, true);
  dv.setUint32(4, cipher.height, true);
  dims[8] = bits;
  return toHex(
    await sha256(concatBytes(te.encode("medcrypt/image/v1"), dims, containerBytes(cipher, bits))),
  );
}

/** `tag = HMAC-SHA-256(SHA-256(S ‖ "header"), canonical header without tag)[0..16)`. */
async function headerTag(h: Partial<RevHeader>, ck: ChaosKey): Promise<string> {
  const macKey = await sha256(concatBytes(ck.seed, te.encode("header")));
  const k = await crypto.subtle.importKey("raw", macKey, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const msg = te.encode(JSON.stringify(canonical(h, false)));
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", k, msg)).slice(0, 16));
}

/**
 * Completes a header: adds the cipher image's digest and the tag that authenticates every member.
 *
 * @param h the header's other members
 * @param cipher the cipher image
 * @param ck the key seed the cipher was made with
 * @returns the sealed header
 * @example
 * ```ts
 * import { sealHeader } from "./header.ts";
 * import { ChaosKey } from "../chaos/keys.ts";
 * import { medImage } from "../../image/types.ts";
 * const h = await sealHeader({
 *   scheme: "revcipher/v2", variant: "exact", width: 2, height: 2, bitDepth: 8,
 *   cipherWidth: 2, cipherHeight: 2, cipherBits: 8, imageHash: "00".repeat(32),
 *   check: "00".repeat(8), model: "0".repeat(16),
 * }, medImage(new Uint8Array(4), 2, 2), new ChaosKey(new Uint8Array(32)));
 * console.log(h.tag.length); // 32
 * ```
 */
export async function sealHeader(
  h: UnsealedHeader,
  cipher: MedImage,
  ck: ChaosKey,
): Promise<RevHeader> {
  const withDigest = { ...h, cipherHash: await cipherDigest(cipher, h.cipherBits) };
  return { ...withDigest, tag: await headerTag(withDigest, ck) } as RevHeader;
}

/** Compares two equal-length hex strings without an early exit. */
function sameHex(a: string, b: string): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/**
 * Checks, with the right key, that the header is the one that was written (its tag) and that the
 * cipher image is the one it was written for (its digest). Call after the key check value
 * matched.
 *
 * @param cipher the cipher image
 * @param header its header
 * @param ck the key seed from the user key and the header's `imageHash`
 * @returns nothing; a `MedCryptError` (`"integrity"`) says which of the two does not hold
 * @example
 * ```ts
 * import { sealHeader, verifyHeader } from "./header.ts";
 * import { ChaosKey } from "../chaos/keys.ts";
 * import { medImage } from "../../image/types.ts";
 * const ck = new ChaosKey(new Uint8Array(32)), c = medImage(new Uint8Array(4), 2, 2);
 * const h = await sealHeader({
 *   scheme: "revcipher/v2", variant: "exact", width: 2, height: 2, bitDepth: 8,
 *   cipherWidth: 2, cipherHeight: 2, cipherBits: 8, imageHash: "00".repeat(32),
 *   check: "00".repeat(8), model: "0".repeat(16),
 * }, c, ck);
 * await verifyHeader(c, h, ck); // no error
 * try {
 *   await verifyHeader(c, { ...h, modality: "CT" }, ck);
 * } catch (e) {
 *   console.log((e as Error).message.startsWith("the cipher header was altered")); // true
 * }
 * ```
 */
export async function verifyHeader(
  cipher: MedImage,
  header: RevHeader,
  ck: ChaosKey,
): Promise<void> {
  if (!sameHex(await headerTag(header, ck), header.tag)) {
    throw new MedCryptError(
      "integrity",
      "the cipher header was altered: its authentication tag does not match (the key is right, " +
        "but a member such as rescale, pixelSpacing, modality or cipherHash was changed)",
    );
  }
  if (await cipherDigest(cipher, header.cipherBits) !== header.cipherHash) {
    throw new MedCryptError(
      "integrity",
      "the cipher image is not the one its header was made for (the key is right and the " +
        "header unaltered, but the image's digest is not the header's cipherHash): its pixels " +
        "were altered, or the header is another image's",
    );
  }
}

/**
 * Checks a cipher image against its header and model: size, bit depth, model fingerprint.
 *
 * @param cipher the cipher image
 * @param header the header
 * @param model the model about to decrypt
 * @returns nothing; throws a `MedCryptError` saying what does not match
 * @example
 * ```ts
 * import type { MedCryptError } from "../../core/errors.ts";
 * import { medImage } from "../../image/types.ts";
 * import { checkCipherAgainstHeader, type RevHeader } from "./header.ts";
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * const model = await initModel(DEFAULT_CONFIG, 1);
 * const header: RevHeader = {
 *   scheme: "revcipher/v2", variant: "exact", width: 3, height: 3, bitDepth: 8,
 *   cipherWidth: 4, cipherHeight: 4, cipherBits: 8, imageHash: "00".repeat(32),
 *   check: "00".repeat(8), model: model.id, cipherHash: "00".repeat(32), tag: "00".repeat(16),
 * };
 * checkCipherAgainstHeader(medImage(new Uint8Array(16), 4, 4), header, model); // matches: no error
 * try {
 *   checkCipherAgainstHeader(medImage(new Uint8Array(4), 2, 2), header, model);
 * } catch (e) {
 *   console.log((e as MedCryptError).code); // "bad-shape"
 * }
 * ```
 */
export function checkCipherAgainstHeader(
  cipher: MedImage,
  header: RevHeader,
  model: RevCipherModel,
): void {
  if (cipher.width !== header.cipherWidth || cipher.height !== header.cipherHeight) {
    throw new MedCryptError(
      "bad-shape",
      `cipher image is ${cipher.width}×${cipher.height} but its header expects ` +
        `${header.cipherWidth}×${header.cipherHeight}: wrong cipher image or QR code?`,
    );
  }
  const have = cipher.bitDepth <= 8 ? 8 : 16;
  if (have !== header.cipherBits) {
    throw new MedCryptError(
      "bad-bit-depth",
      `cipher image is ${have}-bit but its header expects a ${header.cipherBits}-bit cipher`,
    );
  }
  if (header.model !== model.id) {
    throw new MedCryptError(
      "wrong-model",
      `cipher was made by model ${header.model}, but model ${model.id} is loaded`,
    );
  }
}
