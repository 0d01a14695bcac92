/**
 * Membership audits of paper A's two deployed models: the tiny CNN (Plaintext, AES, AES+RSA) and
 * the HE-friendly CNN (HE). Every audit draws its members with a seeded keep mask over the pooled
 * train split, so the target and each reference model train on their own random half; the models
 * are cached under `<cacheDir>/paper_a/mia/`, shared by the experiment and the notebooks.
 *
 * @example
 * ```ts
 * import { attackByName } from "./audits.ts";
 * import type { MembershipAudit } from "../../attacks/audit.ts";
 * const audit = { attacks: [], controls: [] } as unknown as MembershipAudit;
 * try {
 *   attackByName(audit, "LiRA online");
 * } catch (e) {
 *   console.log((e as { code: string }).code); // not-found
 * }
 * ```
 * @module
 */
import { loadPneumoniaMNIST, type SplitSet } from "../../datasets/medmnist.ts";
import type { ExperimentContext } from "../../report/types.ts";
import type { JobRunner } from "../../jobs/types.ts";
import type { Arch } from "../../nn/models.ts";
import type { AttackMetrics } from "../../stats/roc.ts";
import { MedCryptError } from "../../core/errors.ts";
import {
  type AttackResult,
  type AuditOptions,
  type MembershipAudit,
  runMembershipAudit,
} from "../../attacks/audit.ts";
import { type PaperAConfig, paperAConfig } from "./options.ts";

/** What every audit of a run shares: the data, the sizes, the seed and the cache folder. */
export interface AuditSetting {
  /** PneumoniaMNIST: `train` is the pool, `test` the population, `val` for early stopping. */
  data: SplitSet;
  /** Sizes of the run. */
  cfg: PaperAConfig;
  /** Seed of the keep masks, weights and shuffles. */
  seed: number;
  /** The experiment's cache folder (`<ctx.cacheDir>/paper_a`). */
  cacheDir: string;
  /** Where the audit models train (the run's job runner; in process when absent). */
  jobs?: JobRunner;
}

/**
 * The audit setting of a run: PneumoniaMNIST, the sizes of `ctx.scale`, the seed, and the
 * experiment's cache folder `<ctx.cacheDir>/paper_a` (so a notebook reuses the models of
 * `deno task reproduce --only paper-a`).
 *
 * @param ctx scale, seed, cache folder
 * @returns the setting
 * @example
 * ```ts
 * import { auditSetting } from "./audits.ts";
 * const s = await auditSetting({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(s.cacheDir, s.data.test.n, s.cfg.refModels); // data/cache/paper_a 468 4
 * ```
 */
export async function auditSetting(ctx: ExperimentContext): Promise<AuditSetting> {
  return {
    data: await loadPneumoniaMNIST(),
    cfg: paperAConfig(ctx.scale),
    seed: ctx.seed,
    cacheDir: `${ctx.cacheDir}/paper_a`,
    ...(ctx.jobs ? { jobs: ctx.jobs } : {}),
  };
}

/** Audit options that vary between audits (a release defence, the target's training). */
export type AuditVariant = Partial<Pick<AuditOptions, "release" | "targetTrain">>;

/**
 * Trains (or loads from the cache) a target and its reference models, and runs every attack.
 *
 * @param setting data, sizes, seed, cache
 * @param arch architecture of the target and the reference models
 * @param variant a defence applied to the target
 * @returns the audit
 * @example
 * ```ts ignore
 * import { loadPneumoniaMNIST } from "../../datasets/medmnist.ts";
 * import { membershipAudit } from "./audits.ts";
 * import { paperAConfig } from "./options.ts";
 * const setting = { data: await loadPneumoniaMNIST(), cfg: paperAConfig("quick"), seed: 1, cacheDir: "data/cache/paper_a" };
 * const audit = await membershipAudit(setting, "cnn-tiny");
 * console.log(audit.refModels); // 4
 * ```
 */
export function membershipAudit(
  setting: AuditSetting,
  arch: Arch,
  variant: AuditVariant = {},
): Promise<MembershipAudit> {
  return runMembershipAudit({ ...auditOptions(setting, arch), ...variant });
}

/**
 * The audit options of a run's audit of `arch` (what {@linkcode membershipAudit} runs, so a
 * later study attacks the same cached models).
 *
 * @param setting data, sizes, seed, cache
 * @param arch architecture of the target and the reference models
 * @returns the options
 * @example
 * ```ts ignore
 * import { auditOptions, auditSetting } from "./audits.ts";
 * const o = auditOptions(await auditSetting({ scale: "quick", seed: 1, cacheDir: "data/cache" }), "he-cnn");
 * console.log(o.refModels, o.pool.n); // 4 4708
 * ```
 */
