/**
 * Experiments of the learned cipher (paper B) for `deno task reproduce` and notebooks 07 and 08:
 *
 * - `chaotic-keys`: bifurcation diagram, Lyapunov exponent, orbit separation, key sensitivity of
 *   the key streams, the classic chaos cipher and both learned-cipher variants.
 * - `revcipher`: training curves, plain / cipher / decrypted / wrong-key panels, and the exact vs
 *   paper comparison (decryption PSNR/SSIM, wrong-key leakage, key and plaintext sensitivity,
 *   diffusion with and without the learned coupling, noise and cropping, speed). Quick scale
 *   evaluates the shipped 64×64 model; full scale trains a 256×256 model (resumable, in the cache
 *   folder) and evaluates it at 256×256.
 *
 * @example
 * ```ts
 * import { experiments } from "./revcipher.ts";
 * console.log(experiments.map((e) => e.name)); // ["chaotic-keys", "revcipher"]
 * ```
 * @module
 */
import * as aq from "arquero";
import { join } from "node:path";
import type { Experiment, ExperimentResult, NamedFigure, NamedTable } from "./types.ts";
import type { Figure } from "../viz/types.ts";
import { imageGridFigure, lineFigure } from "../viz/figures.ts";
import { provenance } from "../core/provenance.ts";
import { Rng } from "../core/random.ts";
import { type MedImage, medImage } from "../image/types.ts";
import {
  bifurcationData,
  chaosEncrypt,
  deriveChaosKey,
  lyapunovExponent,
  orbitSeparation,
} from "../ciphers/chaos/mod.ts";
import { psnr, ssim } from "../cipher_metrics/similarity.ts";
import { correlations, pearson } from "../cipher_metrics/correlation.ts";
import { shannonEntropy } from "../cipher_metrics/entropy.ts";
import { npcr, uaci } from "../cipher_metrics/differential.ts";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../nn/backend.ts";
import {
  cipherImages,
  DEFAULT_CONFIG,
  DEFAULT_MODEL_DIR,
  exactCore,
  exactCoupling,
  initModel,
  loadDefaultModel,
  loadModel,
  padEven,
  type RevCipherModel,
  revDecrypt,
  revEncrypt,
  saveModel,
  toTfParams,
  type TrainHistory,
  trainRevCipher,
  type Variant,
} from "../ciphers/revcipher/mod.ts";

// ---------------------------------------------------------------- notebook 07: chaotic keys

/**
 * Bifurcation diagram of the logistic map, with the key schedule's range r ∈ [3.99, 4) marked.
 *
 * @param steps values of r
 * @param keep states per r
 * @returns the figure
 * @example
 * ```ts
 * import { bifurcationFigure } from "./revcipher.ts";
 * console.log(bifurcationFigure(20, 10).data.length); // 2
 * ```
 */
export function bifurcationFigure(steps = 300, keep = 60): Figure {
  const d = bifurcationData(2.8, 4, steps, keep);
  return {
    data: [
      {
        type: "scattergl",
        mode: "markers",
        x: Array.from(d.r, (v) => Math.round(v * 1e5) / 1e5),
        y: Array.from(d.x, (v) => Math.round(v * 1e3) / 1e3),
        marker: { size: 1, color: "black", opacity: 0.4 },
        name: "states",
      },
      {
        type: "scatter",
        mode: "lines",
        x: [3.99, 3.99, 4, 4, 3.99],
        y: [0, 1, 1, 0, 0],
        fill: "toself",
        line: { color: "crimson" },
        opacity: 0.3,
        name: "key range r ∈ [3.99, 4)",
      },
    ],
    layout: {
      title: { text: "Logistic map x ← r·x·(1−x): bifurcation diagram" },
      xaxis: { title: { text: "r" } },
      yaxis: { title: { text: "x (after 500 burn-in iterations)" } },
      showlegend: true,
    },
    provenance: provenance({ params: { steps, keep, rMin: 2.8, rMax: 4 } }),
  };
}

