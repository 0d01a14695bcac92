/**
 * Known-plaintext attacks on image ciphers: an attacker holds N (plain, cipher) pairs made under
 * one key and tries to decrypt new cipher images.
 *
 * - {@linkcode xorKeystreamAttack}: the trivial keystream recovery k = p ⊕ c from the pairs (a
 *   per-byte majority vote over them), applied to a new cipher image. It decrypts any stream cipher
 *   that reuses its keystream — AES-CTR with a fixed nonce falls with N = 1 — and yields noise
 *   against ciphers with a fresh keystream per image (AES-GCM with random IVs, image-bound chaos).
 * - {@linkcode trainBitplaneAttacker}: a tfjs network trained on the pairs: for every pixel position
 *   and every bit, one logistic unit reading the same bit of the cipher pixel (a locally connected
 *   layer on bit planes, weights w[i, b], no bias, ±1 inputs). Its hypothesis class is exactly the
 *   position-wise bit-flip (stream) ciphers, the model an attacker fits first; because it has no
 *   bias a single pair fixes every weight's sign (with cross-bit weights and biases, few pairs let
 *   it memorise the training images instead of the keystream). Predictions are compared with the true
 *   plain images by PSNR/SSIM. A baseline that predicts the mean training image is reported
 *   beside it, since similar medical images already resemble each other without any decryption.
 *
 * - {@linkcode trainConvAttacker}: a second tfjs network with the opposite inductive bias, a small
 *   fully convolutional image-to-image regressor (cipher in [0, 1] → plain in [0, 1], 3 × 3
 *   convolutions with a residual stack, MSE loss) — what works against a cipher that leaks a
 *   smooth, local function of the plain image (a lossy learned cipher with weak diffusion).
 *
 * A network that fails is not a proof of security; one that succeeds is a break.
 *
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { aesCtrFixedCipher } from "../../ciphers/aes.ts";
 * import { xorKeystreamAttack } from "./known_plaintext.ts";
 * const ctr = aesCtrFixedCipher();
 * const a = medImage(Uint8Array.from({ length: 16 }, (_, i) => i), 4, 4);
 * const b = medImage(Uint8Array.from({ length: 16 }, (_, i) => 200 - i), 4, 4);
 * const ca = (await ctr.encrypt(a, "k")).cipher, cb = (await ctr.encrypt(b, "k")).cipher;
 * const guess = xorKeystreamAttack([{ plain: a, cipher: ca }], cb, 8);
 * console.log(guess.data.join() === b.data.join()); // true
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MedCryptError } from "../../core/errors.ts";
import { Rng } from "../../core/random.ts";
import { progress } from "../../core/progress.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { containerBytes } from "../../ciphers/aes.ts";
import { psnr, ssim } from "../../cipher_metrics/similarity.ts";

/** A known (plain, cipher) pair. */
export interface KnownPair {
  /** The plain image. */
  plain: MedImage;
  /** Its cipher image under the attacked key. */
  cipher: MedImage;
}

function checkPairs(pairs: readonly KnownPair[], target: MedImage): void {
  if (pairs.length === 0) {
    throw new MedCryptError("bad-argument", "a known-plaintext attack needs at least one pair");
  }
  for (const p of pairs) {
    if (
      p.cipher.width !== target.width || p.cipher.height !== target.height ||
      p.plain.data.length !== target.data.length
    ) {
      throw new MedCryptError(
        "size-mismatch",
        "known pairs and the target must have the same size",
      );
    }
  }
}

/**
 * Keystream recovery: k = plain ⊕ cipher on the container bytes (majority vote per bit over the
 * pairs), applied to `target`; the result is masked to `bitDepth`.
 *
 * @param pairs known pairs under the attacked key
 * @param target a cipher image to decrypt
 * @param bitDepth bit depth of the plain images
 * @returns the attacker's guess of the plain image
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { xorKeystreamAttack } from "./known_plaintext.ts";
 * const p = medImage(new Uint8Array([1, 2]), 2, 1), c = medImage(new Uint8Array([1 ^ 9, 2 ^ 7]), 2, 1);
 * console.log(xorKeystreamAttack([{ plain: p, cipher: c }], medImage(new Uint8Array([9, 7]), 2, 1), 8).data.join()); // "0,0"
 * ```
 */
