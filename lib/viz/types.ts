/**
 * The figure value passed between experiments, notebooks and exporters: a Plotly spec plus the
 * provenance of what produced it.
 *
 * @example
 * ```ts
 * import type { Figure } from "./types.ts";
 * const fig: Figure = { data: [{ type: "scatter", x: [1, 2], y: [3, 4] }], layout: { title: { text: "t" } } };
 * console.log(fig.data.length); // 1
 * ```
 * @module
 */
import type { Provenance } from "../core/provenance.ts";

/** One Plotly trace (kept loose: Plotly's own schema is the reference). */
export type Trace = Record<string, unknown> & { type?: string };

/** A Plotly figure with its provenance. */
export interface Figure {
  /** Plotly traces. */
  data: Trace[];
  /** Plotly layout. */
  layout: Record<string, unknown>;
  /** What produced the figure; exporters write it into the HTML's metadata. */
  provenance?: Provenance;
}
