/**
 * The learned reversible cipher's architecture, its parameters, and their file format.
 *
 * Two variants share one parameter file:
 * - **paper** (faithful to paper B, lossy): FEM (3×3 convolutions + residual blocks, downsampling
 *   by space-to-depth) → FFPM (fusion `G = frac(F + α ⊙ K₁)` with a learned, input-dependent
 *   α = sigmoid(dense(mean(F)))) → FFEM (two RevNet additive couplings on the torus, keyed) →
 *   cipher (depth-to-space); FFDM = the inverse couplings, un-fusion with α from the header, and a
 *   decoder (1×1 convolution, pixel shuffle, residual blocks, 3×3 convolution).
 * - **exact** (bit-exact): additive couplings on integer pixels modulo 2^bits; the coupling
 *   functions are small CNNs evaluated in fixed point at inference (`_fixed.ts`).
 *
 * A model file is `model.json` (architecture, tensor table, fingerprint) + `weights.bin`
 * (little-endian float32). The fingerprint (8 bytes of SHA-256 over the config and weights) is
 * written into every cipher header, so decrypting with another model is refused.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * const m = await initModel(DEFAULT_CONFIG, 1);
 * console.log(m.id.length, m.tensors.size > 0); // 16 true
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { MedCryptError } from "../../core/errors.ts";
import { readFileChecked, writeFileAtomic } from "../../core/fs.ts";
import { Rng } from "../../core/random.ts";
import { sha256, toHex } from "../../core/bytes.ts";

/** Architecture hyper-parameters. */
export interface RevCipherConfig {
  /** Architecture identifier; a file with another one is refused. */
  arch: "revcipher/v1";
  /** Exact variant: coupling rounds, hidden channels of each coupling CNN, key channels. */
  exact: { rounds: number; hidden: number; keyChannels: number };
  /** Paper variant: feature channels, residual blocks, coupling hidden channels, key channels. */
  paper: { features: number; resBlocks: number; hidden: number; keyChannels: number };
}

/** The configuration of the shipped model (small: 64×64 trains in minutes on 2 cores). */
export const DEFAULT_CONFIG: RevCipherConfig = {
  arch: "revcipher/v1",
  exact: { rounds: 2, hidden: 4, keyChannels: 2 },
  paper: { features: 8, resBlocks: 1, hidden: 16, keyChannels: 2 },
};

/** A stored tensor. */
export interface StoredTensor {
  /** Shape. */
  shape: number[];
  /** Values. */
  data: Float32Array;
}

/** A model: configuration, named tensors, fingerprint. */
export interface RevCipherModel {
  /** Architecture. */
  config: RevCipherConfig;
  /** Named parameters. */
  tensors: Map<string, StoredTensor>;
  /** 16 hex digits: 8 bytes of SHA-256 over config and weights. */
  id: string;
  /** Training metadata (steps, losses, seed…), free-form. */
  meta: Record<string, unknown>;
}

/** Names and shapes of every parameter of a configuration. */
export function paramShapes(config: RevCipherConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const conv = (name: string, k: number, cin: number, cout: number) => {
    m.set(`${name}/w`, [k, k, cin, cout]);
    m.set(`${name}/b`, [cout]);
  };
  const { rounds, hidden, keyChannels } = config.exact;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 4; i++) {
      const p = `exact/r${r}/p${i}`;
      conv(`${p}/c0`, 3, 3 + keyChannels, hidden);
      conv(`${p}/c1`, 3, hidden, hidden);
      conv(`${p}/c2`, 3, hidden, 1);
    }
  }
  const P = config.paper, c = P.features;
  conv("paper/fem/in", 3, 1, c);
  for (let j = 0; j < P.resBlocks; j++) {
    conv(`paper/fem/rb${j}/c1`, 3, c, c);
    conv(`paper/fem/rb${j}/c2`, 3, c, c);
  }
  conv("paper/fem/out", 1, 4 * c, 4);
  m.set("paper/ffpm/alpha/w", [4, 4]);
  m.set("paper/ffpm/alpha/b", [4]);
  for (const f of ["phi", "psi"]) {
    conv(`paper/ffem/${f}/c0`, 3, 4 + P.keyChannels, P.hidden);
    conv(`paper/ffem/${f}/c1`, 3, P.hidden, 2);
  }
  conv("paper/ffdm/in", 1, 8, 4 * c);
  for (let j = 0; j < P.resBlocks; j++) {
    conv(`paper/ffdm/rb${j}/c1`, 3, c, c);
    conv(`paper/ffdm/rb${j}/c2`, 3, c, c);
  }
  conv("paper/ffdm/out", 3, c, 1);
  return m;
}