export function xorKeystreamAttack(
  pairs: readonly KnownPair[],
  target: MedImage,
  bitDepth: number,
): MedImage {
  checkPairs(pairs, target);
  const t = containerBytes(target);
  const votes = new Int32Array(t.length * 8);
  for (const { plain, cipher } of pairs) {
    const p = containerBytes(plain.bitDepth <= 8 && cipher.bitDepth > 8 ? widen(plain) : plain);
    const c = containerBytes(cipher);
    if (p.length !== c.length) {
      throw new MedCryptError("size-mismatch", "plain and cipher containers differ in size");
    }
    for (let i = 0; i < c.length; i++) {
      const k = p[i] ^ c[i];
      for (let b = 0; b < 8; b++) votes[i * 8 + b] += (k >> b) & 1 ? 1 : -1;
    }
  }
  const out = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) {
    let k = 0;
    for (let b = 0; b < 8; b++) if (votes[i * 8 + b] > 0) k |= 1 << b;
    out[i] = t[i] ^ k;
  }
  return fromContainer(out, target.width, target.height, bitDepth);
}

function widen(img: MedImage): MedImage {
  return medImage(Uint16Array.from(img.data), img.width, img.height, { bitDepth: 16 });
}

function fromContainer(bytes: Uint8Array, w: number, h: number, bitDepth: number): MedImage {
  const n = w * h, mask = 2 ** bitDepth - 1;
  if (bytes.length === n) {
    return medImage(bytes.map((v) => v & mask), w, h, { bitDepth: Math.min(8, bitDepth) });
  }
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) & mask;
  if (bitDepth <= 8) return medImage(Uint8Array.from(data), w, h, { bitDepth });
  return medImage(data, w, h, { bitDepth });
}

/** Options of the network attacker. */
export interface AttackerOptions {
  /** Plain bit depth (the network predicts this many bits). */
  bitDepth: number;
  /** Adam steps (default 300). */
  steps?: number;
  /** Learning rate (default 0.05). */
  learningRate?: number;
  /** Seed of the weight initialisation (default 1). */
  seed?: number;
  /** Show progress (default false). */
  showProgress?: boolean;
  /** Adam steps of the convolutional attacker in {@linkcode knownPlaintextCurve} (default 150). */
  convSteps?: number;
  /** Hidden channels of the convolutional attacker (default 24). */
  convChannels?: number;
}

/** A trained attacker network. */
export interface BitplaneAttacker {
  /** Predicts the plain image of a cipher image. */
  predict(cipher: MedImage): MedImage;
  /** Final training loss (binary cross-entropy per bit). */
  loss: number;
  /** Releases the tensors. */
  dispose(): void;
}

function bitPlanes(img: MedImage, bits: number): Float32Array {
  const n = img.data.length, out = new Float32Array(n * bits);
  for (let i = 0; i < n; i++) {
    const v = img.data[i];
    for (let b = 0; b < bits; b++) out[i * bits + b] = ((v >>> b) & 1) * 2 - 1;
  }
  return out;
}

/**
 * Trains the locally connected bit-plane network on known pairs (full-batch Adam on binary
 * cross-entropy of the plain bits). Call `initBackend()` from `lib/nn` first.
 *
 * @param pairs known pairs under one key (same size)
 * @param options plain bit depth, steps, learning rate, seed
 * @returns the trained attacker
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { trainBitplaneAttacker } from "./known_plaintext.ts";
 * const p = medImage(new Uint8Array([1, 2, 3, 4]), 2, 2);
 * const att = trainBitplaneAttacker([{ plain: p, cipher: p }], { bitDepth: 8, steps: 5 });
 * console.log(att.predict(p).width); // 2
 * att.dispose();
 * ```
 */
