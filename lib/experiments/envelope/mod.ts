/**
 * Experiment `envelope` (for `deno task reproduce --only envelope` and
 * `notebooks/02_envelope.ipynb`): encrypt and decrypt every embedded scan with the hybrid
 * AES-256-GCM + RSA-OAEP envelope (and the CBC + HMAC variant), with sizes, overhead and timings;
 * and payload throughput against input size for each engine, beside `openssl speed` measured in
 * the same run.
 *
 * @example
 * ```ts ignore
 * import { experiments } from "./mod.ts";
 * const r = await experiments[0].run({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(Object.keys(r.tables), r.notes?.length); // [ "scans", "throughput" ] 2
 * ```
 * @module
 */
import type { ColumnTable } from "arquero";
import type {
  Experiment,
  ExperimentContext,
  ExperimentResult,
  NamedFigure,
  NamedTable,
} from "../../report/types.ts";
import { closeWorkers, generateKeyPair, getEngine } from "../../envelope/mod.ts";
import { scanTable } from "./scans.ts";
import { OPENSSL_ROW, throughputTable } from "./throughput.ts";
import { throughputFigure } from "./figures.ts";

export * from "./scans.ts";
export * from "./throughput.ts";
export * from "./figures.ts";

/** The tables and figures of experiment `envelope`, one field each. */
export type EnvelopeResult = ExperimentResult<
  { scans: NamedTable; throughput: NamedTable },
  { throughput: NamedFigure }
>;

/**
 * Runs the experiment: a fresh RSA-2048 recipient, every embedded scan through the envelope
 * (5 timing repetitions, 15 at full scale), and the throughput sweep.
 *
 * @param ctx the scale (the seed does not matter: keys and nonces are fresh randomness)
 * @returns the scans and throughput tables, the throughput figure and notes
 * @example
 * ```ts ignore
 * import { runEnvelopeExperiment } from "./mod.ts";
 * const r = await runEnvelopeExperiment({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables.scans.name); // envelope_scans
 * ```
 */
export async function runEnvelopeExperiment(ctx: ExperimentContext): Promise<EnvelopeResult> {
  const pair = await generateKeyPair(2048);
  try {
    const scans = await scanTable(pair, ctx.scale === "full" ? 15 : 5);
    const tput = await throughputTable(ctx.scale);
    const params = {
      scale: ctx.scale,
      engine: getEngine().name,
      cores: navigator.hardwareConcurrency,
    };
    return {
      tables: {
        scans: {
          name: "envelope_scans",
          table: scans,
          caption:
            "Every embedded scan through the envelope: sizes, overhead, median timings, bit-exactness",
        },
        throughput: {
          name: "envelope_throughput",
          table: tput,
          caption: "Payload throughput per engine and size, with openssl speed from the same run",
        },
      },
      figures: {
        throughput: { name: "throughput_vs_size", figure: throughputFigure(tput, params) },
      },
      notes: envelopeNotes(scans, tput),
    };
  } finally {
    closeWorkers();
  }
}

function envelopeNotes(scans: ColumnTable, tput: ColumnTable): string[] {
  const objs = scans.objects() as {
    bit_exact: boolean;
    image_with_metadata_exact: boolean | null;
  }[];
  const exact = objs.filter((r) => r.bit_exact).length;
  const rows = tput.objects() as {
    implementation: string;
    bytes: number;
    direction: string;
    ratio_to_openssl: number | null;
  }[];
  const best = rows.filter((r) =>
    r.implementation !== OPENSSL_ROW && r.bytes >= 2 * 1024 * 1024 &&
    r.ratio_to_openssl !== null && r.direction === "encrypt"
  );
  const fastest = best.length
    ? best.reduce((a, b) => (a.ratio_to_openssl! > b.ratio_to_openssl! ? a : b))
    : undefined;
  const withMeta = objs.filter((r) => r.image_with_metadata_exact !== null);
  return [
    `${exact} of ${objs.length} file round trips were bit-exact; image+metadata round trips exact: ${
      withMeta.filter((r) => r.image_with_metadata_exact === true).length
    } of ${withMeta.length}.`,
    fastest
      ? `Best encryption ratio to openssl speed at ≥ 2 MB: ${
        fastest.ratio_to_openssl!.toFixed(2)
      }× (${fastest.implementation}, ${fastest.bytes} bytes); goal 0.8×.`
      : "openssl was not available, so no ratio was measured.",
  ];
}

/** The experiments of this module. */
export const experiments: Experiment[] = [
  {
    name: "envelope",
    title: "Hybrid AES-256-GCM + RSA-OAEP envelope: scans, sizes, timings, throughput",
    run: runEnvelopeExperiment,
  },
];
