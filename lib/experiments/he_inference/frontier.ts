/**
 * Experiment `he-frontier`: every member of the HE-friendly model family side by side — test
 * accuracy with its 95 % Wilson interval against latency (one image per query, one thread) and
 * amortised throughput (one full batch, two workers), each row with its CKKS parameters, depth,
 * rotation keys, the key material a server stores per client, and query and reply sizes; and how
 * many encrypted labels equal the same model's in the clear. The members are the shipped
 * `he_cnn.json` (N = 8192, depth 5) and `he_cnn_4096.json` (N = 4096, depth 3); each was chosen on
 * the validation split among runs declared before training (`data/models/*.md`).
 *
 * @example
 * ```ts ignore
 * import { runHeFrontier } from "./frontier.ts";
 * const r = await runHeFrontier({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables[0].name); // "he_frontier"
 * ```
 * @module
 */
import * as aq from "arquero";
import type { Experiment, ExperimentContext, ExperimentResult } from "../../report/types.ts";
import { loadPneumoniaMNIST } from "../../datasets/mod.ts";
import { loadHeModel } from "../../he/model.ts";
import { preset } from "../../he/params.ts";
import { encryptedInference, MODEL_4096_PATH, SHIPPED_MODEL_PATH } from "../../he/pipeline.ts";
import { wilsonInterval } from "../../stats/classification.ts";
import { heInputs } from "./inference.ts";
import type { Figure } from "../../viz/types.ts";

/** A member of the family: its file and the preset it was built for. */
export interface FamilyMember {
  /** Row label. */
  name: string;
  /** The model file. */
  path: string;
  /** The CKKS preset. */
  preset: string;
}

/** The family, in the order of the table. */
export const HE_FAMILY: readonly FamilyMember[] = [
  { name: "he_cnn (shipped)", path: SHIPPED_MODEL_PATH, preset: "ckks-8192-d5" },
  { name: "he_cnn_4096", path: MODEL_4096_PATH, preset: "ckks-4096-d3" },
];

/** One row of the frontier. */
export interface FrontierRow {
  model: string;
  preset: string;
  N: number;
  depth: number;
  "rotation keys": number;
  "keys per client MB": number;
  "query MB/image": number;
  "reply MB/image": number;
  "latency ms/image": number;
  "amortised throughput images/s": number;
  "batch size": number;
  "test accuracy": number;
  "95% lo": number;
  "95% hi": number;
  "labels = plaintext": string;
}

/**
 * Measures one member: latency over the first `k` test images, then one full batch of the test
 * images cycled over every slot, whose first 468 labels give the accuracy.
 *
 * @param m the member
 * @param k images in latency mode
 * @returns its row
 */
export async function frontierRow(m: FamilyMember, k: number): Promise<FrontierRow> {
  const model = await loadHeModel(m.path);
  const { test } = await loadPneumoniaMNIST();
  const inputs = heInputs(model, test);
  // a warm-up query first, so the latency is that of a running client and server
  await encryptedInference(model, inputs.slice(0, 2), { preset: m.preset, mode: "single" });
  const single = await encryptedInference(model, inputs.slice(0, k), {
    preset: m.preset,
    mode: "single",
  });
  const slots = preset(m.preset).polyModulusDegree / 2;
  const full = Array.from({ length: slots }, (_, i) => inputs[i % inputs.length]);
  const batch = await encryptedInference(model, full, {
    preset: m.preset,
    mode: "batch",
    workers: 2,
  });
  const n = test.n;
  const labels = batch.labels.slice(0, n);
  const correct = labels.filter((l, i) => l === test.labels[i]).length;
  const same = labels.filter((l, i) => l === batch.plainLabels[i]).length;
  const ci = wilsonInterval(correct, n);
  const z = single.sizes, mb = (b: number) => b / 1e6;
  return {
    model: m.name,
    preset: m.preset,
    N: single.params.polyModulusDegree,
    depth: single.depth,
    "rotation keys": single.rotations.length,
    "keys per client MB": mb(z.publicKey + z.relinKeys + z.galoisKeys),
    "query MB/image": mb(z.queryBytes / k),
    "reply MB/image": mb(z.resultBytes / k),
    "latency ms/image": single.timings.perImageMs,
    "amortised throughput images/s": (slots / batch.timings.inferenceMs) * 1000,
    "batch size": slots,
    "test accuracy": correct / n,
    "95% lo": ci.lo,
    "95% hi": ci.hi,
    "labels = plaintext": `${same}/${n}`,
  };
}

/**
 * Test accuracy (with its 95 % interval) against latency and against amortised throughput, one
 * point per member, labelled with its preset, depth and rotation keys.
 *
 * @param rows the frontier rows
 * @returns the figure (two panels, log x axes)
 * @example
 * ```ts
 * import { frontierFigure } from "./frontier.ts";
 * console.log(frontierFigure([]).data.length); // 2
 * ```
 */