export function trainBitplaneAttacker(
  pairs: readonly KnownPair[],
  options: AttackerOptions,
): BitplaneAttacker {
  checkPairs(pairs, pairs[0].cipher);
  const cb = pairs[0].cipher.bitDepth <= 8 ? 8 : 16;
  const pb = options.bitDepth;
  const n = pairs[0].cipher.data.length, N = pairs.length;
  const { width, height } = pairs[0].cipher;
  const xs = new Float32Array(N * n * cb), ys = new Float32Array(N * n * pb);
  pairs.forEach((p, k) => {
    xs.set(bitPlanes(p.cipher, cb), k * n * cb);
    const y = bitPlanes(p.plain, pb);
    for (let i = 0; i < y.length; i++) ys[k * n * pb + i] = (y[i] + 1) / 2;
  });
  const rng = new Rng(options.seed ?? 1);
  // the network reads the low `pb` cipher bits of each pixel (the plain bits' positions)
  const xsp = new Float32Array(N * n * pb);
  for (let k = 0; k < N * n; k++) for (let b = 0; b < pb; b++) xsp[k * pb + b] = xs[k * cb + b];
  const w0 = Float32Array.from({ length: n * pb }, () => rng.normal() * 0.01);
  const W = tf.variable(tf.tensor2d(w0, [n, pb]));
  const x = tf.tensor3d(xsp, [N, n, pb]), y = tf.tensor3d(ys, [N, n, pb]);
  const forward = (inp: tf.Tensor3D) => tf.tidy(() => inp.mul(W.mul(4)) as tf.Tensor3D);
  const opt = tf.train.adam(options.learningRate ?? 0.05);
  const steps = options.steps ?? 300;
  const bar = options.showProgress
    ? progress(`known-plaintext network (N=${N})`, steps)
    : undefined;
  let loss = NaN;
  for (let s = 0; s < steps; s++) {
    const l = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, forward(x)) as tf.Scalar, true, [
      W,
    ]);
    if (s === steps - 1 || s % 50 === 0) loss = l!.dataSync()[0];
    l?.dispose();
    bar?.tick({ loss });
  }
  bar?.done();
  x.dispose();
  y.dispose();
  opt.dispose();
  return {
    loss,
    predict(cipher) {
      if (cipher.width !== width || cipher.height !== height) {
        throw new MedCryptError(
          "size-mismatch",
          `the attacker was trained on ${width}×${height} images`,
        );
      }
      const all = bitPlanes(cipher, cb), low = new Float32Array(n * pb);
      for (let i = 0; i < n; i++) for (let b = 0; b < pb; b++) low[i * pb + b] = all[i * cb + b];
      const inp = tf.tensor3d(low, [1, n, pb]);
      const z = forward(inp);
      const v = z.dataSync();
      inp.dispose();
      z.dispose();
      const out = pb <= 8 ? new Uint8Array(n) : new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        let p = 0;
        for (let b = 0; b < pb; b++) if (v[i * pb + b] > 0) p |= 1 << b;
        out[i] = p;
      }
      return medImage(out, width, height, { bitDepth: pb });
    },
    dispose() {
      W.dispose();
    },
  };
}

/** Options of the convolutional attacker. */
export interface ConvAttackerOptions {
  /** Plain bit depth. */
  bitDepth: number;
  /** Adam steps (default 150). */
  steps?: number;
  /** Learning rate (default 3e-3). */
  learningRate?: number;
  /** Channels of the hidden layers (default 24). */
  channels?: number;
  /** Seed of the initialisation (default 1). */
  seed?: number;
}

