/**
 * The learned cipher's header: everything the decryptor needs besides the cipher image and the
 * user key (see `SPEC.md` in this folder). Serialised as compact JSON; validated field by field
 * on the way in.
 *
 * @example
 * ```ts
 * import { decodeHeader, encodeHeader, type RevHeader } from "./header.ts";
 * const h: RevHeader = {
 *   scheme: "revcipher/v1", variant: "exact", width: 3, height: 3, bitDepth: 8,
 *   cipherWidth: 4, cipherHeight: 4, cipherBits: 8, imageHash: "00".repeat(32),
 *   check: "00".repeat(8), model: "0".repeat(16),
 * };
 * console.log(decodeHeader(encodeHeader(h)).width); // 3
 * ```
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";
import type { MedImage } from "../../image/types.ts";
import type { RevCipherModel } from "./model.ts";

/** The header of a learned-cipher image. */
export interface RevHeader {
  /** Always `"revcipher/v1"`. */
  scheme: "revcipher/v1";
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
  /** Modality of the original, if known. */
  modality?: string;
  /** Pixel spacing of the original, if known. */
  pixelSpacing?: [number, number];
  /** Rescale of the original, if known. */
  rescale?: { slope: number; intercept: number };
}

/**
 * @param h the header
 * @returns its compact JSON bytes
 * @example
 * ```ts
 * import { encodeHeader, type RevHeader } from "./header.ts";
 * const h: RevHeader = {
 *   scheme: "revcipher/v1", variant: "exact", width: 3, height: 3, bitDepth: 8,
 *   cipherWidth: 4, cipherHeight: 4, cipherBits: 8, imageHash: "00".repeat(32),
 *   check: "00".repeat(8), model: "0".repeat(16),
 * };
 * const text = new TextDecoder().decode(encodeHeader(h));
 * console.log(text.startsWith('{"scheme":"revcipher/v1","variant":"exact","width":3')); // true
 * ```
 */
export function encodeHeader(h: RevHeader): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(h));
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
 * @returns the header; a `MedCryptError` (`"bad-header"`) names the first bad field
 * @example
 * ```ts
 * import { decodeHeader } from "./header.ts";
 * try {
 *   decodeHeader(new TextEncoder().encode("{}"));
 * } catch (e) {
 *   console.log((e as Error).message); // "cipher header: scheme 'undefined' is not revcipher/v1"
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
  if (h.scheme !== "revcipher/v1") bad(`scheme '${h.scheme}' is not revcipher/v1`);
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
  return h as unknown as RevHeader;
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
 *   scheme: "revcipher/v1", variant: "exact", width: 3, height: 3, bitDepth: 8,
 *   cipherWidth: 4, cipherHeight: 4, cipherBits: 8, imageHash: "00".repeat(32),
 *   check: "00".repeat(8), model: model.id,
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