/**
 * Lyapunov exponent λ(r) over [2.8, 4], with λ = 0 and the acceptance threshold of the key
 * schedule (0.55).
 *
 * @param steps values of r
 * @returns the figure and the minimum λ found inside [3.99, 4)
 * @example
 * ```ts
 * import { lyapunovFigure } from "./revcipher.ts";
 * console.log(lyapunovFigure(50).minInKeyRange > 0); // true
 * ```
 */
export function lyapunovFigure(steps = 1200): { figure: Figure; minInKeyRange: number } {
  const r: number[] = [], l: number[] = [];
  for (let i = 0; i < steps; i++) {
    const rv = 2.8 + 1.2 * i / (steps - 1);
    r.push(rv);
    l.push(lyapunovExponent(Math.min(rv, 4), { n: 4000 }));
  }
  let minInKeyRange = Infinity;
  for (let i = 0; i < 200; i++) {
    minInKeyRange = Math.min(minInKeyRange, lyapunovExponent(3.99 + 0.01 * i / 200, { n: 4000 }));
  }
  const figure = lineFigure([
    { name: "λ(r)", x: r, y: l },
    { name: "λ = 0 (chaos above)", x: [2.8, 4], y: [0, 0] },
    { name: "key schedule threshold 0.55", x: [3.99, 4], y: [0.55, 0.55] },
  ], {
    title: "Lyapunov exponent of the logistic map",
    xTitle: "r",
    yTitle: "λ (nats / iteration)",
    params: { steps, n: 4000 },
  });
  return { figure, minInKeyRange };
}

/**
 * Separation of two orbits started 1e-15 apart (log scale): the sensitivity to initial
 * conditions the key schedule relies on.
 *
 * @returns the figure
 * @example
 * ```ts
 * import { separationFigure } from "./revcipher.ts";
 * console.log(separationFigure().data.length); // 1
 * ```
 */
export function separationFigure(): Figure {
  const d = orbitSeparation(0.3, 1e-15, 3.995, 80);
  return lineFigure([{ name: "|xₙ − x′ₙ|", x: [...d.keys()], y: d }], {
    title: "Two orbits 1e-15 apart (r = 3.995)",
    xTitle: "iteration n",
    yTitle: "separation",
    logY: true,
    params: { x0: 0.3, delta: 1e-15, r: 3.995 },
  });
}

function flipBit(key: Uint8Array, bit: number): Uint8Array {
  const k = key.slice();
  k[bit >> 3] ^= 1 << (bit & 7);
  return k;
}

function changedFraction(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += a[i] !== b[i] ? 1 : 0;
  return d / a.length;
}

/**
 * Key sensitivity: for several single-bit flips of a 128-bit user key, the fraction of key-stream
 * bytes and of cipher pixels that change (classic cipher, exact and paper variants).
 *
 * @param images test images
 * @param model the learned-cipher model
 * @param seed seed of the key
 * @returns the table (percent)
 * @example
 * ```ts
 * import { keySensitivityTable } from "./revcipher.ts";
 * import { medImage } from "../image/types.ts";
 * const t = await keySensitivityTable([medImage(new Uint8Array(64).fill(3), 8, 8)], undefined, 1, [0]);
 * console.log(t.numRows() > 0); // true
 * ```
 */
export async function keySensitivityTable(
  images: readonly MedImage[],
  model?: RevCipherModel,
  seed = 1,
  bits: readonly number[] = [0, 1, 63, 64, 127],
): Promise<aq.ColumnTable> {
  const m = model ?? await loadDefaultModel();
  const rng = new Rng(seed);
  const key = Uint8Array.from({ length: 16 }, () => rng.int(256));
  const rows: Record<string, unknown>[] = [];
  for (const [k, img] of images.entries()) {
    for (const bit of bits) {
      const k2 = flipBit(key, bit);
      const h = new Uint8Array(32);
      const s1 = (await (await deriveChaosKey(key, h)).stream("s")).integers(img.data.length, 8);
      const s2 = (await (await deriveChaosKey(k2, h)).stream("s")).integers(img.data.length, 8);
      const row: Record<string, unknown> = {
        image: k,
        bitDepth: img.bitDepth,
        flippedBit: bit,
        keyStreamBytesChanged: 100 * changedFraction(s1, s2),
        classic: 100 *
          changedFraction(
            (await chaosEncrypt(img, key)).cipher.data,
            (await chaosEncrypt(img, k2)).cipher.data,
          ),
      };
      for (const v of ["exact", "paper"] as const) {
        row[v] = 100 *
          changedFraction(
            (await revEncrypt(img, key, v, m)).cipher.data,
            (await revEncrypt(img, k2, v, m)).cipher.data,
          );
      }
      rows.push(row);
    }
  }
  return aq.from(rows);
}

