/**
 * Paper A's diagnostic session end to end, for each protection method (plaintext, AES, AES+RSA,
 * CKKS): what is stored, what travels, and what each party in the threat model can see.
 *
 * @example
 * ```ts
 * import { METHODS, POSITIONS } from "./mod.ts";
 * console.log(METHODS.length, POSITIONS.length > 0); // 4 true
 * ```
 * @module
 */
export * from "./session.ts";
