/**
 * Paper B's figures: histograms and adjacent-pixel scatters of a plain image beside its cipher
 * images, the cipher images themselves, NPCR/UACI against their critical values, robustness to
 * noise and cropping, and the known-plaintext curves; {@linkcode paperBFigures} draws them all.
 *
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { histogramsFigure } from "./figures.ts";
 * const img = medImage(Uint8Array.from({ length: 64 }, (_, i) => i), 8, 8);
 * const f = histogramsFigure(img, [{ label: "copy", image: img }], "two histograms");
 * console.log(f.data.length, f.data[1].xaxis); // 2 "x2"
 * ```
 * @module
 */
import type { NamedFigure } from "../../report/types.ts";
import type { Figure, Trace } from "../../viz/types.ts";
import { imageGridFigure } from "../../viz/figures.ts";
import { panelGridFigure } from "../../viz/panels.ts";
import { MedCryptError } from "../../core/errors.ts";
import { provenance } from "../../core/provenance.ts";
import type { MedImage } from "../../image/types.ts";
import { histogramOf } from "../../cipher_metrics/histogram.ts";
import { correlationScatter } from "../../cipher_metrics/correlation.ts";
import { npcrCritical, uaciCritical } from "../../cipher_metrics/differential.ts";
import { PERTURBATIONS } from "../../cipher_metrics/robustness.ts";
import { PSNR_CAP } from "../../attacks/cipher/known_plaintext.ts";
import { ALPHAS, type ImageSet, type PaperBOptions } from "./options.ts";
import type { CipherEntry } from "./ciphers.ts";
import type { TestImage } from "./images.ts";
import type { ImageRecord } from "./security.ts";
import type { RobustnessRow, RobustnessStudy } from "./robustness.ts";
import type { AttackRow } from "./plaintext_attacks.ts";

/** One colour per cipher, in table order (grey for the reference). */
const COLORS = [
  "#7f7f7f",
  "#1f77b4",
  "#d62728",
  "#ff7f0e",
  "#2ca02c",
  "#9467bd",
  "#8c564b",
  "#e377c2",
];
const color = (i: number) => COLORS[i % COLORS.length];

/** An image with the label of the cipher that produced it. */
export interface LabeledImage {
  /** Panel label (`"plain"` or the cipher label). */
  label: string;
  /** The image. */
  image: MedImage;
}

/**
 * Histograms (256 equal-width bins over the container's range) of a plain image and its cipher
 * images, one panel each.
 *
 * @param plain the plain image
 * @param ciphers its cipher images
 * @param title figure title
 * @returns the figure
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { histogramsFigure } from "./figures.ts";
 * const f = histogramsFigure(medImage(new Uint8Array(16), 4, 4), [], "one");
 * console.log((f.data[0].y as number[]).length, (f.data[0].y as number[])[0]); // 256 16
 * ```
 */
export function histogramsFigure(
  plain: MedImage,
  ciphers: readonly LabeledImage[],
  title: string,
): Figure {
  const bins = 256;
  const all = [{ label: `plain (${plain.bitDepth}-bit range)`, image: plain }, ...ciphers];
  const panels = all.map((p, i) => {
    // the plain image over its own bit depth (a 12-bit CT on a 16-bit axis is one spike);
    // cipher images over their 8- or 16-bit containers
    const bits = i === 0 ? p.image.bitDepth : p.image.bitDepth <= 8 ? 8 : 16;
    const trace: Trace = {
      type: "bar",
      x: Array.from({ length: bins }, (_, k) => k * (2 ** bits / bins)),
      y: Array.from(histogramOf(p.image.data, bits, bins)),
      marker: { color: color(i) },
      name: p.label,
    };
    return { title: p.label, trace };
  });
  const cols = 3, rows = Math.ceil(panels.length / cols);
  const f = panelGridFigure(panels, {
    title,
    columns: cols,
    rowHeight: 260,
    params: { figure: "histograms", bins },
  });
  // axis titles on the outer panels: grey level along the bottom, pixel count on the left
  panels.forEach((_, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    const x = (f.layout[`xaxis${ax}`] ?? {}) as Record<string, unknown>;
    const y = (f.layout[`yaxis${ax}`] ?? {}) as Record<string, unknown>;
    if (Math.floor(i / cols) === rows - 1 || i + cols >= panels.length) {
      f.layout[`xaxis${ax}`] = { ...x, title: { text: "grey level" } };
    }
    if (i % cols === 0) f.layout[`yaxis${ax}`] = { ...y, title: { text: "pixels" } };
  });
  return f;
}