async function fingerprint(config: RevCipherConfig, tensors: Map<string, StoredTensor>) {
  const parts: Uint8Array[] = [new TextEncoder().encode(JSON.stringify(config))];
  for (const name of [...tensors.keys()].sort()) {
    parts.push(new TextEncoder().encode(name));
    const d = tensors.get(name)!.data;
    parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return toHex((await sha256(all)).slice(0, 8));
}

/**
 * A freshly initialised model (He-normal weights from a seeded generator, zero biases; the last
 * layer of each coupling CNN is scaled down so training starts near the identity).
 *
 * @param config the architecture
 * @param seed the seed
 * @returns the model
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, initModel } from "./model.ts";
 * console.log((await initModel(DEFAULT_CONFIG, 2)).tensors.has("paper/fem/in/w")); // true
 * ```
 */
export async function initModel(config: RevCipherConfig, seed: number): Promise<RevCipherModel> {
  const rng = new Rng(seed);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, shape] of paramShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith("/w")) {
      const fanIn = shape.length === 4 ? shape[0] * shape[1] * shape[2] : shape[0];
      const std = Math.sqrt(2 / fanIn) * (/\/c2\/w$|ffem\/.*\/c1\/w$/.test(name) ? 0.5 : 1);
      for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    }
    tensors.set(name, { shape, data });
  }
  return { config, tensors, id: await fingerprint(config, tensors), meta: { seed } };
}

/**
 * A model of `config` that takes every tensor of `from` whose name and shape fit and initialises
 * the rest (e.g. to retrain only the exact variant of a trained model with another width).
 *
 * @param from the source model
 * @param config the target architecture
 * @param seed seed of the fresh tensors
 * @returns the model and the names of the tensors that were initialised
 * @example
 * ```ts
 * import { adaptModel, DEFAULT_CONFIG, initModel } from "./model.ts";
 * const m = await initModel(DEFAULT_CONFIG, 1);
 * console.log((await adaptModel(m, DEFAULT_CONFIG, 2)).fresh.length); // 0
 * ```
 */
export async function adaptModel(
  from: RevCipherModel,
  config: RevCipherConfig,
  seed: number,
): Promise<{ model: RevCipherModel; fresh: string[] }> {
  const init = await initModel(config, seed);
  const fresh: string[] = [];
  for (const [name, t] of init.tensors) {
    const src = from.tensors.get(name);
    if (src && src.shape.join() === t.shape.join()) init.tensors.set(name, src);
    else fresh.push(name);
  }
  return { model: await modelFromTensors(config, init.tensors, { ...from.meta }), fresh };
}

/**
 * Rebuilds a model from tensors (e.g. after training), recomputing its fingerprint.
 *
 * @param config the architecture
 * @param tensors the parameters (checked against the architecture)
 * @param meta training metadata
 * @returns the model
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, initModel, modelFromTensors } from "./model.ts";
 * const m = await initModel(DEFAULT_CONFIG, 1);
 * console.log((await modelFromTensors(DEFAULT_CONFIG, m.tensors, {})).id === m.id); // true
 * ```
 */
export async function modelFromTensors(
  config: RevCipherConfig,
  tensors: Map<string, StoredTensor>,
  meta: Record<string, unknown>,
): Promise<RevCipherModel> {
  checkTensors(config, tensors, "model");
  return { config, tensors, id: await fingerprint(config, tensors), meta };
}

function checkTensors(config: RevCipherConfig, tensors: Map<string, StoredTensor>, file: string) {
  const shapes = paramShapes(config);
  for (const [name, shape] of shapes) {
    const t = tensors.get(name);
    if (!t) {
      throw new MedCryptError(
        "bad-model",
        `checkpoint has no tensor '${name}' (another architecture?)`,
        {
          file,
        },
      );
    }
    if (t.shape.join() !== shape.join()) {
      throw new MedCryptError(
        "bad-model",
        `tensor '${name}' is ${t.shape.join("×")}, the architecture needs ${shape.join("×")}`,
        { file },
      );
    }
  }
  for (const name of tensors.keys()) {
    if (!shapes.has(name)) {
      throw new MedCryptError("bad-model", `unexpected tensor '${name}' (another architecture?)`, {
        file,
      });
    }
  }
}

