/**
 * Paper A, measured (experiment `paper-a`): for each of Plaintext, AES, AES+RSA and HE, encrypt
 * each image, run the diagnosis (the HE-friendly CNN under CKKS for HE), measure latency,
 * throughput and peak memory, and run the privacy attacks (membership inference with a seeded
 * keep mask over a pooled set, model inversion) — beside the numbers the paper reports, and a
 * threat-model table giving, for each adversary position, what it sees and the attack success
 * measured from there. Experiment `paper-a-models` trains the ResNet/DenseNet/ViT-style
 * classifiers the paper names ({@linkcode runPaperAModels}); `paper-a-named` trains and audits the
 * published ResNet-18, DenseNet-121 and a ViT-Tiny ({@linkcode runPaperANamed}).
 *
 * Each step is a function of its own, so a notebook can run them one by one:
 * {@linkcode deployedAudits}, {@linkcode defenceStudy}, {@linkcode inversionStudy},
 * {@linkcode pipelineServices} and {@linkcode runPipelines}, {@linkcode ciphertextAttacks} and
 * {@linkcode plainStorageAuc}, then the table rows ({@linkcode comparisonRows} …),
 * {@linkcode paperATables} and {@linkcode paperAFigures}.
 *
 * @example
 * ```ts
 * import { experiments } from "./mod.ts";
 * console.log(experiments.map((e) => e.name)); // [ "paper-a", "paper-a-models", "paper-a-service", "paper-a-named" ]
 * ```
 * @module
 */
import { progress } from "../../core/progress.ts";
import { closeWorkers } from "../../envelope/mod.ts";
import { initBackend } from "../../nn/backend.ts";
import { evaluate } from "../../nn/eval.ts";
import type { Experiment, ExperimentContext, ExperimentResult } from "../../report/types.ts";
import { auditSetting, type DeployedAudits, deployedAudits } from "./audits.ts";
import { type DefenceStudy, defenceStudy } from "./defences.ts";
import { type InversionStudy, inversionStudy } from "./inversion.ts";
import { closeServices, type MethodRun, pipelineServices, runPipelines } from "./pipelines.ts";
import {
  candidates,
  type CiphertextAttack,
  ciphertextAttacks,
  type CiphertextMethod,
  plainStorageAuc,
} from "./ciphertext_attacks.ts";
import {
  attackRows,
  comparisonRows,
  type PaperATables,
  paperATables,
  reportedRows,
  threatRows,
} from "./tables.ts";
import { type PaperAFigures, paperAFigures } from "./figures.ts";
import { dpNote, paperANotes } from "./notes.ts";
import { runPaperAModels } from "./models.ts";
import { runPaperAService } from "./service.ts";
import { runPaperANamed } from "./named.ts";

export * from "./options.ts";
export * from "./audits.ts";
export * from "./defences.ts";
export * from "./inversion.ts";
export * from "./pipelines.ts";
export * from "./ciphertext_attacks.ts";
export * from "./tables.ts";
export * from "./figures.ts";
export * from "./notes.ts";
export * from "./models.ts";
export * from "./service.ts";
export * from "./named.ts";

/** Everything the experiment computed: named tables and figures, and the typed results behind them. */
export interface PaperAResult extends ExperimentResult<PaperATables, PaperAFigures> {
  /** The tables, one field each. */
  tables: PaperATables;
  /** The figures, one field each. */
  figures: PaperAFigures;
  /** The membership audits of the deployed models (their targets are disposed). */
  audits: DeployedAudits;
  /** The defences. */
  defences: DefenceStudy;
  /** The inversions. */
  inversion: InversionStudy;
  /** One pipeline run per method. */
  runs: MethodRun[];
  /** The ciphertext-only attacks per encrypting method. */
  ciphertext: Record<CiphertextMethod, CiphertextAttack>;
  /** The storage attack without encryption. */
  plainStorageAuc: number;
}

/**
 * Runs paper A's comparison (see the module doc). The steps run in a fixed order, since they
 * share the seeded caches and the global tfjs state: classifiers, audits, defences, inversion,
 * pipelines, ciphertext attacks, tables and figures.
 *
 * @param ctx scale, seed, cache folder
 * @returns tables, figures, notes and the typed results
 * @example
 * ```ts ignore
 * import { runPaperA } from "./mod.ts";
 * const r = await runPaperA({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables.comparison.name, r.runs.length); // paper_a_comparison 4
 * ```
 */
