/**
 * The logistic map behind the keys, drawn: bifurcation diagram, Lyapunov exponent over r, and
 * the separation of two orbits started 10⁻¹⁵ apart.
 *
 * @example
 * ```ts
 * import { separationFigure } from "./figures.ts";
 * console.log(separationFigure().data.length > 0); // true
 * ```
 * @module
 */
import type { Figure } from "../../viz/types.ts";
import { lineFigure } from "../../viz/figures.ts";
import { provenance } from "../../core/provenance.ts";
import { bifurcationData, lyapunovExponent, orbitSeparation } from "../../ciphers/chaos/mod.ts";

/**
 * Bifurcation diagram of the logistic map, with the key schedule's range r ∈ [3.99, 4) marked.
 *
 * @param steps values of r
 * @param keep states per r
 * @returns the figure
 * @example
 * ```ts
 * import { bifurcationFigure } from "./figures.ts";
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
 * import { lyapunovFigure } from "./figures.ts";
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
 * import { separationFigure } from "./figures.ts";
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
