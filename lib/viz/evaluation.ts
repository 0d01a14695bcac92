/**
 * Figures of evaluation results: ROC curves on log–log axes (the low-FPR regime that matters for
 * membership attacks) and reliability diagrams of a classifier's calibration.
 *
 * @example
 * ```ts
 * import { rocCurve } from "../stats/roc.ts";
 * import { rocFigureLogLog } from "./evaluation.ts";
 * const f = rocFigureLogLog([{ name: "toy", curve: rocCurve([0.9, 0.1, 0.5], [1, 0, 1]) }]);
 * console.log(f.data.map((t) => t.name)); // [ "toy", "chance" ]
 * ```
 * @module
 */
import type { RocCurve } from "../stats/roc.ts";
import type { Evaluation } from "../nn/eval.ts";
import type { Figure } from "./types.ts";
import { COLORWAY } from "./figures.ts";

/**
 * A ROC figure on log–log axes (the low-FPR regime is what matters for membership attacks),
 * with the chance diagonal.
 *
 * @param curves named curves
 * @param title figure title
 * @returns a Plotly {@linkcode Figure}
 * @example
 * ```ts
 * import { rocCurve } from "../stats/roc.ts";
 * import { rocFigureLogLog } from "./evaluation.ts";
 * const f = rocFigureLogLog([{ name: "toy", curve: rocCurve([0.9, 0.1, 0.5], [1, 0, 1]) }]);
 * console.log(f.data.length); // 2
 * ```
 */
export function rocFigureLogLog(
  curves: { name: string; curve: RocCurve }[],
  title = "ROC (log–log)",
): Figure {
  let minX = 1;
  const data: Figure["data"] = curves.map(({ name, curve }) => {
    const x: number[] = [], y: number[] = [];
    for (let i = 0; i < curve.fpr.length; i++) {
      if (curve.fpr[i] > 0 && curve.tpr[i] > 0) {
        x.push(curve.fpr[i]);
        y.push(curve.tpr[i]);
        minX = Math.min(minX, curve.fpr[i]);
      }
    }
    return { type: "scatter", mode: "lines", name, x, y, line: { shape: "hv" } };
  });
  data.push({
    type: "scatter",
    mode: "lines",
    name: "chance",
    x: [minX, 1],
    y: [minX, 1],
    line: { dash: "dash", color: "grey" },
  });
  return {
    data,
    layout: {
      title: { text: title },
      colorway: [...COLORWAY],
      xaxis: { title: { text: "false-positive rate" }, type: "log", exponentformat: "power" },
      yaxis: { title: { text: "true-positive rate" }, type: "log", exponentformat: "power" },
    },
  };
}

/**
 * A reliability diagram (observed frequency of class 1 against mean predicted probability, per
 * bin, marker size ∝ count) with the diagonal of perfect calibration.
 *
 * @param evals named evaluations
 * @returns a Plotly {@linkcode Figure}
 * @example
 * ```ts
 * import { evaluateProbs } from "../nn/eval.ts";
 * import { reliabilityFigure } from "./evaluation.ts";
 * const e = evaluateProbs(Float32Array.from([0.9, 0.1, 0.2, 0.8]), Uint8Array.from([0, 1]));
 * console.log(reliabilityFigure([{ name: "toy", evaluation: e }]).data.length); // 2
 * ```
 */
export function reliabilityFigure(evals: { name: string; evaluation: Evaluation }[]): Figure {
  const data: Figure["data"] = evals.map(({ name, evaluation }) => {
    const bins = evaluation.reliability.filter((b) => b.count > 0);
    const max = Math.max(...bins.map((b) => b.count));
    return {
      type: "scatter",
      mode: "lines+markers",
      name: `${name} (ECE ${evaluation.ece.toFixed(3)})`,
      x: bins.map((b) => b.meanPredicted),
      y: bins.map((b) => b.observed),
      text: bins.map((b) => `n=${b.count}`),
      marker: { size: bins.map((b) => 6 + 14 * Math.sqrt(b.count / max)) },
    };
  });
  data.push({
    type: "scatter",
    mode: "lines",
    name: "perfect calibration",
    x: [0, 1],
    y: [0, 1],
    line: { dash: "dash", color: "grey" },
  });
  return {
    data,
    layout: {
      title: { text: "Reliability diagram" },
      xaxis: { title: { text: "mean predicted P(pneumonia)" }, range: [0, 1] },
      yaxis: { title: { text: "observed fraction pneumonia" }, range: [0, 1] },
    },
  };
}
