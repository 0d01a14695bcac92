import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type MedImage, medImage } from "../../image/types.ts";
import {
  attackSummaries,
  attackTable,
  type ChosenRow,
  cipherEntries,
  compactSecurityTable,
  criticalValueTable,
  evaluateAll,
  nativeImages,
  paperBNotes,
  paperBOptions,
  securityTable,
  type TestImage,
} from "./mod.ts";
import { to8bit } from "./_depth.ts";
import { loadClinicalSamples } from "../../datasets/clinical.ts";

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
  const { ciphers } = await cipherEntries(3);
  const pick = ciphers.filter((c) =>
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

Deno.test("paper-b helpers: 8-bit versions and critical values", () => {
  const img = medImage(new Uint16Array(64).fill(1000), 8, 8, { bitDepth: 12 });
  assertEquals(to8bit(img).data[0], 1000 >> 4);
  assertEquals(to8bit(to8bit(img)), to8bit(img));
  const cv = criticalValueTable(256).objects() as Record<string, number>[];
  const row = cv.find((r) => r.bits === 8 && r.alpha === 0.05)!;
  assert(Math.abs(row["N* Wu normal (%)"] - 99.5693) < 5e-5);
  assert(Math.abs(row["U*− (%)"] - 33.2824) < 5e-5 && Math.abs(row["U*+ (%)"] - 33.6447) < 5e-5);
});

Deno.test("paper-b: attack summary columns, verdicts and notes", async () => {
  const lineup = await cipherEntries(1);
  const ctr = lineup.ciphers.filter((c) => c.label === "AES-256-CTR fixed nonce");
  const chosen: ChosenRow[] = (["16-bit", "8-bit"] as const).map((set) => ({
    cipher: ctr[0].label,
    set,
    zeroProbePsnr: set === "16-bit" ? 100 : 20,
    zeroCipherEntropyPass: true,
    differentialQueries: 2,
    differentialPsnr: 20,
    differentialExact: false,
  }));
  const [s] = attackSummaries(ctr, [], chosen);
  assertEquals([s.sets["16-bit"].broken, s.sets["8-bit"].broken], [true, false]);
  const t = attackTable([s]);
  assertEquals(t.columnNames().slice(0, 4), [
    "cipher",
    "16-bit KPA xor N=1 PSNR",
    "16-bit KPA network best PSNR (N)",
    "16-bit mean-image baseline PSNR",
  ]);
  assertEquals(t.get("16-bit KPA network best PSNR (N)", 0), "-Infinity (0)");
  const notes = paperBNotes(
    [],
    [s],
    { ciphers: ctr, learnedMissing: "no model" },
    paperBOptions("quick", 1),
  );
  assertEquals(notes[0].endsWith("broken by a measured attack: YES."), true);
  assertEquals(notes.at(-1), "The learned cipher is NOT in this run: no model.");
});

Deno.test("paper-b: the learned cipher's exact variant decrypts bit-exactly inside the suite", async () => {
  const images: TestImage[] = [{ name: "a16", set: "16-bit", image: scan(3, 12) }];
  const { ciphers, learnedMissing } = await cipherEntries(5);
  assertEquals(learnedMissing, undefined);
  const learned = ciphers.filter((c) => c.label.startsWith("learned"));
  assertEquals(learned.map((c) => c.label), ["learned cipher (exact)", "learned cipher (paper)"]);
  const [rec] = await evaluateAll(learned.slice(0, 1), images, 5);
  assert(rec.fidelity!.exact);
  assertEquals(rec.tests.bits, 16);
});

Deno.test("paper-b native crops: the scans' own pixels at 512×512, 16-bit and 8-bit sets", async () => {
  const crops = await nativeImages(512);
  const scans = (await loadClinicalSamples()).filter((s) =>
    s.image.width >= 512 && s.image.height >= 512
  );
  const deep = scans.filter((s) => s.image.bitDepth > 8);
  assertEquals(crops.filter((c) => c.set === "16-bit").length, deep.length);
  assertEquals(crops.filter((c) => c.set === "8-bit").length, scans.length);
  assert(deep.length >= 4, "the CT slices are 512×512 and deeper than 8 bits");
  for (const [i, s] of deep.entries()) {
    const c = crops[i].image, x0 = (s.image.width - 512) >> 1, y0 = (s.image.height - 512) >> 1;
    assertEquals([c.width, c.height, c.bitDepth], [512, 512, s.image.bitDepth]);
    for (const [x, y] of [[0, 0], [511, 511], [100, 300]]) {
      assertEquals(c.data[y * 512 + x], s.image.data[(y0 + y) * s.image.width + x0 + x]);
    }
  }
  await nativeImages(4096).then(
    () => assert(false, "no scan is 4096 wide"),
    (e) => assert(/no embedded clinical scan is 4096×4096/.test(e.message)),
  );
});
