/**
 * Paper B's tables, one named field each, in the order they are written: the compact and long
 * security tables, decryption/speed/key space, the attack summary, the known- and
 * chosen-plaintext results, robustness, and the critical values. The file stems (`name`) are the
 * CSV names under `figures/paper-b/`.
 *
 * @example
 * ```ts
 * import { paperBTables } from "./tables.ts";
 * import { paperBOptions } from "./options.ts";
 * const t = paperBTables({ records: [], decryption: [], attacks: [], kpa: [], chosen: [], robustness: [], headerLeaks: [], keySpace: [] }, paperBOptions("quick", 1));
 * console.log(Object.values(t).map((x) => x.name).slice(0, 2)); // [ "security_compact", "security_long" ]
 * ```
 * @module
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { NamedTable, RandomisedCells } from "../../report/types.ts";
import type { PaperBOptions } from "./options.ts";
import { compactSecurityTable, type ImageRecord, securityTable } from "./security.ts";
import { type DecryptionSummary, decryptionTable } from "./speed.ts";
import {
  type AttackRow,
  type AttackSummary,
  attackTable,
  type ChosenRow,
} from "./plaintext_attacks.ts";
import type { RobustnessRow } from "./robustness.ts";
import { criticalValueTable } from "./critical_values.ts";
import { type HeaderLeakRow, headerLeakTable } from "./header_leaks.ts";
import { type KeySpaceRow, keySpaceTable } from "./key_space.ts";

/** Paper B's tables, one field each (written in field order). */
export type PaperBTables = {
  /** `security_compact`: pass rates at the three α, one column per metric. */
  securityCompact: NamedTable;
  /** `security_long`: mean value and pass rates per cipher, set and metric. */
  security: NamedTable;
  /** `decryption_speed_keyspace`: fidelity, wrong-key output, speed and key space. */
  decryption: NamedTable;
  /** `attacks`: every attack per cipher and set, and the verdict. */
  attacks: NamedTable;
  /** `known_plaintext_curves`: every known-plaintext point. */
  knownPlaintext: NamedTable;
  /** `chosen_plaintext`: the zero-image probe and the differential attack. */
  chosenPlaintext: NamedTable;
  /** `robustness`: decrypted PSNR/SSIM and refusals after perturbation. */
  robustness: NamedTable;
  /** `critical_values`: the critical values for the run's image size. */
  criticalValues: NamedTable;
  /** `header_leaks`: what the learned cipher's header reveals (image hash, key check value). */
  headerLeaks: NamedTable;
  /** `key_space`: which key and map-state bits matter, and a key-stream state recovery. */
  keySpace: NamedTable;
};

/** The typed results the tables are made from. */
export interface PaperBTableInputs {
  /** Per-image records. */
  records: readonly ImageRecord[];
  /** Decryption summaries. */
  decryption: readonly DecryptionSummary[];
  /** Attack summaries. */
  attacks: readonly AttackSummary[];
  /** Known-plaintext points. */
  kpa: readonly AttackRow[];
  /** Chosen-plaintext rows. */
  chosen: readonly ChosenRow[];
  /** Robustness rows. */
  robustness: readonly RobustnessRow[];
  /** What the header reveals. */
  headerLeaks: readonly HeaderLeakRow[];
  /** Key-space measurements. */
  keySpace: readonly KeySpaceRow[];
}

/** Columns that do not depend on AES-GCM's IVs: row names, and what decryption and key give. */
const IV_FREE = new Set([
  "cipher",
  "set",
  "metric",
  "images",
  "attack",
  "n",
  "perturbation",
  "exact decryptions",
  "decrypted PSNR (dB, mean, exact=100)",
  "key space (bits)",
  "key space note",
]);

/**
 * The cells of a table measured on AES-256-GCM ciphertexts: WebCrypto draws a fresh IV per
 * image, so they differ between runs of the same seed. Timing columns are included (they differ
 * anyway).
 *
 * @param table a table with a `cipher` column (any other table has none)
 * @returns the randomised cells, empty when no row is AES-256-GCM
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { gcmCells } from "./tables.ts";
 * const t = aq.table({ cipher: ["AES-256-CTR fixed nonce", "AES-256-GCM"], set: ["8-bit", "8-bit"], psnr: [100, 7.5] });
 * console.log(gcmCells(t)[0].rows, gcmCells(t)[0].columns); // [ 1 ] [ "psnr" ]
 * ```
 */
