import {
  deepEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import * as aq from "arquero";
import { MedCryptError } from "../../core/errors.ts";
import type { MembershipAudit } from "../../attacks/audit.ts";
import type { LabeledSet } from "../../datasets/medmnist.ts";
import {
  attackByName,
  attackRows,
  defenceRow,
  type DeployedAudits,
  experiments,
  inversionStrip,
  paperAConfig,
  paperATables,
  pipelineOrder,
  plainStorageAuc,
  riskiestRecords,
  threatRows,
} from "./mod.ts";

const metrics = (auc: number) => ({
  auc,
  aucLow: auc - 0.1,
  aucHigh: auc + 0.1,
  tprAt1pct: 0.02,
  tprAt01pct: 0.001,
  balancedAccuracy: 0.5,
  minFpr: 0.01,
  positives: 2,
  negatives: 2,
});

function fakeAudit(names: string[]): MembershipAudit {
  return {
    attacks: names.map((attack, i) => ({ attack, metrics: metrics(0.5 + i / 100) })),
    controls: [{ attack: "random scores (control)", metrics: metrics(0.5), meanAuc: 0.5 }],
    refModels: 4,
    risk: Float64Array.from([0.1, 0.95, 0.4, 0.99]),
    targetKeep: Uint8Array.from([0, 1, 0, 1]),
  } as unknown as MembershipAudit;
}

const NAMES = ["loss threshold", "label only", "LiRA online (fixed variance)", "RMIA (a = 0.3)"];

function grey(n: number): LabeledSet {
  const images = Uint8Array.from({ length: n * 784 }, (_, i) => (Math.floor(i / 784) * 37) % 256);
  return {
    images,
    labels: new Uint8Array(n),
    n,
    height: 28,
    width: 28,
    channels: 1,
    labelWidth: 1,
  };
}

Deno.test("paper-a: its three experiments are registered under their reproduce names", () => {
  assertEquals(experiments.map((e) => e.name), [
    "paper-a",
    "paper-a-models",
    "paper-a-service",
    "paper-a-named",
  ]);
});

Deno.test("paper-a: quick and full sizes", () => {
  const q = paperAConfig("quick"), f = paperAConfig("full");
  assertEquals([q.refModels, q.pipelineImages, q.ciphertextRecords], [4, 24, 300]);
  assertEquals([f.refModels, f.pipelineImages, f.ciphertextRecords], [16, 200, 1000]);
  assertEquals(q.zooArchs, ["resnet"]);
});

Deno.test("paper-a: a missing attack is a typed error naming what the audit has", () => {
  const audit = fakeAudit(NAMES);
  assertEquals(attackByName(audit, "RMIA").metrics.auc, 0.53);
  assertThrows(
    () => attackByName(audit, "shadow"),
    (e) => e instanceof MedCryptError && e.code === "not-found" && e.message.includes("RMIA"),
  );
});

Deno.test("paper-a: defence rows carry the four attacks' AUC in column order", () => {
  const row = defenceRow("none", fakeAudit(NAMES), 0.9, "n");
  assertEquals(Object.keys(row), [
    "defence",
    "test accuracy",
    "loss threshold AUC",
    "label only AUC",
    "LiRA online AUC",
    "RMIA AUC",
    "LiRA online TPR@1%FPR",
    "note",
  ]);
  assertEquals([row["loss threshold AUC"], row["RMIA AUC"]], [0.5, 0.53]);
});

Deno.test("paper-a: riskiest records come highest first", () => {
  assertEquals(riskiestRecords(fakeAudit(NAMES), 2), [
    { record: 3, member: 1, risk: 0.99 },
    { record: 1, member: 1, risk: 0.95 },
  ]);
});

Deno.test("paper-a: the pipeline images are seeded and distinct", () => {
  const cfg = paperAConfig("quick");
  const a = pipelineOrder(468, cfg, 5), b = pipelineOrder(468, cfg, 5);
  assertEquals(Array.from(a), Array.from(b));
  assertEquals(new Set(a).size, cfg.pipelineImages);
  assert(Array.from(pipelineOrder(468, cfg, 6)).join() !== Array.from(a).join());
});

Deno.test("paper-a: the clear storage attack finds every member exactly", () => {
  const set = grey(4);
  const audits = { cnn: fakeAudit(NAMES) } as unknown as DeployedAudits;
  assertEquals(plainStorageAuc({ indices: Int32Array.from([0, 1, 2, 3]), set }, audits), 1);
});

Deno.test("paper-a: attack rows list the tiny CNN's attacks, then the HE CNN's", () => {
  const rows = attackRows({ cnn: fakeAudit(NAMES), he: fakeAudit(NAMES.slice(0, 1)) });
  assertEquals(rows.map((r) => r.model), [
    ...Array(5).fill("cnn-tiny"),
    ...Array(2).fill("he-cnn"),
  ]);
  assertEquals(rows[4]["mean AUC over 25 draws (controls)"], 0.5);
  assertEquals(rows[0]["mean AUC over 25 draws (controls)"], null);
});

Deno.test("paper-a: the threat model covers every position and method", () => {
  const view = (kind: "bytes" | "image+output") =>
    kind === "bytes"
      ? { kind, bytes: [new Uint8Array(10)], note: "bytes" }
      : { kind, image: new Uint8Array(784), probs: new Float32Array(2), note: "image" };
  // in the clear every position holds the image and the output; encrypted, only the client's do
  const session = (clear: boolean) => ({
    views: {
      eavesdropper: view(clear ? "image+output" : "bytes"),
      storage: view(clear ? "image+output" : "bytes"),
      server: view(clear ? "image+output" : "bytes"),
      client: view("image+output"),
      apiUser: view("image+output"),
    },
  });
  const runs = (["Plaintext", "AES", "AES+RSA", "HE"] as const).map((method) => ({
    method,
    sessions: [session(method === "Plaintext")],
  })) as never;
  const ct = { auc: 0.5, low: 0.4, high: 0.6, storageAuc: 0.5 };
  const rows = threatRows(runs, { cnn: fakeAudit(NAMES), he: fakeAudit(NAMES) }, {
    ciphertext: { AES: ct, "AES+RSA": ct, HE: ct },
    plainStorageAuc: 1,
  });
  assertEquals(rows.length, 20);
  const storage = rows.filter((r) => r.attack.startsWith("exact search"));
  assertEquals(storage.map((r) => r["MIA AUC"]), [1, 0.5, 0.5, 1]);
  assertEquals(rows.find((r) => r.attack.startsWith("LiRA"))?.["MIA AUC"], 0.52);
});

Deno.test("paper-a: tables are written under their file stems, in order", () => {
  const t = paperATables({
    comparison: [],
    reported: [],
    threatModel: [],
    attacks: [],
    defences: [],
    inversion: [],
    models: { name: "models", table: aq.table({ model: ["resnet"] }), caption: "c" },
  });
  assertEquals(Object.values(t).map((x) => x.name), [
    "paper_a_comparison",
    "paper_a_reported",
    "paper_a_threat_model",
    "paper_a_attacks",
    "paper_a_defences",
    "paper_a_inversion",
    "paper_a_models",
  ]);
  assertEquals(t.models.caption, "c");
});

Deno.test("paper-a: an inversion strip shows each reconstruction as its own titled panel, low = black", () => {
  const inv = {
    images: [new Float32Array(4).fill(1), new Float32Array(4)],
    size: 2,
    targetClass: 1,
    confidence: [0.9, 0.5],
    queries: 7,
  };
  const f = inversionStrip(inv, "t");
  assertEquals(f.data.length, 2);
  assertEquals((f.data[0].z as number[][])[0], [255, 255]);
  assertEquals((f.data[1].z as number[][])[0], [0, 0]);
  const titles = (f.layout.annotations as { text: string }[]).map((a) => a.text.split("<br>")[0]);
  assertEquals(titles, ["restart 1: confidence 0.900", "restart 2: confidence 0.500"]);
});
