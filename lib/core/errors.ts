/**
 * Typed errors with messages a person can act on.
 *
 * Every error the library throws on bad input is a {@linkcode MedCryptError}: it names the file
 * (when there is one), says what was wrong, and carries a stable `code` that tests and the CLI use.
 *
 * @example Raising and catching a typed error
 * ```ts
 * import { MedCryptError } from "./errors.ts";
 * try {
 *   throw new MedCryptError("bad-format", "not an NPY file (magic bytes missing)", { file: "scan.npy" });
 * } catch (e) {
 *   if (e instanceof MedCryptError) console.log(e.code); // bad-format
 * }
 * ```
 * @module
 */

/** Options of a {@linkcode MedCryptError}. */
export interface MedCryptErrorOptions {
  /** The file the problem is in, if any; it prefixes the message as `` `file`: ``. */
  file?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error caused by bad input or a failed check, with a stable machine-readable `code`.
 *
 * @example
 * ```ts
 * import { MedCryptError } from "./errors.ts";
 * const e = new MedCryptError("truncated", "file ends after 12 of 128 header bytes", { file: "a.npy" });
 * console.log(e.message); // "`a.npy`: file ends after 12 of 128 header bytes"
 * ```
 */
export class MedCryptError extends Error {
  /** A short stable identifier such as `"truncated"` or `"auth-failed"`. */
  readonly code: string;
  /** The file the problem is in, if any. */
  readonly file?: string;

  /**
   * @param code stable identifier of the kind of failure
   * @param detail what was wrong, in words (without the file name)
   * @param options the file concerned and the cause
   */
  constructor(code: string, detail: string, options: MedCryptErrorOptions = {}) {
    super(options.file ? `\`${options.file}\`: ${detail}` : detail, { cause: options.cause });
    this.name = "MedCryptError";
    this.code = code;
    this.file = options.file;
  }
}

/**
 * Returns a copy of `error` that names `file`, or `error` itself when it already names one.
 *
 * @param error the error to annotate
 * @param file the file being read or written
 * @returns a {@linkcode MedCryptError} naming the file
 * @example
 * ```ts
 * import { MedCryptError, withFile } from "./errors.ts";
 * const e = withFile(new MedCryptError("truncated", "too short"), "x.png");
 * console.log(e.message); // "`x.png`: too short"
 * ```
 */
export function withFile(error: unknown, file: string): MedCryptError {
  if (error instanceof MedCryptError) {
    return error.file
      ? error
      : new MedCryptError(error.code, error.message, { file, cause: error.cause });
  }
  const msg = error instanceof Error ? error.message : String(error);
  return new MedCryptError("io", msg, { file, cause: error });
}
