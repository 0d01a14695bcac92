/**
 * Shared plumbing: typed errors, atomic file output, seeded randomness, progress and provenance.
 *
 * @example
 * ```ts
 * import { MedCryptError, Rng, provenance } from "./mod.ts";
 * const e = new MedCryptError("empty", "no pixels", { file: "a.png" });
 * console.log(new Rng(1).int(10) < 10, provenance().deno.length > 0); // true true
 * console.log(e.code, e.message); // "empty" "`a.png`: no pixels"
 * ```
 * @module
 */
export * from "./errors.ts";
export * from "./bytes.ts";
export * from "./aes_gcm.ts";
export * from "./fs.ts";
export * from "./memory.ts";
export * from "./random.ts";
export * from "./progress.ts";
export * from "./provenance.ts";
