/**
 * Paper A across a real socket (experiment `paper-a-service`): `medcrypt serve` runs as its own
 * process on loopback behind a recording proxy (the network eavesdropper), and one client
 * diagnoses the same test images by each method. Measured: latency p50/p95 and throughput beside
 * the same operation in process, bytes on the wire per image (every TCP byte, HTTP included; the
 * CKKS evaluation keys apart and amortised), the server's RSS, and what the capture and the
 * server's state folder actually hold (pixels, diagnoses, the client's secret key). Then the
 * query budget: LiRA and RMIA against the audited HE model when the service holds the attacker
 * to 1, 10 or 100 queries per target record, or none ({@linkcode budgetedAttacks}).
 *
 * @example
 * ```ts ignore
 * import { runPaperAService } from "./service.ts";
 * const r = await runPaperAService({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.tables.overHttp.name); // paper_a_over_http
 * ```
 * @module
 */
import * as aq from "arquero";
import { join } from "node:path";
import { budgetedAttacks, type BudgetRow } from "../../attacks/budget.ts";
import { subset } from "../../datasets/medmnist.ts";
import { seededSplit } from "../../datasets/splits.ts";
import { progress } from "../../core/progress.ts";
import { closeWorkers } from "../../envelope/mod.ts";
import { imageToInput } from "../../he/client.ts";
import { forwardProgram } from "../../he/noise.ts";
import { loadShippedModel } from "../../he/pipeline.ts";
import { compile } from "../../he/plan.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { initBackend } from "../../nn/backend.ts";
import { captureProxy, contains } from "../../service/capture.ts";
import { ServiceClient } from "../../service/client.ts";
import { type Method, methodCalls, METHODS, type RemoteDiagnosis } from "../../service/methods.ts";
import { spawnServe } from "../../service/spawn.ts";
import type { ExperimentContext, ExperimentResult, NamedTable } from "../../report/types.ts";
import { auditOptions, type AuditSetting, auditSetting } from "./audits.ts";

/** Paper A's name of each service method. */
const METHOD_NAME: Record<Method, string> = {
  plain: "Plaintext",
  envelope: "AES+RSA",
  he: "HE",
};

/** One method's row of the over-HTTP comparison. */
export interface OverHttpRow {
  /** Paper A's method. */
  method: string;
  /** Diagnoses timed, one at a time. */
  requests: number;
  /** Median latency over the socket, ms. */
  "p50 ms": number;
  /** 95th percentile, ms. */
  "p95 ms": number;
  /** Images per second, one client. */
  "images/s": number;
  /** Median of the same operation in process, ms. */
  "in-process p50 ms": number;
  /** Every TCP byte per image, both directions. */
  "wire KB/image": number;
  /** The evaluation keys uploaded once (and the spec and server key fetched once), MB. */
  "keys MB (once)": number;
  /** Per-image bytes with the keys spread over 1,000 images, KB. */
  "KB/image, keys over 1,000": number;
  /** Labels equal to the model in the clear, of the requests. */
  "labels = clear": string;
  /** Largest logit difference to the model in the clear. */
  "max |Δ logit|": number;
  /** Server RSS after this method's requests, MB. */
  "server RSS MB": number;
}

/** What one adversary position holds after the run, per method. */
export interface WireThreatRow {
  /** Who looks. */
  position: string;
  /** Paper A's method. */
  method: string;
  /** Images whose pixel bytes occur in what this position holds. */
  "images with pixels found": string;
  /** Replies whose diagnosis (logits as sent) occurs there. */
  "diagnoses found": string;
  /** Whether the client's CKKS secret key occurs there. */
  "secret key found": boolean;
  /** Bytes examined. */
  "bytes examined": number;
}

/** Tables of {@linkcode runPaperAService}. */
export type PaperAServiceTables = {
  overHttp: NamedTable;
  wireThreats: NamedTable;
  budget: NamedTable;
};

/** What {@linkcode runPaperAService} returns. */
export interface PaperAServiceResult extends ExperimentResult<PaperAServiceTables> {
  /** The tables. */
  tables: PaperAServiceTables;
  /** The over-HTTP rows. */
  overHttp: OverHttpRow[];
  /** The capture and state-folder rows. */
  wireThreats: WireThreatRow[];
  /** The budget rows. */
  budget: TargetBudgetRow[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function filesUnder(dir: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await filesUnder(p));
    else if (e.isFile) out.push(await Deno.readFile(p));
  }
  return out;
}

