/**
 * Paper A's figures: ROC curves (log-log) of the membership attacks on both deployed models,
 * latency per method beside the paper's, attack AUC by adversary position, reliability of the
 * deployed models, per-record membership risk, and the tiny CNN's inversions;
 * {@linkcode paperAFigures} draws them all.
 *
 * @example
 * ```ts
 * import { inversionStrip } from "./figures.ts";
 * const inv = { images: [new Float32Array(4), new Float32Array(4)], size: 2, targetClass: 0, confidence: [1, 1], queries: 0 };
 * console.log((inversionStrip(inv, "two").data[0].z as number[][])[0].length); // 5
 * ```
 * @module
 */
import { provenance } from "../../core/provenance.ts";
import type { LabeledSet } from "../../datasets/medmnist.ts";
import type { Inversion } from "../../attacks/inversion.ts";
import type { MembershipAudit } from "../../attacks/audit.ts";
import { evaluate } from "../../nn/eval.ts";
import { METHODS, POSITIONS } from "../../pipeline/session.ts";
import type { NamedFigure } from "../../report/types.ts";
import type { Figure } from "../../viz/types.ts";
import { reliabilityFigure, rocFigureLogLog } from "../../viz/evaluation.ts";
import { imageGridFigure, wrapTitle } from "../../viz/figures.ts";
import { medImage } from "../../image/types.ts";
import { median } from "../../stats/mod.ts";
import type { DeployedAudits } from "./audits.ts";
import type { InversionRun } from "./inversion.ts";
import { PAPER_A_REPORTED, type PaperAConfig } from "./options.ts";
import type { MethodRun } from "./pipelines.ts";
import type { ThreatRow } from "./tables.ts";

/**
 * The reconstructions of one inversion on the shared image grid: each titled with its restart and
 * the model's confidence in the target class, low = black.
 *
 * @param inv the reconstructions
 * @param title figure title
 * @returns the figure
 * @example
 * ```ts
 * import { inversionStrip } from "./figures.ts";
 * const inv = { images: [new Float32Array(9)], size: 3, targetClass: 1, confidence: [1], queries: 0 };
 * console.log(inversionStrip(inv, "one").data.length); // 1
 * ```
 */
export function inversionStrip(inv: Inversion, title: string): Figure {
  const panels = inv.images.map((img, k) => ({
    title: `restart ${k + 1}: confidence ${inv.confidence[k].toFixed(3)}`,
    image: medImage(
      Uint8Array.from(img, (v) => Math.round(255 * Math.min(1, Math.max(0, v)))),
      inv.size,
      inv.size,
    ),
  }));
  return imageGridFigure(panels, {
    title: `${title}, ${inv.queries} queries`,
    columns: Math.min(6, panels.length),
    width: Math.max(640, 220 * Math.min(6, panels.length)),
  });
}

/**
 * @param audit an audit
 * @param title figure title
 * @returns the ROC curves (log-log) of every attack and control of the audit
 * @example
 * ```ts ignore
 * import { miaRocFigure } from "./figures.ts";
 * console.log(miaRocFigure(audits.cnn, "cnn-tiny").data.length > 0); // true
 * ```
 */
export function miaRocFigure(audit: MembershipAudit, title: string): Figure {
  return rocFigureLogLog(
    [...audit.attacks, ...audit.controls].map((a) => ({
      name: `${a.attack}: AUC ${a.metrics.auc.toFixed(3)} [${a.metrics.aucLow.toFixed(3)}, ${
        a.metrics.aucHigh.toFixed(3)
      }]`,
      curve: a.curve,
    })),
    title,
  );
}

/**
 * @param runs the pipeline runs
 * @returns median latency per method beside the paper's reported HE latency (log scale)
 * @example
 * ```ts
 * import { latencyFigure } from "./figures.ts";
 * const runs = [{ method: "HE", latencyMs: [1, 3] }] as never;
 * console.log(latencyFigure(runs).data[0].y); // [ 2 ]
 * ```
 */
