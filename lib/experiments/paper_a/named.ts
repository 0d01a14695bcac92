/**
 * Paper A's named networks, trained and audited (experiment `paper-a-named`): ResNet-18,
 * DenseNet-121 (both in MedMNIST's 28×28 adaptation) and a ViT-Tiny, trained with the zoo's
 * recipe on the embedded PneumoniaMNIST train split, evaluated on the 468-image test split beside
 * MedMNIST v2's published PneumoniaMNIST numbers, and audited for membership with the
 * reference-free threshold attacks (loss and confidence; members = images trained on,
 * non-members = the test split).
 *
 * LiRA is not run on these networks: each of its reference models is one more full training (hours
 * each here), so the audit is the reference-free one, a lower bound on what an attacker learns.
 *
 * @example
 * ```ts
 * import { thresholdAudit } from "./named.ts";
 * const probs = Float32Array.from([0.1, 0.9, 0.8, 0.2, 0.6, 0.4, 0.5, 0.5]);
 * const a = thresholdAudit(probs.subarray(0, 4), [1, 0], probs.subarray(4), [0, 1]);
 * console.log(a.loss.auc); // 1
 * ```
 * @module
 */
import * as aq from "arquero";
import { confidenceScores, lossScores } from "../../attacks/mia.ts";
import { provenance } from "../../core/provenance.ts";
import { loadPneumoniaMNIST, subset } from "../../datasets/medmnist.ts";
import { seededSplit } from "../../datasets/splits.ts";
import { type Evaluation, labelsOf } from "../../nn/eval.ts";
import { NAMED_ARCHS, type NamedArch } from "../../nn/models.ts";
import { predictProbs } from "../../nn/train.ts";
import { trainZooModel, zooConfig, type ZooModel, zooTrainSet } from "../../nn/train_zoo.ts";
import type {
  ExperimentContext,
  ExperimentResult,
  NamedFigure,
  NamedTable,
} from "../../report/types.ts";
import { type AttackMetrics, attackMetrics } from "../../stats/roc.ts";
import { reliabilityFigure } from "../../viz/evaluation.ts";

/** A published PneumoniaMNIST result of MedMNIST v2 (Yang et al., Scientific Data 10:41, 2023). */
export interface PublishedResult {
  /** The network and its input size. */
  model: string;
  /** Test accuracy, when the issue quoting it gives one. */
  accuracy: number | null;
  /** Test AUC. */
  auc: number;
}

/**
 * MedMNIST v2's PneumoniaMNIST numbers this experiment sets its networks beside. They are on the
 * official split (4,708 train / 524 val / 624 test images); ours is the embedded class-balanced
 * subset, so they compare in kind, not digit for digit.
 */
export const MEDMNIST_V2_PNEUMONIA: readonly PublishedResult[] = [
  { model: "ResNet-18 (28×28)", accuracy: 0.854, auc: 0.944 },
  { model: "ResNet-50 (224×224)", accuracy: null, auc: 0.962 },
];

/** The two threshold attacks of one model's membership audit. */
export interface ThresholdAudit {
  /** Loss attack (Yeom et al.): score `log p_y`. */
  loss: AttackMetrics;
  /** Confidence attack: score `max_c p_c`. */
  confidence: AttackMetrics;
  /** Accuracy on the members minus accuracy on the non-members at 0.5. */
  generalisationGap: number;
}

/**
 * The reference-free membership audit of a classifier from its probabilities on members and
 * non-members.
 *
 * @param memberProbs `n × 2` probabilities on images trained on
 * @param memberLabels their labels
 * @param otherProbs `m × 2` probabilities on images never trained on
 * @param otherLabels their labels
 * @returns both attacks' metrics and the accuracy gap
 * @example
 * ```ts
 * import { thresholdAudit } from "./named.ts";
 * const p = Float32Array.from([0.2, 0.8, 0.3, 0.7]);
 * console.log(thresholdAudit(p.subarray(0, 2), [1], p.subarray(2), [1]).generalisationGap); // 0
 * ```
 */
