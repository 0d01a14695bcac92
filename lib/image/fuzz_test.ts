/**
 * Fuzz test of the readers: mutated (bit flips, byte overwrites, forged header fields,
 * insertions/deletions) and truncated NPY, NPZ, PNG and DICOM files. Each case must return a
 * valid value or throw a `MedCryptError` — never another error type — and stay fast and small.
 * Seeded: a failure names the seed, case number and mutation so it can be replayed.
 */
import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { decodeDicom, encodeDicom } from "./dicom.ts";
import { decodeNpy, encodeNpy, encodeNpyArray } from "./npy.ts";
import { decodeNpz, encodeNpz } from "./npz.ts";
import { decodePng, encodePng } from "./png.ts";
import { type MedImage, medImage } from "./types.ts";

// Override for longer exploratory runs: MEDCRYPT_FUZZ_SEED=7 MEDCRYPT_FUZZ_SCALE=20 deno test -A …
const SEED = Number(Deno.env.get("MEDCRYPT_FUZZ_SEED") ?? 20261121);
const SCALE = Number(Deno.env.get("MEDCRYPT_FUZZ_SCALE") ?? 1);
const MUTATIONS_PER_SEED_FILE = 100 * SCALE;
const TRUNCATIONS_PER_SEED_FILE = 20 * SCALE;
const SLOW_CASE_MS = 2000;
const MAX_RSS_GROWTH = 768 * 2 ** 20;

const INTERESTING32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function checkImage(img: MedImage): void {
  // A returned value must itself be a valid MedImage (medImage re-checks every invariant).
  medImage(img.data, img.width, img.height, { bitDepth: img.bitDepth });
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

type Mutator = (b: Uint8Array, rng: Rng) => [Uint8Array, string];

const generic: Mutator[] = [
  (b, rng) => {
    const out = b.slice();
    const k = 1 + rng.int(8);
    for (let i = 0; i < k; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return [out, `flip ${k} bits`];
  },
  (b, rng) => {
    const out = b.slice();
    const k = 1 + rng.int(4);
    for (let i = 0; i < k; i++) out[rng.int(out.length)] = [0, 0xff, 0x7f, 0x80][rng.int(4)];
    return [out, `overwrite ${k} bytes`];
  },
  (b, rng) => {
    // a 32-bit word in the first 512 bytes (where headers live) set to an extreme value
    const out = b.slice();
    const at = rng.int(Math.max(1, Math.min(512, out.length - 4)));
    const v = INTERESTING32[rng.int(INTERESTING32.length)];
    new DataView(out.buffer).setUint32(at, v, rng.int(2) === 0);
    return [out, `word at ${at} = ${v}`];
  },
  (b, rng) => {
    const at = rng.int(b.length);
    const n = 1 + rng.int(16);
    const out = rng.int(2)
      ? new Uint8Array([
        ...b.subarray(0, at),
        ...new Uint8Array(n).fill(rng.int(256)),
        ...b.subarray(at),
      ])
      : new Uint8Array([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + n))]);
    return [out, `insert/delete ${n} at ${at}`];
  },
];