export function auditOptions(setting: AuditSetting, arch: Arch): AuditOptions {
  const { data, cfg, seed, cacheDir, jobs } = setting;
  return {
    pool: data.train,
    population: data.test,
    arch,
    train: cfg.train,
    refModels: cfg.refModels,
    seed,
    cacheDir,
    ...(jobs ? { jobs } : {}),
  };
}

/** The audits of the two deployed models. */
export interface DeployedAudits {
  /** Tiny CNN: the model of the Plaintext, AES and AES+RSA rows. */
  cnn: MembershipAudit;
  /** HE-friendly CNN: the model of the HE row. */
  he: MembershipAudit;
}

/**
 * Audits the two deployed models, tiny CNN first (the order fixes what the cache holds).
 *
 * @param setting data, sizes, seed, cache
 * @param onAudit called after each audit (progress)
 * @returns both audits
 * @example
 * ```ts ignore
 * import { deployedAudits } from "./audits.ts";
 * const { cnn, he } = await deployedAudits(setting);
 * console.log(cnn.target !== he.target); // true
 * ```
 */
export async function deployedAudits(
  setting: AuditSetting,
  onAudit: (arch: Arch) => void = () => {},
): Promise<DeployedAudits> {
  const cnn = await membershipAudit(setting, "cnn-tiny");
  onAudit("cnn-tiny");
  const he = await membershipAudit(setting, "he-cnn");
  onAudit("he-cnn");
  return { cnn, he };
}

/**
 * The first attack or control whose name starts with `name`.
 *
 * @param audit an audit
 * @param name the attack's name or its start, e.g. `"LiRA online"`
 * @returns the attack; throws a `MedCryptError` (`not-found`) when the audit has none of that name
 * @example
 * ```ts
 * import { attackByName } from "./audits.ts";
 * import type { MembershipAudit } from "../../attacks/audit.ts";
 * const a = { attack: "RMIA (a = 0.3)", metrics: { auc: 0.6 } };
 * const audit = { attacks: [a], controls: [] } as unknown as MembershipAudit;
 * console.log(attackByName(audit, "RMIA").metrics.auc); // 0.6
 * ```
 */
export function attackByName(audit: MembershipAudit, name: string): AttackResult {
  const a = [...audit.attacks, ...audit.controls].find((x) => x.attack.startsWith(name));
  if (!a) {
    throw new MedCryptError(
      "not-found",
      `the audit has no attack named "${name}" (it has ${
        [...audit.attacks, ...audit.controls].map((x) => x.attack).join(", ")
      })`,
    );
  }
  return a;
}

/**
 * The online-LiRA metrics of an audit: the attack of the client / API-user position.
 *
 * @param audit an audit
 * @returns its metrics
 * @example
 * ```ts
 * import { liraMetrics } from "./audits.ts";
 * import type { MembershipAudit } from "../../attacks/audit.ts";
 * const a = { attack: "LiRA online (fixed variance)", metrics: { auc: 0.7 } };
 * console.log(liraMetrics({ attacks: [a], controls: [] } as unknown as MembershipAudit).auc); // 0.7
 * ```
 */
export function liraMetrics(audit: MembershipAudit): AttackMetrics {
  return attackByName(audit, "LiRA online").metrics;
}

/** A record of the pool and the membership risk the online LiRA assigns it. */
export interface RiskRecord {
  /** Index in the pool. */
  record: number;
  /** 1 when the record is a member of the target's training set. */
  member: number;
  /** LiRA posterior probability of membership. */
  risk: number;
}

/**
 * The records most exposed to membership inference.
 *
 * @param audit an audit
 * @param n how many
 * @returns the `n` records of highest LiRA membership posterior, highest first
 * @example
 * ```ts
 * import { riskiestRecords } from "./audits.ts";
 * import type { MembershipAudit } from "../../attacks/audit.ts";
 * const audit = { risk: Float64Array.from([0.2, 0.9, 0.5]), targetKeep: Uint8Array.from([0, 1, 1]) };
 * console.log(riskiestRecords(audit as unknown as MembershipAudit, 2).map((r) => r.record)); // [ 1, 2 ]
 * ```
 */
export function riskiestRecords(audit: MembershipAudit, n: number): RiskRecord[] {
  return Array.from(audit.risk, (risk, record) => ({
    record,
    member: audit.targetKeep[record],
    risk,
  })).sort((a, b) => b.risk - a.risk).slice(0, n);
}
