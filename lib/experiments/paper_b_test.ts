import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type MedImage, medImage } from "../image/types.ts";
import {
  cipherEntries,
  compactSecurityTable,
  criticalValueTable,
  evaluateAll,
  perturb,
  securityTable,
  type TestImage,
  to8bit,
  uniformReference,
} from "./paper_b.ts";

function scan(seed: number, bits: number): MedImage {
  const max = 2 ** bits - 1, w = 48;
  const d = bits <= 8 ? new Uint8Array(w * w) : new Uint16Array(w * w);
  for (let i = 0; i < d.length; i++) {
    d[i] = Math.round(max * (0.5 + 0.4 * Math.sin((i % w) / (5 + seed)) * Math.cos(i / w / 7)));
  }
  return medImage(d, w, w, { bitDepth: bits });
}

Deno.test("paper-b: CTR with a fixed nonce passes the statistics and fails NPCR; GCM passes both", async () => {
  const images: TestImage[] = [
    { name: "a16", set: "16-bit", image: scan(1, 12) },
    { name: "b16", set: "16-bit", image: scan(2, 12) },
    { name: "a8", set: "8-bit", image: to8bit(scan(1, 12)) },
  ];
  const all = await cipherEntries(3);
  const pick = all.filter((c) =>
    c.label === "AES-256-GCM" || c.label === "AES-256-CTR fixed nonce"
  );
  const recs = await evaluateAll(pick, images, 3);
  const long = securityTable(recs).objects() as Record<string, unknown>[];
  const get = (cipher: string, set: string, metric: string) =>
    long.find((r) => r.cipher === cipher && r.set === set && r.metric === metric)!;
  for (const set of ["16-bit", "8-bit"]) {
    for (const m of ["entropy (bits)", "local entropy (bits)"]) {
      assertEquals(get("AES-256-CTR fixed nonce", set, m)["pass % α=0.001"], 100, `${set} ${m}`);
    }
    assertEquals(get("AES-256-CTR fixed nonce", set, "NPCR one pixel (%)")["pass % α=0.05"], 0);
    assertEquals(get("AES-256-GCM", set, "NPCR key bit (%)")["pass % α=0.001"], 100);
  }
  assert(recs.every((r) => r.fidelity?.exact));
  const compact = compactSecurityTable(securityTable(recs));
  assertEquals(compact.numRows(), 4);
  assert(compact.columnNames().includes("NPCR key bit"));
});

Deno.test("paper-b helpers: perturbations, 8-bit versions, reference, critical values", async () => {
  const img = medImage(new Uint16Array(64).fill(1000), 8, 8, { bitDepth: 12 });
  assertEquals(
    perturb(img, { name: "c", kind: "crop", level: 1 / 16 }, 1).data.filter((v) => v === 0).length,
    4,
  );
  assertEquals(
    perturb(img, { name: "c", kind: "crop", level: 1 / 2 }, 1).data.filter((v) => v === 0).length,
    32,
  );
  const sp = perturb(img, { name: "s", kind: "salt-pepper", level: 0.5 }, 1).data;
  assert(sp.some((v) => v === 4095) && sp.some((v) => v === 0));
  assertEquals(to8bit(img).data[0], 1000 >> 4);
  const ref = uniformReference(1);
  const r = await ref.encrypt(img, "k");
  assertEquals(r.cipher.bitDepth, 16);
  const cv = criticalValueTable(256).objects() as Record<string, number>[];
  const row = cv.find((r) => r.bits === 8 && r.alpha === 0.05)!;
  assert(Math.abs(row["N* Wu normal (%)"] - 99.5693) < 5e-5);
  assert(Math.abs(row["U*− (%)"] - 33.2824) < 5e-5 && Math.abs(row["U*+ (%)"] - 33.6447) < 5e-5);
});

Deno.test("paper-b: the learned cipher's exact variant decrypts bit-exactly inside the suite", async () => {
  const images: TestImage[] = [{ name: "a16", set: "16-bit", image: scan(3, 12) }];
  const learned = (await cipherEntries(5)).filter((c) => c.label.startsWith("learned"));
  assertEquals(learned.map((c) => c.label), ["learned cipher (exact)", "learned cipher (paper)"]);
  const [rec] = await evaluateAll(learned.slice(0, 1), images, 5);
  assert(rec.fidelity!.exact);
  assertEquals(rec.tests.bits, 16);
});