/** Format-aware header edits. */
const targeted: Record<string, Mutator[]> = {
  npy: [
    (b, rng) => {
      const text = new TextDecoder("latin1").decode(b.subarray(0, 128));
      const sizes = ["0", "1", "99999999", "4294967296", "-3", "18446744073709551616", "2, 2, 2"];
      const s = sizes[rng.int(sizes.length)];
      const edited = text.replace(/\(\d+, \d+\)/, `(${s}, ${s})`);
      const out = b.slice();
      const enc = Uint8Array.from(edited, (c) => c.charCodeAt(0) & 0xff).subarray(0, 128);
      out.set(enc.subarray(0, Math.min(enc.length, out.length)));
      return [out, `shape → (${s}, ${s})`];
    },
    (b, rng) => {
      const text = new TextDecoder("latin1").decode(b.subarray(0, 128));
      const d = ["<f8", "<i8", ">u2", "|b1", "<c8", "<U4", "|O", "<u2"][rng.int(8)];
      const edited = text.replace(/'descr': '[^']*'/, `'descr': '${d}'`);
      const out = b.slice();
      out.set(Uint8Array.from(edited, (c) => c.charCodeAt(0) & 0xff).subarray(0, out.length));
      return [out, `descr → ${d}`];
    },
  ],
  png: [
    (b, rng) => {
      // mutate, then repair every chunk CRC so the decoder's deeper checks are reached
      const [out, what] = generic[rng.int(2)](b, rng);
      const v = new DataView(out.buffer);
      for (let p = 8; p + 12 <= out.length;) {
        const len = v.getUint32(p);
        if (p + 12 + len > out.length) break;
        v.setUint32(p + 8 + len, crc32(out.subarray(p + 4, p + 8 + len)));
        p += 12 + len;
      }
      return [out, `${what}, CRCs repaired`];
    },
    (b, rng) => {
      const out = b.slice();
      const v = new DataView(out.buffer);
      const field = rng.int(4);
      if (field < 2) v.setUint32(16 + 4 * field, INTERESTING32[rng.int(INTERESTING32.length)]);
      else out[24 + field - 2] = [0, 1, 2, 3, 4, 6, 8, 16, 255][rng.int(9)];
      return [out, `IHDR field ${field}`];
    },
  ],
  dicom: [
    (b, rng) => {
      // Rows/Columns/Bits values and element lengths near group 0028
      const out = b.slice();
      const v = new DataView(out.buffer);
      const hits: number[] = [];
      for (let i = 132; i + 8 < out.length; i += 2) {
        if (v.getUint16(i, true) === 0x0028 || v.getUint16(i, true) === 0x7fe0) hits.push(i);
      }
      if (!hits.length) return [out, "no group 0028"];
      const at = hits[rng.int(hits.length)];
      const off = [6, 8, 10][rng.int(3)];
      if (at + off + 2 <= out.length) {
        v.setUint16(at + off, INTERESTING32[rng.int(INTERESTING32.length)] & 0xffff, true);
      }
      return [out, `group-0028/7FE0 element at ${at} +${off}`];
    },
  ],
  npz: [
    (b, rng) => {
      // sizes and offsets in the central directory / end record
      const out = b.slice();
      const v = new DataView(out.buffer);
      const hits: number[] = [];
      for (let i = 0; i + 4 <= out.length; i++) {
        const sig = v.getUint32(i, true);
        if (sig === 0x02014b50 || sig === 0x06054b50 || sig === 0x04034b50) hits.push(i);
      }
      const at = hits[rng.int(hits.length)];
      const off = [10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 42][rng.int(11)];
      if (at + off + 4 <= out.length) {
        v.setUint32(at + off, INTERESTING32[rng.int(INTERESTING32.length)], true);
      }
      return [out, `zip field at ${at} +${off}`];
    },
  ],
};

function seeds(): Record<string, [string, Uint8Array][]> {
  const rng = new Rng(SEED);
  const ramp16 = new Uint16Array(16 * 12);
  for (let i = 0; i < ramp16.length; i++) ramp16[i] = (i * 37 + rng.int(50)) % 4096;
  const ramp8 = new Uint8Array(9 * 7);
  for (let i = 0; i < ramp8.length; i++) ramp8[i] = rng.int(256);
  const img16 = medImage(ramp16, 16, 12, {
    bitDepth: 12,
    modality: "CT",
    pixelSpacing: [0.5, 0.5],
    rescale: { slope: 1, intercept: -1024 },
  });
  const img8 = medImage(ramp8, 9, 7);
  const f4 = encodeNpyArray({
    dtype: "f4",
    shape: [3, 4],
    data: Float32Array.from(ramp16.subarray(0, 12), (v) => v / 7),
  });
  const mr = Deno.readFileSync(new URL("../../data/dicom/MR_small.dcm", import.meta.url));
  const labels = { dtype: "u1" as const, shape: [3, 1], data: new Uint8Array([0, 1, 1]) };
  const stack = { dtype: "u1" as const, shape: [3, 9, 7], data: new Uint8Array(189).fill(5) };
  return {
    npy: [["u2", encodeNpy(img16)], ["u1", encodeNpy(img8)], ["f4", f4]],
    npz: [
      ["stored", encodeNpz({ train_images: stack, train_labels: labels })],
      ["deflated", encodeNpz({ train_images: stack, train_labels: labels }, { compress: true })],
    ],
    png: [["16-bit", encodePng(img16)], ["8-bit", encodePng(img8)]],
    dicom: [["sc16", encodeDicom(img16)], ["sc8", encodeDicom(img8)], ["MR_small", mr]],
  };
}

