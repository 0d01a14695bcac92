/**
 * Every embedded scan through the envelope: file and image round trips for each cipher suite,
 * with sizes, overhead, median timings and bit-exactness.
 *
 * @example
 * ```ts
 * import { embeddedScans } from "./scans.ts";
 * console.log(embeddedScans().some((f) => f.endsWith(".dcm"))); // true
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { progress } from "../../core/progress.ts";
import { readImage } from "../../image/mod.ts";
import {
  type CipherSuite,
  decrypt,
  decryptImage,
  encrypt,
  encryptImage,
  type KeyPair,
} from "../../envelope/mod.ts";
import { median } from "../../stats/summary.ts";

const DATA = new URL("../../../data/", import.meta.url).pathname;
/**
 * @returns the embedded scans (NPY, NPZ, DICOM) under `data/`, relative to it, sorted
 * @example
 * ```ts
 * import { embeddedScans } from "./scans.ts";
 * console.log(embeddedScans().length > 5); // true
 * ```
 */
export function embeddedScans(): string[] {
  const out: string[] = [];
  for (const sub of ["clinical/", "dicom/", ""]) {
    for (const e of Deno.readDirSync(`${DATA}${sub}`)) {
      if (e.isFile && /\.(npy|npz|dcm)$/.test(e.name)) out.push(`${sub}${e.name}`);
    }
  }
  return out.sort();
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
