/**
 * Experiment `envelope` (for `deno task reproduce --only envelope` and
 * `notebooks/02_envelope.ipynb`): encrypt and decrypt every embedded scan with the hybrid
 * AES-256-GCM + RSA-OAEP envelope (and the CBC + HMAC variant), with sizes, overhead and timings;
 * and payload throughput against input size for each engine, beside `openssl speed` measured in
 * the same run.
 *
 * @example
 * ```ts ignore
 * import { experiments } from "./envelope.ts";
 * const r = await experiments[0].run({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables.map((t) => t.name));
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { Experiment, ExperimentResult, Scale } from "./types.ts";
import type { Figure } from "../viz/types.ts";
import { provenance } from "../core/provenance.ts";
import { progress } from "../core/progress.ts";
import { readImage } from "../image/mod.ts";
import {
  type CipherSuite,
  closeWorkers,
  decrypt,
  decryptImage,
  encrypt,
  encryptImage,
  generateKeyPair,
  getEngine,
  type KeyPair,
} from "../envelope/mod.ts";
import { implementations, opensslSpeedGcm, payloadThroughput } from "../envelope/_measure.ts";

const OPENSSL_ROW = "openssl speed -elapsed (1 core, wall clock)";

const DATA = new URL("../../data/", import.meta.url).pathname;

function embeddedScans(): string[] {
  const out: string[] = [];
  for (const sub of ["clinical/", "dicom/", ""]) {
    for (const e of Deno.readDirSync(`${DATA}${sub}`)) {
      if (e.isFile && /\.(npy|npz|dcm)$/.test(e.name)) out.push(`${sub}${e.name}`);
    }
  }
  return out.sort();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed<T>(fn: () => Promise<T>, reps: number): Promise<{ value: T; ms: number }> {
  let value = await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    value = await fn();
    times.push(performance.now() - t0);
  }
  return { value, ms: median(times) };
}

/**
 * Encrypts and decrypts every embedded scan file (bytes as they are) and, for NPY/DICOM, the
 * decoded image with its metadata; checks bit-exactness and times each step (median of `reps`).
 *
 * @param pair the recipient's keys
 * @param reps repetitions per timing
 * @returns one row per file and suite
 */
export async function scanTable(pair: KeyPair, reps = 5): Promise<ColumnTable> {
  const rows: Record<string, unknown>[] = [];
  const files = embeddedScans();
  const bar = progress("envelope scans", files.length);
  for (const rel of files) {
    const bytes = await Deno.readFile(`${DATA}${rel}`);
    for (const suite of ["aes-256-gcm", "aes-256-cbc-hmac-sha256"] as CipherSuite[]) {
      const enc = await timed(() => encrypt(bytes, pair.publicKey, { suite }), reps);
      const dec = await timed(() => decrypt(enc.value, pair.privateKey), reps);
      const exact = dec.value.data.length === bytes.length &&
        dec.value.data.every((v, i) => v === bytes[i]);
      let imageExact: boolean | null = null;
      if (/\.(npy|dcm)$/.test(rel)) {
        const img = await readImage(`${DATA}${rel}`);
        const back = await decryptImage(
          await encryptImage(img, pair.publicKey, { suite }),
          pair.privateKey,
        );
        imageExact = back.image.width === img.width && back.image.bitDepth === img.bitDepth &&
          back.image.modality === img.modality && back.image.data.every((v, i) =>
            v === img.data[i]
          );
      }
      rows.push({
        file: rel,
        suite,
        bytes: bytes.length,
        envelope_bytes: enc.value.length,
        overhead_bytes: enc.value.length - bytes.length,
        encrypt_ms: Number(enc.ms.toFixed(3)),
        decrypt_ms: Number(dec.ms.toFixed(3)),
        bit_exact: exact,
        image_with_metadata_exact: imageExact,
      });
    }
    bar.tick();
  }
  bar.done();
  return aq.from(rows);
}

/**
 * Payload throughput against input size for every engine, with `openssl speed` beside it.
 *
 * @param scale quick (up to 64 MB, short timings) or full (up to 256 MB)
 * @returns one row per engine, size and direction
 */
