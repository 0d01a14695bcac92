/**
 * The statistical tests of one cipher image in one call, and the flat metric record of a
 * (plain, cipher) pair that the `cipher-metrics` CLI prints.
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { pairMetrics } from "./suite.ts";
 * const plain = medImage(new Uint8Array([0, 1, 2, 3]), 2, 2);
 * const cipher = medImage(new Uint8Array([255, 254, 253, 252]), 2, 2);
 * console.log(pairMetrics(plain, cipher).npcr); // 100
 * ```
 * @module
 */
import type { MedImage } from "../image/types.ts";
import { MedCryptError } from "../core/errors.ts";
import { chiSquareUniform, type UniformityTest, uniformityTest } from "./histogram.ts";
import {
  type EntropyTest,
  entropyTest,
  type LocalEntropyParams,
  localEntropyTest,
  shannonEntropy,
} from "./entropy.ts";
import { correlations, type CorrelationTest, correlationTests } from "./correlation.ts";
import { npcr, uaci } from "./differential.ts";

/** The statistical tests of one cipher image. */
export interface CipherImageTests {
  /** Bit depth the image was judged at. */
  bits: number;
  /** Pixels. */
  pixels: number;
  /** χ² uniformity. */
  uniformity: UniformityTest;
  /** Global entropy. */
  entropy: EntropyTest;
  /** Local entropy (Wu et al. 2013). */
  localEntropy: EntropyTest & LocalEntropyParams;
  /** Adjacent-pixel correlation, three directions. */
  correlation: CorrelationTest[];
}

/**
 * Runs the histogram, entropy, local-entropy and correlation tests on a cipher image at its bit
 * depth.
 *
 * @param cipher the cipher image
 * @param alphas significance levels
 * @param options seed of local entropy's block choice
 * @returns every test's value and verdict per α
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { cipherImageTests } from "./suite.ts";
 * const t = cipherImageTests(medImage(new Uint8Array(4096), 64, 64));
 * console.log(t.entropy.pass["0.05"], t.uniformity.pass["0.05"]); // false false
 * ```
 */
export function cipherImageTests(
  cipher: MedImage,
  alphas: readonly number[] = [0.05, 0.01, 0.001],
  options: { seed?: number } = {},
): CipherImageTests {
  return {
    bits: cipher.bitDepth,
    pixels: cipher.data.length,
    uniformity: uniformityTest(cipher, alphas),
    entropy: entropyTest(cipher, alphas),
    localEntropy: localEntropyTest(cipher, alphas, { seed: options.seed }),
    correlation: correlationTests(cipher, alphas),
  };
}

/** The metric record of a (plain, cipher) pair printed by `cipher-metrics --json`. */
export interface PairMetrics {
  /** The container's bit depth: 8 for 8-bit data, 16 for 9–16-bit data. */
  bitDepth: 8 | 16;
  /** Shannon entropy (bits) of the cipher image over 2^bitDepth bins. */
  entropy: number;
  /** Pearson's χ² of the cipher image's histogram against the uniform one over 2^bitDepth bins. */
  chiSquare: number;
  /** Adjacent-pixel correlation of the cipher image over all pairs (null for a constant image). */
  correlation: { horizontal: number | null; vertical: number | null; diagonal: number | null };
  /** NPCR between the two images, percent. */
  npcr: number;
  /** UACI between the two images, percent, normalised by 2^bitDepth − 1. */
  uaci: number;
}

/**
 * The CLI's metric record for any same-size (plain, cipher) pair, judged at the container's bit
 * depth (8 when both images are ≤ 8-bit, else 16).
 *
 * @param plain the plain image
 * @param cipher the cipher image
 * @returns the record
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { pairMetrics } from "./suite.ts";
 * const p = medImage(new Uint16Array([0, 0]), 2, 1), c = medImage(new Uint16Array([65535, 0]), 2, 1);
 * console.log(pairMetrics(p, c).bitDepth, pairMetrics(p, c).uaci); // 16 50
 * ```
 */
export function pairMetrics(plain: MedImage, cipher: MedImage): PairMetrics {
  if (plain.width !== cipher.width || plain.height !== cipher.height) {
    throw new MedCryptError(
      "size-mismatch",
      `plain image is ${plain.width}×${plain.height} but cipher image is ${cipher.width}×${cipher.height}`,
    );
  }
  const bitDepth: 8 | 16 = plain.bitDepth <= 8 && cipher.bitDepth <= 8 ? 8 : 16;
  const c = correlations(cipher);
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    bitDepth,
    entropy: shannonEntropy(cipher, { bits: bitDepth }),
    chiSquare: chiSquareUniform(cipher, { bits: bitDepth }).statistic,
    correlation: {
      horizontal: finite(c.horizontal),
      vertical: finite(c.vertical),
      diagonal: finite(c.diagonal),
    },
    npcr: npcr(plain, cipher),
    uaci: uaci(plain, cipher, { bits: bitDepth }),
  };
}
