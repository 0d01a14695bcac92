/**
 * Sizes of a paper-A run ({@linkcode paperAConfig}) and the numbers paper A reports
 * ({@linkcode PAPER_A_REPORTED}), which are quoted beside the measured ones, never measured.
 *
 * @example
 * ```ts
 * import { PAPER_A_REPORTED, paperAConfig } from "./options.ts";
 * console.log(paperAConfig("quick").pipelineImages, PAPER_A_REPORTED.heLatencyMs); // 24 2518
 * ```
 * @module
 */
import type { Arch } from "../../nn/models.ts";
import type { TrainOptions } from "../../nn/train.ts";
import type { DpOptions } from "../../nn/dpsgd.ts";
import { ZOO_ARCHS } from "../../nn/train_zoo.ts";
import type { Scale } from "../../report/types.ts";

/**
 * Paper A's own numbers, as quoted (reference values, not measured here).
 *
 * @example
 * ```ts
 * import { PAPER_A_REPORTED } from "./options.ts";
 * console.log(PAPER_A_REPORTED.miaSuccessPct, PAPER_A_REPORTED.peakMemoryMb); // 50 0
 * ```
 */
export const PAPER_A_REPORTED = {
  heLatencyMs: 2518,
  heThroughput: 0.4,
  miaSuccessPct: 50,
  inversionSuccessPct: 40,
  peakMemoryMb: 0,
} as const;

/** Training options of the small target and reference models (the audit fixes the rest). */
export type AuditTrain = Omit<
  TrainOptions,
  "checkpointDir" | "label" | "seed" | "validation" | "patience"
>;

/** Sizes of a paper-A run. */
export interface PaperAConfig {
  /** Reference models per membership audit (LiRA / RMIA / shadow). */
  refModels: number;
  /** Training of the small target / reference models. */
  train: AuditTrain;
  /** Test images pushed through each method's pipeline one by one. */
  pipelineImages: number;
  /** Pool records (half members) whose ciphertexts the ciphertext-only attacks score. */
  ciphertextRecords: number;
  /** Inversion: white-box steps, black-box steps, restarts. */
  inversion: { whiteSteps: number; blackSteps: number; restarts: number };
  /** CKKS preset of the HE row. */
  hePreset: string;
  /** Classifiers of the paper trained for its side table (quick: ResNet only, for time). */
  zooArchs: readonly Arch[];
  /** DP-SGD defence: expected batch size, learning rate, clip/noise/δ. */
  dp: { batchSize: number; learningRate: number; dp: DpOptions };
}

/**
 * @param scale quick or full
 * @returns the sizes of a run
 * @example
 * ```ts
 * import { paperAConfig } from "./options.ts";
 * console.log(paperAConfig("quick").refModels, paperAConfig("full").refModels); // 4 16
 * ```
 */
export function paperAConfig(scale: Scale): PaperAConfig {
  const quick = scale === "quick";
  return {
    refModels: quick ? 4 : 16,
    // quick: 8 epochs keeps the cold-cache run under 15 minutes on 2 cores
    train: { epochs: quick ? 8 : 30, batchSize: 32, learningRate: 2e-3 },
    pipelineImages: quick ? 24 : 200,
    ciphertextRecords: quick ? 300 : 1000,
    inversion: quick
      ? { whiteSteps: 150, blackSteps: 60, restarts: 3 }
      : { whiteSteps: 400, blackSteps: 200, restarts: 6 },
    hePreset: "ckks-8192-d5",
    zooArchs: quick ? ["resnet"] : ZOO_ARCHS,
    dp: { batchSize: 64, learningRate: 5e-3, dp: { clip: 1, noiseMultiplier: 1, delta: 1e-5 } },
  };
}
