/**
 * Image similarity: MSE, PSNR and SSIM with a bit-depth-aware data range (L = 2^bits − 1 for
 * `MedImage`s; any range for plain arrays, e.g. 1 for floats in [0, 1]).
 *
 * SSIM follows Wang, Bovik, Sheikh & Simoncelli (IEEE TIP 2004): an 11 × 11 Gaussian window with
 * σ = 1.5, K1 = 0.01, K2 = 0.03, statistics over the "valid" window positions, mean over the image.
 * Images smaller than the window use a window as large as the image (odd side).
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { psnr, ssim } from "./similarity.ts";
 * const a = medImage(Uint8Array.from({ length: 256 }, (_, i) => i), 16, 16);
 * console.log(psnr(a, a), ssim(a, a)); // Infinity 1
 * ```
 * @module
 */
import type { MedImage } from "../image/types.ts";
import { MedCryptError } from "../core/errors.ts";
import { bitsOf, type BitsOptions } from "./histogram.ts";

function checkSize(na: number, nb: number): void {
  if (na !== nb) {
    throw new MedCryptError("size-mismatch", `arrays differ in length: ${na} and ${nb}`);
  }
}

/**
 * Mean squared error of two equal-length arrays.
 *
 * @param a first
 * @param b second
 * @returns mean of (a − b)²
 * @example
 * ```ts
 * import { mseOf } from "./similarity.ts";
 * console.log(mseOf([0, 0], [1, 3])); // 5
 * ```
 */
export function mseOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSize(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s / a.length;
}

/**
 * PSNR in dB of two equal-length arrays with data range `range`.
 *
 * @param a reference
 * @param b test
 * @param range the data range (peak value), e.g. 255 or 1
 * @returns 10 log10(range² / MSE); Infinity when identical
 * @example
 * ```ts
 * import { psnrOf } from "./similarity.ts";
 * console.log(psnrOf([0, 0, 0, 0], [0, 0, 0, 2], 1).toFixed(4)); // "0.0000"
 * ```
 */
export function psnrOf(a: ArrayLike<number>, b: ArrayLike<number>, range: number): number {
  const m = mseOf(a, b);
  return m === 0 ? Infinity : 10 * Math.log10((range * range) / m);
}

/**
 * PSNR in dB of two images, with peak 2^bits − 1.
 *
 * @param a reference image
 * @param b test image
 * @param options bit depth (default the reference's)
 * @returns PSNR in dB (Infinity when identical)
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { psnr } from "./similarity.ts";
 * // one pixel of four off by 255: MSE = 255²/4, PSNR = 10 log10(4) ≈ 6.0206 dB
 * const a = medImage(new Uint8Array([0, 0, 0, 0]), 2, 2), b = medImage(new Uint8Array([0, 0, 0, 255]), 2, 2);
 * console.log(psnr(a, b).toFixed(4)); // "6.0206"
 * ```
 */
export function psnr(a: MedImage, b: MedImage, options: BitsOptions = {}): number {
  sameShape(a, b);
  return psnrOf(a.data, b.data, 2 ** bitsOf(a, options) - 1);
}

function sameShape(a: MedImage, b: MedImage): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new MedCryptError(
      "size-mismatch",
      `images differ in size: ${a.width}×${a.height} and ${b.width}×${b.height}`,
    );
  }
}

function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let s = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    s += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= s;
  return k;
}

/** "valid" separable filtering: output (w − n + 1) × (h − n + 1). */
function filterValid(src: Float64Array, w: number, h: number, k: Float64Array): Float64Array {
  const n = k.length, ow = w - n + 1, oh = h - n + 1;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += k[i] * src[y * w + x + i];
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += k[i] * tmp[(y + i) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return out;
}

/**
 * Mean SSIM of two equal-size grey images given as arrays (row-major).
 *
 * @param a reference
 * @param b test
 * @param width columns
 * @param height rows
 * @param range data range L (e.g. 255, 65535 or 1)
 * @returns mean SSIM in [−1, 1]
 * @example
 * ```ts
 * import { ssimOf } from "./similarity.ts";
 * const a = Float64Array.from({ length: 400 }, (_, i) => (i * 7) % 13 / 13);
 * console.log(ssimOf(a, a, 20, 20, 1)); // 1
 * ```
 */
export function ssimOf(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  width: number,
  height: number,
  range: number,
): number {
  checkSize(a.length, b.length);
  if (a.length !== width * height) {
    throw new MedCryptError(
      "size-mismatch",
      `${a.length} values do not make a ${width}×${height} image`,
    );
  }
  let size = 11;
  const m = Math.min(width, height);
  if (m < size) size = m % 2 === 1 ? m : m - 1;
  const k = gaussianKernel(size, 1.5);
  const c1 = (0.01 * range) ** 2, c2 = (0.03 * range) ** 2;
  const n = a.length;
  const x = new Float64Array(n), y = new Float64Array(n);
  const xx = new Float64Array(n), yy = new Float64Array(n), xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = a[i];
    y[i] = b[i];
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const mx = filterValid(x, width, height, k), my = filterValid(y, width, height, k);
  const sxx = filterValid(xx, width, height, k), syy = filterValid(yy, width, height, k);
  const sxy = filterValid(xy, width, height, k);
  let total = 0;
  for (let i = 0; i < mx.length; i++) {
    const vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cxy = sxy[i] - mx[i] * my[i];
    total += ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) /
      ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  return total / mx.length;
}

/**
 * Mean SSIM of two images with data range 2^bits − 1.
 *
 * @param a reference image
 * @param b test image
 * @param options bit depth (default the reference's)
 * @returns mean SSIM
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { ssim } from "./similarity.ts";
 * const a = medImage(Uint8Array.from({ length: 1024 }, (_, i) => i % 32 * 8), 32, 32);
 * const b = medImage(a.data.map((v) => 255 - v), 32, 32);
 * console.log(ssim(a, b) < 0); // true
 * ```
 */
export function ssim(a: MedImage, b: MedImage, options: BitsOptions = {}): number {
  sameShape(a, b);
  return ssimOf(a.data, b.data, a.width, a.height, 2 ** bitsOf(a, options) - 1);
}
