/**
 * The sentences paper B's run ends with, each computed from the run: per cipher, on how many
 * images all six statistics and the one-pixel NPCR/UACI pass at α = 0.001 and whether a measured
 * attack broke it; the image count; and why the learned cipher is missing, if it is.
 *
 * @example
 * ```ts
 * import { paperBNotes } from "./notes.ts";
 * import { paperBOptions } from "./options.ts";
 * const notes = paperBNotes([], [], { ciphers: [], learnedMissing: "no model" }, paperBOptions("quick", 1));
 * console.log(notes[1]); // "The learned cipher is NOT in this run: no model."
 * ```
 * @module
 */
import type { PaperBOptions } from "./options.ts";
import type { CipherLineup } from "./ciphers.ts";
import { type ImageRecord, SECURITY_METRICS } from "./security.ts";
import type { AttackSummary } from "./plaintext_attacks.ts";

/** The six statistics of the cipher image (the metrics before the NPCR/UACI ones). */
export const STATISTICS: typeof SECURITY_METRICS = SECURITY_METRICS.filter((m) =>
  [
    "χ² uniformity (p)",
    "entropy (bits)",
    "local entropy (bits)",
    "correlation horizontal",
    "correlation vertical",
    "correlation diagonal",
  ].includes(m.name)
);

/**
 * The notes of a run.
 *
 * @param records the per-image records
 * @param attacks the attack summaries (none for the reference)
 * @param lineup the ciphers, and why the learned cipher is missing if it is
 * @param opt the options (image size)
 * @returns the notes, one sentence each
 * @example
 * ```ts
 * import { paperBNotes } from "./notes.ts";
 * import { paperBOptions } from "./options.ts";
 * console.log(paperBNotes([], [], { ciphers: [] }, paperBOptions("quick", 1))[0]); // "Images: 0 (64×64); one key derived from the seed 1, so single verdicts are those of this key; AES-GCM's IVs are fresh per image."
 * ```
 */
export function paperBNotes(
  records: readonly ImageRecord[],
  attacks: readonly AttackSummary[],
  lineup: CipherLineup,
  opt: Pick<PaperBOptions, "size" | "seed">,
): string[] {
  const notes: string[] = [];
  for (const c of lineup.ciphers) {
    const recs = records.filter((r) => r.cipher === c.label);
    const statPass = recs.filter((r) => STATISTICS.every((m) => m.get(r)!.pass["0.001"])).length;
    const npcrPass = recs.filter((r) =>
      r.plaintext.npcrPass["0.001"] && r.plaintext.uaciPass["0.001"]
    ).length;
    const att = attacks.find((a) => a.cipher === c.label);
    const broken = att ? (att.sets["16-bit"].broken || att.sets["8-bit"].broken) : undefined;
    notes.push(
      `${c.label}: all six statistics pass at α = 0.001 on ${statPass}/${recs.length} images; one-pixel NPCR and UACI both pass on ${npcrPass}/${recs.length}` +
        (att
          ? `; broken by a measured attack: ${broken ? "YES" : "no"}`
          : " (reference, not a cipher)") +
        ".",
    );
  }
  notes.push(
    `Images: ${
      new Set(records.map((r) => r.image)).size
    } (${opt.size}×${opt.size}); one key derived from the seed ${opt.seed}, so single verdicts are those of this key; AES-GCM's IVs are fresh per image.`,
  );
  if (!lineup.ciphers.some((c) => c.label.startsWith("learned"))) {
    notes.push(
      `The learned cipher is NOT in this run: ${
        lineup.learnedMissing ?? "lib/revcipher is not available"
      }.`,
    );
  }
  return notes;
}