/**
 * Horizontally adjacent pixel pairs (2,000 sampled) of a plain image and its cipher images.
 *
 * @param plain the plain image
 * @param ciphers its cipher images
 * @param seed seed of the sampled pairs
 * @returns the figure
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { correlationScatterFigure } from "./figures.ts";
 * const img = medImage(Uint8Array.from({ length: 4096 }, (_, i) => i % 256), 64, 64);
 * console.log(correlationScatterFigure(img, [], 1).data[0].type); // "scattergl"
 * ```
 */
export function correlationScatterFigure(
  plain: MedImage,
  ciphers: readonly LabeledImage[],
  seed: number,
): Figure {
  const panels = [{ label: "plain", image: plain }, ...ciphers].map((p, i) => {
    const s = correlationScatter(p.image, "horizontal", 2000, seed);
    const trace: Trace = {
      type: "scattergl",
      mode: "markers",
      x: s.x,
      y: s.y,
      marker: { size: 2, color: color(i) },
    };
    return { title: p.label, trace };
  });
  return panelGridFigure(panels, {
    title: "Horizontally adjacent pixel pairs (2,000 sampled; r over all pairs)",
    rowHeight: 280,
    params: { figure: "correlation scatter", seed },
  });
}

/** The NPCR critical lines and UACI acceptance bands at each α, for n pixels of `bits` bits. */
function criticalShapes(n: number, bits: number): Record<string, unknown>[] {
  const shapes: Record<string, unknown>[] = [];
  const dash = ["dash", "dot", "dashdot"];
  ALPHAS.forEach((a, k) => {
    const nc = npcrCritical(n, bits, a), uc = uaciCritical(n, bits, a);
    shapes.push({
      type: "line",
      xref: "x domain",
      yref: "y",
      x0: 0,
      x1: 1,
      y0: nc,
      y1: nc,
      line: { dash: dash[k], color: "black", width: 1 },
    });
    shapes.push({
      type: "rect",
      xref: "x2 domain",
      yref: "y2",
      x0: 0,
      x1: 1,
      y0: uc.lo,
      y1: uc.hi,
      line: { width: 0 },
      fillcolor: "rgba(0,150,0,0.12)",
    });
  });
  return shapes;
}

/**
 * Box plots of the one-pixel NPCR and UACI of every cipher over one set's images, with the Wu et
 * al. (2011) critical values for n pixels at each α.
 *
 * @param records the per-image records
 * @param set the set
 * @param n pixels per image
 * @returns the figure
 * @example
 * ```ts
 * import { npcrUaciFigure } from "./figures.ts";
 * const f = npcrUaciFigure([], "8-bit", 4096); // no records: only the 3 lines and 3 bands
 * console.log((f.layout.shapes as unknown[]).length); // 6
 * ```
 */