async function chaoticKeys(
  ctx: { scale: "quick" | "full"; seed: number },
): Promise<ExperimentResult> {
  const full = ctx.scale === "full";
  const lyap = lyapunovFigure(full ? 2400 : 800);
  const { heldOut } = await cipherImages({
    size: 64,
    trainCount: 1,
    heldOutCount: 2,
    seed: ctx.seed,
  });
  const table = await keySensitivityTable(
    heldOut.map((h) => h.image),
    undefined,
    ctx.seed,
    full ? [0, 1, 7, 31, 63, 64, 100, 127] : [0, 63, 127],
  );
  const minExact = Math.min(...(table.array("exact") as number[]));
  const minPaper = Math.min(...(table.array("paper") as number[]));
  return {
    tables: [{
      name: "key_sensitivity",
      table,
      caption:
        "Percent of key-stream bytes / cipher pixels changed by flipping one bit of a 128-bit key",
    }],
    figures: [
      { name: "bifurcation", figure: bifurcationFigure(full ? 500 : 300, full ? 80 : 60) },
      { name: "lyapunov", figure: lyap.figure },
      { name: "orbit_separation", figure: separationFigure() },
    ],
    notes: [
      `Smallest Lyapunov exponent on a 200-point grid of r ∈ [3.99, 4): ${
        lyap.minInKeyRange.toFixed(3)
      } ` +
      `(the key schedule also rejects any drawn map whose own orbit has λ < 0.55).`,
      `One flipped key bit changed at least ${minExact.toFixed(2)} % (exact) and ` +
      `${minPaper.toFixed(2)} % (paper) of cipher pixels over ${table.numRows()} flips.`,
    ],
  };
}

// ---------------------------------------------------------------- notebook 08: the learned cipher

/**
 * Loss curves of a training run: total loss per phase and the terms of full training.
 *
 * @param history the run's history
 * @returns two figures: totals, and terms
 * @example
 * ```ts
 * import { trainingCurveFigures } from "./revcipher.ts";
 * const h = { step: [0], phase: ["pretrain"], loss: [1], seconds: [1], terms: {
 *   reconstruction: [1], entropy: [NaN], correlation: [NaN], diffusion: [NaN], similarity: [NaN], wrongKey: [NaN] } };
 * console.log(trainingCurveFigures(h).length); // 2
 * ```
 */
export function trainingCurveFigures(history: TrainHistory): Figure[] {
  const phases = [...new Set(history.phase)];
  const smooth = (y: number[], k = 10) =>
    y.map((_, i) => {
      const s = y.slice(Math.max(0, i - k + 1), i + 1).filter(Number.isFinite);
      return s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
    });
  const totals = lineFigure(
    phases.map((p) => {
      const idx = history.phase.flatMap((q, i) => (q === p ? [i] : []));
      return {
        name: `${p} (moving mean of 10)`,
        x: idx.map((i) => history.step[i]),
        y: smooth(idx.map((i) => history.loss[i])),
      };
    }),
    { title: "Training loss by phase", xTitle: "step", yTitle: "loss", logY: true },
  );
  const terms = lineFigure(
    (Object.keys(history.terms) as (keyof TrainHistory["terms"])[]).map((t) => ({
      name: t,
      x: history.step,
      y: smooth(history.terms[t]),
    })),
    {
      title: "Loss terms (unweighted, moving mean of 10)",
      xTitle: "step",
      yTitle: "value",
      logY: true,
    },
  );
  return [totals, terms];
}

/** Noise and cropping applied to a cipher image. */
export type Attack = "salt-pepper-1%" | "gaussian-σ1%" | "crop-1/16" | "crop-1/4";