/**
 * Writes `model.json` + `weights.bin` into `dir` (atomically, file by file).
 *
 * @param dir the folder (created if missing)
 * @param model the model
 * @returns nothing
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, initModel, loadRevCipherModel, saveRevCipherModel } from "./model.ts";
 * const dir = await Deno.makeTempDir();
 * await saveRevCipherModel(dir, await initModel(DEFAULT_CONFIG, 1));
 * console.log((await loadRevCipherModel(dir)).config.arch); // "revcipher/v1"
 * ```
 */
export async function saveRevCipherModel(dir: string, model: RevCipherModel): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const names = [...model.tensors.keys()].sort();
  const total = names.reduce((n, k) => n + model.tensors.get(k)!.data.length, 0);
  const buf = new Float32Array(total);
  const table: { name: string; shape: number[]; offset: number }[] = [];
  let o = 0;
  for (const name of names) {
    const t = model.tensors.get(name)!;
    buf.set(t.data, o);
    table.push({ name, shape: t.shape, offset: o });
    o += t.data.length;
  }
  const bytes = new Uint8Array(buf.buffer);
  const manifest = {
    format: "medcrypt-revcipher-model/v1",
    config: model.config,
    id: model.id,
    weights: "weights.bin",
    weightsSha256: toHex(await sha256(bytes)),
    tensors: table,
    meta: model.meta,
  };
  await writeFileAtomic(join(dir, "weights.bin"), bytes);
  await writeFileAtomic(
    join(dir, "model.json"),
    new TextEncoder().encode(JSON.stringify(manifest, null, 1) + "\n"),
  );
}

/**
 * Reads a model folder written by {@linkcode saveRevCipherModel}; a file of another format or
 * architecture, or damaged weights, give a `MedCryptError` naming the file.
 *
 * @param dir the folder holding `model.json` and `weights.bin`
 * @returns the model
 * @example
 * ```ts
 * import { loadRevCipherModel } from "./model.ts";
 * try {
 *   await loadRevCipherModel("/nonexistent");
 * } catch (e) {
 *   console.log((e as Error).message.includes("model.json")); // true
 * }
 * ```
 */
export async function loadRevCipherModel(dir: string): Promise<RevCipherModel> {
  const mfile = join(dir, "model.json");
  let manifest: {
    format?: string;
    config?: RevCipherConfig;
    id?: string;
    weightsSha256?: string;
    tensors?: { name: string; shape: number[]; offset: number }[];
    meta?: Record<string, unknown>;
  };
  try {
    manifest = JSON.parse(new TextDecoder().decode(await readFileChecked(mfile)));
  } catch (e) {
    if (e instanceof MedCryptError) throw e;
    throw new MedCryptError("bad-model", `not JSON: ${(e as Error).message}`, { file: mfile });
  }
  if (manifest.format !== "medcrypt-revcipher-model/v1" || !manifest.config || !manifest.tensors) {
    throw new MedCryptError(
      "bad-model",
      `not a revcipher model (format '${manifest.format}'); expected medcrypt-revcipher-model/v1`,
      { file: mfile },
    );
  }
  if (manifest.config.arch !== "revcipher/v1") {
    throw new MedCryptError(
      "bad-model",
      `architecture '${manifest.config.arch}' is not revcipher/v1`,
      { file: mfile },
    );
  }
  const wfile = join(dir, "weights.bin");
  const bytes = await readFileChecked(wfile);
  if (toHex(await sha256(bytes)) !== manifest.weightsSha256) {
    throw new MedCryptError("bad-model", "weights do not match the SHA-256 in model.json", {
      file: wfile,
    });
  }
  if (bytes.length % 4 !== 0) {
    throw new MedCryptError("bad-model", "length is not a multiple of 4", { file: wfile });
  }
  const all = new Float32Array(bytes.slice().buffer);
  const tensors = new Map<string, StoredTensor>();
  for (const t of manifest.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset + n > all.length) {
      throw new MedCryptError("bad-model", `tensor '${t.name}' runs past the end`, { file: wfile });
    }
    tensors.set(t.name, { shape: t.shape, data: all.slice(t.offset, t.offset + n) });
  }
  checkTensors(manifest.config, tensors, mfile);
  const model = await modelFromTensors(manifest.config, tensors, manifest.meta ?? {});
  if (manifest.id && manifest.id !== model.id) {
    throw new MedCryptError("bad-model", `fingerprint ${model.id} ≠ recorded ${manifest.id}`, {
      file: mfile,
    });
  }
  return model;
}