export function thresholdAudit(
  memberProbs: Float32Array,
  memberLabels: ArrayLike<number>,
  otherProbs: Float32Array,
  otherLabels: ArrayLike<number>,
): ThresholdAudit {
  const n = memberLabels.length, m = otherLabels.length;
  const labels = Uint8Array.from({ length: n + m }, (_, i) => i < n ? 1 : 0);
  const join = (a: Float64Array, b: Float64Array) => Float64Array.from([...a, ...b]);
  const acc = (p: Float32Array, y: ArrayLike<number>) => {
    let ok = 0;
    for (let i = 0; i < y.length; i++) ok += Number((p[2 * i + 1] > 0.5 ? 1 : 0) === y[i]);
    return ok / y.length;
  };
  return {
    loss: attackMetrics(
      join(lossScores(memberProbs, memberLabels, 2), lossScores(otherProbs, otherLabels, 2)),
      labels,
    ),
    confidence: attackMetrics(
      join(
        confidenceScores(memberProbs, memberLabels, 2),
        confidenceScores(otherProbs, otherLabels, 2),
      ),
      labels,
    ),
    generalisationGap: acc(memberProbs, memberLabels) - acc(otherProbs, otherLabels),
  };
}

/** One trained named network: its zoo model (disposed) and its audit. */
export interface NamedRun {
  /** The network. */
  arch: NamedArch;
  /** Parameters, training log and evaluations (the model itself is disposed). */
  zoo: Omit<ZooModel, "model">;
  /** The membership audit. */
  audit: ThresholdAudit;
  /** Members audited (sampled from the images trained on, as many as the test split at most). */
  members: number;
}

/**
 * Trains (or loads) one named network with the zoo's recipe and audits it.
 *
 * @param arch the network
 * @param ctx scale, seed, cache folder and optional job runner
 * @returns the {@linkcode NamedRun}
 * @example
 * ```ts ignore
 * import { namedRun } from "./named.ts";
 * const r = await namedRun("vit-tiny", { scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.zoo.params); // 5351810
 * ```
 */
export async function namedRun(arch: NamedArch, ctx: ExperimentContext): Promise<NamedRun> {
  const zoo = await trainZooModel(arch, {
    scale: ctx.scale,
    seed: ctx.seed,
    cacheDir: ctx.cacheDir,
    jobs: ctx.jobs,
  });
  const { train, test } = await loadPneumoniaMNIST();
  const trained = zooTrainSet(train, zooConfig(arch, ctx.scale, ctx.seed), ctx.seed).indices;
  const take = Math.min(trained.length, test.n);
  const [pick] = seededSplit(trained.length, [take / trained.length], ctx.seed + 17);
  const members = subset(train, Int32Array.from(pick, (k) => trained[k]));
  const audit = thresholdAudit(
    predictProbs(zoo.model, members),
    labelsOf(members),
    predictProbs(zoo.model, test),
    labelsOf(test),
  );
  const { model, ...rest } = zoo;
  model.dispose();
  return { arch, zoo: rest, audit, members: members.n };
}

/** What experiment `paper-a-named` returns. */
export interface PaperANamedResult
  extends ExperimentResult<{ named: NamedTable }, { reliability: NamedFigure }> {
  /** `paper_a_named`: the networks beside the published numbers, with their audits. */
  tables: { named: NamedTable };
  /** `reliability_named`: the networks' reliability diagram. */
  figures: { reliability: NamedFigure };
  /** One run per network. */
  runs: NamedRun[];
}

/**
 * The table rows: one per trained network, then MedMNIST v2's published rows.
 *
 * @param runs the trained networks
 * @returns rows for `paper_a_named`
 * @example
 * ```ts
 * import { namedRows } from "./named.ts";
 * console.log(namedRows([]).map((r) => r.model)); // [ "MedMNIST v2: ResNet-18 (28×28)", "MedMNIST v2: ResNet-50 (224×224)" ]
 * ```
 */
