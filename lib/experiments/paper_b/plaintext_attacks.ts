/**
 * The attacks of paper B's study, which separate a secure cipher from one that only looks random:
 * known plaintext (keystream recovery, two tfjs attacker networks and a mean-image baseline, vs the
 * number N of known pairs), chosen plaintext (the all-zero image's cipher as a keystream) and the
 * differential attack on the textbook chaos cipher; and a per-cipher summary with a verdict.
 *
 * @example
 * ```ts
 * import { attackSummaries, attackTable } from "./plaintext_attacks.ts";
 * console.log(attackTable(attackSummaries([], [], [])).numRows()); // 0
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { MedImage } from "../../image/types.ts";
import { MedCryptError } from "../../core/errors.ts";
import { progress } from "../../core/progress.ts";
import { initBackend } from "../../nn/backend.ts";
import { cipherImageTests } from "../../cipher_metrics/suite.ts";
import { psnr } from "../../cipher_metrics/similarity.ts";
import {
  type AttackPoint,
  chaosDifferentialAttack,
  type KnownPair,
  knownPlaintextCurve,
  oracleOf,
  PSNR_CAP,
  zeroImageProbe,
} from "../../attacks/cipher/mod.ts";
import { IMAGE_SETS, type ImageSet, type PaperBOptions } from "./options.ts";
import type { CipherEntry } from "./ciphers.ts";
import { firstOf, knownPlaintextImages, type TestImage } from "./images.ts";

/** One point of a known-plaintext curve. */
export interface AttackRow extends AttackPoint {
  /** Cipher label. */
  cipher: string;
  /** Image set. */
  set: ImageSet;
}

/** Encrypts each plain image under the entry's key: the pairs a known-plaintext attacker holds. */
async function knownPairs(c: CipherEntry, plains: readonly MedImage[]): Promise<KnownPair[]> {
  const out: KnownPair[] = [];
  for (const plain of plains) {
    out.push({ plain, cipher: (await c.cipher.encrypt(plain, c.key)).cipher });
  }
  return out;
}

/**
 * Known-plaintext curves (XOR keystream, networks, mean baseline vs N) for every decryptable
 * cipher, on PneumoniaMNIST (8-bit) and clinical crops (12-bit in 16-bit containers).
 *
 * @param ciphers the ciphers (the reference is skipped)
 * @param options N values, test count, steps, image size, seed
 * @returns the points, set by set, cipher by cipher
 * @example
 * ```ts ignore
 * import { cipherEntries } from "./ciphers.ts";
 * import { paperBOptions } from "./options.ts";
 * import { knownPlaintextStudy } from "./plaintext_attacks.ts";
 * const { ciphers } = await cipherEntries(1);
 * const pts = await knownPlaintextStudy(ciphers, paperBOptions("quick", 1)); // trains networks: minutes
 * console.log(pts.filter((p) => p.attack === "xor-keystream" && p.n === 1 && p.exact === 1).map((p) => p.cipher)); // e.g. [ "AES-256-CTR fixed nonce" ] (the committed quick run)
 * ```
 */
export async function knownPlaintextStudy(
  ciphers: readonly CipherEntry[],
  options: PaperBOptions,
): Promise<AttackRow[]> {
  await initBackend();
  const out: AttackRow[] = [];
  const dec = ciphers.filter((c) => c.decryptable);
  const bar = progress("paper-b known-plaintext", dec.length * IMAGE_SETS.length);
  for (const set of IMAGE_SETS) {
    const { train, test } = await knownPlaintextImages(options, set);
    for (const c of dec) {
      const pts = knownPlaintextCurve(
        await knownPairs(c, train),
        await knownPairs(c, test),
        options.kpaNs,
        {
          bitDepth: set === "8-bit" ? 8 : 12,
          steps: options.kpaSteps,
          convSteps: options.kpaSteps,
          convChannels: options.kpaChannels,
          seed: options.seed,
        },
      );
      for (const p of pts) out.push({ cipher: c.label, set, ...p });
      bar.tick({ cipher: c.label });
    }
  }
  bar.done();
  return out;
}

