/**
 * The statistics part of paper B: every cipher on every image (cipher-image tests, one-pixel
 * plaintext sensitivity, key sensitivity, decryption fidelity), and the security tables built from
 * those per-image records: the long table (mean value and pass rate per cipher, set and metric)
 * and the compact one (pass rates at the three α, one column per metric).
 *
 * @example
 * ```ts
 * import { compactSecurityTable, securityTable } from "./security.ts";
 * console.log(compactSecurityTable(securityTable([])).numRows()); // 0
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { progress } from "../../core/progress.ts";
import { type CipherImageTests, cipherImageTests } from "../../cipher_metrics/suite.ts";
import type { DifferentialTest } from "../../cipher_metrics/differential.ts";
import {
  type Fidelity,
  fidelity,
  type KeySensitivity,
  keySensitivity,
  plaintextSensitivity,
} from "../../cipher_metrics/sensitivity.ts";
import { ALPHAS, type ImageSet } from "./options.ts";
import type { CipherEntry } from "./ciphers.ts";
import type { TestImage } from "./images.ts";

/** Everything measured for one cipher on one image. */
export interface ImageRecord {
  /** Cipher label. */
  cipher: string;
  /** Image set. */
  set: ImageSet;
  /** Image name. */
  image: string;
  /** Statistical tests of the cipher image. */
  tests: CipherImageTests;
  /** One-pixel plaintext sensitivity (NPCR/UACI of two cipher images). */
  plaintext: DifferentialTest;
  /** Key sensitivity (null for the reference). */
  key: KeySensitivity | null;
  /** Decryption fidelity (null when not decryptable). */
  fidelity: Fidelity | null;
}

/**
 * Runs the statistics, sensitivity and decryption checks of every cipher on every image. Image `k`
 * of the list uses seed `seed + k` (pixel choices) and key bit `(seed + k) mod 256`.
 *
 * @param ciphers the ciphers
 * @param images the images
 * @param seed seed of the pixel choices
 * @returns one record per cipher and image, cipher by cipher
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { cipherEntries } from "./ciphers.ts";
 * import { evaluateAll } from "./security.ts";
 * const img = { name: "x", set: "8-bit" as const, image: medImage(new Uint8Array(4096).fill(9), 64, 64) };
 * const { ciphers } = await cipherEntries(1);
 * const recs = await evaluateAll(ciphers.slice(1, 2), [img], 1);
 * console.log(recs[0].fidelity?.exact); // true
 * ```
 */
export async function evaluateAll(
  ciphers: readonly CipherEntry[],
  images: readonly TestImage[],
  seed: number,
): Promise<ImageRecord[]> {
  const out: ImageRecord[] = [];
  const bar = progress("paper-b statistics", ciphers.length * images.length);
  for (const c of ciphers) {
    for (const [k, t] of images.entries()) {
      const enc = await c.cipher.encrypt(t.image, c.key);
      const tests = cipherImageTests(enc.cipher, ALPHAS, { seed: seed + k });
      const [plaintext] = await plaintextSensitivity(c.cipher, t.image, c.key, {
        seed: seed + k,
        alphas: ALPHAS,
      });
      let key: KeySensitivity | null = null, fid: Fidelity | null = null;
      if (c.decryptable) {
        key = await keySensitivity(c.cipher, t.image, c.key, {
          bit: (seed + k) % 256,
          alphas: ALPHAS,
        });
        fid = fidelity(t.image, await c.cipher.decrypt(enc.cipher, enc.header, c.key));
      }
      out.push({
        cipher: c.label,
        set: t.set,
        image: t.name,
        tests,
        plaintext,
        key,
        fidelity: fid,
      });
      bar.tick({ cipher: c.label });
    }
  }
  bar.done();
  return out;
}

/** A value and its verdict per α (keyed `"0.05"`, …). */
export interface Verdicts {
  /** The measured value. */
  value: number;
  /** Pass or fail per α. */
  pass: Record<string, boolean>;
}

/** One metric of the security table. */
export interface SecurityMetric {
  /** Row label, e.g. `"entropy (bits)"`; the compact table drops the parenthesised unit. */
  name: string;
  /** The metric of one record, or null when the record has none (key sensitivity of the reference). */
  get(r: ImageRecord): Verdicts | null;
}

/**
 * The metrics of the security table, in row order: six statistics of the cipher image, then
 * one-pixel and key-bit NPCR and UACI.
 *
 * @example
 * ```ts
 * import { SECURITY_METRICS } from "./security.ts";
 * console.log(SECURITY_METRICS.length, SECURITY_METRICS[1].name); // 10 "entropy (bits)"
 * ```
 */