/** What a position holds, searched for the run's pixels, diagnoses and the secret key. */
function holdings(
  held: Uint8Array[],
  images: MedImage[],
  replies: RemoteDiagnosis[],
  secretKey: Uint8Array,
) {
  const enc = new TextEncoder();
  const any = (needle: Uint8Array) => held.some((h) => contains(h, needle));
  const pixels = images.filter((img) => any(new Uint8Array(img.data.buffer))).length;
  const diagnoses = replies.filter((r) => any(enc.encode(JSON.stringify(r.logits)))).length;
  // a 256-byte run from the middle of the serialised key: past SEAL's header, inside the key data
  const mid = secretKey.length >> 1;
  return {
    "images with pixels found": `${pixels} / ${images.length}`,
    "diagnoses found": `${diagnoses} / ${replies.length}`,
    "secret key found": any(secretKey.subarray(mid, mid + 256)),
    "bytes examined": held.reduce((a, h) => a + h.length, 0),
  };
}

/**
 * Diagnoses `requests` test images by each method through a served, captured socket.
 *
 * @param images the scans (cycled)
 * @param requests diagnoses per method
 * @returns the over-HTTP rows and what the eavesdropper and the server hold
 * @example
 * ```ts ignore
 * import { wireStudy } from "./service.ts";
 * const { overHttp } = await wireStudy(images, 20); // starts `medcrypt serve`: about a minute
 * console.log(overHttp.map((r) => r.method)); // [ "Plaintext", "AES+RSA", "HE" ]
 * ```
 */
export async function wireStudy(
  images: MedImage[],
  requests: number,
): Promise<{ overHttp: OverHttpRow[]; wireThreats: WireThreatRow[] }> {
  const state = await Deno.makeTempDir({ prefix: "medcrypt-paper-a-service-" });
  const server = await spawnServe(["--state", state]);
  const tap = captureProxy(server.url);
  const api = new ServiceClient(
    tap.url,
    (await Deno.readTextFile(join(state, "local.token"))).trim(),
  );
  const overHttp: OverHttpRow[] = [], wireThreats: WireThreatRow[] = [];
  try {
    const before = tap.bytes();
    const calls = await methodCalls(api, images);
    const setup = tap.bytes();
    const setupBytes = setup.up + setup.down - before.up - before.down;
    const program = compile(await loadShippedModel());
    const spec = (await api.spec()).spec;
    const clear = images.map((img) => forwardProgram(program, imageToInput(img, spec)).at(-1)!);
    const bar = progress("paper-a over HTTP", METHODS.length * requests);
    for (const method of METHODS) {
      await calls.remote[method](0); // warm-up, not recorded
      tap.clear();
      const lat: number[] = [], wire: number[] = [], replies: RemoteDiagnosis[] = [];
      let agree = 0, maxDiff = 0;
      const t0 = performance.now();
      for (let k = 0; k < requests; k++) {
        const i = k % images.length, b0 = tap.bytes(), t = performance.now();
        const d = await calls.remote[method](i);
        lat.push(performance.now() - t);
        const b1 = tap.bytes();
        wire.push(b1.up + b1.down - b0.up - b0.down);
        replies.push(d);
        const c = clear[i];
        if (d.logits.indexOf(Math.max(...d.logits)) === c.indexOf(Math.max(...c))) agree++;
        d.logits.forEach((v, j) => maxDiff = Math.max(maxDiff, Math.abs(v - c[j])));
        bar.tick({ method });
      }
      const wall = (performance.now() - t0) / 1000;
      const local: number[] = [];
      for (let k = 0; k < Math.min(requests, 20); k++) {
        const t = performance.now();
        await calls.inProcess[method](k % images.length);
        local.push(performance.now() - t);
      }
      const perImage = wire.reduce((a, b) => a + b, 0) / requests;
      const keys = method === "he" ? setupBytes : 0;
      const used = images.slice(0, Math.min(requests, images.length));
      overHttp.push({
        method: METHOD_NAME[method],
        requests,
        "p50 ms": pct(lat, 50),
        "p95 ms": pct(lat, 95),
        "images/s": requests / wall,
        "in-process p50 ms": pct(local, 50),
        "wire KB/image": perImage / 1024,
        "keys MB (once)": keys / 2 ** 20,
        "KB/image, keys over 1,000": (perImage + keys / 1000) / 1024,
        "labels = clear": `${agree} / ${requests}`,
        "max |Δ logit|": maxDiff,
        "server RSS MB": await server.rssMb(),
      });
      wireThreats.push({
        position: "network eavesdropper (socket capture)",
        method: METHOD_NAME[method],
        ...holdings([tap.upstream(), tap.downstream()], used, replies, calls.secretKey),
      });
      wireThreats.push({
        position: "inference server (its state folder, after the run)",
        method: METHOD_NAME[method],
        ...holdings(await filesUnder(state), used, replies, calls.secretKey),
      });
      tap.clear();
    }
    bar.done();
    calls.release();
  } finally {
    api.close();
    await server.stop();
    await tap.close();
    closeWorkers();
    await Deno.remove(state, { recursive: true });
  }
  return { overHttp, wireThreats };
}