/**
 * Damages a cipher image: salt-and-pepper, Gaussian noise (σ as a fraction of full range), or a
 * zeroed centre block of 1/16 or 1/4 of the area.
 *
 * @param img the cipher
 * @param attack which damage
 * @param seed seed of the noise
 * @returns the damaged copy
 * @example
 * ```ts
 * import { damage } from "./revcipher.ts";
 * import { medImage } from "../image/types.ts";
 * console.log(damage(medImage(new Uint8Array(64).fill(9), 8, 8), "crop-1/4", 1).data[27]); // 0
 * ```
 */
export function damage(img: MedImage, attack: Attack, seed: number): MedImage {
  const rng = new Rng(seed), max = 2 ** img.bitDepth - 1;
  const d = img.data.slice();
  if (attack === "salt-pepper-1%") {
    for (let i = 0; i < d.length; i++) if (rng.next() < 0.01) d[i] = rng.next() < 0.5 ? 0 : max;
  } else if (attack === "gaussian-σ1%") {
    for (let i = 0; i < d.length; i++) {
      d[i] = Math.max(0, Math.min(max, Math.round(d[i] + rng.normal() * 0.01 * max)));
    }
  } else {
    const f = attack === "crop-1/16" ? 0.25 : 0.5;
    const cw = Math.round(img.width * f), ch = Math.round(img.height * f);
    const x0 = (img.width - cw) >> 1, y0 = (img.height - ch) >> 1;
    for (let y = y0; y < y0 + ch; y++) d.fill(0, y * img.width + x0, y * img.width + x0 + cw);
  }
  return medImage(d, img.width, img.height, { bitDepth: img.bitDepth });
}

const ATTACKS: Attack[] = ["salt-pepper-1%", "gaussian-σ1%", "crop-1/16", "crop-1/4"];

function plusOne(img: MedImage, rng: Rng): MedImage {
  const d = img.data.slice(), i = rng.int(d.length), max = 2 ** img.bitDepth - 1;
  d[i] = d[i] === max ? d[i] - 1 : d[i] + 1;
  return medImage(d, img.width, img.height, { bitDepth: img.bitDepth });
}

/**
 * Evaluates one variant on a set of images: decryption quality, wrong-key leakage, cipher
 * statistics, key and plaintext sensitivity, diffusion under a fixed key, noise/crop robustness
 * and speed. One row per image.
 *
 * @param images named plain images
 * @param variant which variant
 * @param model the model
 * @param seed seed of the keys and noise
 * @returns the table
 * @example
 * ```ts
 * import { evaluateVariant } from "./revcipher.ts";
 * import { medImage } from "../image/types.ts";
 * const t = await evaluateVariant([{ name: "a", image: medImage(new Uint8Array(64).fill(5), 8, 8) }], "exact");
 * console.log(t.get("decryptPsnr", 0)); // Infinity
 * ```
 */
