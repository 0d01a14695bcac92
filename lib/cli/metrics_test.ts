import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { medImage } from "../image/types.ts";
import { readImage, writeImage } from "../image/mod.ts";
import { aesCtrFixedCipher } from "../ciphers/aes.ts";
import { pairMetrics } from "../cipher_metrics/suite.ts";
import { medcrypt, ROOT } from "./_test_util.ts";

const cli = (...args: string[]) => medcrypt("cipher-metrics", ...args);

Deno.test("cipher-metrics --json: exact keys and hand-computed values on a tiny 8-bit PNG pair", async () => {
  const dir = await Deno.makeTempDir();
  // plain 4×1 [0, 0, 0, 0]; cipher [255, 0, 255, 0]
  await writeImage(`${dir}/p.png`, medImage(new Uint8Array(4), 4, 1));
  await writeImage(`${dir}/c.npy`, medImage(Uint8Array.from([255, 0, 255, 0]), 4, 1));
  const r = await cli("--plain", `${dir}/p.png`, "--cipher", `${dir}/c.npy`, "--json");
  assertEquals(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assertEquals(Object.keys(j).sort(), [
    "bitDepth",
    "chiSquare",
    "correlation",
    "entropy",
    "npcr",
    "uaci",
  ]);
  assertEquals(Object.keys(j.correlation).sort(), ["diagonal", "horizontal", "vertical"]);
  assertEquals(j.bitDepth, 8);
  assertEquals(j.entropy, 1);
  // counts 2, 2 at levels 0 and 255, E = 4/256: 2·(2 − E)²/E + 254·E
  const e = 4 / 256;
  assert(Math.abs(j.chiSquare - (2 * (2 - e) ** 2 / e + 254 * e)) < 1e-9);
  assertEquals(j.correlation.horizontal, -1);
  assertEquals(j.correlation.vertical, null);
  assertEquals(j.npcr, 50);
  assertEquals(j.uaci, 50);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cipher-metrics --json on a 16-bit DICOM and its AES-CTR cipher as 16-bit PNG", async () => {
  const dir = await Deno.makeTempDir();
  const plainPath = `${ROOT}data/dicom/MR_small.dcm`;
  const plain = await readImage(plainPath);
  const { cipher } = await aesCtrFixedCipher().encrypt(plain, "k");
  await writeImage(`${dir}/c.png`, cipher);
  const r = await cli("--plain", plainPath, "--cipher", `${dir}/c.png`, "--json");
  assertEquals(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assertEquals(j.bitDepth, 16);
  const want = pairMetrics(plain, await readImage(`${dir}/c.png`));
  assertEquals(j, JSON.parse(JSON.stringify(want)));
  assert(j.entropy > 11.5 && j.npcr > 99.9);
  // text output works too
  const t = await cli("--plain", plainPath, "--cipher", `${dir}/c.png`);
  assertEquals(t.code, 0);
  assert(t.stdout.includes("NPCR"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cipher-metrics: clear one-line errors for missing files, size mismatch and usage", async () => {
  const dir = await Deno.makeTempDir();
  await writeImage(`${dir}/a.npy`, medImage(new Uint8Array(4), 2, 2));
  await writeImage(`${dir}/b.npy`, medImage(new Uint8Array(6), 3, 2));
  const missing = await cli("--plain", `${dir}/none.npy`, "--cipher", `${dir}/a.npy`, "--json");
  assertEquals(missing.code, 1);
  assert(missing.stderr.includes("none.npy") && missing.stderr.includes("no such file"));
  assertEquals(missing.stderr.trim().split("\n").length, 1);
  const size = await cli("--plain", `${dir}/a.npy`, "--cipher", `${dir}/b.npy`);
  assertEquals(size.code, 1);
  assert(size.stderr.includes("b.npy") && size.stderr.includes("3×2"));
  const usage = await cli("--plain", `${dir}/a.npy`);
  assertEquals(usage.code, 2);
  const bad = await cli("--plain", `${dir}/a.npy`, "--cipher", `${ROOT}deno.json`);
  assertEquals(bad.code, 1);
  assert(bad.stderr.includes("deno.json"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cipher-metrics on folders: pairs by relative path without extension, reports a missing cipher", async () => {
  const dir = await Deno.makeTempDir();
  const noise = () => medImage(crypto.getRandomValues(new Uint8Array(64)), 8, 8);
  await Deno.mkdir(`${dir}/p/sub`, { recursive: true });
  await Deno.mkdir(`${dir}/c/sub`, { recursive: true });
  await writeImage(`${dir}/p/a.png`, medImage(new Uint8Array(64).fill(5), 8, 8));
  await writeImage(`${dir}/p/sub/b.npy`, medImage(new Uint8Array(64).fill(9), 8, 8));
  await writeImage(`${dir}/p/z.npy`, medImage(new Uint8Array(64), 8, 8));
  await writeImage(`${dir}/c/a.npy`, noise());
  await writeImage(`${dir}/c/sub/b.dcm`, noise());
  await writeImage(`${dir}/c/extra.npy`, noise());
  const r = await cli("--plain", `${dir}/p`, "--cipher", `${dir}/c`);
  assertEquals(r.code, 1);
  const lines = r.stdout.trim().split("\n");
  const pair =
    /: vs \S+: entropy \d\.\d{4} bits \(of 8\), NPCR [\d.]+ %, UACI [\d.]+ %, max \|corr\| [\d.]+$/;
  assert(
    lines[0].startsWith(`${dir}/p/a.png: vs ${dir}/c/a.npy:`) && pair.test(lines[0]),
    lines[0],
  );
  assert(lines[1].startsWith(`${dir}/p/sub/b.npy: vs ${dir}/c/sub/b.dcm:`) && pair.test(lines[1]));
  assert(/z\.npy: FAILED: has no cipher image/.test(lines[2]), lines[2]);
  assertEquals(lines[3], "3 files: 2 done, 1 failed");
  assert(/note: 1 cipher image\(s\) have no plain image: \S+extra\.npy/.test(lines[4]));
  assertEquals(r.stderr.trim(), "medcrypt cipher-metrics: 1 of 3 files failed");
  // with every cipher present, --json gives one object per pair and exit 0
  await writeImage(`${dir}/c/z.png`, noise());
  const j = await cli("--plain", `${dir}/p`, "--cipher", `${dir}/c`, "--json");
  assertEquals(j.code, 0, j.stderr);
  const objs = j.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(objs.map((o) => o.cipher), [
    `${dir}/c/a.npy`,
    `${dir}/c/sub/b.dcm`,
    `${dir}/c/z.png`,
  ]);
  assertEquals(
    objs[2].npcr,
    pairMetrics(await readImage(`${dir}/p/z.npy`), await readImage(`${dir}/c/z.png`)).npcr,
  );
  // a folder against a file is a usage error
  assertEquals((await cli("--plain", `${dir}/p`, "--cipher", `${dir}/c/a.npy`)).code, 2);
  await Deno.remove(dir, { recursive: true });
});
