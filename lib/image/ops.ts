/**
 * Geometry and intensity operations on {@linkcode MedImage}s: resize (bilinear or area), crop,
 * and window/normalise to `Float32Array` in [0, 1]. Resize and crop keep the bit depth, modality
 * and rescale (pixel spacing is scaled by resize).
 *
 * @example
 * ```ts
 * import { crop, resize, toFloat32 } from "./ops.ts";
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint16Array([0, 1000, 2000, 4095]), 2, 2, { bitDepth: 12 });
 * console.log(resize(img, 4, 4).width, crop(img, 1, 0, 1, 2).data, toFloat32(img)[3]); // 4 Uint16Array [1000, 4095] 1
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { type MedImage, medImage, type MedImageOptions } from "./types.ts";

/** Resampling method for {@linkcode resize}. */
export type ResizeMethod = "bilinear" | "area";

function keep(img: MedImage, spacingScale?: [number, number]): MedImageOptions {
  return {
    bitDepth: img.bitDepth,
    ...(img.modality !== undefined ? { modality: img.modality } : {}),
    ...(img.rescale ? { rescale: { ...img.rescale } } : {}),
    ...(img.pixelSpacing
      ? {
        pixelSpacing: spacingScale
          ? [img.pixelSpacing[0] * spacingScale[0], img.pixelSpacing[1] * spacingScale[1]] as const
          : img.pixelSpacing,
      }
      : {}),
  };
}

function checkSize(w: number, h: number, what: string): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || w * h > 2 ** 28) {
    throw new MedCryptError("bad-argument", `${what} size ${w}×${h} is not a sensible image size`);
  }
}

/**
 * Resizes an image. `bilinear` samples at pixel centres (like OpenCV `INTER_LINEAR`); `area`
 * averages the source pixels each target pixel covers (best for shrinking, like
 * `INTER_AREA`; for enlarging it equals nearest-neighbour replication weighted by overlap).
 * Results are rounded to whole stored values, so the bit depth is kept.
 *
 * @param img the image
 * @param width new columns
 * @param height new rows
 * @param method `"bilinear"` (default) or `"area"`
 * @returns the resized image
 * @example
 * ```ts
 * import { resize } from "./ops.ts";
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint8Array([0, 100, 200, 250]), 2, 2);
 * console.log(resize(img, 1, 1, "area").data); // Uint8Array [138]
 * ```
 */
export function resize(
  img: MedImage,
  width: number,
  height: number,
  method: ResizeMethod = "bilinear",
): MedImage {
  checkSize(width, height, "target");
  const { width: sw, height: sh, data: src } = img;
  const out = src instanceof Uint8Array
    ? new Uint8Array(width * height)
    : new Uint16Array(width * height);
  const max = 2 ** img.bitDepth - 1;
  const sx = sw / width, sy = sh / height;
  if (method === "bilinear") {
    for (let y = 0; y < height; y++) {
      const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
      const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, sh - 1), wy = fy - y0;
      for (let x = 0; x < width; x++) {
        const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
        const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, sw - 1), wx = fx - x0;
        const top = src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx;
        const bot = src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx;
        out[y * width + x] = Math.min(max, Math.round(top * (1 - wy) + bot * wy));
      }
    }
  } else if (method === "area") {
    for (let y = 0; y < height; y++) {
      const ya = y * sy, yb = (y + 1) * sy;
      for (let x = 0; x < width; x++) {
        const xa = x * sx, xb = (x + 1) * sx;
        let sum = 0, wsum = 0;
        for (let yy = Math.floor(ya); yy < Math.min(Math.ceil(yb), sh); yy++) {
          const wy = Math.min(yy + 1, yb) - Math.max(yy, ya);
          if (wy <= 0) continue;
          for (let xx = Math.floor(xa); xx < Math.min(Math.ceil(xb), sw); xx++) {
            const wx = Math.min(xx + 1, xb) - Math.max(xx, xa);
            if (wx <= 0) continue;
            sum += src[yy * sw + xx] * wx * wy;
            wsum += wx * wy;
          }
        }
        out[y * width + x] = Math.min(max, Math.round(sum / wsum));
      }
    }
  } else {
    throw new MedCryptError("bad-argument", `unknown resize method '${method}'`);
  }
  return medImage(out, width, height, keep(img, [sy, sx]));
}

/**
 * Cuts out the rectangle `[x, x + width) × [y, y + height)`.
 *
 * @param img the image
 * @param x left column
 * @param y top row
 * @param width columns to keep
 * @param height rows to keep
 * @returns the cropped image
 * @example
 * ```ts
 * import { crop } from "./ops.ts";
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint8Array([1, 2, 3, 4, 5, 6]), 3, 2);
 * console.log(crop(img, 1, 1, 2, 1).data); // Uint8Array [5, 6]
 * ```
 */
export function crop(img: MedImage, x: number, y: number, width: number, height: number): MedImage {
  checkSize(width, height, "crop");
  if (
    !Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 ||
    x + width > img.width || y + height > img.height
  ) {
    throw new MedCryptError(
      "bad-argument",
      `crop ${width}×${height} at (${x}, ${y}) does not fit in a ${img.width}×${img.height} image`,
    );
  }
  const out = img.data instanceof Uint8Array
    ? new Uint8Array(width * height)
    : new Uint16Array(width * height);
  for (let r = 0; r < height; r++) {
    const s = (y + r) * img.width + x;
    out.set(img.data.subarray(s, s + width), r * width);
  }
  return medImage(out, width, height, keep(img));
}

/** Options of {@linkcode toFloat32}. */
export interface ToFloatOptions {
  /**
   * Window `[lo, hi]` in physical units (after `rescale`, e.g. Hounsfield units for CT; stored
   * values when the image has no rescale): `lo` maps to 0, `hi` to 1, values outside are clipped.
   * Default: the full stored range `[0, 2^bitDepth - 1]` (no rescale applied).
   */
  window?: readonly [number, number];
}

/**
 * Converts an image to floats in [0, 1], row-major (for tfjs: `tf.tensor4d(x, [1, h, w, 1])`).
 *
 * @param img the image
 * @param options an optional window
 * @returns `width * height` floats in [0, 1]
 * @example Lung window on a CT stored with a Hounsfield rescale
 * ```ts
 * import { toFloat32 } from "./ops.ts";
 * import { medImage } from "./types.ts";
 * const ct = medImage(new Uint16Array([0, 624, 1024, 3000]), 4, 1, {
 *   bitDepth: 12, rescale: { slope: 1, intercept: -1024 },
 * });
 * console.log(toFloat32(ct, { window: [-1000, 400] })); // Float32Array [0, 0.0171…, 0.714…, 1]
 * ```
 */
export function toFloat32(img: MedImage, options: ToFloatOptions = {}): Float32Array {
  const n = img.data.length;
  const out = new Float32Array(n);
  const d = img.data;
  if (!options.window) {
    const inv = 1 / (2 ** img.bitDepth - 1);
    for (let i = 0; i < n; i++) out[i] = d[i] * inv;
    return out;
  }
  const [lo, hi] = options.window;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) {
    throw new MedCryptError("bad-argument", `window [${lo}, ${hi}] needs finite lo < hi`);
  }
  const slope = img.rescale?.slope ?? 1, intercept = img.rescale?.intercept ?? 0;
  const inv = 1 / (hi - lo);
  for (let i = 0; i < n; i++) {
    const v = (d[i] * slope + intercept - lo) * inv;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}