export async function throughputTable(scale: Scale): Promise<ColumnTable> {
  const KB = 1024, MB = 1024 * KB;
  const sizes = [
    16 * KB,
    128 * KB,
    512 * KB,
    2 * MB,
    8 * MB,
    64 * MB,
    ...(scale === "full" ? [256 * MB] : []),
  ];
  const impls = implementations();
  const rows: Record<string, unknown>[] = [];
  const bar = progress("envelope throughput", sizes.length);
  try {
    for (const size of sizes) {
      // Wall clock (-elapsed), as payloadThroughput measures; see opensslSpeedGcm.
      const base = opensslSpeedGcm(Math.min(size, 64 * MB), 1, true);
      if (base !== undefined) {
        rows.push({
          implementation: OPENSSL_ROW,
          bytes: size,
          direction: "encrypt",
          gb_per_s: base / 1e9,
          ratio_to_openssl: 1,
        });
      }
      for (const impl of impls) {
        const t = await payloadThroughput(impl, size, scale === "full" ? 900 : 240);
        for (const [direction, v] of [["encrypt", t.encrypt], ["decrypt", t.decrypt]] as const) {
          rows.push({
            implementation: impl.name,
            bytes: size,
            direction,
            gb_per_s: v / 1e9,
            ratio_to_openssl: base !== undefined ? v / base : null,
          });
        }
      }
      bar.tick();
    }
  } finally {
    for (const i of impls) i.close();
    bar.done();
  }
  return aq.from(rows);
}

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

async function run(
  ctx: { scale: Scale; seed: number; cacheDir: string },
): Promise<ExperimentResult> {
  const pair = await generateKeyPair(2048);
  try {
    const scans = await scanTable(pair, ctx.scale === "full" ? 15 : 5);
    const tput = await throughputTable(ctx.scale);
    const params = {
      scale: ctx.scale,
      engine: getEngine().name,
      cores: navigator.hardwareConcurrency,
    };
    const objs = scans.objects() as {
      bit_exact: boolean;
      image_with_metadata_exact: boolean | null;
    }[];
    const exact = objs.filter((r) => r.bit_exact).length;
    const best = (tput.objects() as {
      implementation: string;
      bytes: number;
      direction: string;
      ratio_to_openssl: number | null;
    }[])
      .filter((r) =>
        r.implementation !== OPENSSL_ROW && r.bytes >= 2 * 1024 * 1024 &&
        r.ratio_to_openssl !== null && r.direction === "encrypt"
      );
    const fastest = best.length
      ? best.reduce((a, b) => (a.ratio_to_openssl! > b.ratio_to_openssl! ? a : b))
      : undefined;
    return {
      tables: [
        {
          name: "envelope_scans",
          table: scans,
          caption:
            "Every embedded scan through the envelope: sizes, overhead, median timings, bit-exactness",
        },
        {
          name: "envelope_throughput",
          table: tput,
          caption: "Payload throughput per engine and size, with openssl speed from the same run",
        },
      ],
      figures: [{ name: "throughput_vs_size", figure: throughputFigure(tput, params) }],
      notes: [
        `${exact} of ${objs.length} file round trips were bit-exact; image+metadata round trips exact: ${
          objs.filter((r) => r.image_with_metadata_exact === true).length
        } of ${objs.filter((r) => r.image_with_metadata_exact !== null).length}.`,
        fastest
          ? `Best encryption ratio to openssl speed at ≥ 2 MB: ${
            fastest.ratio_to_openssl!.toFixed(2)
          }× (${fastest.implementation}, ${fastest.bytes} bytes); goal 0.8×.`
          : "openssl was not available, so no ratio was measured.",
      ],
    };
  } finally {
    closeWorkers();
  }
}

/** The experiments of this module. */
export const experiments: Experiment[] = [
  {
    name: "envelope",
    title: "Hybrid AES-256-GCM + RSA-OAEP envelope: scans, sizes, timings, throughput",
    run,
  },
];