export function npcrUaciFigure(
  records: readonly ImageRecord[],
  set: ImageSet,
  n: number,
): Figure {
  const bits = set === "8-bit" ? 8 : 16;
  const recs = records.filter((r) => r.set === set);
  const labels = [...new Set(recs.map((r) => r.cipher))];
  const data: Trace[] = [];
  labels.forEach((l, i) => {
    const rs = recs.filter((r) => r.cipher === l);
    const box = (y: number[], axis: "" | "2") => ({
      type: "box",
      boxpoints: "all",
      jitter: 0.4,
      pointpos: 0,
      name: l,
      y,
      xaxis: `x${axis}`,
      yaxis: `y${axis}`,
      marker: { color: color(i), size: 4 },
      showlegend: false,
    });
    data.push(box(rs.map((r) => r.plaintext.npcr), ""), box(rs.map((r) => r.plaintext.uaci), "2"));
  });
  const side = Math.sqrt(n), strict = uaciCritical(n, bits, 0.001);
  const npcrRange = [Math.max(0, npcrCritical(n, bits, 0.001) - 0.5), 100.05];
  const uaciRange = [strict.lo - 2, strict.hi + 2];
  // a cipher whose values fall outside a panel's range gets a marker at the edge with its
  // median, instead of vanishing from the figure
  const outside: Record<string, unknown>[] = [];
  const perPanel: Record<string, number> = { "": 0, "2": 0 };
  labels.forEach((l) => {
    const rs = recs.filter((r) => r.cipher === l);
    for (
      const [values, range, axis] of [
        [rs.map((r) => r.plaintext.npcr), npcrRange, ""],
        [rs.map((r) => r.plaintext.uaci), uaciRange, "2"],
      ] as const
    ) {
      const med = [...values].sort((a, b) => a - b)[values.length >> 1];
      if (med >= range[0] && med <= range[1]) continue;
      const below = med < range[0];
      outside.push({
        xref: `x${axis}`,
        yref: `y${axis}`,
        x: l,
        y: below ? range[0] : range[1],
        text: `${below ? "▼" : "▲"} ${med.toFixed(2)} %`,
        // neighbours alternate between two heights so their labels never collide
        yshift: (below ? 1 : -1) * 15 * (perPanel[axis]++ % 2),
        showarrow: false,
        yanchor: below ? "bottom" : "top",
        font: { size: 10, color: "#b00" },
      });
    }
  });
  return {
    data,
    layout: {
      annotations: outside,
      title: {
        text:
          `${set}: NPCR and UACI of one-pixel plaintext changes, ${side}×${side} (lines/bands: Wu et al. 2011 critical values at α = 0.05, 0.01, 0.001)`,
      },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      yaxis: {
        title: { text: "NPCR (%)" },
        range: npcrRange,
      },
      yaxis2: { title: { text: "UACI (%)" }, range: uaciRange },
      shapes: criticalShapes(n, bits),
      height: 480,
    },
    provenance: provenance({ params: { figure: "npcr/uaci", set, pixels: n } }),
  };
}

/**
 * Decrypted PSNR or SSIM after each perturbation of the cipher image, one bar group per
 * perturbation and one bar per cipher.
 *
 * @param rows the robustness rows
 * @param set the set
 * @param metric `"psnr"` or `"ssim"`
 * @returns the figure
 * @example
 * ```ts
 * import { robustnessFigure } from "./figures.ts";
 * const rows = [{ cipher: "c", set: "8-bit" as const, perturbation: "crop 1/4", psnr: 12, ssim: 0.2, refused: 0 }];
 * console.log((robustnessFigure(rows, "8-bit", "psnr").data[0].y as unknown[])[5]); // 12
 * ```
 */
export function robustnessFigure(
  rows: readonly RobustnessRow[],
  set: ImageSet,
  metric: "psnr" | "ssim",
): Figure {
  const rs = rows.filter((r) => r.set === set);
  const labels = [...new Set(rs.map((r) => r.cipher))];
  const what =
    `${set}: decrypted ${metric.toUpperCase()} after noise or cropping of the cipher image`;
  return {
    data: labels.map((l, i) => ({
      type: "bar",
      name: l,
      x: PERTURBATIONS.map((p) => p.name),
      y: PERTURBATIONS.map((p) =>
        rs.find((r) => r.cipher === l && r.perturbation === p.name)?.[metric] ?? null
      ),
      marker: { color: color(i + 1) },
    })),
    layout: {
      title: {
        text: `${what} (unverified decryption${metric === "psnr" ? "; exact = 100 dB" : ""})`,
      },
      barmode: "group",
      yaxis: { title: { text: metric === "psnr" ? "PSNR (dB)" : "SSIM" } },
      height: 480,
    },
    provenance: provenance({ params: { figure: "robustness", set, metric } }),
  };
}

/** Line style of each known-plaintext attacker. */
const ATTACK_DASHES: Record<string, string> = {
  "xor-keystream": "solid",
  "bit-plane network": "dash",
  "conv network": "dashdot",
  "mean-plain baseline": "dot",
};