/** A budget row and the audited target it was measured on. */
export interface TargetBudgetRow extends BudgetRow {
  /** Which target: the deployed HE model, or the overfit worst case. */
  target: string;
}

/** The overfit worst case: few records, many epochs, so that membership does leak. */
const OVERFIT = {
  arch: "cnn-tiny",
  records: 500,
  epochs: 80,
  batchSize: 25,
  learningRate: 3e-3,
  refModels: 8,
} as const;

/**
 * The query-budget study on two targets: the deployed HE model (the run's audit, sharing
 * `paper-a`'s cached models), and a worst case where membership does leak — the tiny CNN of the
 * other methods trained on 500 records for 80 epochs, attacked with 8 reference models.
 *
 * @param setting data, sizes, seed, cache (shared with `paper-a`'s audits)
 * @param targets records attacked on the deployed model
 * @returns the rows of both targets
 * @example
 * ```ts ignore
 * import { auditSetting, budgetStudy } from "./mod.ts";
 * const rows = await budgetStudy(await auditSetting(ctx), 1000); // trains or loads 10 models
 * console.log(rows.length); // 16
 * ```
 */
export async function budgetStudy(
  setting: AuditSetting,
  targets: number,
): Promise<TargetBudgetRow[]> {
  const deployed = auditOptions(setting, "he-cnn");
  const [few] = seededSplit(deployed.pool.n, [OVERFIT.records / deployed.pool.n], setting.seed + 5);
  const overfit = {
    ...deployed,
    arch: OVERFIT.arch,
    refModels: OVERFIT.refModels,
    pool: subset(deployed.pool, few),
    train: {
      epochs: OVERFIT.epochs,
      batchSize: OVERFIT.batchSize,
      learningRate: OVERFIT.learningRate,
    },
  };
  const out: TargetBudgetRow[] = [];
  for (
    const [target, audit, n] of [
      ["deployed HE model", deployed, targets],
      [
        `overfit ${OVERFIT.arch} (${OVERFIT.records} records, ${OVERFIT.epochs} epochs)`,
        overfit,
        OVERFIT.records,
      ],
    ] as const
  ) {
    const { rows } = await budgetedAttacks({ audit, targets: n });
    out.push(...rows.map((r) => ({ target, ...r })));
  }
  return out;
}

function budgetTableRows(rows: TargetBudgetRow[]) {
  return rows.map((r) => ({
    target: r.target,
    "queries per target": r.budget,
    attack: r.attack,
    "views queried": r.viewsPerTarget,
    "target queries": r.targetQueries,
    "population queries (once)": r.populationQueries,
    AUC: r.metrics.auc,
    "AUC 95% low": r.metrics.aucLow,
    "AUC 95% high": r.metrics.aucHigh,
    "TPR @ 1% FPR": r.metrics.tprAt1pct,
    "balanced accuracy": r.metrics.balancedAccuracy,
  }));
}

