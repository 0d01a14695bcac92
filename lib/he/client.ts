/**
 * The HE client: key generation, encoding + encryption of images, decryption + decoding of the
 * server's encrypted logits. The secret key lives in a private field of {@linkcode HeClient}; what
 * leaves the client is a {@linkcode PublicEvaluationKeys} bundle and ciphertexts.
 *
 * @example
 * ```ts
 * import { HeClient } from "./client.ts";
 * import { clientSpec } from "./spec.ts";
 * import { PRESETS } from "./params.ts";
 * import { tinyModel } from "./model.ts";
 * const params = PRESETS["ckks-4096-d3"];
 * const spec = clientSpec(tinyModel(1), params);
 * const client = await HeClient.create(params);
 * const keys = client.evaluationKeys(spec.rotations);
 * console.log(keys.galoisSteps.length === spec.rotations.length); // true
 * client.delete();
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname, extname, join } from "node:path";
import type {
  CKKSEncoder,
  Decryptor,
  Encryptor,
  KeyGenerator,
  PublicKey,
  SecretKey,
} from "node-seal";
import { MedCryptError } from "../core/errors.ts";
import type { MedImage } from "../image/types.ts";
import { type HeContext, type HeParams, makeContext } from "./params.ts";
import { packImage } from "./plan.ts";
import { preprocess } from "./model.ts";
import type {
  EncryptedQuery,
  EncryptedResult,
  PublicEvaluationKeys,
  SecretKeyBytes,
} from "./protocol.ts";
import { loadSeal, type Seal, sealErrorText } from "./seal.ts";
import type { ClientSpec } from "./spec.ts";

/** Serialization compression of ciphertexts and keys. */
export type Compression = "none" | "zstd";

/** Sizes in bytes of the serialized keys. */
export interface KeySizes {
  /** Public key. */
  publicKey: number;
  /** Relinearization keys. */
  relinKeys: number;
  /** Galois keys (only the model's steps). */
  galoisKeys: number;
  /** Secret key (never sent; for reference). */
  secretKey: number;
}

/** A path as a shell word: unchanged when it is safe to paste, else single-quoted. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * What to do about an image the model cannot take: rerun with `--resize`, or make a copy with the
 * `resize` command, beside the input and named after it when `name` is a file (the service passes
 * descriptions such as "the uploaded image", which get placeholders).
 */
function resizeHint(name: string | undefined, w: number, h: number): string {
  const size = w === h ? `${w}` : `${w}x${h}`;
  const isFile = name !== undefined && (name.includes("/") || extname(name) !== "");
  const files = isFile
    ? `${shellWord(name)} ${
      shellWord(join(dirname(name), `${basename(name, extname(name))}-${size}.png`))
    }`
    : `IMAGE COPY.png`;
  return `rerun with \`--resize\` (it resizes to ${w}×${h} and converts to 8-bit), or make a ${w}×${h} 8-bit copy with \`deno task medcrypt resize ${files} --size ${size} --method area --depth 8\``;
}

/**
 * Checks an image against the model's input and scales it to `[0, 1]`.
 *
 * @param img an 8-bit grey image of the model's size
 * @param spec the client spec
 * @param name the file name for messages
 * @returns the `rows*cols` values
 * @example
 * ```ts
 * import { imageToInput } from "./client.ts";
 * import { medImage } from "../image/types.ts";
 * const spec = { inputShape: [2, 2] as const, inputNorm: "unit" as const };
 * console.log(imageToInput(medImage(new Uint8Array([0, 255, 0, 0]), 2, 2), spec)[1]); // 1
 * ```
 */
export function imageToInput(
  img: MedImage,
  spec: Pick<ClientSpec, "inputShape" | "inputNorm">,
  name?: string,
): Float64Array {
  const [h, w] = spec.inputShape;
  if (img.width !== w || img.height !== h) {
    throw new MedCryptError(
      "bad-shape",
      `image is ${img.width}×${img.height}; the HE model takes ${w}×${h}: ${
        resizeHint(name, w, h)
      }`,
      { file: name },
    );
  }
  if (img.bitDepth !== 8 || !(img.data instanceof Uint8Array)) {
    throw new MedCryptError(
      "bad-bit-depth",
      `image has bit depth ${img.bitDepth}; the HE model was trained on 8-bit images (0..255): ${
        resizeHint(name, w, h)
      }`,
      { file: name },
    );
  }
  if (img.rescale && (img.rescale.slope !== 1 || img.rescale.intercept !== 0)) {
    throw new MedCryptError(
      "bad-values",
      `image values were mapped into 0..${
        2 ** img.bitDepth - 1
      } from another range (slope ${img.rescale.slope}, intercept ${img.rescale.intercept}, e.g. signed data); the HE model takes unsigned 8-bit pixels as stored: ${
        resizeHint(name, w, h)
      }`,
      { file: name },
    );
  }
  return preprocess(img.data, spec.inputNorm);
}

