/**
 * Adjacent-pixel correlation: Pearson's r over ALL horizontally, vertically or diagonally adjacent
 * pixel pairs (not a random sample of pairs), its critical value, and seeded scatter samples for
 * plots.
 *
 * Under the null hypothesis (independent pixels) r is approximately normal with mean 0 and
 * variance 1 / n for n pairs (the lag-one autocorrelation of an i.i.d. sequence), so the test at
 * level α accepts |r| < Φ⁻¹(1 − α/2) / √n.
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { adjacentCorrelation } from "./correlation.ts";
 * const ramp = medImage(new Uint8Array([0, 1, 2, 0, 1, 2]), 3, 2);
 * console.log(adjacentCorrelation(ramp, "horizontal")); // 1
 * ```
 * @module
 */
import type { MedImage } from "../image/types.ts";
import { Rng } from "../core/random.ts";
import { normalQuantile } from "../stats/special.ts";

/** Direction of the neighbour. */
export type Direction = "horizontal" | "vertical" | "diagonal";

/** The three directions, in report order. */
export const DIRECTIONS: readonly Direction[] = ["horizontal", "vertical", "diagonal"];

function offsets(dir: Direction): [number, number] {
  return dir === "horizontal" ? [1, 0] : dir === "vertical" ? [0, 1] : [1, 1];
}

/**
 * Number of adjacent pairs in a direction.
 *
 * @param width image width
 * @param height image height
 * @param dir direction
 * @returns the pair count
 * @example
 * ```ts
 * import { pairCount } from "./correlation.ts";
 * console.log(pairCount(3, 2, "horizontal"), pairCount(3, 2, "diagonal")); // 4 2
 * ```
 */
export function pairCount(width: number, height: number, dir: Direction): number {
  const [dx, dy] = offsets(dir);
  return Math.max(0, width - dx) * Math.max(0, height - dy);
}

/**
 * Pearson's correlation of two equally long sequences (e.g. a plain image and a wrong-key
 * decryption of it); 0 when either is constant.
 *
 * @param a first sequence
 * @param b second sequence, same length
 * @returns r in [−1, 1]
 * @example
 * ```ts
 * import { pearson } from "./correlation.ts";
 * console.log(pearson([1, 2, 3], [6, 4, 2])); // -1
 * ```
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return da && db ? num / Math.sqrt(da * db) : 0;
}

/**
 * Pearson correlation of all adjacent pixel pairs in one direction (pixel (x, y) with
 * (x+1, y), (x, y+1) or (x+1, y+1)). NaN when either side is constant.
 *
 * @param img the image
 * @param dir direction
 * @returns r in [−1, 1] or NaN
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { adjacentCorrelation } from "./correlation.ts";
 * const img = medImage(new Uint8Array([0, 9, 9, 0]), 2, 2);
 * console.log(adjacentCorrelation(img, "horizontal")); // -1
 * ```
 */