export function latencyFigure(runs: readonly MethodRun[]): Figure {
  const p95 = (xs: readonly number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(0.95 * s.length))];
  };
  return {
    data: [
      {
        type: "bar",
        name: "measured: median",
        x: runs.map((r) => r.method),
        y: runs.map((r) => median(r.latencyMs)),
      },
      {
        type: "bar",
        name: "measured: 95th percentile",
        x: runs.map((r) => r.method),
        y: runs.map((r) => p95(r.latencyMs)),
      },
      {
        type: "bar",
        name: "paper A (reported)",
        x: METHODS,
        y: METHODS.map((m) => (m === "HE" ? PAPER_A_REPORTED.heLatencyMs : null)),
      },
    ],
    layout: {
      title: { text: "Latency per image (log scale)" },
      yaxis: { title: { text: "ms per image" }, type: "log", exponentformat: "power" },
      barmode: "group",
      width: 900,
      height: 480,
      margin: { l: 70, r: 20, t: 60, b: 50 },
      legend: { orientation: "h", y: -0.15 },
    },
  };
}

/**
 * @param rows the threat-model rows
 * @returns membership-inference AUC by position, one bar group per method
 * @example
 * ```ts
 * import { positionAucFigure } from "./figures.ts";
 * console.log(positionAucFigure([]).data.length); // 4
 * ```
 */
export function positionAucFigure(rows: readonly ThreatRow[]): Figure {
  // position names wrap onto short lines so the category labels are never cut
  const label = (name: string) => wrapTitle(name, 18).join("<br>");
  return {
    data: METHODS.map((m) => {
      const mine = POSITIONS.map((p) => rows.find((r) => r.method === m && r.position === p.name));
      const auc = mine.map((r) => r?.["MIA AUC"] ?? null);
      return {
        type: "bar",
        name: m,
        x: POSITIONS.map((p) => label(p.name)),
        y: auc,
        // the 95 % DeLong interval of each AUC, as the threat-model table holds it
        error_y: {
          type: "data",
          symmetric: false,
          array: mine.map((r) => r ? r["AUC high"] - r["MIA AUC"] : null),
          arrayminus: mine.map((r) => r ? r["MIA AUC"] - r["AUC low"] : null),
          visible: true,
        },
      };
    }),
    layout: {
      title: { text: "Membership-inference AUC by adversary position (95 % intervals)" },
      yaxis: { title: { text: "AUC (0.5 = chance)" }, range: [0, 1] },
      barmode: "group",
      width: 1000,
      height: 520,
      margin: { l: 70, r: 20, t: 60, b: 110 },
      shapes: [{
        type: "line",
        xref: "paper",
        x0: 0,
        x1: 1,
        y0: 0.5,
        y1: 0.5,
        line: { dash: "dot", width: 1, color: "#888" },
      }],
    },
  };
}

/**
 * @param audit an audit
 * @returns histograms of the LiRA membership posterior of members and non-members
 * @example
 * ```ts
 * import { riskHistogramFigure } from "./figures.ts";
 * const audit = { risk: Float64Array.from([0.1, 0.9]), targetKeep: Uint8Array.from([0, 1]) } as never;
 * console.log(riskHistogramFigure(audit).data.map((t) => t.x)); // [ [ 0.1 ], [ 0.9 ] ]
 * ```
 */
export function riskHistogramFigure(audit: MembershipAudit): Figure {
  return {
    data: [0, 1].map((v) => ({
      type: "histogram",
      name: v ? "members" : "non-members",
      x: Array.from(audit.risk).filter((_, i) => audit.targetKeep[i] === v),
      opacity: 0.6,
      xbins: { start: 0, end: 1, size: 0.05 },
    })),
    layout: {
      title: { text: "Per-record membership risk (LiRA posterior), cnn-tiny" },
      barmode: "overlay",
      xaxis: { title: { text: "P(member | output)" } },
    },
  };
}