/** Chosen-plaintext probe results for one cipher. */
export interface ChosenRow {
  /** Cipher label. */
  cipher: string;
  /** Image set. */
  set: ImageSet;
  /** PSNR of the zero-image keystream guess against the secret image (capped at 100 dB). */
  zeroProbePsnr: number;
  /** Whether the cipher of the all-zero image passed the entropy test at α = 0.01. */
  zeroCipherEntropyPass: boolean;
  /** Chosen plaintexts the differential attack used. */
  differentialQueries: number;
  /** PSNR of the differential attack's guess (capped at 100 dB). */
  differentialPsnr: number;
  /** Whether the differential attack recovered the image bit-exactly. */
  differentialExact: boolean;
}

/**
 * The all-zero probe and the chaos differential attack against every decryptable cipher, on the
 * first image of each set.
 *
 * @param ciphers the ciphers (the reference is skipped)
 * @param images the images
 * @returns one row per cipher and set
 * @example
 * ```ts
 * import { medImage } from "../../image/types.ts";
 * import { cipherEntries } from "./ciphers.ts";
 * import { chosenPlaintextStudy } from "./plaintext_attacks.ts";
 * const images = [
 *   { name: "a", set: "16-bit" as const, image: medImage(Uint16Array.from({ length: 1024 }, (_, i) => i), 32, 32, { bitDepth: 12 }) },
 *   { name: "b", set: "8-bit" as const, image: medImage(Uint8Array.from({ length: 1024 }, (_, i) => i % 256), 32, 32) },
 * ];
 * const ctr = (await cipherEntries(1)).ciphers.filter((c) => c.label === "AES-256-CTR fixed nonce");
 * const rows = await chosenPlaintextStudy(ctr, images);
 * console.log(rows.map((r) => r.zeroProbePsnr)); // [ 100, 100 ]
 * ```
 */
export async function chosenPlaintextStudy(
  ciphers: readonly CipherEntry[],
  images: readonly TestImage[],
): Promise<ChosenRow[]> {
  const out: ChosenRow[] = [];
  for (const c of ciphers.filter((c) => c.decryptable)) {
    for (const set of IMAGE_SETS) {
      const t = firstOf(images, set);
      const oracle = oracleOf(c.cipher, c.key);
      const target = await oracle(t.image);
      const z = await zeroImageProbe(oracle, target, t.image.bitDepth);
      const zt = cipherImageTests(z.zeroCipher, [0.01]);
      const d = await chaosDifferentialAttack(oracle, target, t.image.bitDepth);
      const dp = psnr(t.image, d.guess);
      out.push({
        cipher: c.label,
        set,
        zeroProbePsnr: Math.min(psnr(t.image, z.guess), PSNR_CAP),
        zeroCipherEntropyPass: zt.entropy.pass["0.01"],
        differentialQueries: d.queries,
        differentialPsnr: Math.min(dp, PSNR_CAP),
        differentialExact: dp === Infinity,
      });
    }
  }
  return out;
}

/** The attacks on one cipher in one set, summarised. */
export interface SetAttackSummary {
  /** Known-plaintext XOR-keystream PSNR with one known pair (undefined if not measured). */
  xorN1Psnr: number | undefined;
  /** Best network attacker: its PSNR and the N it needed (PSNR −∞, N 0 when none ran). */
  networkBest: { psnr: number; n: number };
  /** Best PSNR of guessing the mean training image (−∞ when none ran). */
  baselinePsnr: number;
  /** Zero-image probe PSNR (capped). */
  zeroProbePsnr: number;
  /** Differential attack PSNR (capped). */
  differentialPsnr: number;
  /** Chosen plaintexts the differential attack used. */
  differentialQueries: number;
  /**
   * Broken: one known pair recovers every test image exactly, or the zero probe or the
   * differential attack recovers the image exactly, or a network reaches 40 dB.
   */
  broken: boolean;
}

