/**
 * The interface every payload engine implements (OpenSSL through FFI, `node:crypto`,
 * WebCrypto). Engines only run AES-GCM / AES-CBC / HMAC-SHA-256 from a well-tested library over
 * runs of chunks; the format logic lives in `envelope.ts`.
 *
 * @example
 * ```ts
 * import type { ChunkEngine } from "./_engine.ts";
 * const names: ChunkEngine["name"][] = ["openssl", "node", "webcrypto"];
 * console.log(names.length); // 3
 * ```
 * @module
 */
import type { ChunkRun, PayloadKeys } from "./_layout.ts";

/** Names of the payload engines. */
export type EngineName = "openssl" | "node" | "webcrypto";

/** A payload engine. */
export interface ChunkEngine {
  /** Its name. */
  readonly name: EngineName;
  /**
   * Encrypts a run of chunks: `src` holds exactly the run's plaintext, `dst` receives exactly its
   * ciphertext (sizes from `runSizes`).
   */
  seal(
    keys: PayloadKeys,
    chunkSize: number,
    run: ChunkRun,
    src: Uint8Array,
    dst: Uint8Array,
  ): Promise<void>;
  /**
   * Decrypts and verifies a run; `dst` receives exactly its plaintext.
   * @returns the index within the run of the first chunk that fails authentication, or -1
   */
  open(
    keys: PayloadKeys,
    chunkSize: number,
    run: ChunkRun,
    src: Uint8Array,
    dst: Uint8Array,
  ): Promise<number>;
}
