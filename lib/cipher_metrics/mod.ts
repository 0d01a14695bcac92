/**
 * Every number the image-cipher papers report, defined once and bit-depth aware (16-bit data is
 * first-class): histograms and χ² uniformity, global and local Shannon entropy against their
 * finite-sample expectations, adjacent-pixel correlation, NPCR/UACI with the Wu et al. 2011
 * critical values, PSNR/SSIM, plaintext and key sensitivity, speed and key space; plus the AES
 * reference ciphers (GCM, and CTR with a fixed nonce) behind the common `ImageCipher` interface.
 *
 * @example
 * ```ts
 * import { medImage } from "../image/types.ts";
 * import { npcrCritical, shannonEntropy, ssim } from "./mod.ts";
 * const img = medImage(new Uint8Array([0, 255, 0, 255]), 2, 2);
 * console.log(shannonEntropy(img), npcrCritical(65536, 8, 0.05).toFixed(4)); // 1 "99.5693"
 * console.log(ssim(img, img)); // 1
 * ```
 * @module
 */
export * from "../stats/special.ts";
export * from "./histogram.ts";
export * from "./entropy.ts";
export * from "./correlation.ts";
export * from "./differential.ts";
export * from "./similarity.ts";
export * from "./sensitivity.ts";
export * from "./suite.ts";
export * from "../ciphers/aes.ts";
export * from "../stats/classification.ts";
export * from "./robustness.ts";