/** The folder of the model that ships with the software. */
export const DEFAULT_MODEL_DIR: string = new URL("../../../data/models/revcipher/", import.meta.url)
  .pathname;

let defaultModel: Promise<RevCipherModel> | undefined;

/**
 * The shipped model (`data/models/revcipher/`), loaded once.
 *
 * @returns the model
 * @example
 * ```ts
 * import { loadDefaultModel } from "./model.ts";
 * console.log((await loadDefaultModel()).config.arch); // "revcipher/v1"
 * ```
 */
export function loadDefaultModel(): Promise<RevCipherModel> {
  defaultModel ??= loadRevCipherModel(DEFAULT_MODEL_DIR).catch((e) => {
    defaultModel = undefined;
    throw e;
  });
  return defaultModel;
}

// ---------------------------------------------------------------- tfjs building blocks

/** tfjs variables or constants of a model, by name. */
export type TensorParams = Map<string, tf.Tensor>;

/** The model's parameters as tfjs tensors (variables when `trainable`). */
export function toTfParams(model: RevCipherModel, trainable = false): TensorParams {
  const m: TensorParams = new Map();
  for (const [name, t] of model.tensors) {
    const x = tf.tensor(t.data, t.shape);
    m.set(name, trainable ? tf.variable(x, true, `rc/${name}`) : x);
    if (trainable) x.dispose();
  }
  return m;
}

/** Conv layer from params: `name/w`, `name/b`, 'same' padding. */
export function convL(p: TensorParams, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const w = p.get(`${name}/w`) as tf.Tensor4D, b = p.get(`${name}/b`) as tf.Tensor1D;
  return tf.add(tf.conv2d(x, w, 1, "same"), b);
}

const s2dKernels = new Map<number, tf.Tensor4D>();
function s2dKernel(c: number): tf.Tensor4D {
  let k = s2dKernels.get(c);
  if (!k || k.isDisposed) {
    const data = new Float32Array(2 * 2 * c * 4 * c);
    for (let dy = 0; dy < 2; dy++) {
      for (let dx = 0; dx < 2; dx++) {
        for (let ch = 0; ch < c; ch++) {
          const out = (dy * 2 + dx) * c + ch;
          data[((dy * 2 + dx) * c + ch) * 4 * c + out] = 1;
        }
      }
    }
    k = tf.keep(tf.tensor4d(data, [2, 2, c, 4 * c]));
    s2dKernels.set(c, k);
  }
  return k;
}

/** Space-to-depth by 2 (`[B,H,W,C]` → `[B,H/2,W/2,4C]`, channel `(dy·2+dx)·C + c`), differentiable. */
export function spaceToDepth(x: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, s2dKernel(x.shape[3]), 2, "valid");
}

/** Depth-to-space by 2, the inverse of {@linkcode spaceToDepth} (pixel shuffle). */
export function depthToSpace(y: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c4] = y.shape, c = c4 / 4;
  return tf.conv2dTranspose(y, s2dKernel(c), [b, 2 * h, 2 * w, c], 2, "valid");
}

/** `x − ⌊x⌋` with gradient 1 (the torus ℝ/ℤ). */
export function frac(x: tf.Tensor): tf.Tensor {
  return tf.sub(x, tf.floor(x)); // tfjs gives floor a zero gradient
}

function torusEmbed(x: tf.Tensor4D): tf.Tensor4D {
  const a = tf.mul(x, 2 * Math.PI);
  return tf.concat([tf.sin(a), tf.cos(a)], 3) as tf.Tensor4D;
}

function resBlock(p: TensorParams, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const h = tf.relu(convL(p, `${name}/c1`, x));
  return tf.relu(tf.add(x, convL(p, `${name}/c2`, h)));
}

/** Key material of the paper variant for a batch, all `[B, h, w, ·]` in [0, 1). */
export interface PaperKeys {
  /** Fusion key, 4 channels. */
  k1: tf.Tensor4D;
  /** Key input of φ. */
  k2: tf.Tensor4D;
  /** Key input of ψ. */
  k3: tf.Tensor4D;
  /** Additive key of the couplings, 4 channels. */
  s: tf.Tensor4D;
}