/**
 * The largest magnitude a preprocessed input can have: 1 for pixels scaled to 0..1, and
 * √(pixels) for per-image standardisation (no z-score of n values exceeds √(n − 1)).
 *
 * @param pixels values per input
 * @returns the bound the client enforces before encrypting
 * @example
 * ```ts
 * import { inputBound } from "./client.ts";
 * console.log(inputBound(784)); // 28.000000028
 * ```
 */
export function inputBound(pixels: number): number {
  return Math.max(1, Math.sqrt(pixels)) * (1 + 1e-9);
}

/** The client: owns the secret key. */
export class HeClient {
  /** The parameters. */
  readonly params: HeParams;
  /** Context identity. */
  readonly contextId: string;
  /** Key identity (hash of the public key). */
  readonly keyId: string;
  /** Compression of what the client sends. */
  readonly compression: Compression;
  /**
   * Whether query ciphertexts are seeded (half the bytes, but the server must regenerate the
   * random half from the seed when loading: measured about 10× slower to load).
   */
  readonly seeded: boolean;
  readonly #seal: Seal;
  readonly #ctx: HeContext;
  readonly #kg: KeyGenerator;
  readonly #sk: SecretKey;
  readonly #pk: PublicKey;
  readonly #pkBytes: Uint8Array;
  readonly #enc: Encryptor;
  readonly #dec: Decryptor;
  readonly #encoder: CKKSEncoder;
  #galoisBytes = 0;
  #relinBytes = 0;

  private constructor(seal: Seal, ctx: HeContext, compression: Compression, seeded: boolean) {
    this.#seal = seal;
    this.#ctx = ctx;
    this.params = ctx.params;
    this.contextId = ctx.contextId;
    this.compression = compression;
    this.seeded = seeded;
    this.#kg = new seal.KeyGenerator(ctx.context);
    this.#sk = this.#kg.secretKey();
    this.#pk = this.#kg.createPublicKey();
    this.#pkBytes = this.#pk.saveToArray(this.#mode()) as Uint8Array;
    this.keyId = createHash("sha256").update(this.#pkBytes).digest("hex").slice(0, 16);
    this.#enc = new seal.Encryptor(ctx.context, this.#pk, this.#sk);
    this.#dec = new seal.Decryptor(ctx.context, this.#sk);
    this.#encoder = new seal.CKKSEncoder(ctx.context);
  }

  #mode() {
    return this.compression === "zstd"
      ? this.#seal.ComprModeType.zstd
      : this.#seal.ComprModeType.none;
  }

  /**
   * Makes a client with a fresh key pair.
   *
   * @param params CKKS parameters
   * @param options serialization compression (default `"none"`: zstd shrinks keys and queries
   * ~1.7× but costs ~15 ms per N=8192 ciphertext each way, most of a query's latency) and seeded
   * ciphertexts (default true)
   * @returns the client
   * @example
   * ```ts
   * import { HeClient } from "./client.ts";
   * import { PRESETS } from "./params.ts";
   * const c = await HeClient.create(PRESETS["ckks-4096-d3"]);
   * console.log(c.keyId.length); // 16
   * c.delete();
   * ```
   */
  static async create(
    params: HeParams,
    options: { compression?: Compression; seeded?: boolean } = {},
  ): Promise<HeClient> {
    const seal = await loadSeal();
    return new HeClient(
      seal,
      makeContext(seal, params),
      options.compression ?? "none",
      options.seeded ?? true,
    );
  }

