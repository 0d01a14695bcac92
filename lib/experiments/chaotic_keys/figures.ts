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
 * console.log(bifurcationFigure(20, 10).data.length); // 3
 * ```
 */
export function bifurcationFigure(steps = 300, keep = 60): Figure {
  const d = bifurcationData(2.8, 4, steps, keep);
  const z = bifurcationData(3.985, 4, Math.max(20, Math.floor(steps / 5)), keep);
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
      {
        type: "scatter",
        mode: "markers",
        ...zoomed(z.r, z.x),
        xaxis: "x2",
        yaxis: "y2",
        marker: { size: 2, color: "crimson", opacity: 0.5 },
        name: "key range, zoomed (inset)",
      },
    ],
    layout: {
      title: { text: "Logistic map x ← r·x·(1−x): bifurcation diagram" },
      xaxis: { title: { text: "r" } },
      yaxis: { title: { text: "x (after 500 burn-in iterations)" } },
      showlegend: true,
      ...insetAxes([0.06, 0.4], [0.14, 0.42]),
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
  const base = lineFigure([
    { name: "λ(r)", x: r, y: l },
    { name: "λ = 0 (chaos above)", x: [2.8, 4], y: [0, 0] },
    { name: "key schedule threshold 0.55", x: [3.99, 4], y: [0.55, 0.55] },
  ], {
    title: "Lyapunov exponent of the logistic map",
    xTitle: "r",
    yTitle: "λ (nats / iteration)",
    params: { steps, n: 4000 },
  });
  // the key range [3.99, 4) is a hairline at full scale: an inset shows it 30× wider
  const zr = Array.from({ length: 120 }, (_, i) => 3.985 + 0.015 * i / 119);
  const inset = [
    {
      x: zr,
      y: zr.map((v) => lyapunovExponent(Math.min(v, 4), { n: 4000 })),
      name: "λ(r), zoomed",
    },
    { x: [3.99, 4], y: [0.55, 0.55], name: "threshold, zoomed" },
  ].map((t) => ({ type: "scatter", mode: "lines", ...t, xaxis: "x2", yaxis: "y2" }));
  const figure = {
    ...base,
    data: [...base.data, ...inset],
    layout: { ...base.layout, ...insetAxes([0.5, 0.95], [0.06, 0.36]) },
  };
  return { figure, minInKeyRange };
}
/** Axes of an inset that zooms on r ∈ [3.985, 4] (the key range [3.99, 4) and its edge). */
function insetAxes(x: [number, number], y: [number, number]): Record<string, unknown> {
  return {
    xaxis2: {
      domain: x,
      anchor: "y2",
      range: [3.985, 4],
      title: { text: "r (zoom)", font: { size: 10 } },
      tickfont: { size: 9 },
      showline: true,
      mirror: true,
    },
    yaxis2: { domain: y, anchor: "x2", tickfont: { size: 9 }, showline: true, mirror: true },
  };
}

/** The points of a bifurcation diagram with r in the inset's range. */
function zoomed(r: ArrayLike<number>, x: ArrayLike<number>): { x: number[]; y: number[] } {
  const out = { x: [] as number[], y: [] as number[] };
  for (let i = 0; i < r.length; i++) {
    if (r[i] >= 3.985) {
      out.x.push(Math.round(r[i] * 1e5) / 1e5);
      out.y.push(Math.round(x[i] * 1e3) / 1e3);
    }
  }
  return out;
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