/** Paper A's figures, one field each (written in field order). */
export type PaperAFigures = {
  /** `mia_roc_cnn_tiny`. */
  miaRocCnn: NamedFigure;
  /** `mia_roc_he_cnn`. */
  miaRocHe: NamedFigure;
  /** `latency_by_method`. */
  latency: NamedFigure;
  /** `attack_auc_by_position`. */
  attackAucByPosition: NamedFigure;
  /** `reliability_deployed`. */
  reliabilityDeployed: NamedFigure;
  /** `mia_risk_histogram`. */
  riskHistogram: NamedFigure;
  /** `inversion_white-box_normal`. */
  inversionWhiteNormal: NamedFigure;
  /** `inversion_black-box_normal`. */
  inversionBlackNormal: NamedFigure;
  /** `inversion_white-box_pneumonia`. */
  inversionWhitePneumonia: NamedFigure;
  /** `inversion_black-box_pneumonia`. */
  inversionBlackPneumonia: NamedFigure;
  /** `reliability_models` (of `paper-a-models`). */
  reliabilityModels: NamedFigure;
};

/** What {@linkcode paperAFigures} draws from. */
export interface PaperAFigureInputs {
  /** Sizes of the run. */
  cfg: PaperAConfig;
  /** Scale, tfjs backend and seed, recorded in every figure's provenance. */
  meta: { scale: string; backend: string; seed: number };
  /** The test split (for the reliability of the deployed models). */
  test: LabeledSet;
  /** The deployed audits. */
  audits: DeployedAudits;
  /** The pipeline runs. */
  runs: readonly MethodRun[];
  /** The threat-model rows. */
  threat: readonly ThreatRow[];
  /** The tiny CNN's inversion runs (white/black box × normal/pneumonia). */
  inversions: readonly InversionRun[];
  /** The classifiers' reliability figure. */
  reliabilityModels: NamedFigure;
}

/**
 * @param inp everything the figures are drawn from
 * @returns the named figures, each with its provenance
 * @example
 * ```ts ignore
 * import { paperAFigures } from "./figures.ts";
 * console.log(paperAFigures(inputs).latency.name); // latency_by_method
 * ```
 */
export function paperAFigures(inp: PaperAFigureInputs): PaperAFigures {
  const { cfg, meta, audits, test } = inp;
  const prov = (params: Record<string, unknown>) =>
    provenance({
      params: { scale: meta.scale, backend: meta.backend, ...params },
      seed: meta.seed,
    });
  const named = (name: string, figure: Figure, params: Record<string, unknown> = {}) => ({
    name,
    figure: { ...figure, provenance: prov(params) },
  });
  const inv = (mode: string, cls: number): NamedFigure => {
    const run = inp.inversions.find((r) => r.mode === mode && r.cls === cls)!;
    const className = cls === 1 ? "pneumonia" : "normal";
    return {
      name: `inversion_${mode}_${className}`,
      figure: {
        ...inversionStrip(run.inversion, `${mode} inversion of "${className}" (cnn-tiny)`),
        provenance: provenance({ params: { mode, cls, ...cfg.inversion }, seed: meta.seed }),
      },
    };
  };
  const refs = `${cfg.refModels} reference models`;
  return {
    miaRocCnn: named(
      "mia_roc_cnn_tiny",
      miaRocFigure(audits.cnn, `Membership inference, cnn-tiny target (${refs})`),
      { model: "cnn-tiny", refModels: cfg.refModels },
    ),
    miaRocHe: named(
      "mia_roc_he_cnn",
      miaRocFigure(audits.he, `Membership inference, HE-friendly CNN target (${refs})`),
      { model: "he-cnn", refModels: cfg.refModels },
    ),
    latency: named("latency_by_method", latencyFigure(inp.runs), { images: cfg.pipelineImages }),
    attackAucByPosition: named("attack_auc_by_position", positionAucFigure(inp.threat)),
    reliabilityDeployed: named(
      "reliability_deployed",
      reliabilityFigure([
        { name: "cnn-tiny", evaluation: evaluate(audits.cnn.target, test) },
        { name: "he-cnn", evaluation: evaluate(audits.he.target, test) },
      ]),
    ),
    riskHistogram: named("mia_risk_histogram", riskHistogramFigure(audits.cnn)),
    inversionWhiteNormal: inv("white-box", 0),
    inversionBlackNormal: inv("black-box", 0),
    inversionWhitePneumonia: inv("white-box", 1),
    inversionBlackPneumonia: inv("black-box", 1),
    reliabilityModels: inp.reliabilityModels,
  };
}