/** FEM: image `[B,H,W,1]` in [0,1] → features `[B,H/2,W/2,4]` in (0,1). */
export function fem(p: TensorParams, cfg: RevCipherConfig, x: tf.Tensor4D): tf.Tensor4D {
  let h = tf.relu(convL(p, "paper/fem/in", x));
  for (let j = 0; j < cfg.paper.resBlocks; j++) h = resBlock(p, `paper/fem/rb${j}`, h);
  return tf.sigmoid(convL(p, "paper/fem/out", spaceToDepth(h)));
}

/** FFPM's input-dependent weight α `[B,4]` in (0,1). */
export function ffpmAlpha(p: TensorParams, f: tf.Tensor4D): tf.Tensor2D {
  const g = tf.mean(f, [1, 2]) as tf.Tensor2D;
  return tf.sigmoid(
    tf.add(tf.matMul(g, p.get("paper/ffpm/alpha/w") as tf.Tensor2D), p.get("paper/ffpm/alpha/b")!),
  ) as tf.Tensor2D;
}

function coupling(p: TensorParams, name: string, x: tf.Tensor4D, k: tf.Tensor4D): tf.Tensor4D {
  const h = tf.relu(convL(p, `${name}/c0`, tf.concat([torusEmbed(x), k], 3)));
  return convL(p, `${name}/c1`, h);
}

/** FFPM + FFEM: features and α → cipher `[B,H,W,1]` in [0,1). */
export function ffem(
  p: TensorParams,
  f: tf.Tensor4D,
  alpha: tf.Tensor2D,
  keys: PaperKeys,
): tf.Tensor4D {
  const [b] = f.shape;
  const g = frac(tf.add(f, tf.mul(alpha.reshape([b, 1, 1, 4]), keys.k1))) as tf.Tensor4D;
  const [ga, gb] = tf.split(g, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  const [sa, sb] = tf.split(keys.s, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  const ya = frac(
    tf.add(tf.add(ga, coupling(p, "paper/ffem/phi", gb, keys.k2)), sa),
  ) as tf.Tensor4D;
  const yb = frac(
    tf.add(tf.add(gb, coupling(p, "paper/ffem/psi", ya, keys.k3)), sb),
  ) as tf.Tensor4D;
  return depthToSpace(tf.concat([ya, yb], 3));
}

/** FFDM: cipher `[B,H,W,1]`, α and keys → decrypted image `[B,H,W,1]` in [0,1]. */
export function ffdm(
  p: TensorParams,
  cfg: RevCipherConfig,
  c: tf.Tensor4D,
  alpha: tf.Tensor2D,
  keys: PaperKeys,
): tf.Tensor4D {
  const y = spaceToDepth(c);
  const [b] = y.shape;
  const [ya, yb] = tf.split(y, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  const [sa, sb] = tf.split(keys.s, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  const gb = frac(
    tf.sub(tf.sub(yb, coupling(p, "paper/ffem/psi", ya, keys.k3)), sb),
  ) as tf.Tensor4D;
  const ga = frac(
    tf.sub(tf.sub(ya, coupling(p, "paper/ffem/phi", gb, keys.k2)), sa),
  ) as tf.Tensor4D;
  const g = tf.concat([ga, gb], 3);
  const f = frac(tf.sub(g, tf.mul(alpha.reshape([b, 1, 1, 4]), keys.k1))) as tf.Tensor4D;
  let h = tf.relu(depthToSpace(convL(p, "paper/ffdm/in", torusEmbed(f))));
  for (let j = 0; j < cfg.paper.resBlocks; j++) h = resBlock(p, `paper/ffdm/rb${j}`, h);
  return tf.sigmoid(convL(p, "paper/ffdm/out", h));
}

/** Float (training) form of the exact variant's coupling CNN for round `r`, part `i`. */
export function exactCoupling(
  p: TensorParams,
  r: number,
  i: number,
  others: tf.Tensor4D,
  k: tf.Tensor4D,
): tf.Tensor4D {
  const n = `exact/r${r}/p${i}`;
  let h = tf.relu(convL(p, `${n}/c0`, tf.concat([others, k], 3)));
  h = tf.relu(convL(p, `${n}/c1`, h));
  return convL(p, `${n}/c2`, h);
}