function serviceNotes(over: OverHttpRow[], budget: TargetBudgetRow[]): string[] {
  const by = (m: string) => over.find((r) => r.method === m)!;
  const he = by("HE"), plain = by("Plaintext");
  const lira = (target: string, b: BudgetRow["budget"]) =>
    budget.find((r) => r.target === target && r.budget === b && r.attack === "LiRA online")!
      .metrics;
  const auc = (m: { auc: number; aucLow: number; aucHigh: number }) =>
    `${m.auc.toFixed(3)} [${m.aucLow.toFixed(3)}, ${m.aucHigh.toFixed(3)}]`;
  const targets = [...new Set(budget.map((r) => r.target))];
  return [
    `Over loopback HTTP the HE diagnosis takes ${he["p50 ms"].toFixed(0)} ms (p50) against ${
      he["in-process p50 ms"].toFixed(0)
    } ms in process, and moves ${(he["wire KB/image"] / 1024).toFixed(2)} MB per image plus ${
      he["keys MB (once)"].toFixed(1)
    } MB of evaluation keys once; plaintext moves ${plain["wire KB/image"].toFixed(1)} KB.`,
    ...targets.map((t) =>
      `Query budget, ${t}: LiRA AUC ${auc(lira(t, 1))} with one query per target, ${
        auc(lira(t, 10))
      } with 10, ${auc(lira(t, 100))} with 100, ${auc(lira(t, "unlimited"))} unlimited ` +
      `(${budget.find((r) => r.budget === "unlimited")!.viewsPerTarget} views).`
    ),
    ...targets.map((t) => {
      const rows = budget.filter((r) => r.target === t);
      const best = rows.reduce((a, b) => b.metrics.auc > a.metrics.auc ? b : a);
      return `${t}: the strongest attack is ${best.attack} with ${best.budget} ${
        best.budget === 1 ? "query" : "queries"
      } per target (AUC ${auc(best.metrics)}${
        best.metrics.aucLow <= 0.5 ? ": the interval holds 0.5, no measurable leak" : ""
      })${
        best.budget === 1
          ? ", so a budget of one query per record leaves it at full strength: the reference " +
            "models are trained offline and cost no query, and further views (mirrors, shifts) " +
            "of a model trained without augmentation add noise rather than signal. What a budget " +
            "bounds is how many records a client can test at all."
          : "."
      }`;
    }),
  ];
}

/**
 * Runs the experiment (see the module doc).
 *
 * @param ctx scale, seed, cache folder
 * @returns the over-HTTP, threat and budget tables with their rows
 * @example
 * ```ts ignore
 * import { runPaperAService } from "./service.ts";
 * const r = await runPaperAService({ scale: "quick", seed: 1, cacheDir: "data/cache" });
 * console.log(r.budget.length); // 8
 * ```
 */
export async function runPaperAService(ctx: ExperimentContext): Promise<PaperAServiceResult> {
  await initBackend();
  const setting = await auditSetting(ctx);
  const quick = ctx.scale === "quick";
  const { test } = setting.data;
  const images = Array.from(
    { length: 32 },
    (_, i) => medImage(test.images.slice(i * 784, (i + 1) * 784), 28, 28),
  );
  const { overHttp, wireThreats } = await wireStudy(images, quick ? 24 : 200);
  const budget = await budgetStudy(setting, quick ? 1000 : setting.data.train.n);
  const randomised = { reason: "CKKS encryption noise, RSA-OAEP padding and timing are fresh" };
  return {
    tables: {
      overHttp: {
        name: "paper_a_over_http",
        table: aq.from(overHttp),
        caption: "Paper A's methods over loopback HTTP: one client, the server in its own process",
        randomised: [{
          columns: [
            "p50 ms",
            "p95 ms",
            "images/s",
            "in-process p50 ms",
            "server RSS MB",
            "max |Δ logit|",
            "wire KB/image",
            "KB/image, keys over 1,000",
            "keys MB (once)",
          ],
          ...randomised,
        }],
      },
      wireThreats: {
        name: "paper_a_wire_threats",
        table: aq.from(wireThreats),
        caption: "What a capture of the socket and the server's state folder hold, per method",
        randomised: [{ columns: ["bytes examined"], ...randomised }],
      },
      budget: {
        name: "paper_a_mia_budget",
        table: aq.from(budgetTableRows(budget)),
        caption:
          "Membership inference under a per-target query budget: the deployed HE model and an overfit worst case",
      },
    },
    figures: {},
    notes: serviceNotes(overHttp, budget),
    overHttp,
    wireThreats,
    budget,
  };
}
