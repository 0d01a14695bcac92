/**
 * The envelope experiment's figure: throughput against payload size per engine and direction.
 *
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { throughputFigure } from "./figures.ts";
 * const t = aq.from([{ implementation: "x", direction: "encrypt", bytes: 1024, gb_per_s: 5 }]);
 * console.log(throughputFigure(t, {}).data.length); // 1
 * ```
 * @module
 */
import type { ColumnTable } from "arquero";
import type { Figure } from "../../viz/types.ts";
import { provenance } from "../../core/provenance.ts";

/**
 * @param table the output of {@linkcode throughputTable}
 * @param params parameters recorded in the provenance
 * @returns a log-x figure of encryption throughput against size per implementation
 */
export function throughputFigure(table: ColumnTable, params: Record<string, unknown>): Figure {
  const rows = table.objects() as {
    implementation: string;
    bytes: number;
    direction: string;
    gb_per_s: number;
  }[];
  const names = [...new Set(rows.map((r) => r.implementation))];
  const data = [];
  for (const name of names) {
    for (const direction of ["encrypt", "decrypt"]) {
      const rs = rows.filter((r) => r.implementation === name && r.direction === direction);
      if (!rs.length) continue;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${name} ${direction}`,
        x: rs.map((r) => r.bytes),
        y: rs.map((r) => r.gb_per_s),
        line: { dash: direction === "decrypt" ? "dot" : "solid" },
      });
    }
  }
  return {
    data,
    layout: {
      title: {
        text: "Envelope payload throughput (AES-256-GCM, 64 KiB STREAM chunks) vs input size",
      },
      xaxis: { title: { text: "input size (bytes)" }, type: "log" },
      yaxis: { title: { text: "GB/s" }, rangemode: "tozero" },
      legend: { orientation: "h", y: -0.25 },
      width: 900,
      height: 560,
    },
    provenance: provenance({ params }),
  };
}
