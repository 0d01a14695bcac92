/**
 * Benchmark suite `envelope`: payload encryption/decryption throughput of every engine at
 * 128 KB, 2 MB, 64 MB and 1 GB (1 GB only without `--quick`), each beside
 * `openssl speed -evp aes-256-gcm -bytes N` measured in the same run (goal ≥ 0.8× for inputs
 * ≥ 2 MB; wall clock on both sides: `openssl speed -elapsed`); RSA-OAEP wrap/unwrap latency
 * beside `openssl speed rsa2048`; and the peak RSS (goal < 200 MB) and file→file throughput of
 * streaming a 256 MB file (1 GB without `--quick`) on disk and on tmpfs, beside a plain write of
 * the same size to the same folder.
 *
 * @example
 * ```ts
 * import { suites } from "./envelope.ts";
 * console.log(suites.map((s) => s.name)); // [ "envelope" ]
 * ```
 * @module
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import {
  implementations,
  opensslSpeedGcm,
  opensslSpeedRsa2048,
  payloadThroughput,
  rsaLatency,
} from "../envelope/_measure.ts";
import { peakRssOfStreaming } from "../envelope/_rss.ts";
import { generateKeyPair } from "../envelope/keys.ts";
import { progress } from "../core/progress.ts";
import { MedCryptError } from "../core/errors.ts";

const MB = 1024 * 1024;

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
const label = (b: number) =>
  b >= 1024 * MB ? `${b / 1024 / MB} GB` : b >= MB ? `${b / MB} MB` : `${b / 1024} KB`;

async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = [128 * 1024, 2 * MB, 64 * MB, ...(quick ? [] : [1024 * MB])];
  const impls = implementations();
  const cores = navigator.hardwareConcurrency ?? 1;
  const rows: BenchRow[] = [];
  const bar = progress("envelope bench", sizes.length * impls.length + 2);
  try {
    for (const size of sizes) {
      const big = size >= 1024 * MB;
      // OpenSSL cannot allocate a 1 GB block in `speed`; its 64 MB figure is used there
      const block = big ? 64 * MB : size, secs = quick ? 1 : 2;
      // `openssl speed` divides by its CPU time by default; our figures are wall-clock, so the
      // baselines are `-elapsed` (wall clock), for encryption and (`-decrypt`) for decryption,
      // each measured before and after this size's implementations, the higher of the two (the
      // stricter comparison); the CPU-time figure is shown beside them
      const speed = (decrypt: boolean) => opensslSpeedGcm(block, secs, true, { decrypt });
      const cpu = opensslSpeedGcm(block, secs);
      const before = [speed(false), speed(true)];
      const results: { name: string; t: { encrypt: number; decrypt: number } }[] = [];
      for (const impl of impls) {
        results.push({
          name: impl.name,
          t: await payloadThroughput(impl, size, big ? 1 : quick ? 600 : 1500),
        });
        bar.tick({ size: label(size) });
      }
      const after = [speed(false), speed(true)];
      // what all cores give OpenSSL itself right now (several processes): the ceiling for a
      // multi-threaded engine on this machine at this moment
      const multi = cores > 1 ? opensslSpeedGcm(block, secs, true, { multi: cores }) : undefined;
      const best = (a?: number, b?: number) =>
        a !== undefined && b !== undefined ? Math.max(a, b) : a ?? b;
      const bases = [best(before[0], after[0]), best(before[1], after[1])];
      const baseName = (decrypt: boolean) =>
        `openssl speed -elapsed${decrypt ? " -decrypt" : ""} -evp aes-256-gcm -bytes ${
          label(block)
        }, 1 core, wall clock, best of before/after${
          cpu !== undefined && !decrypt
            ? `; CPU-time figure ${(cpu / 1e9).toPrecision(3)} GB/s`
            : ""
        }`;
      for (const { name, t } of results) {
        for (const [dir, v] of [["encrypt", t.encrypt], ["decrypt", t.decrypt]] as const) {
          const base = bases[dir === "encrypt" ? 0 : 1];
          rows.push({
            subject: `${name} ${dir}`,
            case: label(size),
            value: v / 1e9,
            unit: "GB/s",
            ...(base !== undefined
              ? { baseline: base / 1e9, baselineName: baseName(dir === "decrypt"), ratio: v / base }
              : {}),
            ...(size >= 2 * MB && name.startsWith("openssl-ffi ×") ? { goal: 0.8 } : {}),
          });
        }
      }
      if (multi !== undefined && bases[0] !== undefined) {
        rows.push({
          subject: `reference: openssl speed -elapsed -multi ${cores} (${cores} processes, sum)`,
          case: label(block),
          value: multi / 1e9,
          unit: "GB/s",
          baseline: bases[0] / 1e9,
          baselineName: "the 1-core figure above",
          ratio: multi / bases[0],
        });
      }
    }
    const pair = await generateKeyPair(2048);
    const rsa = await rsaLatency(pair, quick ? 300 : 1000);
    const rsaBase = opensslSpeedRsa2048(1);
    rows.push({
      subject: "RSA-OAEP-2048 wrap (WebCrypto)",
      case: "32-byte file key",
      value: rsa.wrap * 1000,
      unit: "ms",
      ...(rsaBase
        ? {
          baseline: rsaBase.publicOp * 1000,
          baselineName: "openssl speed rsa2048 verify (public op)",
          ratio: rsaBase.publicOp / rsa.wrap,
        }
        : {}),
    });
    rows.push({
      subject: "RSA-OAEP-2048 unwrap (WebCrypto)",
      case: "32-byte file key",
      value: rsa.unwrap * 1000,
      unit: "ms",
      ...(rsaBase
        ? {
          baseline: rsaBase.privateOp * 1000,
          baselineName: "openssl speed rsa2048 sign (private op)",
          ratio: rsaBase.privateOp / rsa.unwrap,
        }
        : {}),
    });
    bar.tick();
    // the 1 GB file only in the full run; temporary files are removed by peakRssOfStreaming
    const streamBytes = quick ? 256 * MB : 1024 * MB;
    const places: [string, string | undefined][] = [["disk", undefined]];
    if (await isDir("/dev/shm")) places.push(["tmpfs /dev/shm", "/dev/shm"]);
    for (const [where, parent] of places) {
      const dir = parent ? await Deno.makeTempDir({ dir: parent }) : undefined;
      let rss;
      try {
        rss = await peakRssOfStreaming(streamBytes, dir);
      } finally {
        if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
      if (!rss.roundTripOk) {
        throw new MedCryptError("round-trip-failed", `streaming round trip failed (${where})`);
      }
      for (
        const [dir, mb, gbps] of [
          ["encryptFile", rss.encryptPeakMB, rss.encryptGBps],
          ["decryptFile", rss.decryptPeakMB, rss.decryptGBps],
        ] as const
      ) {
        rows.push({
          subject: `${dir} streaming peak RSS (goal < 200 MB)`,
          case: `${label(streamBytes)} file, ${where}`,
          value: mb,
          unit: "MB",
          baseline: 200,
          baselineName: "limit",
          ratio: 200 / mb,
          goal: 1,
        });
        rows.push({
          subject: `${dir} file→file throughput (incl. read, write, fdatasync)`,
          case: `${label(streamBytes)} file, ${where}`,
          value: gbps,
          unit: "GB/s",
          baseline: rss.diskWriteGBps,
          baselineName: `plain write + fdatasync of ${label(streamBytes)}, same folder`,
          ratio: gbps / rss.diskWriteGBps,
        });
      }
    }
    bar.tick();
  } finally {
    for (const i of impls) i.close();
    bar.done();
  }
  return rows;
}

/** The envelope suites. */
export const suites: BenchSuite[] = [{ name: "envelope", run }];