/**
 * Trains the convolutional attacker (full-batch Adam, MSE) on known pairs. Call `initBackend()`
 * from `lib/nn` first.
 *
 * @param pairs known pairs under one key (same size)
 * @param options plain bit depth, steps, learning rate, width, seed
 * @returns the trained attacker (its `loss` is the final MSE on [0, 1] values)
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { trainConvAttacker } from "./known_plaintext.ts";
 * const p = medImage(new Uint8Array(64).fill(100), 8, 8);
 * const att = trainConvAttacker([{ plain: p, cipher: p }], { bitDepth: 8, steps: 3 });
 * console.log(att.predict(p).width); // 8
 * att.dispose();
 * ```
 */
export function trainConvAttacker(
  pairs: readonly KnownPair[],
  options: ConvAttackerOptions,
): BitplaneAttacker {
  checkPairs(pairs, pairs[0].cipher);
  const { width: w, height: h } = pairs[0].cipher;
  const cmax = 2 ** (pairs[0].cipher.bitDepth <= 8 ? 8 : 16) - 1, pmax = 2 ** options.bitDepth - 1;
  const N = pairs.length, n = w * h;
  const xs = new Float32Array(N * n), ys = new Float32Array(N * n);
  pairs.forEach((p, k) => {
    for (let i = 0; i < n; i++) {
      xs[k * n + i] = p.cipher.data[i] / cmax;
      ys[k * n + i] = p.plain.data[i] / pmax;
    }
  });
  const c = options.channels ?? 24;
  const rng = new Rng(options.seed ?? 1);
  const he = (shape: number[], fanIn: number) =>
    tf.variable(
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
          rng.normal() * Math.sqrt(2 / fanIn)),
        shape,
      ),
    );
  const w1 = he([3, 3, 1, c], 9), b1 = tf.variable(tf.zeros([c]));
  const w2 = he([3, 3, c, c], 9 * c), b2 = tf.variable(tf.zeros([c]));
  const w3 = he([3, 3, c, c], 9 * c), b3 = tf.variable(tf.zeros([c]));
  const w4 = he([3, 3, c, 1], 9 * c), b4 = tf.variable(tf.zeros([1]));
  const vars = [w1, b1, w2, b2, w3, b3, w4, b4];
  const forward = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const h1 = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, "same").add(b1)) as tf.Tensor4D;
      const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Tensor4D, 1, "same").add(b2)) as tf.Tensor4D;
      const h3 = tf.relu(
        tf.conv2d(h2, w3 as tf.Tensor4D, 1, "same").add(b3).add(h1),
      ) as tf.Tensor4D;
      return tf.sigmoid(tf.conv2d(h3, w4 as tf.Tensor4D, 1, "same").add(b4)) as tf.Tensor4D;
    });
  const x = tf.tensor4d(xs, [N, h, w, 1]), y = tf.tensor4d(ys, [N, h, w, 1]);
  const opt = tf.train.adam(options.learningRate ?? 3e-3);
  const steps = options.steps ?? 150;
  let loss = NaN;
  for (let s = 0; s < steps; s++) {
    const l = opt.minimize(
      () => tf.losses.meanSquaredError(y, forward(x)) as tf.Scalar,
      true,
      vars,
    );
    if (s === steps - 1) loss = l!.dataSync()[0];
    l?.dispose();
  }
  x.dispose();
  y.dispose();
  opt.dispose();
  return {
    loss,
    predict(cipher) {
      if (cipher.width !== w || cipher.height !== h) {
        throw new MedCryptError("size-mismatch", `the attacker was trained on ${w}×${h} images`);
      }
      const inp = tf.tensor4d(Float32Array.from(cipher.data, (v) => v / cmax), [1, h, w, 1]);
      const out = forward(inp);
      const v = out.dataSync();
      inp.dispose();
      out.dispose();
      const data = options.bitDepth <= 8 ? new Uint8Array(n) : new Uint16Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.round(Math.min(1, Math.max(0, v[i])) * pmax);
      return medImage(data, w, h, { bitDepth: options.bitDepth });
    },
    dispose() {
      for (const v of vars) v.dispose();
    },
  };
}