export function adjacentCorrelation(img: MedImage, dir: Direction): number {
  const [dx, dy] = offsets(dir);
  const { width: w, height: h, data } = img;
  let n = 0, sx = 0, sy = 0;
  for (let y = 0; y + dy < h; y++) {
    for (let x = 0; x + dx < w; x++) {
      sx += data[y * w + x];
      sy += data[(y + dy) * w + x + dx];
      n++;
    }
  }
  if (n < 2) return NaN;
  const mx = sx / n, my = sy / n;
  let sxx = 0, syy = 0, sxy = 0;
  for (let y = 0; y + dy < h; y++) {
    for (let x = 0; x + dx < w; x++) {
      const a = data[y * w + x] - mx, b = data[(y + dy) * w + x + dx] - my;
      sxx += a * a;
      syy += b * b;
      sxy += a * b;
    }
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Correlations in the three directions. */
export interface Correlations {
  /** Horizontal neighbours. */
  horizontal: number;
  /** Vertical neighbours. */
  vertical: number;
  /** Diagonal neighbours (down-right). */
  diagonal: number;
}

/**
 * Adjacent-pixel correlation in all three directions.
 *
 * @param img the image
 * @returns horizontal, vertical and diagonal r
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { correlations } from "./correlation.ts";
 * const ramp = medImage(Uint8Array.from({ length: 16 }, (_, i) => i % 4), 4, 4);
 * console.log(correlations(ramp).horizontal, Number.isNaN(correlations(ramp).vertical)); // 1 false
 * ```
 */
export function correlations(img: MedImage): Correlations {
  return {
    horizontal: adjacentCorrelation(img, "horizontal"),
    vertical: adjacentCorrelation(img, "vertical"),
    diagonal: adjacentCorrelation(img, "diagonal"),
  };
}

/**
 * Critical |r| of the two-sided independence test for n pairs at level α.
 *
 * @param nPairs number of pairs
 * @param alpha significance level
 * @returns Φ⁻¹(1 − α/2) / √n
 * @example
 * ```ts
 * import { correlationCritical } from "./correlation.ts";
 * console.log(correlationCritical(65280, 0.05).toFixed(5)); // "0.00767"
 * ```
 */
export function correlationCritical(nPairs: number, alpha: number): number {
  return normalQuantile(1 - alpha / 2) / Math.sqrt(nPairs);
}

/** The verdict of the correlation test in one direction. */
export interface CorrelationTest {
  /** Direction. */
  direction: Direction;
  /** Pearson r (NaN for a constant image, which fails). */
  value: number;
  /** Number of pairs. */
  pairs: number;
  /** Critical |r| per α. */
  critical: Record<string, number>;
  /** |r| < critical, per α. */
  pass: Record<string, boolean>;
}

/**
 * Independence test of adjacent pixels in the three directions.
 *
 * @param img the (cipher) image
 * @param alphas significance levels
 * @returns one test per direction
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { correlationTests } from "./correlation.ts";
 * const ramp = medImage(Uint8Array.from({ length: 4096 }, (_, i) => i % 64), 64, 64);
 * console.log(correlationTests(ramp, [0.05])[0].pass["0.05"]); // false
 * ```
 */
export function correlationTests(
  img: MedImage,
  alphas: readonly number[] = [0.05, 0.01, 0.001],
): CorrelationTest[] {
  return DIRECTIONS.map((direction) => {
    const value = adjacentCorrelation(img, direction);
    const pairs = pairCount(img.width, img.height, direction);
    const critical: Record<string, number> = {};
    const pass: Record<string, boolean> = {};
    for (const a of alphas) {
      critical[String(a)] = correlationCritical(pairs, a);
      pass[String(a)] = Math.abs(value) < critical[String(a)];
    }
    return { direction, value, pairs, critical, pass };
  });
}

/**
 * A seeded sample of adjacent pairs for a scatter plot (the correlation itself always uses all
 * pairs).
 *
 * @param img the image
 * @param dir direction
 * @param points how many pairs (all of them when there are fewer)
 * @param seed seed of the sample
 * @returns pixel values `x` and their neighbours `y`
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { correlationScatter } from "./correlation.ts";
 * const s = correlationScatter(medImage(new Uint8Array(100), 10, 10), "vertical", 20, 1);
 * console.log(s.x.length); // 20
 * ```
 */
export function correlationScatter(
  img: MedImage,
  dir: Direction,
  points = 2000,
  seed = 1,
): { x: number[]; y: number[] } {
  const [dx, dy] = offsets(dir);
  const pw = img.width - dx, total = pairCount(img.width, img.height, dir);
  const rng = new Rng(seed);
  const m = Math.min(points, total);
  const idx = m === total
    ? Array.from({ length: total }, (_, i) => i)
    : Array.from({ length: m }, () => rng.int(total));
  const x: number[] = [], y: number[] = [];
  for (const i of idx) {
    const px = i % pw, py = Math.floor(i / pw);
    x.push(img.data[py * img.width + px]);
    y.push(img.data[(py + dy) * img.width + px + dx]);
  }
  return { x, y };
}
