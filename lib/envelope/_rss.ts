/**
 * Measures the peak resident memory (VmHWM) of streaming encryption and decryption of a large
 * sparse file, each in a fresh subprocess, for the memory test and the benchmark.
 *
 * @example
 * ```ts ignore
 * import { peakRssOfStreaming } from "./_rss.ts";
 * const r = await peakRssOfStreaming(64 * 1024 * 1024);
 * console.log(r.roundTripOk, r.bytes); // true 67108864
 * console.log(r.encryptPeakMB, r.decryptPeakMB); // e.g. 75 71 (MB; streaming keeps it flat)
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { TESTDATA } from "./_test_util.ts";

/** Result of {@linkcode peakRssOfStreaming}. */
export interface RssResult {
  /** Input size in bytes. */
  bytes: number;
  /** Peak RSS of the encrypting process, MB. */
  encryptPeakMB: number;
  /** Peak RSS of the decrypting process, MB. */
  decryptPeakMB: number;
  /** Encryption throughput, GB/s (file to file, including I/O). */
  encryptGBps: number;
  /** Decryption throughput, GB/s (file to file, including I/O). */
  decryptGBps: number;
  /**
   * Plain write of as many bytes as the envelope, then `fdatasync`, into the same folder, GB/s:
   * what the disk allows (the envelope writer also ends with `fdatasync`, for atomic replace).
   */
  diskWriteGBps: number;
  /** Whether the decrypted file equals the input (checked by sampling, sparse input is zeros). */
  roundTripOk: boolean;
}

const CHILD = `
import { decryptFile, encryptFile, readPrivateKey, readPublicKey, closeWorkers } from ${
  JSON.stringify(new URL("./mod.ts", import.meta.url).href)
};
import { peakRssBytes } from ${JSON.stringify(new URL("../core/memory.ts", import.meta.url).href)};
const [op, a, b, keydir] = Deno.args;
const t0 = performance.now();
if (op === "enc") await encryptFile(a, b, await readPublicKey(keydir + "public.pem"));
else await decryptFile(a, b, await readPrivateKey(keydir + "private.pem"));
const secs = (performance.now() - t0) / 1000;
closeWorkers();
console.log(JSON.stringify({ secs, hwmKB: peakRssBytes() / 1024 }));
`;

async function child(args: string[]): Promise<{ secs: number; hwmKB: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", CHILD, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { MEDCRYPT_QUIET: "1" },
  }).output();
  const d = new TextDecoder();
  if (!out.success) {
    throw new MedCryptError(
      "backend-failed",
      `the measuring child process failed: ${d.decode(out.stderr)}`,
    );
  }
  return JSON.parse(d.decode(out.stdout).trim().split("\n").pop()!);
}

/**
 * Writes `bytes` bytes in 4 MiB blocks to a new file in `dir`, `fdatasync`s it, removes it.
 *
 * @param bytes how many bytes
 * @param dir the folder
 * @returns GB/s
 */
export async function diskWriteGBps(bytes: number, dir: string): Promise<number> {
  const path = `${dir}/raw-write.bin`;
  const block = new Uint8Array(4 * 1024 * 1024).fill(0x5a);
  try {
    const t0 = performance.now();
    const f = await Deno.open(path, { write: true, create: true, truncate: true });
    try {
      for (let left = bytes; left > 0;) {
        const b = block.subarray(0, Math.min(left, block.length));
        let o = 0;
        while (o < b.length) o += await f.write(b.subarray(o));
        left -= b.length;
      }
      await f.syncData();
    } finally {
      f.close();
    }
    return bytes / ((performance.now() - t0) / 1000) / 1e9;
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/**
 * @param bytes size of the sparse input file
 * @param dir folder for the temporary files (default: a new temp dir, removed afterwards)
 * @returns peak RSS and throughput of each direction
 */
export async function peakRssOfStreaming(bytes: number, dir?: string): Promise<RssResult> {
  const tmp = dir ?? await Deno.makeTempDir();
  const input = `${tmp}/big.bin`, env = `${tmp}/big.mce`, back = `${tmp}/big.out`;
  try {
    const f = await Deno.open(input, { write: true, create: true, truncate: true });
    await f.truncate(bytes);
    // a few non-zero bytes so the round trip check is meaningful
    await f.seek(Math.floor(bytes / 2), Deno.SeekMode.Start);
    await f.write(new TextEncoder().encode("medcrypt"));
    f.close();
    const disk = await diskWriteGBps(bytes, tmp);
    const e = await child(["enc", input, env, TESTDATA]);
    const d = await child(["dec", env, back, TESTDATA]);
    const st = await Deno.stat(back);
    const g = await Deno.open(back);
    const probe = new Uint8Array(8);
    await g.seek(Math.floor(bytes / 2), Deno.SeekMode.Start);
    await g.read(probe);
    g.close();
    return {
      bytes,
      encryptPeakMB: Math.round(e.hwmKB / 1024),
      decryptPeakMB: Math.round(d.hwmKB / 1024),
      encryptGBps: bytes / e.secs / 1e9,
      decryptGBps: bytes / d.secs / 1e9,
      diskWriteGBps: disk,
      roundTripOk: st.size === bytes && new TextDecoder().decode(probe) === "medcrypt",
    };
  } finally {
    if (dir === undefined) await Deno.remove(tmp, { recursive: true }).catch(() => {});
    else for (const p of [input, env, back]) await Deno.remove(p).catch(() => {});
  }
}