/**
 * The mean of the training plain images, rounded: what an attacker guesses with no decryption at
 * all (the baseline every attack must beat).
 *
 * @param pairs known pairs
 * @returns the mean plain image
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { meanPlainBaseline } from "./known_plaintext.ts";
 * const a = medImage(new Uint8Array([0, 10]), 2, 1), b = medImage(new Uint8Array([4, 20]), 2, 1);
 * console.log(meanPlainBaseline([{ plain: a, cipher: a }, { plain: b, cipher: b }]).data.join()); // "2,15"
 * ```
 */
export function meanPlainBaseline(pairs: readonly KnownPair[]): MedImage {
  const p0 = pairs[0].plain, n = p0.data.length;
  const sum = new Float64Array(n);
  for (const p of pairs) for (let i = 0; i < n; i++) sum[i] += p.plain.data[i];
  const data = p0.bitDepth <= 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.round(sum[i] / pairs.length);
  return medImage(data, p0.width, p0.height, { bitDepth: p0.bitDepth });
}

/** The PSNR (dB) an exact recovery counts as in averages (PSNR is infinite there). */
export const PSNR_CAP = 100;

/** One point of a known-plaintext attack curve. */
export interface AttackPoint {
  /** Attack name: `"xor-keystream"`, `"bit-plane network"`, `"conv network"` or `"mean-plain baseline"`. */
  attack: string;
  /** Number of known pairs. */
  n: number;
  /** Mean PSNR (dB) of the guesses against the true test images, exact recoveries counted as
   * {@linkcode PSNR_CAP} dB. */
  psnr: number;
  /** Mean SSIM. */
  ssim: number;
  /** Fraction of test images recovered bit-exactly. */
  exact: number;
}

/**
 * Runs the four known-plaintext attackers (keystream, bit-plane network, conv network, mean-image
 * baseline) for each N on the same held-out test pairs.
 *
 * @param train known pairs (the first N are used for each N)
 * @param test held-out pairs to decrypt
 * @param ns the values of N
 * @param options attacker options (bit depth etc.)
 * @returns one point per attack and N
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { knownPlaintextCurve } from "./known_plaintext.ts";
 * const p = medImage(new Uint8Array([1, 2, 3, 4]), 2, 2);
 * const opts = { bitDepth: 8, steps: 3, convSteps: 2, convChannels: 2 };
 * const pts = knownPlaintextCurve([{ plain: p, cipher: p }], [{ plain: p, cipher: p }], [1], opts);
 * console.log(pts.length); // 4
 * ```
 */
export function knownPlaintextCurve(
  train: readonly KnownPair[],
  test: readonly KnownPair[],
  ns: readonly number[],
  options: AttackerOptions,
): AttackPoint[] {
  const out: AttackPoint[] = [];
  const score = (attack: string, n: number, guess: (c: MedImage) => MedImage) => {
    let ps = 0, ss = 0, ex = 0;
    for (const t of test) {
      const g = guess(t.cipher);
      const v = psnr(t.plain, g);
      ps += Math.min(v, PSNR_CAP);
      if (v === Infinity) ex++;
      ss += ssim(t.plain, g);
    }
    out.push({
      attack,
      n,
      psnr: ps / test.length,
      ssim: ss / test.length,
      exact: ex / test.length,
    });
  };
  for (const n of ns) {
    const pairs = train.slice(0, n);
    if (pairs.length < n) break;
    score("xor-keystream", n, (c) => xorKeystreamAttack(pairs, c, options.bitDepth));
    const att = trainBitplaneAttacker(pairs, options);
    score("bit-plane network", n, (c) => att.predict(c));
    att.dispose();
    const conv = trainConvAttacker(pairs, {
      bitDepth: options.bitDepth,
      steps: options.convSteps,
      seed: options.seed,
      channels: options.convChannels,
    });
    score("conv network", n, (c) => conv.predict(c));
    conv.dispose();
    const mean = meanPlainBaseline(pairs);
    score("mean-plain baseline", n, () => mean);
  }
  return out;
}
