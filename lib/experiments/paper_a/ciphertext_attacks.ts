/**
 * Attacks from the positions that hold only ciphertext (eavesdropper, storage, the HE server):
 * the same output-based membership attack the client position runs, applied to what they hold
 * (ciphertext bytes read as an image and sent to the model), and an exact search of a candidate
 * scan in the stored bytes. Both must come out at chance for AES, AES+RSA and HE.
 *
 * @example
 * ```ts
 * import { CIPHERTEXT_METHODS } from "./ciphertext_attacks.ts";
 * console.log(CIPHERTEXT_METHODS); // [ "AES", "AES+RSA", "HE" ]
 * ```
 * @module
 */
import { progress } from "../../core/progress.ts";
import { Rng } from "../../core/random.ts";
import { imageAt, type LabeledSet, subset } from "../../datasets/medmnist.ts";
import { labelsOf } from "../../nn/eval.ts";
import { lossScores } from "../../attacks/mia.ts";
import { attackMetrics } from "../../stats/roc.ts";
import { bytesAsImage, findInStore, runSession, viewBytes } from "../../pipeline/session.ts";
import type { DeployedAudits } from "./audits.ts";
import type { PaperAConfig } from "./options.ts";
import { inferWith, type PipelineServices } from "./pipelines.ts";

const PX = 28 * 28;

/** The methods that encrypt, in run order. */
export const CIPHERTEXT_METHODS = ["AES", "AES+RSA", "HE"] as const;

/** A method that encrypts. */
export type CiphertextMethod = (typeof CIPHERTEXT_METHODS)[number];

/** The attacks on one method's ciphertexts. */
export interface CiphertextAttack {
  /** AUC of the loss attack on the eavesdropped bytes read as an image. */
  auc: number;
  /** Its 95 % interval, low end. */
  low: number;
  /** Its 95 % interval, high end. */
  high: number;
  /** AUC of the exact search of a candidate's first 32 bytes among the stored blobs. */
  storageAuc: number;
}

/** The candidate records of the ciphertext-only attacks. */
export interface Candidates {
  /** Indices into the pool (seeded with `seed + 5`). */
  indices: Int32Array;
  /** The candidate records. */
  set: LabeledSet;
}

/**
 * @param pool the pooled train split
 * @param cfg sizes of the run
 * @param seed seed of the run
 * @returns the candidates scored by the ciphertext-only attacks
 * @example
 * ```ts
 * import { candidates } from "./ciphertext_attacks.ts";
 * import { paperAConfig } from "./options.ts";
 * const pool = { images: new Uint8Array(400 * 784), labels: new Uint8Array(400), n: 400, height: 28, width: 28, channels: 1, labelWidth: 1 };
 * console.log(candidates(pool, paperAConfig("quick"), 1).set.n); // 300
 * ```
 */
export function candidates(pool: LabeledSet, cfg: PaperAConfig, seed: number): Candidates {
  const indices = new Rng(seed + 5).permutation(pool.n).slice(0, cfg.ciphertextRecords);
  return { indices, set: subset(pool, indices) };
}

/**
 * Runs both ciphertext-only attacks for each encrypting method, in {@linkcode CIPHERTEXT_METHODS}
 * order. For HE the eavesdropper and the storage see the query ciphertexts (the server's
 * evaluation, which adds the encrypted logits on the wire, is skipped to save time).
 *
 * @param cand the candidates
 * @param audits the deployed audits (membership and the model each method runs)
 * @param setup the services
 * @returns the attacks per method
 * @example
 * ```ts ignore
 * import { candidates, ciphertextAttacks } from "./ciphertext_attacks.ts";
 * const ct = await ciphertextAttacks(candidates(pool, cfg, 1), audits, setup);
 * console.log(ct.HE.low <= 0.5 && 0.5 <= ct.HE.high); // true (chance)
 * ```
 */
export async function ciphertextAttacks(
  cand: Candidates,
  audits: DeployedAudits,
  setup: PipelineServices,
): Promise<Record<CiphertextMethod, CiphertextAttack>> {
  const { indices, set } = cand;
  const { services } = setup;
  const labels = labelsOf(set);
  const bar = progress("paper-a ciphertext attacks", 3 * indices.length);
  const out = {} as Record<CiphertextMethod, CiphertextAttack>;
  for (const method of CIPHERTEXT_METHODS) {
    const audit = method === "HE" ? audits.he : audits.cnn;
    const member = Uint8Array.from(indices, (i) => audit.targetKeep[i]);
    const imgs = new Uint8Array(indices.length * PX);
    const stored: Uint8Array[] = [];
    for (let k = 0; k < indices.length; k++) {
      let wire: Uint8Array[], disk: Uint8Array[];
      if (method === "HE") {
        const x = Float64Array.from(set.images.subarray(k * PX, (k + 1) * PX), (v) => v / 255);
        wire = disk = [...services.he.client.encryptSingle(services.he.spec, [x]).ciphertexts];
      } else {
        const s = await runSession(method, imageAt(set, k, { modality: "CR" }), services);
        wire = viewBytes(s.views.eavesdropper);
        disk = viewBytes(s.views.storage);
      }
      imgs.set(bytesAsImage(wire, 28), k * PX);
      if (member[k]) stored.push(...disk);
      bar.tick({ method });
    }
    const probs = inferWith(audit.target)(imgs, indices.length);
    const m = attackMetrics(lossScores(probs, labels, 2), member);
    const hits = findInStore(
      stored,
      Array.from({ length: indices.length }, (_, k) => set.images.subarray(k * PX, k * PX + 32)),
    );
    const found = Float64Array.from(hits, (h) => (h ? 1 : 0));
    out[method] = {
      auc: m.auc,
      low: m.aucLow,
      high: m.aucHigh,
      storageAuc: attackMetrics(found, member).auc,
    };
  }
  bar.done();
  return out;
}

/**
 * The storage attack without encryption: is a candidate scan among the stored (clear) scans of
 * the tiny CNN's members? An exact match always answers, so the AUC is 1.
 *
 * @param cand the candidates
 * @param audits the deployed audits
 * @returns the AUC of the exact search
 * @example
 * ```ts
 * import { plainStorageAuc } from "./ciphertext_attacks.ts";
 * import type { DeployedAudits } from "./audits.ts";
 * const images = Uint8Array.from({ length: 4 * 784 }, (_, i) => Math.floor(i / 784));
 * const set = { images, labels: new Uint8Array(4), n: 4, height: 28, width: 28, channels: 1, labelWidth: 1 };
 * const audits = { cnn: { targetKeep: Uint8Array.from([1, 0, 1, 0]) } } as unknown as DeployedAudits;
 * console.log(plainStorageAuc({ indices: Int32Array.from([0, 1, 2, 3]), set }, audits)); // 1
 * ```
 */
export function plainStorageAuc(cand: Candidates, audits: DeployedAudits): number {
  const { indices, set } = cand;
  const member = Uint8Array.from(indices, (i) => audits.cnn.targetKeep[i]);
  const key = (k: number) => set.images.subarray(k * PX, (k + 1) * PX).join(",");
  const stored = new Set<string>();
  for (let k = 0; k < indices.length; k++) if (member[k]) stored.add(key(k));
  const found = Float64Array.from({ length: indices.length }, (_, k) => stored.has(key(k)) ? 1 : 0);
  return attackMetrics(found, member).auc;
}