const decoders: Record<string, (b: Uint8Array) => void> = {
  npy: (b) => checkImage(decodeNpy(b, "fuzz.npy")),
  png: (b) => checkImage(decodePng(b, "fuzz.png")),
  dicom: (b) => checkImage(decodeDicom(b, "fuzz.dcm")),
  npz: (b) => {
    for (const a of decodeNpz(b, "fuzz.npz").values()) {
      assert.equal(a.data.length, a.shape.reduce((x, y) => x * y, 1));
    }
  },
};

Deno.test(`fuzz: ≥1000 mutated and truncated NPY/NPZ/PNG/DICOM files (seed ${SEED})`, () => {
  const rng = new Rng(SEED);
  const stats: Record<string, { cases: number; ok: number; refused: number }> = {};
  const rss0 = Deno.memoryUsage().rss;
  let peak = rss0;
  let total = 0;
  for (const [format, files] of Object.entries(seeds())) {
    const st = stats[format] = { cases: 0, ok: 0, refused: 0 };
    const mutators = [...generic, ...(targeted[format] ?? [])];
    for (const [name, original] of files) {
      decoders[format](original); // the unmutated file must read
      const cases: (() => [Uint8Array, string])[] = [];
      for (let i = 0; i < MUTATIONS_PER_SEED_FILE; i++) {
        cases.push(() => mutators[rng.int(mutators.length)](original, rng));
      }
      for (let i = 0; i < TRUNCATIONS_PER_SEED_FILE; i++) {
        cases.push(() => {
          const n = rng.int(original.length);
          return [original.slice(0, n), `truncate to ${n}`];
        });
      }
      for (let c = 0; c < cases.length; c++) {
        const [bytes, what] = cases[c]();
        const t0 = performance.now();
        try {
          decoders[format](bytes);
          st.ok++;
        } catch (e) {
          if (!(e instanceof MedCryptError)) {
            assert.fail(
              `${format}/${name} case ${c} (${what}): threw ${(e as Error)?.name ?? typeof e}: ${
                (e as Error)?.message ?? e
              }`,
            );
          }
          assert.ok(e.message.length > 10 && !e.message.includes("\n    at "), e.message);
          st.refused++;
        }
        const ms = performance.now() - t0;
        assert.ok(ms < SLOW_CASE_MS, `${format}/${name} case ${c} (${what}) took ${ms} ms`);
        st.cases++;
        total++;
        if (total % 50 === 0) peak = Math.max(peak, Deno.memoryUsage().rss);
      }
    }
  }
  peak = Math.max(peak, Deno.memoryUsage().rss);
  console.log(
    `fuzz seed ${SEED}: ${total} cases;`,
    Object.entries(stats).map(([f, s]) => `${f} ${s.cases} (${s.ok} read, ${s.refused} refused)`)
      .join(", "),
    `; RSS growth ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.ok(total >= 1000, `only ${total} cases`);
  assert.ok(peak - rss0 < MAX_RSS_GROWTH, `RSS grew by ${peak - rss0} bytes`);
  for (const s of Object.values(stats)) assert.ok(s.refused > 0);
});