/**
 * Known-plaintext curves: PSNR of the decrypted held-out images vs N known pairs, one colour per
 * cipher and one line style per attacker.
 *
 * @param rows the known-plaintext points
 * @param set the set
 * @param size side of the attacked images
 * @returns the figure
 * @example
 * ```ts
 * import { knownPlaintextFigure } from "./figures.ts";
 * const pts = [{ cipher: "c", set: "8-bit" as const, attack: "xor-keystream", n: 1, psnr: 100, ssim: 1, exact: 1 }];
 * console.log(knownPlaintextFigure(pts, "8-bit", 32).data.length); // 4
 * ```
 */
export function knownPlaintextFigure(
  rows: readonly AttackRow[],
  set: ImageSet,
  size: number,
): Figure {
  const rs = rows.filter((r) => r.set === set);
  const labels = [...new Set(rs.map((r) => r.cipher))];
  const data: Trace[] = [];
  labels.forEach((l, i) => {
    for (const [a, dash] of Object.entries(ATTACK_DASHES)) {
      const pts = rs.filter((r) => r.cipher === l && r.attack === a);
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${l}: ${a}`,
        x: pts.map((p) => p.n),
        y: pts.map((p) => p.psnr),
        line: { dash, color: color(i + 1) },
      });
    }
  });
  return {
    data,
    layout: {
      title: {
        text:
          `${set}: known-plaintext attack on ${size}×${size} images, PSNR of decrypted held-out images vs N known pairs (exact = ${PSNR_CAP} dB)`,
      },
      xaxis: { type: "log", title: { text: "N known (plain, cipher) pairs" } },
      yaxis: { title: { text: "PSNR (dB)" } },
      height: 520,
    },
    provenance: provenance({ params: { figure: "known-plaintext", set } }),
  };
}

/** Paper B's figures, one field each (written in field order). */
export type PaperBFigures = {
  /** Histograms of a 16-bit CT slice and its cipher images. */
  histograms16bit: NamedFigure;
  /** Histograms of a PneumoniaMNIST image and its cipher images. */
  histograms8bit: NamedFigure;
  /** Adjacent-pixel scatters, 16-bit sample. */
  correlationScatter16bit: NamedFigure;
  /** Adjacent-pixel scatters, 8-bit sample. */
  correlationScatter8bit: NamedFigure;
  /** The 16-bit sample and its cipher images. */
  cipherImages: NamedFigure;
  /** NPCR/UACI against the critical values, 16-bit set. */
  npcrUaci16bit: NamedFigure;
  /** NPCR/UACI against the critical values, 8-bit set. */
  npcrUaci8bit: NamedFigure;
  /** Decrypted PSNR after perturbation, 16-bit set. */
  robustnessPsnr16bit: NamedFigure;
  /** Decrypted SSIM after perturbation, 16-bit set. */
  robustnessSsim16bit: NamedFigure;
  /** Decrypted PSNR after perturbation, 8-bit set. */
  robustnessPsnr8bit: NamedFigure;
  /** Unverified decryptions of perturbed 16-bit cipher images. */
  robustnessExamples: NamedFigure;
  /** Known-plaintext curves, 16-bit set. */
  knownPlaintext16bit: NamedFigure;
  /** Known-plaintext curves, 8-bit set. */
  knownPlaintext8bit: NamedFigure;
};

/** What {@linkcode paperBFigures} draws from. */
export interface PaperBFigureInputs {
  /** The run's options. */
  opt: PaperBOptions;
  /** The images. */
  images: readonly TestImage[];
  /** The ciphers. */
  ciphers: readonly CipherEntry[];
  /** The per-image records. */
  records: readonly ImageRecord[];
  /** The robustness study. */
  robustness: RobustnessStudy;
  /** The known-plaintext points. */
  kpa: readonly AttackRow[];
}

/** The first image of a set whose name starts with `prefix`. */
function sample(images: readonly TestImage[], set: ImageSet, prefix: string): TestImage {
  const t = images.find((i) => i.set === set && i.name.startsWith(prefix));
  if (!t) {
    throw new MedCryptError(
      "missing-data",
      `paper B's figures need a ${set} image named ${prefix}…; the image list has none`,
    );
  }
  return t;
}

/** Every cipher's cipher image of one plain image, in cipher order. */
async function encryptAll(
  ciphers: readonly CipherEntry[],
  img: MedImage,
): Promise<LabeledImage[]> {
  const out: LabeledImage[] = [];
  for (const c of ciphers) {
    out.push({ label: c.label, image: (await c.cipher.encrypt(img, c.key)).cipher });
  }
  return out;
}

/**
 * Draws every figure of the run. The sample images (the first 16-bit CT slice and the first
 * PneumoniaMNIST image) are encrypted once more by every cipher, 16-bit sample first.
 *
 * @param inputs options, images, ciphers and the results of the parts
 * @returns the figures
 * @example
 * ```ts ignore
 * import { cipherEntries, evaluateAll, knownPlaintextStudy, paperBImages, paperBOptions, robustnessStudy } from "./mod.ts";
 * import { paperBFigures } from "./figures.ts";
 * const opt = paperBOptions("quick", 1), images = await paperBImages(opt);
 * const { ciphers } = await cipherEntries(1);
 * const records = await evaluateAll(ciphers, images, 1);
 * const robustness = await robustnessStudy(ciphers, images, 2, 1);
 * const kpa = await knownPlaintextStudy(ciphers, opt); // trains networks: minutes
 * const figures = await paperBFigures({ opt, images, ciphers, records, robustness, kpa });
 * console.log(figures.cipherImages.name); // "cipher_images"
 * ```
 */
export async function paperBFigures(inputs: PaperBFigureInputs): Promise<PaperBFigures> {
  const { opt, images, ciphers, records, robustness, kpa } = inputs;
  const s16 = sample(images, "16-bit", "ct-"), s8 = sample(images, "8-bit", "pneumonia");
  const enc16 = await encryptAll(ciphers, s16.image), enc8 = await encryptAll(ciphers, s8.image);
  const n = opt.size * opt.size, rob = robustness.rows;
  const named = (name: string, figure: Figure): NamedFigure => ({ name, figure });
  return {
    histograms16bit: named(
      "histograms_16bit",
      histogramsFigure(
        s16.image,
        enc16,
        `Histograms (256 equal-width bins), ${s16.name} ${opt.size}×${opt.size} at ${s16.image.bitDepth} bits, and its cipher images (16-bit containers)`,
      ),
    ),
    histograms8bit: named(
      "histograms_8bit",
      histogramsFigure(s8.image, enc8, `Histograms, ${s8.name} (8-bit), and its cipher images`),
    ),
    correlationScatter16bit: named(
      "correlation_scatter_16bit",
      correlationScatterFigure(s16.image, enc16, opt.seed),
    ),
    correlationScatter8bit: named(
      "correlation_scatter_8bit",
      correlationScatterFigure(s8.image, enc8, opt.seed),
    ),
    cipherImages: named(
      "cipher_images",
      imageGridFigure([
        { title: `plain ${s16.name}`, image: s16.image },
        ...enc16.map((e) => ({ title: e.label, image: e.image })),
      ], { title: "A 16-bit CT slice and its cipher images", params: { figure: "image grid" } }),
    ),
    npcrUaci16bit: named("npcr_uaci_16bit", npcrUaciFigure(records, "16-bit", n)),
    npcrUaci8bit: named("npcr_uaci_8bit", npcrUaciFigure(records, "8-bit", n)),
    robustnessPsnr16bit: named("robustness_psnr_16bit", robustnessFigure(rob, "16-bit", "psnr")),
    robustnessSsim16bit: named("robustness_ssim_16bit", robustnessFigure(rob, "16-bit", "ssim")),
    robustnessPsnr8bit: named("robustness_psnr_8bit", robustnessFigure(rob, "8-bit", "psnr")),
    robustnessExamples: named(
      "robustness_examples",
      imageGridFigure(robustness.examples, {
        title: "Unverified decryptions of a perturbed 16-bit cipher image",
        params: { figure: "image grid" },
      }),
    ),
    knownPlaintext16bit: named(
      "known_plaintext_16bit",
      knownPlaintextFigure(kpa, "16-bit", opt.kpaSize),
    ),
    knownPlaintext8bit: named(
      "known_plaintext_8bit",
      knownPlaintextFigure(kpa, "8-bit", opt.kpaSize),
    ),
  };
}