export async function evaluateVariant(
  images: readonly { name: string; image: MedImage }[],
  variant: Variant,
  model?: RevCipherModel,
  seed = 1,
): Promise<aq.ColumnTable> {
  const m = model ?? await loadDefaultModel();
  const rng = new Rng(seed);
  const rows: Record<string, unknown>[] = [];
  for (const { name, image } of images) {
    const key = Uint8Array.from({ length: 16 }, () => rng.int(256));
    let t = performance.now();
    const { cipher, header } = await revEncrypt(image, key, variant, m);
    const encMs = performance.now() - t;
    t = performance.now();
    const back = await revDecrypt(cipher, header, key, m);
    const decMs = performance.now() - t;
    const wrong = await revDecrypt(cipher, header, flipBit(key, 5), m, { verify: false });
    const c = correlations(cipher);
    const k2 = (await revEncrypt(image, flipBit(key, 100), variant, m)).cipher;
    const p2 = (await revEncrypt(plusOne(image, rng), key, variant, m)).cipher;
    const row: Record<string, unknown> = {
      image: name,
      variant,
      bitDepth: image.bitDepth,
      size: `${image.width}×${image.height}`,
      decryptPsnr: psnr(image, back),
      decryptSsim: ssim(image, back),
      wrongKeySsim: ssim(image, wrong),
      wrongKeyCorr: pearson(image.data, wrong.data),
      cipherEntropy: shannonEntropy(cipher),
      corrH: c.horizontal,
      corrV: c.vertical,
      corrD: c.diagonal,
      keyNpcr: npcr(cipher, k2),
      keyUaci: uaci(cipher, k2),
      plainNpcr: npcr(cipher, p2),
      plainUaci: uaci(cipher, p2),
    };
    if (variant === "exact") {
      // diffusion with the key streams held fixed (the image hash not re-derived): the learned
      // coupling alone, against the same cipher without it
      const ck = await deriveChaosKey(key, new Uint8Array(32));
      const bits = cipher.bitDepth, a = padEven(image), b = padEven(plusOne(image, new Rng(seed)));
      for (
        const [label, withoutNetwork] of [["fixedKeyNpcr", false], [
          "fixedKeyNpcrNoNet",
          true,
        ]] as const
      ) {
        const ca = await exactCore(a.data, a.W, a.H, bits, ck, m, "encrypt", { withoutNetwork });
        const cb = await exactCore(b.data, b.W, b.H, bits, ck, m, "encrypt", { withoutNetwork });
        row[label] = 100 * changedFraction(ca, cb);
      }
    }
    for (const a of ATTACKS) {
      const dec = await revDecrypt(damage(cipher, a, seed), header, key, m, { verify: false });
      row[`psnr ${a}`] = psnr(image, dec);
    }
    row.encryptMs = encMs;
    row.decryptMs = decMs;
    rows.push(row);
  }
  return aq.from(rows);
}

/**
 * Plain / cipher / decrypted / wrong-key panels for each image and variant.
 *
 * @param images named images
 * @param model the model
 * @param key the user key
 * @returns the figure
 * @example
 * ```ts
 * import { panelsFigure } from "./revcipher.ts";
 * import { medImage } from "../image/types.ts";
 * const f = await panelsFigure([{ name: "a", image: medImage(new Uint8Array(64), 8, 8) }]);
 * console.log(f.data.length); // 7
 * ```
 */
export async function panelsFigure(
  images: readonly { name: string; image: MedImage }[],
  model?: RevCipherModel,
  key = "notebook key",
): Promise<Figure> {
  const m = model ?? await loadDefaultModel();
  const panels: { title: string; image: MedImage }[] = [];
  for (const { name, image } of images) {
    panels.push({ title: `${name} plain`, image });
    for (const v of ["exact", "paper"] as const) {
      const { cipher, header } = await revEncrypt(image, key, v, m);
      panels.push({ title: `${v} cipher`, image: cipher });
      panels.push({ title: `${v} decrypted`, image: await revDecrypt(cipher, header, key, m) });
      panels.push({
        title: `${v} wrong key`,
        image: await revDecrypt(cipher, header, key + "!", m, { verify: false }),
      });
    }
  }
  return imageGridFigure(panels, {
    columns: 7,
    title: "Plain, cipher, decrypted and wrong-key decryption (exact | paper variant)",
  });
}

/**
 * The shipped model's training history (`data/models/revcipher/history.json`).
 *
 * @returns the history
 * @example
 * ```ts
 * import { shippedHistory } from "./revcipher.ts";
 * console.log((await shippedHistory()).step.length > 0); // true
 * ```
 */
export async function shippedHistory(): Promise<TrainHistory> {
  return JSON.parse(await Deno.readTextFile(join(DEFAULT_MODEL_DIR, "history.json")));
}

function summarise(t: aq.ColumnTable): aq.ColumnTable {
  const cols = t.columnNames().filter((c) =>
    !["image", "variant", "size", "bitDepth"].includes(c) && typeof t.get(c, 0) === "number"
  );
  const rows: Record<string, unknown>[] = [];
  for (const v of ["exact", "paper"]) {
    for (const bd of ["8-bit", ">8-bit"]) {
      const sub = t.filter(
        aq.escape((d: { variant: string; bitDepth: number }) =>
          d.variant === v && ((d.bitDepth <= 8) === (bd === "8-bit"))
        ),
      );
      if (sub.numRows() === 0) continue;
      const row: Record<string, unknown> = { variant: v, depth: bd, images: sub.numRows() };
      for (const c of cols) {
        const vals = (sub.array(c) as number[]).filter((x) =>
          typeof x === "number" && !Number.isNaN(x)
        );
        row[c] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : NaN;
      }
      rows.push(row);
    }
  }
  return aq.from(rows);
}