export function frontierFigure(rows: readonly FrontierRow[]): Figure {
  const acc = rows.map((r) => r["test accuracy"]);
  const err = {
    type: "data" as const,
    symmetric: false,
    array: rows.map((r) => r["95% hi"] - r["test accuracy"]),
    arrayminus: rows.map((r) => r["test accuracy"] - r["95% lo"]),
  };
  const text = rows.map((r) => `${r.model}<br>N=${r.N}, depth ${r.depth}`);
  const hover = rows.map((r) =>
    `${r["rotation keys"]} rotation keys, ${r["keys per client MB"].toFixed(1)} MB of keys, ` +
    `query ${r["query MB/image"].toFixed(2)} MB/image`
  );
  // log axes padded by a factor of 2 each side, so the labels of the end points stay inside
  const range = (xs: number[]) =>
    xs.length ? [Math.log10(Math.min(...xs) / 2), Math.log10(Math.max(...xs) * 2)] : undefined;
  const lat = rows.map((r) => r["latency ms/image"]);
  const thr = rows.map((r) => r["amortised throughput images/s"]);
  const trace = (x: number[], xaxis: string, yaxis: string) => ({
    type: "scatter",
    mode: "markers+text",
    x,
    y: acc,
    error_y: err,
    text,
    hovertext: hover,
    textposition: "middle right",
    xaxis,
    yaxis,
    marker: { size: 10 },
    showlegend: false,
  });
  return {
    data: [
      trace(lat, "x", "y"),
      trace(thr, "x2", "y2"),
    ],
    layout: {
      title: { text: "The HE model family: test accuracy (95 % interval) against speed" },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      xaxis: {
        title: { text: "latency, ms per image (1 image/query, 1 thread; log)" },
        type: "log",
        range: range(lat),
      },
      yaxis: { title: { text: "test accuracy (468 images)" } },
      xaxis2: {
        title: { text: "amortised images/s (full batch, 2 workers; log)" },
        type: "log",
        range: range(thr),
      },
      yaxis2: { title: { text: "test accuracy (468 images)" } },
    },
  };
}

/**
 * Runs the frontier over the family.
 *
 * @param ctx the scale (latency over 24 images at quick, 64 at full, after a warm-up query)
 * @returns the `he_frontier` table and figure, and notes
 */
export async function runHeFrontier(ctx: ExperimentContext): Promise<ExperimentResult> {
  const k = ctx.scale === "full" ? 64 : 24;
  const rows: FrontierRow[] = [];
  for (const m of HE_FAMILY) rows.push(await frontierRow(m, k));
  const fastest = [...rows].sort((a, b) => a["latency ms/image"] - b["latency ms/image"])[0];
  const best = [...rows].sort((a, b) => b["test accuracy"] - a["test accuracy"])[0];
  return {
    tables: [{
      name: "he_frontier",
      table: aq.from(rows),
      caption:
        `The HE model family: test accuracy (468 images, 95 % Wilson interval) against latency (one image per query, one thread, ${k} images) and amortised throughput (one full batch, two workers); keys, query and reply sizes per client`,
      randomised: [{
        columns: ["test accuracy", "95% lo", "95% hi", "labels = plaintext"],
        reason: "CKKS encryption noise: SEAL draws it and it cannot be seeded (a label can flip)",
      }],
    }],
    figures: [{ name: "he_frontier", figure: frontierFigure(rows) }],
    notes: [
      `Fastest: ${fastest.model} at ${
        fastest["latency ms/image"].toFixed(1)
      } ms per image (accuracy ${
        fastest["test accuracy"].toFixed(3)
      }); most accurate: ${best.model} at ${best["test accuracy"].toFixed(3)} [${
        best["95% lo"].toFixed(3)
      }, ${best["95% hi"].toFixed(3)}].`,
      overlap(rows)
        ? "Every pair of intervals overlaps: on 468 test images the members' accuracies are not told apart."
        : "Some intervals do not overlap: those members' accuracies differ on 468 test images.",
    ],
  };
}

/** Whether every pair of rows has overlapping intervals. */
function overlap(rows: readonly FrontierRow[]): boolean {
  return rows.every((a) =>
    rows.every((b) => a["95% lo"] <= b["95% hi"] && b["95% lo"] <= a["95% hi"])
  );
}

/** The experiment, for `deno task reproduce --only he-frontier`. */
export const frontierExperiment: Experiment = {
  name: "he-frontier",
  title: "The HE model family: accuracy against latency and throughput, keys and sizes",
  run: (ctx) => runHeFrontier(ctx),
};