  /**
   * The bundle for the server: public, relinearization and Galois keys for exactly `steps`.
   *
   * @param steps rotation steps (from {@linkcode ClientSpec.rotations})
   * @returns the bundle (no secret key)
   * @example
   * ```ts
   * import { HeClient } from "./client.ts";
   * import { PRESETS } from "./params.ts";
   * const c = await HeClient.create(PRESETS["ckks-4096-d3"]);
   * console.log(c.evaluationKeys([1, 2]).galoisSteps); // [1, 2]
   * c.delete();
   * ```
   */
  evaluationKeys(steps: readonly number[]): PublicEvaluationKeys {
    const rk = this.#kg.createRelinKeysSerializable();
    const gk = this.#kg.createGaloisKeysSerializableWithSteps(
      Int32Array.from(steps.length ? steps : [1]),
    );
    try {
      const relinKeys = rk.saveToArray(this.#mode()) as Uint8Array;
      const galoisKeys = gk.saveToArray(this.#mode()) as Uint8Array;
      this.#relinBytes = relinKeys.length;
      this.#galoisBytes = galoisKeys.length;
      return {
        kind: "he-public-keys",
        params: this.params,
        contextId: this.contextId,
        keyId: this.keyId,
        publicKey: this.#pkBytes,
        relinKeys,
        galoisKeys,
        galoisSteps: [...(steps.length ? steps : [1])],
      } as unknown as PublicEvaluationKeys;
    } finally {
      rk.delete();
      gk.delete();
    }
  }

  /**
   * @returns serialized key sizes (relin/Galois after {@linkcode HeClient.evaluationKeys})
   * @example
   * ```ts
   * import { HeClient } from "./client.ts";
   * import { PRESETS } from "./params.ts";
   * const c = await HeClient.create(PRESETS["ckks-4096-d3"]);
   * console.log(c.keySizes().publicKey > 0); // true
   * c.delete();
   * ```
   */
  keySizes(): KeySizes {
    return {
      publicKey: this.#pkBytes.length,
      relinKeys: this.#relinBytes,
      galoisKeys: this.#galoisBytes,
      secretKey: this.exportSecretKey().length,
    };
  }

  /**
   * The serialized secret key, to keep at the client (it is typed so that it cannot be put in a
   * {@linkcode PublicEvaluationKeys}).
   *
   * @returns the bytes
   * @example
   * ```ts
   * import { HeClient } from "./client.ts";
   * import { PRESETS } from "./params.ts";
   * const c = await HeClient.create(PRESETS["ckks-4096-d3"]);
   * console.log(c.exportSecretKey().length > 0); // true
   * c.delete();
   * ```
   */
  exportSecretKey(): SecretKeyBytes {
    return this.#sk.saveToArray(this.#mode()) as SecretKeyBytes;
  }

  #encrypt(values: Float64Array): Uint8Array {
    const pt = new this.#seal.Plaintext();
    try {
      this.#encoder.encode(values, 2 ** this.params.logScale, pt);
      // symmetric (secret-key) encryption: the client owns the key; about twice as fast as
      // public-key encryption, and it can be seeded (half the size of a public-key ciphertext)
      if (this.seeded) {
        const sc = this.#enc.encryptSymmetricSerializable(pt);
        try {
          return sc.saveToArray(this.#mode()) as Uint8Array;
        } finally {
          sc.delete();
        }
      }
      const ct = new this.#seal.Ciphertext();
      try {
        this.#enc.encryptSymmetric(pt, ct);
        return ct.saveToArray(this.#mode()) as Uint8Array;
      } finally {
        ct.delete();
      }
    } finally {
      pt.delete();
    }
  }

  /**
   * Encrypts images one per ciphertext group (latency mode), packed as the spec says.
   *
   * @param spec the client spec of the model
   * @param inputs per image, `rows*cols` values in `[0,1]` (see {@linkcode imageToInput})
   * @returns the query
   * @example
   * ```ts
   * import { clientSpec, HeClient, imageToInput, PRESETS, tinyModel } from "./mod.ts";
   * import { medImage } from "../image/types.ts";
   * const params = PRESETS["ckks-4096-d3"];
   * const spec = clientSpec(tinyModel(1), params); // a 4×4-input model
   * const client = await HeClient.create(params);
   * const img = medImage(new Uint8Array(16).map((_, i) => i * 10), 4, 4);
   * const q = client.encryptSingle(spec, [imageToInput(img, spec)]);
   * console.log(q.mode, q.count, q.ciphertexts.length); // single 1 1
   * client.delete();
   * ```
   */
  encryptSingle(spec: ClientSpec, inputs: readonly Float64Array[]): EncryptedQuery {
    const cts: Uint8Array[] = [];
    for (const x of inputs) {
      this.#checkInput(spec, x);
      for (const v of packImage(spec.packing, x, this.#ctx.slots)) cts.push(this.#encrypt(v));
    }
    return {
      kind: "he-query",
      mode: "single",
      contextId: this.contextId,
      keyId: this.keyId,
      count: inputs.length,
      ciphertexts: cts,
    };
  }

  /**
   * Encrypts up to `slots` images across the slots (batch mode): ciphertext `p` holds pixel `p`
   * of every image.
   *
   * @param spec the client spec
   * @param inputs per image, `rows*cols` values in `[0,1]`
   * @returns the query
   * @example
   * ```ts
   * import { clientSpec, HeClient, PRESETS, tinyModel } from "./mod.ts";
   * const params = PRESETS["ckks-4096-d3"];
   * const spec = clientSpec(tinyModel(1), params); // a 4×4-input model
   * const client = await HeClient.create(params);
   * const inputs = [0, 1, 2].map((k) => Float64Array.from({ length: 16 }, (_, i) => (i + k) / 32));
   * const q = client.encryptBatch(spec, inputs);
   * console.log(q.mode, q.count, q.ciphertexts.length); // batch 3 16 (one ciphertext per pixel)
   * client.delete();
   * ```
   */
  encryptBatch(spec: ClientSpec, inputs: readonly Float64Array[]): EncryptedQuery {
    const slots = this.#ctx.slots;
    if (inputs.length < 1 || inputs.length > slots) {
      throw new MedCryptError(
        "usage",
        `a batch holds 1..${slots} images (one per slot), got ${inputs.length}`,
      );
    }
    for (const x of inputs) this.#checkInput(spec, x);
    const px = spec.inputShape[0] * spec.inputShape[1];
    const v = new Float64Array(slots);
    const cts: Uint8Array[] = [];
    for (let p = 0; p < px; p++) {
      for (let i = 0; i < inputs.length; i++) v[i] = inputs[i][p];
      cts.push(this.#encrypt(v));
    }
    return {
      kind: "he-query",
      mode: "batch",
      contextId: this.contextId,
      keyId: this.keyId,
      count: inputs.length,
      ciphertexts: cts,
    };
  }

  #checkInput(spec: ClientSpec, x: Float64Array) {
    const px = spec.inputShape[0] * spec.inputShape[1];
    if (x.length !== px) {
      throw new MedCryptError(
        "bad-shape",
        `an input has ${x.length} values, the model takes ${px}`,
      );
    }
    // CKKS encodes values at a fixed scale: NaN and ±Infinity break the encoder, and values far
    // outside the trained range overflow the modulus into a confident garbage diagnosis.
    const bound = inputBound(px);
    for (let i = 0; i < px; i++) {
      if (!(Math.abs(x[i]) <= bound)) {
        throw new MedCryptError(
          "bad-input",
          `input value ${i} is ${x[i]}; inputs must be finite numbers within ±${+bound.toFixed(
            3,
          )} (what preprocessing produces)`,
        );
      }
    }
  }

  /**
   * Decrypts and decodes the server's result.
   *
   * @param result the encrypted logits
   * @returns `count * classes` logits, image-major
   * @example
   * ```ts
   * import { clientSpec, HeClient, heFriendlyPredictPlain, HeServer } from "./mod.ts";
   * import { PRESETS, tinyModel } from "./mod.ts";
   * const model = tinyModel(1), params = PRESETS["ckks-8192-d3"];
   * const spec = clientSpec(model, params);
   * const client = await HeClient.create(params);
   * const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
   * const img = new Uint8Array(16).map((_, i) => i * 10);
   * const query = client.encryptSingle(spec, [Float64Array.from(img, (v) => v / 255)]);
   * const logits = client.decrypt(await server.evaluate(query));
   * const plain = heFriendlyPredictPlain(model, img);
   * console.log(logits.length); // 2 (one image × two classes)
   * console.log(logits.every((v, c) => Math.abs(v - plain[c]) < 1e-2)); // true (small noise)
   * server.delete();
   * client.delete();
   * ```
   */
  decrypt(result: EncryptedResult): Float64Array {
    if (result.kind !== "he-result") {
      throw new MedCryptError("he-bad-message", "not an encrypted result");
    }
    if (result.contextId !== this.contextId || result.keyId !== this.keyId) {
      throw new MedCryptError(
        "he-wrong-key",
        `the result was computed for key ${result.keyId} (context ${result.contextId}); this client holds key ${this.keyId} (context ${this.contextId})`,
      );
    }
    const { count, classes } = result;
    const out = new Float64Array(count * classes);
    const ct = new this.#seal.Ciphertext();
    const pt = new this.#seal.Plaintext();
    try {
      for (const [i, bytes] of result.ciphertexts.entries()) {
        try {
          ct.loadFromArray(this.#ctx.context, bytes);
        } catch (e) {
          throw new MedCryptError(
            "he-wrong-context",
            `result ciphertext ${i} is not from this context: ${sealErrorText(e)}`,
          );
        }
        this.#dec.decrypt(ct, pt);
        const v = this.#encoder.decodeFloat64(pt) as Float64Array;
        if (result.mode === "single") {
          for (let c = 0; c < classes; c++) out[i * classes + c] = v[c];
        } else {
          for (let k = 0; k < count; k++) out[k * classes + i] = v[k];
        }
      }
    } finally {
      ct.delete();
      pt.delete();
    }
    return out;
  }

  /** Frees the SEAL objects (the client cannot be used afterwards). */
  delete(): void {
    for (const o of [this.#enc, this.#dec, this.#encoder, this.#pk, this.#sk, this.#kg]) o.delete();
    this.#ctx.delete();
  }
}