export const SECURITY_METRICS: readonly SecurityMetric[] = [
  {
    name: "χ² uniformity (p)",
    get: (r) => ({ value: r.tests.uniformity.pValue, pass: r.tests.uniformity.pass }),
  },
  {
    name: "entropy (bits)",
    get: (r) => ({ value: r.tests.entropy.value, pass: r.tests.entropy.pass }),
  },
  {
    name: "local entropy (bits)",
    get: (r) => ({ value: r.tests.localEntropy.value, pass: r.tests.localEntropy.pass }),
  },
  ...(["horizontal", "vertical", "diagonal"] as const).map((d, i) => ({
    name: `correlation ${d}`,
    get: (r: ImageRecord) => ({
      value: r.tests.correlation[i].value,
      pass: r.tests.correlation[i].pass,
    }),
  })),
  {
    name: "NPCR one pixel (%)",
    get: (r) => ({ value: r.plaintext.npcr, pass: r.plaintext.npcrPass }),
  },
  {
    name: "UACI one pixel (%)",
    get: (r) => ({ value: r.plaintext.uaci, pass: r.plaintext.uaciPass }),
  },
  {
    name: "NPCR key bit (%)",
    get: (r) => (r.key ? { value: r.key.cipherDiff.npcr, pass: r.key.cipherDiff.npcrPass } : null),
  },
  {
    name: "UACI key bit (%)",
    get: (r) => (r.key ? { value: r.key.cipherDiff.uaci, pass: r.key.cipherDiff.uaciPass } : null),
  },
];

/** k of n in percent, one decimal (NaN for n = 0). */
const pct = (k: number, n: number) => (n ? Math.round((1000 * k) / n) / 10 : NaN);

/**
 * The long security table: one row per cipher, image set and metric (in the order the records
 * first show each cipher and set), with the mean of the finite values and the pass rate (percent
 * of images) at each α. Columns: `cipher`, `set`, `metric`, `images`, `mean`, `pass % α=…`.
 *
 * @param records the per-image records
 * @returns the table
 * @example
 * ```ts
 * import { securityTable } from "./security.ts";
 * console.log(securityTable([]).numRows()); // 0
 * ```
 */
export function securityTable(records: readonly ImageRecord[]): ColumnTable {
  const rows: Record<string, unknown>[] = [];
  const groups = new Map<string, ImageRecord[]>();
  for (const r of records) {
    const k = `${r.cipher}\u0000${r.set}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const [k, recs] of groups) {
    const [cipher, set] = k.split("\u0000");
    for (const m of SECURITY_METRICS) {
      const vals = recs.map(m.get).filter((v) => v !== null);
      if (!vals.length) continue;
      const finite = vals.map((v) => v.value).filter(Number.isFinite);
      const row: Record<string, unknown> = {
        cipher,
        set,
        metric: m.name,
        images: vals.length,
        mean: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN,
      };
      for (const a of ALPHAS) {
        row[`pass % α=${a}`] = pct(vals.filter((v) => v.pass[String(a)]).length, vals.length);
      }
      rows.push(row);
    }
  }
  return aq.from(rows);
}

/**
 * The compact security table: one row per cipher and set, one column per metric (unit dropped),
 * each cell the pass rates at α = 0.05 / 0.01 / 0.001 in percent, `"n/a"` where a cipher has no
 * value (key sensitivity of the reference).
 *
 * @param long the long table from {@linkcode securityTable}
 * @returns the pivoted table
 * @example
 * ```ts
 * import { compactSecurityTable, securityTable } from "./security.ts";
 * console.log(compactSecurityTable(securityTable([])).numRows()); // 0
 * ```
 */
export function compactSecurityTable(long: ColumnTable): ColumnTable {
  const rows = new Map<string, Record<string, unknown>>();
  for (const r of long.objects() as Record<string, unknown>[]) {
    const k = `${r.cipher} | ${r.set}`;
    const row = rows.get(k) ?? { cipher: r.cipher, set: r.set, images: r.images };
    row[String(r.metric).replace(/ \(.*\)$/, "")] = ALPHAS.map((a) => r[`pass % α=${a}`]).join(
      " / ",
    );
    rows.set(k, row);
  }
  const all = [...rows.values()];
  const names = [...new Set(all.flatMap((r) => Object.keys(r)))];
  return aq.from(all.map((r) => Object.fromEntries(names.map((k) => [k, r[k] ?? "n/a"]))));
}
