/**
 * `deno task bench --only ciphers`: time per 256×256 image of paper B's learned cipher (exact and
 * paper variants, with the 256×256 model when shipped, else the 64×64 one — the networks are
 * convolutional, so any size runs) beside AES-256-GCM and the classic chaos cipher, measured in
 * the same run on the same images (an 8-bit chest X-ray crop and a 16-bit CT), as ratios to the
 * classic chaos cipher. Goal (issue 17): the learned cipher within 10× of the chaos cipher's time.
 *
 * @example
 * ```ts ignore
 * import { suites } from "./ciphers.ts";
 * const rows = await suites[0].run({ quick: true });
 * console.log(rows.length); // 12: 6 ciphers × 2 images
 * ```
 * @module
 */
import { loadClinicalSamples } from "../datasets/clinical.ts";
import { crop, resize } from "../image/ops.ts";
import type { MedImage } from "../image/types.ts";
import { aesGcmCipher } from "../ciphers/aes.ts";
import { classicChaosCipher } from "../ciphers/chaos/classic.ts";
import {
  loadDefaultModel,
  loadRevCipherModel,
  protectCipher,
  recoverCipher,
  revcipherExact,
  type RevCipherModel,
  revcipherPaper,
  type RevHeader,
} from "../ciphers/revcipher/mod.ts";
import type { ImageCipher } from "../ciphers/types.ts";
import { initBackend } from "../nn/backend.ts";
import type { BenchRow, BenchSuite } from "./types.ts";

const MODEL_256 = new URL("../../data/models/revcipher-256/", import.meta.url).pathname;

async function model256(): Promise<{ model: RevCipherModel; name: string }> {
  try {
    return { model: await loadRevCipherModel(MODEL_256), name: "256×256 model" };
  } catch {
    return { model: await loadDefaultModel(), name: "64×64 model (no 256×256 model shipped)" };
  }
}

function median(ts: number[]): number {
  const s = [...ts].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeMs(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

async function images(): Promise<{ name: string; image: MedImage }[]> {
  const clinical = await loadClinicalSamples();
  const ct = clinical.find((c) => c.name === "ct-abdomen-1")!.image;
  const cxr = clinical.find((c) => c.name === "cxr-1")!.image;
  const m = Math.min(cxr.width, cxr.height);
  const sq = crop(cxr, (cxr.width - m) >> 1, (cxr.height - m) >> 1, m, m);
  return [
    { name: `chest X-ray, 256×256, ${cxr.bitDepth}-bit`, image: resize(sq, 256, 256, "area") },
    { name: `CT, 256×256, ${ct.bitDepth}-bit`, image: resize(ct, 256, 256, "area") },
  ];
}

async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  await initBackend();
  const { model, name } = await model256();
  const reps = quick ? 3 : 11;
  const key = "bench key";
  const entries: { label: string; cipher: ImageCipher<unknown>; robust?: boolean }[] = [
    { label: "classic chaos cipher", cipher: classicChaosCipher() as ImageCipher<unknown> },
    { label: "AES-256-GCM (WebCrypto)", cipher: aesGcmCipher() as ImageCipher<unknown> },
    {
      label: `learned cipher, exact (${name})`,
      cipher: revcipherExact(model) as ImageCipher<unknown>,
    },
    {
      label: `learned cipher, exact + erasure code (${name})`,
      cipher: revcipherExact(model) as ImageCipher<unknown>,
      robust: true,
    },
    {
      label: `learned cipher, paper (${name})`,
      cipher: revcipherPaper(model) as ImageCipher<unknown>,
    },
  ];
  const rows: BenchRow[] = [];
  for (const { name: imgName, image } of await images()) {
    // One operation per cipher in turn, `reps` rounds (after a warm-up round), so that every
    // cipher sees the same machine load and the medians compare like with like.
    const ops = await Promise.all(entries.map(async (e) => {
      const encrypt = async () => {
        const r = await e.cipher.encrypt(image, key);
        return e.robust ? protectCipher(r.cipher) : r.cipher;
      };
      const { cipher, header } = await e.cipher.encrypt(image, key);
      const sent = e.robust ? protectCipher(cipher) : cipher;
      const h = header as RevHeader;
      const decrypt = () =>
        e.cipher.decrypt(
          e.robust ? recoverCipher(sent, h.cipherWidth, h.cipherHeight, h.cipherBits).cipher : sent,
          header,
          key,
        );
      return { encrypt, decrypt, enc: [] as number[], dec: [] as number[] };
    }));
    for (let rep = -1; rep < reps; rep++) {
      for (const op of ops) {
        const enc = await timeMs(op.encrypt), dec = await timeMs(op.decrypt);
        if (rep >= 0) op.enc.push(enc), op.dec.push(dec);
      }
    }
    const times = entries.map((e, i) => ({
      label: e.label,
      enc: median(ops[i].enc),
      dec: median(ops[i].dec),
    }));
    const base = times[0];
    for (const t of times) {
      for (
        const [dir, v, b] of [["encrypt", t.enc, base.enc], ["decrypt", t.dec, base.dec]] as const
      ) {
        rows.push({
          subject: `${t.label} ${dir}`,
          case: imgName,
          value: v,
          unit: "ms/image",
          baseline: b,
          baselineName: `classic chaos cipher ${dir}`,
          ratio: b / v,
          ...(t.label.startsWith("learned") ? { goal: 0.1 } : {}),
        });
      }
    }
  }
  return rows;
}

/** The suite. */
export const suites: BenchSuite[] = [{ name: "ciphers", run }];