/**
 * Why the exact variant evaluates its coupling CNNs in fixed point: the same float CNN run on the
 * tfjs cpu and wasm backends, and how many outputs would round to a different pixel shift at 8
 * and 16 bits (any difference would break bit-exact decryption across machines).
 *
 * @param model the model
 * @param side side of the random input maps
 * @returns one row per bit depth
 * @example
 * ```ts
 * import { backendRoundingTable } from "./revcipher.ts";
 * console.log((await backendRoundingTable(undefined, 8)).numRows()); // 2
 * ```
 */
export async function backendRoundingTable(
  model?: RevCipherModel,
  side = 128,
): Promise<aq.ColumnTable> {
  const m = model ?? await loadDefaultModel();
  const kc = m.config.exact.keyChannels, c = 3 + kc;
  const inp = new Float32Array(side * side * c).map((_, i) => ((i * 2654435761) % 65536) / 65536);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const p = toTfParams(m);
    const outs: Float32Array[] = [];
    for (let r = 0; r < m.config.exact.rounds; r++) {
      for (let i = 0; i < 4; i++) {
        const g = tf.tidy(() => {
          const x = tf.tensor4d(inp, [1, side, side, c]);
          return exactCoupling(
            p,
            r,
            i,
            x.slice([0, 0, 0, 0], [1, side, side, 3]),
            x.slice([0, 0, 0, 3], [1, side, side, kc]),
          );
        });
        outs.push(Float32Array.from(await g.data()));
        g.dispose();
      }
    }
    tf.dispose([...p.values()]);
    return outs;
  };
  const before = tf.getBackend();
  const a = await run("cpu"), b = await run("wasm");
  if (before === "wasm" || before === "cpu") await tf.setBackend(before);
  else await initBackend();
  const rows = [8, 16].map((bits) => {
    let n = 0, floatDiff = 0, roundDiff = 0;
    for (let k = 0; k < a.length; k++) {
      for (let i = 0; i < a[k].length; i++) {
        n++;
        if (a[k][i] !== b[k][i]) floatDiff++;
        if (Math.floor(a[k][i] * 2 ** bits) !== Math.floor(b[k][i] * 2 ** bits)) roundDiff++;
      }
    }
    return { bits, outputs: n, floatOutputsDiffer: floatDiff, pixelShiftsDiffer: roundDiff };
  });
  return aq.from(rows);
}