export async function runPaperA(ctx: ExperimentContext): Promise<PaperAResult> {
  const t0 = performance.now();
  const backend = await initBackend();
  const setting = await auditSetting(ctx);
  const { data, cfg, seed } = setting;
  const steps = progress("paper-a", 8);
  // the classifiers the paper names, trained or loaded from the cache shared with
  // `paper-a-models`: their table goes beside the comparison
  const zoo = await runPaperAModels(ctx, cfg.zooArchs);
  steps.tick({ step: "classifiers" });
  const audits = await deployedAudits(setting, (arch) => steps.tick({ step: `MIA ${arch}` }));
  const defences = await defenceStudy(setting, audits.cnn);
  steps.tick({ step: "defences" });
  const inversion = await inversionStudy(setting, audits);
  steps.tick({ step: "inversion" });
  const setup = await pipelineServices(audits, cfg, seed);
  const runs = await runPipelines(setup, audits, data.test, cfg, seed);
  steps.tick({ step: "pipelines" });
  const cand = candidates(data.train, cfg, seed);
  const ciphertext = await ciphertextAttacks(cand, audits, setup);
  const plainStore = plainStorageAuc(cand, audits);
  steps.tick({ step: "threat model" });
  const accuracy = {
    cnn: defences.deployedAccuracy,
    he: evaluate(audits.he.target, data.test).accuracy,
  };
  const threat = threatRows(runs, audits, { ciphertext, plainStorageAuc: plainStore });
  const tables = paperATables({
    comparison: comparisonRows(runs, audits, inversion, accuracy),
    reported: reportedRows(runs, audits, inversion),
    threatModel: threat,
    attacks: attackRows(audits),
    defences: defences.rows,
    inversion: [...inversion.cnn.rows, ...inversion.he.rows],
    models: zoo.tables.models,
  });
  const figures = paperAFigures({
    cfg,
    meta: { scale: ctx.scale, backend, seed },
    test: data.test,
    audits,
    runs,
    threat,
    inversions: inversion.cnn.runs,
    reliabilityModels: zoo.figures.reliability,
  });
  const notes = paperANotes({
    backend,
    cfg,
    sizes: { pool: data.train.n, population: data.test.n },
    setup,
    runs,
    audits,
    ciphertext,
    totalS: (performance.now() - t0) / 1000,
  });
  steps.tick({ step: "tables" });
  steps.done();
  closeServices(setup);
  closeWorkers();
  audits.cnn.target.dispose();
  audits.he.target.dispose();
  return {
    tables,
    figures,
    notes: [dpNote(defences.dp), ...notes, ...(zoo.notes ?? [])],
    audits,
    defences,
    inversion,
    runs,
    ciphertext,
    plainStorageAuc: plainStore,
  };
}

/**
 * The experiments of this module, for `deno task reproduce --only paper-a` (and `paper-a-models`).
 *
 * @example
 * ```ts
 * import { experiments } from "./mod.ts";
 * console.log(experiments.map((e) => e.title.split(":")[0])); // [ "Paper A", "Paper A's classifiers", "Paper A over a real socket", "Paper A's named networks" ]
 * ```
 */
export const experiments: Experiment[] = [
  {
    name: "paper-a",
    title: "Paper A: Plaintext vs AES vs AES+RSA vs HE — cost, accuracy, attacks, threat model",
    run: (ctx) => runPaperA(ctx),
  },
  {
    name: "paper-a-models",
    title: "Paper A's classifiers: ResNet/DenseNet/ViT-style on PneumoniaMNIST",
    run: (ctx) => runPaperAModels(ctx),
  },
  {
    name: "paper-a-service",
    title: "Paper A over a real socket: the service's methods, what the wire holds, query budgets",
    run: (ctx) => runPaperAService(ctx),
  },
  {
    name: "paper-a-named",
    title: "Paper A's named networks: ResNet-18, DenseNet-121, ViT-Tiny — accuracy and membership",
    // cheapest first, so on one core pair the first finished network lands soonest
    run: (ctx) => runPaperANamed(ctx, ["vit-tiny", "resnet-18", "densenet-121"]),
  },
];
