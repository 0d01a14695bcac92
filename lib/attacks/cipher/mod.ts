/**
 * Attacks on image ciphers: known-plaintext (keystream recovery and a trained tfjs network, with a
 * mean-image baseline), chosen-plaintext probes, and the differential attack on the textbook chaos
 * cipher.
 *
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { aesCtrFixedCipher } from "../../ciphers/aes.ts";
 * import { oracleOf, zeroImageProbe } from "./mod.ts";
 * const o = oracleOf(aesCtrFixedCipher(), "k");
 * const r = await zeroImageProbe(o, await o(medImage(new Uint8Array([9, 9, 9, 9]), 2, 2)), 8);
 * console.log(r.guess.data.join()); // "9,9,9,9"
 * ```
 * @module
 */
export * from "./known_plaintext.ts";
export * from "./chosen_plaintext.ts";
export * from "./header.ts";
export * from "./keystream.ts";
