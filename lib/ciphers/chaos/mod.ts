/**
 * Chaotic keys and the classic chaos image cipher: the logistic map and its analysis (Lyapunov
 * exponent, bifurcation data), the key schedule seeded by SHA-256 of the image and a user key,
 * key streams shaped like feature maps, and the permutation–diffusion baseline cipher.
 *
 * See `README.md` in this folder for how the decryptor obtains the image hash and for the
 * effective key space.
 *
 * @example
 * ```ts
 * import { chaosDecrypt, chaosEncrypt, lyapunovExponent } from "./mod.ts";
 * import { medImage } from "../../image/types.ts";
 * const { cipher, header } = await chaosEncrypt(medImage(new Uint8Array([5, 6, 7, 8]), 2, 2), "k");
 * console.log((await chaosDecrypt(cipher, header, "k")).data.join()); // 5,6,7,8
 * console.log(lyapunovExponent(4) > 0.6); // true (the logistic map at r = 4 is chaotic)
 * ```
 * @module
 */
export * from "./logistic.ts";
export * from "./keys.ts";
export * from "./classic.ts";
export type * from "../types.ts";
