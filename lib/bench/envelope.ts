/**
 * Benchmark suite `envelope`: payload encryption/decryption throughput of every engine at
 * 128 KB, 2 MB, 64 MB and 1 GB (1 GB only without `--quick`), each beside
 * `openssl speed -evp aes-256-gcm -bytes N` measured in the same run (goal ≥ 0.8× for inputs
 * ≥ 2 MB); RSA-OAEP wrap/unwrap latency beside `openssl speed rsa2048`; and the peak RSS of
 * streaming a large file (goal < 200 MB).
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

const MB = 1024 * 1024;
const label = (b: number) =>
  b >= 1024 * MB ? `${b / 1024 / MB} GB` : b >= MB ? `${b / MB} MB` : `${b / 1024} KB`;

async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = [128 * 1024, 2 * MB, 64 * MB, ...(quick ? [] : [1024 * MB])];
  const impls = implementations();
  const rows: BenchRow[] = [];
  const bar = progress("envelope bench", sizes.length * impls.length + 2);
  try {
    for (const size of sizes) {
      const big = size >= 1024 * MB;
      // OpenSSL cannot allocate a 1 GB block in `speed`; its 64 MB figure is used there
      const base = opensslSpeedGcm(big ? 64 * MB : size, quick ? 1 : 2);
      const baseName = `openssl speed -evp aes-256-gcm -bytes ${
        label(big ? 64 * MB : size)
      }, 1 core`;
      for (const impl of impls) {
        const t = await payloadThroughput(impl, size, big ? 1 : quick ? 600 : 1500);
        for (const [dir, v] of [["encrypt", t.encrypt], ["decrypt", t.decrypt]] as const) {
          rows.push({
            subject: `${impl.name} ${dir}`,
            case: label(size),
            value: v / 1e9,
            unit: "GB/s",
            ...(base !== undefined
              ? { baseline: base / 1e9, baselineName: baseName, ratio: v / base }
              : {}),
            ...(size >= 2 * MB && impl.name.startsWith("openssl-ffi ×") ? { goal: 0.8 } : {}),
          });
        }
        bar.tick({ size: label(size) });
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
    const streamBytes = quick ? 256 * MB : 1024 * MB;
    const rss = await peakRssOfStreaming(streamBytes);
    for (
      const [dir, mb, gbps] of [
        ["encryptFile", rss.encryptPeakMB, rss.encryptGBps],
        ["decryptFile", rss.decryptPeakMB, rss.decryptGBps],
      ] as const
    ) {
      rows.push({
        subject: `${dir} streaming peak RSS (goal < 200 MB)`,
        case: `${label(streamBytes)} file`,
        value: mb,
        unit: "MB",
        baseline: 200,
        baselineName: "limit",
        ratio: 200 / mb,
        goal: 1,
      });
      rows.push({
        subject: `${dir} file→file throughput (incl. disk I/O)`,
        case: `${label(streamBytes)} file`,
        value: gbps,
        unit: "GB/s",
      });
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