/** Every attack on one cipher. */
export interface AttackSummary {
  /** Cipher label. */
  cipher: string;
  /** Per set. */
  sets: Record<ImageSet, SetAttackSummary>;
}

/** The summary of one cipher in one set (its known-plaintext points and chosen-plaintext row). */
function summariseSet(k: readonly AttackRow[], ch: ChosenRow): SetAttackSummary {
  const x1 = k.find((r) => r.attack === "xor-keystream" && r.n === 1);
  const networkBest = k.filter((r) => r.attack.endsWith("network")).reduce(
    (a, r) => (r.psnr > a.psnr ? { psnr: r.psnr, n: r.n } : a),
    { psnr: -Infinity, n: 0 },
  );
  const baselinePsnr = k.filter((r) => r.attack === "mean-plain baseline").reduce(
    (a, r) => Math.max(a, r.psnr),
    -Infinity,
  );
  return {
    xorN1Psnr: x1?.psnr,
    networkBest,
    baselinePsnr,
    zeroProbePsnr: ch.zeroProbePsnr,
    differentialPsnr: ch.differentialPsnr,
    differentialQueries: ch.differentialQueries,
    broken: (x1?.exact ?? 0) === 1 || ch.zeroProbePsnr >= PSNR_CAP || ch.differentialExact ||
      networkBest.psnr >= 40,
  };
}

/**
 * Summarises the attacks on every decryptable cipher.
 *
 * @param ciphers the ciphers (the reference is skipped)
 * @param kpa the known-plaintext points
 * @param chosen the chosen-plaintext rows (one per decryptable cipher and set)
 * @returns one summary per decryptable cipher
 * @throws {MedCryptError} `"missing-data"` when a cipher has no chosen-plaintext row for a set
 * @example
 * ```ts
 * import { attackSummaries } from "./plaintext_attacks.ts";
 * console.log(attackSummaries([], [], []).length); // 0
 * ```
 */
export function attackSummaries(
  ciphers: readonly CipherEntry[],
  kpa: readonly AttackRow[],
  chosen: readonly ChosenRow[],
): AttackSummary[] {
  return ciphers.filter((c) => c.decryptable).map((c) => {
    const sets = {} as Record<ImageSet, SetAttackSummary>;
    for (const set of IMAGE_SETS) {
      const ch = chosen.find((r) => r.cipher === c.label && r.set === set);
      if (!ch) {
        throw new MedCryptError(
          "missing-data",
          `no chosen-plaintext result for ${c.label} on the ${set} set; run chosenPlaintextStudy with the same ciphers`,
        );
      }
      sets[set] = summariseSet(kpa.filter((r) => r.cipher === c.label && r.set === set), ch);
    }
    return { cipher: c.label, sets };
  });
}

/**
 * The attack table: per cipher and set, the known-plaintext, zero-probe and differential PSNRs and
 * the verdict (100 dB = exact).
 *
 * @param summaries the summaries
 * @returns the table, one row per cipher
 * @example
 * ```ts
 * import { attackTable } from "./plaintext_attacks.ts";
 * console.log(attackTable([]).numRows()); // 0
 * ```
 */
export function attackTable(summaries: readonly AttackSummary[]): ColumnTable {
  return aq.from(summaries.map((s) => {
    const row: Record<string, unknown> = { cipher: s.cipher };
    for (const set of IMAGE_SETS) {
      const a = s.sets[set];
      row[`${set} KPA xor N=1 PSNR`] = a.xorN1Psnr;
      row[`${set} KPA network best PSNR (N)`] = `${
        a.networkBest.psnr.toFixed(1)
      } (${a.networkBest.n})`;
      row[`${set} mean-image baseline PSNR`] = a.baselinePsnr;
      row[`${set} zero-image probe PSNR`] = a.zeroProbePsnr;
      row[`${set} differential attack PSNR (queries)`] = `${
        a.differentialPsnr.toFixed(1)
      } (${a.differentialQueries})`;
      row[`${set} broken`] = a.broken;
    }
    return row;
  }));
}
