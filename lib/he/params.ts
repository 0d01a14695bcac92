/**
 * CKKS parameter presets that SEAL validates at 128-bit security (`SecLevelType.tc128`, the
 * HomomorphicEncryption.org standard table: at most 109, 218 and 438 coefficient-modulus bits for
 * N = 4096, 8192, 16384), and the SEAL context built from them.
 *
 * A preset's `coeffBits` are `[q0, q1 … qL, P]`: `q0` holds the result, `q1…qL` are the primes
 * dropped by rescaling (one per multiplicative level, each close to the scale), and `P` is the
 * special prime used by key switching. So a preset supports a multiplicative depth of
 * `coeffBits.length - 2`. `P` is never smaller than any `qi`: key-switching noise grows like
 * `qi / P`, and a small `P` makes rotations useless (measured: with `q0` of 27 bits and `P` of 22
 * bits at Δ = 2^20, a rotation added errors of about 1 to values of size 5).
 *
 * @example
 * ```ts
 * import { PRESETS, presetDepth } from "./params.ts";
 * console.log(PRESETS["ckks-8192-d5"].polyModulusDegree, presetDepth(PRESETS["ckks-8192-d5"])); // 8192 5
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { MedCryptError } from "../core/errors.ts";
import { type Seal, sealErrorText } from "./seal.ts";
import type { SEALContext } from "node-seal";

/** CKKS parameters: recorded with every result. */
export interface HeParams {
  /** Preset name. */
  readonly name: string;
  /** Polynomial modulus degree N (slots = N/2). */
  readonly polyModulusDegree: number;
  /** Bit sizes of the coefficient-modulus primes `[q0, q1 … qL, P]`. */
  readonly coeffBits: readonly number[];
  /** log2 of the CKKS scale Δ used to encode inputs. */
  readonly logScale: number;
  /** The security level SEAL checks (always 128 here). */
  readonly securityBits: 128;
}

/** The named presets. */
export const PRESETS: Readonly<Record<string, HeParams>> = Object.freeze({
  /** Small and fast: depth 3 at Δ = 2^20 (tests of the machinery). */
  "ckks-4096-d3": {
    name: "ckks-4096-d3",
    polyModulusDegree: 4096,
    coeffBits: [24, 20, 20, 20, 25],
    logScale: 20,
    securityBits: 128,
  },
  /** The default for the HE-friendly CNN: depth 5 at Δ = 2^28, 218 bits. */
  "ckks-8192-d5": {
    name: "ckks-8192-d5",
    polyModulusDegree: 8192,
    coeffBits: [38, 28, 28, 28, 28, 28, 40],
    logScale: 28,
    securityBits: 128,
  },
  /** SEAL's textbook example shape: depth 3 at Δ = 2^40 (too shallow for the CNN). */
  "ckks-8192-d3": {
    name: "ckks-8192-d3",
    polyModulusDegree: 8192,
    coeffBits: [48, 40, 40, 40, 50],
    logScale: 40,
    securityBits: 128,
  },
  /** Deeper and more precise: depth 7 at Δ = 2^40, 400 bits. */
  "ckks-16384-d7": {
    name: "ckks-16384-d7",
    polyModulusDegree: 16384,
    coeffBits: [60, 40, 40, 40, 40, 40, 40, 40, 60],
    logScale: 40,
    securityBits: 128,
  },
});

/**
 * @param p parameters
 * @returns the multiplicative depth they support (`coeffBits.length - 2`)
 * @example
 * ```ts
 * import { PRESETS, presetDepth } from "./params.ts";
 * console.log(presetDepth(PRESETS["ckks-4096-d3"])); // 3
 * ```
 */
export function presetDepth(p: HeParams): number {
  return p.coeffBits.length - 2;
}

/**
 * Looks a preset up by name.
 *
 * @param name e.g. `"ckks-8192-d5"`
 * @returns the preset
 * @example
 * ```ts
 * import { preset } from "./params.ts";
 * console.log(preset("ckks-8192-d5").logScale); // 28
 * ```
 */
export function preset(name: string): HeParams {
  const p = PRESETS[name];
  if (!p) {
    throw new MedCryptError(
      "usage",
      `no CKKS preset named '${name}'; have: ${Object.keys(PRESETS).join(", ")}`,
    );
  }
  return p;
}

/** A SEAL context with the values derived from it. */
export interface HeContext {
  /** The parameters. */
  readonly params: HeParams;
  /** The SEAL context (owned: call {@linkcode HeContext.delete}). */
  readonly context: SEALContext;
  /** SHA-256 (hex, 16 chars) of SEAL's serialized encryption parameters: the context's identity. */
  readonly contextId: string;
  /** The actual primes `q0 … qL` (without the special prime), as numbers. */
  readonly primes: readonly number[];
  /** Slots per ciphertext (N/2). */
  readonly slots: number;
  /** Frees the SEAL objects. */
  delete(): void;
}

/**
 * Builds the SEAL CKKS context of `params` and checks that SEAL accepts it at 128-bit security.
 *
 * @param seal the SEAL module
 * @param params the parameters
 * @returns the context
 * @example
 * ```ts
 * import { loadSeal } from "./seal.ts";
 * import { makeContext, PRESETS } from "./params.ts";
 * const ctx = makeContext(await loadSeal(), PRESETS["ckks-4096-d3"]);
 * console.log(ctx.slots, ctx.primes.length); // 2048 4
 * ctx.delete();
 * ```
 */
export function makeContext(seal: Seal, params: HeParams): HeContext {
  const parms = new seal.EncryptionParameters(seal.SchemeType.ckks);
  const bits = seal.CoeffModulus.Create(
    params.polyModulusDegree,
    Int32Array.from(params.coeffBits),
  );
  try {
    parms.setPolyModulusDegree(params.polyModulusDegree);
    parms.setCoeffModulus(bits);
    const context = new seal.SEALContext(parms, true, seal.SecLevelType.tc128);
    if (!context.parametersSet()) {
      context.delete();
      throw new MedCryptError(
        "he-bad-params",
        `SEAL rejects preset ${params.name} (N=${params.polyModulusDegree}, moduli ${
          params.coeffBits.join("+")
        } bits) at 128-bit security`,
      );
    }
    const ser = parms.saveToArray(seal.ComprModeType.none) as Uint8Array;
    const contextId = createHash("sha256").update(ser).digest("hex").slice(0, 16);
    const primes: number[] = [];
    const vec = parms.coeffModulus();
    for (let i = 0; i < vec.size() - 1; i++) {
      const m = vec.get(i)!;
      primes.push(Number(m.value()));
      m.delete();
    }
    vec.delete();
    return {
      params,
      context,
      contextId,
      primes,
      slots: params.polyModulusDegree / 2,
      delete() {
        context.delete();
      },
    };
  } catch (e) {
    if (e instanceof MedCryptError) throw e;
    throw new MedCryptError("he-bad-params", `SEAL: ${sealErrorText(e)}`, { cause: e });
  } finally {
    parms.delete();
    bits.delete();
  }
}