export function namedRows(runs: readonly NamedRun[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = runs.map(({ arch, zoo, audit, members }) => {
    const e: Evaluation = zoo.evaluation;
    return {
      model: arch,
      source: "measured here (embedded class-balanced split)",
      parameters: zoo.params,
      "epochs run": zoo.result.history.length,
      "best epoch": zoo.result.bestEpoch,
      "training s (sum of epochs)": trainingSeconds(zoo),
      "test accuracy @0.5": e.accuracy,
      "test accuracy @val threshold": e.accuracyAtThreshold,
      "test AUC": e.auc,
      "AUC low": e.aucLow,
      "AUC high": e.aucHigh,
      "train−test accuracy gap": audit.generalisationGap,
      "MIA members": members,
      "MIA loss AUC": audit.loss.auc,
      "MIA loss AUC low": audit.loss.aucLow,
      "MIA loss AUC high": audit.loss.aucHigh,
      "MIA loss TPR @1% FPR": audit.loss.tprAt1pct,
      "MIA confidence AUC": audit.confidence.auc,
    };
  });
  for (const p of MEDMNIST_V2_PNEUMONIA) {
    rows.push({
      model: `MedMNIST v2: ${p.model}`,
      source: "published (official split, Yang et al. 2023)",
      "test accuracy @0.5": p.accuracy,
      "test AUC": p.auc,
    });
  }
  return rows;
}

/**
 * Runs the experiment (see the module doc). With a job runner the networks train side by side.
 *
 * @param ctx scale, seed, cache folder and optional job runner
 * @param archs the networks (default all three)
 * @returns the table, the reliability figure, notes and the runs
 * @example
 * ```ts ignore
 * import { runPaperANamed } from "./named.ts";
 * const r = await runPaperANamed({ scale: "quick", seed: 1, cacheDir: "data/cache" }, ["vit-tiny"]);
 * console.log(r.tables.named.name); // paper_a_named
 * ```
 */
export async function runPaperANamed(
  ctx: ExperimentContext,
  archs: readonly NamedArch[] = NAMED_ARCHS,
): Promise<PaperANamedResult> {
  const started = archs.map((a) => ctx.jobs ? namedRun(a, ctx) : undefined);
  started.forEach((p) => p?.catch(() => {})); // awaited in order below
  const runs: NamedRun[] = [];
  for (const [i, a] of archs.entries()) runs.push(await (started[i] ?? namedRun(a, ctx)));
  const cfg = zooConfig(archs[0] ?? "resnet-18", ctx.scale, ctx.seed);
  return {
    tables: {
      named: {
        name: "paper_a_named",
        table: aq.from(namedRows(runs)),
        caption:
          "Paper A's named networks on the 468-image PneumoniaMNIST test split (threshold chosen on validation), their reference-free membership audit (members trained on vs the test split), and MedMNIST v2's published numbers on the official split",
      },
    },
    figures: {
      reliability: {
        name: "reliability_named",
        figure: {
          ...reliabilityFigure(runs.map((r) => ({ name: r.arch, evaluation: r.zoo.evaluation }))),
          provenance: provenance({ params: { scale: ctx.scale, archs }, seed: ctx.seed }),
        },
      },
    },
    notes: namedNotes(ctx, cfg, runs),
    runs,
  };
}

/** Seconds of every epoch trained, across resumed runs (a cached model's load costs none). */
function trainingSeconds(zoo: Omit<ZooModel, "model">): number {
  return zoo.result.history.reduce((a, h) => a + h.seconds, 0);
}

function namedNotes(
  ctx: ExperimentContext,
  cfg: ReturnType<typeof zooConfig>,
  runs: readonly NamedRun[],
): string[] {
  const t = cfg.train;
  const data = cfg.trainImages === undefined
    ? "the whole embedded train split"
    : `a seeded ${cfg.trainImages}-image subset of the train split (a smoke run, not a result)`;
  return [
    `Recipe (${ctx.scale}): ${data}, up to ${t.epochs} epochs, batch ${t.batchSize} (DenseNet-121's batch of 32 exhausts the wasm heap), Adam at ${t.learningRate} with a cosine schedule, label smoothing ${t.labelSmoothing}, the zoo's augmentation, early stopping on validation loss (patience ${t.patience}).`,
    "MedMNIST v2's numbers are on the official PneumoniaMNIST split; ours is the embedded class-balanced subset (2,428 train / 270 val / 468 test), so they compare in kind, not digit for digit.",
    "Membership: reference-free loss and confidence threshold attacks, members sampled from the images trained on, non-members the test split; LiRA would need one full training per reference model and is not run on these networks.",
    ...runs.map((r) =>
      `${r.arch}: ${
        r.zoo.params.toLocaleString("en")
      } parameters, ${r.zoo.result.history.length} epochs (best ${r.zoo.result.bestEpoch}) in ${
        (trainingSeconds(r.zoo) / 60).toFixed(1)
      } min; test accuracy ${r.zoo.evaluation.accuracy.toFixed(3)}, AUC ${
        r.zoo.evaluation.auc.toFixed(3)
      }; membership loss-attack AUC ${r.audit.loss.auc.toFixed(3)} [${
        r.audit.loss.aucLow.toFixed(3)
      }, ${r.audit.loss.aucHigh.toFixed(3)}]`
    ),
  ];
}