async function revcipherExperiment(
  ctx: { scale: "quick" | "full"; seed: number; cacheDir: string },
): Promise<ExperimentResult> {
  const full = ctx.scale === "full";
  let model: RevCipherModel, history: TrainHistory;
  const size = full ? 256 : 64;
  if (full) {
    const dir = join(ctx.cacheDir, "revcipher-256");
    const outDir = join(dir, "model-final");
    try {
      model = await loadModel(outDir);
      history = JSON.parse(await Deno.readTextFile(join(dir, "history.json")));
    } catch {
      const d = await cipherImages({ size, trainCount: 256, heldOutCount: 0, seed: ctx.seed });
      const r = await trainRevCipher(await initModel(DEFAULT_CONFIG, ctx.seed), d.pool, {
        pretrainSteps: 300,
        steps: 300,
        exactSteps: 100,
        batch: 4,
        seed: ctx.seed,
        checkpointDir: join(dir, "checkpoint"),
      });
      model = r.model;
      history = r.history;
      await saveModel(outDir, model);
      await Deno.writeTextFile(join(dir, "history.json"), JSON.stringify(history));
    }
  } else {
    model = await loadDefaultModel();
    history = await shippedHistory();
  }
  const { heldOut } = await cipherImages({
    size,
    trainCount: 1,
    heldOutCount: full ? 12 : 4,
    seed: ctx.seed + 1,
  });
  const exact = await evaluateVariant(heldOut, "exact", model, ctx.seed);
  const paper = await evaluateVariant(heldOut, "paper", model, ctx.seed);
  const all = exact.concat(paper);
  const summary = summarise(all);
  const [curves, terms] = trainingCurveFigures(history);
  const figures: NamedFigure[] = [
    { name: "training_loss", figure: curves },
    { name: "training_terms", figure: terms },
    {
      name: "panels",
      figure: await panelsFigure(heldOut.slice(0, 1).concat(heldOut.slice(-2, -1)), model),
    },
  ];
  const rounding = await backendRoundingTable(model);
  const tables: NamedTable[] = [
    {
      name: "backend_rounding",
      table: rounding,
      caption:
        "Float coupling CNN on tfjs cpu vs wasm: outputs that differ, and pixel shifts that would",
    },
    {
      name: "revcipher_summary",
      table: summary,
      caption: "Exact vs paper variant, means over held-out images",
    },
    { name: "revcipher_per_image", table: all, caption: "Per held-out image and variant" },
  ];
  const mean = (t: aq.ColumnTable, c: string) => {
    const v = (t.array(c) as number[]).filter(Number.isFinite);
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  return {
    tables,
    figures,
    notes: [
      `tfjs cpu vs wasm, same float coupling CNNs: ${rounding.get("floatOutputsDiffer", 0)} of ` +
      `${rounding.get("outputs", 0)} outputs differ; rounded to pixel shifts ${
        rounding.get("pixelShiftsDiffer", 0)
      } ` +
      `(8-bit) and ${
        rounding.get("pixelShiftsDiffer", 1)
      } (16-bit) differ, so the exact variant computes them in ` +
      `fixed-point integers in TypeScript instead (no tfjs at inference).`,
      `Model ${model.id}, ${size}×${size}, trained ${history.step.length} steps in ` +
      `${(history.seconds.at(-1) ?? 0).toFixed(0)} s (${full ? "this run" : "shipped model"}).`,
      `Paper variant on ${heldOut.length} held-out images: decryption PSNR ${
        mean(paper, "decryptPsnr").toFixed(2)
      } dB, ` +
      `SSIM ${mean(paper, "decryptSsim").toFixed(3)}; exact variant: bit-exact ` +
      `(${
        exact.filter(aq.escape((d: { decryptPsnr: number }) => d.decryptPsnr === Infinity))
          .numRows()
      }/${heldOut.length}).`,
      `Wrong key (one bit): SSIM with the plain image ${
        mean(exact, "wrongKeySsim").toFixed(3)
      } (exact), ` +
      `${mean(paper, "wrongKeySsim").toFixed(3)} (paper).`,
      `Diffusion of a one-level pixel change under fixed key streams (exact): ` +
      `${mean(exact, "fixedKeyNpcr").toFixed(2)} % of pixels with the learned coupling vs ` +
      `${
        mean(exact, "fixedKeyNpcrNoNet").toFixed(2)
      } % without it; with the image hash re-derived (the real ` +
      `scheme) ${mean(exact, "plainNpcr").toFixed(2)} %.`,
      `Noise: paper variant decrypted PSNR after 1 % salt-and-pepper ${
        mean(paper, "psnr salt-pepper-1%").toFixed(2)
      } dB, ` +
      `after a 1/16 crop ${mean(paper, "psnr crop-1/16").toFixed(2)} dB; exact variant ` +
      `${mean(exact, "psnr salt-pepper-1%").toFixed(2)} dB and ${
        mean(exact, "psnr crop-1/16").toFixed(2)
      } dB ` +
      `(it has no redundancy: a damaged cipher fails its hash check).`,
    ],
  };
}

/** The experiments of this module. */
export const experiments: Experiment[] = [
  {
    name: "chaotic-keys",
    title: "Chaotic keys: logistic map and key sensitivity",
    run: chaoticKeys,
  },
  {
    name: "revcipher",
    title: "Learned reversible cipher: exact vs paper variant",
    run: revcipherExperiment,
  },
];