export function gcmCells(table: ColumnTable): RandomisedCells[] {
  if (!table.columnNames().includes("cipher")) return [];
  const rows = (table.array("cipher") as unknown[]).flatMap((c, i) =>
    c === "AES-256-GCM" ? [i] : []
  );
  if (!rows.length) return [];
  return [{
    columns: table.columnNames().filter((c) => !IV_FREE.has(c)),
    rows,
    reason: "AES-256-GCM draws a fresh 96-bit IV per image from WebCrypto",
  }];
}

/** One column per field of the rows, in field order. */
const rowsTable = <R extends object>(rows: readonly R[]): ColumnTable =>
  aq.from(rows.map((r) => ({ ...r })));

/**
 * Builds the tables (the critical values with a 4,000-repetition Monte Carlo, seed `opt.seed`).
 *
 * @param inputs the typed results
 * @param opt the options (size, seed)
 * @returns the tables
 * @example
 * ```ts
 * import { paperBTables } from "./tables.ts";
 * import { paperBOptions } from "./options.ts";
 * const t = paperBTables({ records: [], decryption: [], attacks: [], kpa: [], chosen: [], robustness: [], headerLeaks: [], keySpace: [] }, paperBOptions("quick", 1));
 * console.log(t.criticalValues.table.numRows()); // 6
 * ```
 */
export function paperBTables(
  inputs: PaperBTableInputs,
  opt: Pick<PaperBOptions, "size" | "seed">,
): PaperBTables {
  const long = securityTable(inputs.records);
  const tables: PaperBTables = {
    securityCompact: {
      name: "security_compact",
      table: compactSecurityTable(long),
      caption:
        `Pass rates (% of images) at α = 0.05 / 0.01 / 0.001, ${opt.size}×${opt.size} images, critical values computed for that size and bit depth`,
    },
    security: {
      name: "security_long",
      table: long,
      caption: "Every cipher × set × metric: mean value and pass rate (%) at each α",
    },
    decryption: {
      name: "decryption_speed_keyspace",
      table: decryptionTable(inputs.decryption, opt.size),
      caption: "Decryption fidelity, wrong-key output, speed and key space",
    },
    attacks: {
      name: "attacks",
      table: attackTable(inputs.attacks),
      caption:
        "Known-plaintext, chosen-plaintext and differential attacks: PSNR of the attacker's decryption (100 = exact)",
    },
    knownPlaintext: {
      name: "known_plaintext_curves",
      table: rowsTable(inputs.kpa),
      caption: "Known-plaintext attack curves",
    },
    chosenPlaintext: {
      name: "chosen_plaintext",
      table: rowsTable(inputs.chosen),
      caption: "Chosen-plaintext probes",
    },
    robustness: {
      name: "robustness",
      table: rowsTable(inputs.robustness),
      caption:
        "Decrypted PSNR/SSIM after noise/cropping of the cipher image; refused = verified decryption rejected it",
    },
    criticalValues: {
      name: "critical_values",
      table: criticalValueTable(opt.size, 4000, opt.seed),
      caption: `Critical values used for ${opt.size}×${opt.size} images`,
    },
    headerLeaks: {
      name: "header_leaks",
      table: headerLeakTable(inputs.headerLeaks),
      caption:
        "What the learned cipher's header (its QR codes, in the clear) reveals without the key " +
        "or the network: the unkeyed image hash and the key check value (SPEC.md §4.2–4.4)",
    },
    keySpace: {
      name: "key_space",
      table: keySpaceTable(inputs.keySpace),
      caption:
        "The learned cipher's effective key space, measured: user-key and map-state bits that " +
        "change the output, and a known-keystream state recovery on three kinds of stream",
    },
  };
  for (const t of Object.values(tables)) {
    const cells = gcmCells(t.table);
    if (cells.length) t.randomised = cells;
  }
  return tables;
}
