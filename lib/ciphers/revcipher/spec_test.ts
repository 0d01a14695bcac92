/**
 * Checks `SPEC.md` against the code: the test vector printed in the spec (also kept as
 * `testdata/vector.json`) must be what the code produces, an independent implementation written
 * from the spec's prose must reproduce it, and every rejection rule must raise the documented
 * error.
 *
 * @module
 */
import assert from "node:assert/strict";
import QRCode from "qrcode";
import jsQR from "jsqr";
import { MedCryptError } from "../../core/errors.ts";
import { fromHex, toHex } from "../../core/bytes.ts";
import { decodePng, encodePng } from "../../image/png.ts";
import { type MedImage, medImage } from "../../image/types.ts";
import { ChaosKey, deriveChaosKey } from "../chaos/keys.ts";
import {
  decodeHeader,
  decodeKeyQr,
  decodeQrPng,
  decryptExact,
  DEFAULT_CONFIG,
  encodeHeader,
  encodeQrPngs,
  encryptExact,
  exactCore,
  initModel,
  keyQrPng,
  loadDefaultModel,
  packQr,
  readQrSet,
  type RevCipherModel,
  type RevHeader,
  sealHeader,
  unpackQr,
} from "./mod.ts";

Deno.env.set("MEDCRYPT_QUIET", "1");

// ------------------------------------------------------------------ the vector, from SPEC.md

interface MapVec {
  counter: number;
  x0: number;
  r: number;
  burnIn: number;
}
interface StreamVec {
  seed: string;
  label: string;
  maps: MapVec[];
  words: number[];
}
interface Vec {
  name: string;
  key: string;
  width: number;
  height: number;
  bitDepth: number;
  modality?: string;
  pixelSpacing?: [number, number];
  rescale?: { slope: number; intercept: number };
  plain: string;
  imageHash: string;
  seed: string;
  check: string;
  cipherWidth: number;
  cipherHeight: number;
  cipherBits: 8 | 16;
  cipherNoNetwork: string;
  cipher: string;
  cipherHash: string;
  tag: string;
  header: string;
  qrPayload: string;
  qrChunks: string[];
  qrVersion: number[];
  keyQr: string;
}
interface VectorFile {
  model: { id: string; config: string; weightsSha256: string };
  streams: StreamVec[];
  vectors: Vec[];
}

const here = new URL(".", import.meta.url);
const specText = await Deno.readTextFile(new URL("SPEC.md", here));
const MARK = "<!-- test-vector: testdata/vector.json -->";

function vectorFromSpec(md: string): VectorFile {
  const at = md.indexOf(MARK);
  assert.ok(at >= 0, `SPEC.md has no '${MARK}' line`);
  const m = /```json\n([\s\S]*?)\n```/.exec(md.slice(at));
  assert.ok(m, "SPEC.md: no ```json block after the test-vector mark");
  return JSON.parse(m[1]);
}

const V = vectorFromSpec(specText);

/** Pixel hex of the vector (1 byte per value for 8-bit containers, u16 LE otherwise). */
function pixels(hex: string, bits: number): number[] {
  const b = fromHex(hex);
  if (bits <= 8) return [...b];
  const dv = new DataView(b.buffer), out: number[] = [];
  for (let i = 0; i < b.length; i += 2) out.push(dv.getUint16(i, true));
  return out;
}
const pixHex = (a: ArrayLike<number>, bits: number) =>
  bits <= 8
    ? toHex(Uint8Array.from(a))
    : toHex(new Uint8Array(Uint16Array.from(a, (v) => v).buffer)); // LE on every supported host

function plainImage(v: Vec): MedImage {
  const px = pixels(v.plain, v.bitDepth);
  return medImage(
    v.bitDepth <= 8 ? Uint8Array.from(px) : Uint16Array.from(px),
    v.width,
    v.height,
    {
      bitDepth: v.bitDepth,
      modality: v.modality,
      pixelSpacing: v.pixelSpacing,
      rescale: v.rescale,
    },
  );
}
function cipherImage(v: Vec): MedImage {
  const px = pixels(v.cipher, v.cipherBits);
  return medImage(
    v.cipherBits === 8 ? Uint8Array.from(px) : Uint16Array.from(px),
    v.cipherWidth,
    v.cipherHeight,
    { bitDepth: v.cipherBits },
  );
}

/** The bytes a QR code PNG holds (decoded from its pixels with jsQR). */
function qrBytes(png: Uint8Array): { bytes: Uint8Array; version: number } {
  const q = decodePng(png);
  const rgba = new Uint8ClampedArray(q.width * q.height * 4);
  for (let i = 0; i < q.data.length; i++) {
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = q.data[i];
    rgba[4 * i + 3] = 255;
  }
  const decode = jsQR as unknown as (
    d: Uint8ClampedArray,
    w: number,
    h: number,
  ) => { binaryData: number[]; version: number } | null;
  const c = decode(rgba, q.width, q.height);
  assert.ok(c, "QR code not readable");
  return { bytes: Uint8Array.from(c.binaryData), version: c.version };
}

/** Any bytes as a QR code PNG rendered like `qr.ts` does (to forge bad chunks). */
function renderQr(bytes: Uint8Array): Uint8Array {
  const create = (QRCode as unknown as {
    create(
      s: { data: Uint8Array; mode: "byte" }[],
      o: { errorCorrectionLevel: string },
    ): { modules: { size: number; data: Uint8Array } };
  }).create;
  const { size, data } = create([{ data: bytes, mode: "byte" }], { errorCorrectionLevel: "M" })
    .modules;
  const side = (size + 8) * 4, px = new Uint8Array(side * side).fill(255);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const my = Math.floor(y / 4) - 4, mx = Math.floor(x / 4) - 4;
      if (my >= 0 && mx >= 0 && my < size && mx < size && data[my * size + mx]) {
        px[y * side + x] = 0;
      }
    }
  }
  return encodePng(medImage(px, side, side));
}

// ------------------------------------------- an implementation written from SPEC.md's prose

const te = new TextEncoder();
async function sha(...parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
}
const u32le = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const bigBE = (b: Uint8Array, from: number, count: number) => {
  let n = 0n;
  for (let i = from; i < from + count; i++) n = n * 256n + BigInt(b[i]);
  return n;
};

const spec = {
  imageHash: (w: number, h: number, bd: number, pixelBytes: Uint8Array) =>
    sha(te.encode("medcrypt/image/v1"), u32le(w), u32le(h), Uint8Array.of(bd), pixelBytes),
  seed: (key: string, H: Uint8Array) => sha(te.encode("medcrypt/chaos/v1"), H, te.encode(key)),
  check: async (S: Uint8Array) => (await sha(S, te.encode("check"))).slice(0, 8),

  /** §9.4: HMAC-SHA-256 written out from RFC 2104 (64-byte blocks) over SHA-256. */
  async tag(S: Uint8Array, headerWithoutTag: string): Promise<Uint8Array> {
    const key = new Uint8Array(64);
    key.set(await sha(S, te.encode("header")));
    const pad = (b: number) => key.map((k) => k ^ b);
    const inner = await sha(pad(0x36), te.encode(headerWithoutTag));
    return (await sha(pad(0x5c), inner)).slice(0, 16);
  },

  /** §4.5: the four maps of a stream, with the counter each needed. */
  async maps(S: Uint8Array, label: string): Promise<MapVec[]> {
    const out: MapVec[] = [];
    for (let j = 0; j < 4; j++) {
      for (let counter = 0; counter <= 64; counter++) {
        const B = await sha(S, te.encode(label), Uint8Array.of(0, j, counter));
        const N = Number(bigBE(B, 0, 7)); // rounded to nearest binary64, ties to even
        const x0 = (N % 2 ** 52 + 0.5) / 2 ** 52;
        const r = 3.99 + (0.01 * Number(bigBE(B, 7, 5))) / 2 ** 40;
        const burnIn = 1000 + B[12];
        let x = x0, sum = 0;
        for (let i = 0; i < burnIn; i++) x = r * x * (1 - x);
        for (let i = 0; i < 2000; i++) {
          sum += Math.log(Math.max(Math.abs(r * (1 - 2 * x)), 1e-300));
          x = r * x * (1 - x);
        }
        if (sum / 2000 >= 0.55) {
          out.push({ counter, x0, r, burnIn });
          break;
        }
        assert.ok(counter < 64, "no map in 65 draws");
      }
    }
    return out;
  },

  async stream(S: Uint8Array, label: string) {
    const maps = await spec.maps(S, label);
    const x = maps.map((m) => {
      let v = m.x0;
      for (let i = 0; i < m.burnIn; i++) v = m.r * v * (1 - v);
      return v;
    });
    const word = () => {
      let w = 0n;
      maps.forEach((m, j) => {
        x[j] = m.r * x[j] * (1 - x[j]);
        w ^= BigInt(Math.floor(x[j] * 2 ** 40)) % (1n << 32n);
      });
      return Number(w);
    };
    return {
      word,
      integers: (n: number, bits: number) => Array.from({ length: n }, () => word() % 2 ** bits),
      keyMap: (n: number) => Array.from({ length: n }, () => Math.floor(word() / 65536)),
      permutation(n: number) {
        const p = Array.from({ length: n }, (_, i) => i);
        for (let i = n - 1; i > 0; i--) {
          const hi = word(), lo = word();
          const u = (hi * 2 ** 32 + lo) / 2 ** 64;
          const j = Math.floor(u * (i + 1));
          [p[i], p[j]] = [p[j], p[i]];
        }
        return p;
      },
    };
  },

  async fingerprint(configJson: string, model: RevCipherModel): Promise<string> {
    const parts = [te.encode(configJson)];
    for (const name of [...model.tensors.keys()].sort()) {
      const d = model.tensors.get(name)!.data, le = new Uint8Array(4 * d.length);
      const dv = new DataView(le.buffer);
      d.forEach((v, i) => dv.setFloat32(4 * i, v, true));
      parts.push(te.encode(name), le);
    }
    return toHex((await sha(...parts)).slice(0, 8));
  },

  /** §6: the coupling integer added to part i (HWC indexing, unlike the code's CHW). */
  coupling(
    model: RevCipherModel,
    r: number,
    i: number,
    P: number[][],
    K: number[],
    h: number,
    w: number,
    bits: number,
  ): number[] {
    const kc = model.config.exact.keyChannels, n = h * w;
    let cin = 3 + kc, act: number[] = new Array(n * cin);
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < 3; c++) act[p * cin + c] = P[(i + 1 + c) % 4][p] * 2 ** (16 - bits);
      for (let c = 0; c < kc; c++) act[p * cin + 3 + c] = K[p * kc + c];
    }
    for (let l = 0; l < 3; l++) {
      const wt = model.tensors.get(`exact/r${r}/p${i}/c${l}/w`)!;
      const bt = model.tensors.get(`exact/r${r}/p${i}/c${l}/b`)!;
      const [k, , ci, cout] = wt.shape, pad = (k - 1) / 2;
      assert.equal(ci, cin);
      const wq = Array.from(
        wt.data,
        (v) => Math.max(-(2 ** 15), Math.min(2 ** 15, Math.round(v * 4096))),
      );
      const bq = Array.from(
        bt.data,
        (v) => Math.max(-(2 ** 44), Math.min(2 ** 44, Math.round(v * 2 ** 28))),
      );
      const out: number[] = new Array(n * cout);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let co = 0; co < cout; co++) {
            let acc = bq[co];
            for (let ky = 0; ky < k; ky++) {
              for (let kx = 0; kx < k; kx++) {
                const yy = y + ky - pad, xx = x + kx - pad;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                for (let c = 0; c < cin; c++) {
                  acc += wq[((ky * k + kx) * cin + c) * cout + co] * act[(yy * w + xx) * cin + c];
                }
              }
            }
            let v = Math.max(-(2 ** 24), Math.min(2 ** 24, Math.floor(acc / 4096)));
            if (l < 2 && v < 0) v = 0;
            out[(y * w + x) * cout + co] = v;
          }
        }
      }
      act = out;
      cin = cout;
    }
    return act.map((v) => Math.floor(v * 2 ** (bits - 16)));
  },

  /** §7: encryption. */
  async encrypt(v: Vec, model: RevCipherModel, withNetwork = true): Promise<number[]> {
    const px = pixels(v.plain, v.bitDepth), bits = v.bitDepth <= 8 ? 8 : 16, M = 2 ** bits;
    const W = v.width + (v.width % 2), H = v.height + (v.height % 2), h = H / 2, w = W / 2;
    const X = (y: number, x: number) =>
      px[Math.min(y, v.height - 1) * v.width + Math.min(x, v.width - 1)];
    let P = [0, 1, 2, 3].map((j) =>
      Array.from(
        { length: h * w },
        (_, p) => X(2 * Math.floor(p / w) + (j >> 1), 2 * (p % w) + (j & 1)),
      )
    );
    const S = await spec.seed(
      v.key,
      await spec.imageHash(v.width, v.height, v.bitDepth, fromHex(v.plain)),
    );
    const kc = model.config.exact.keyChannels, n = h * w;
    for (let r = 0; r < model.config.exact.rounds; r++) {
      for (let i = 0; i < 4; i++) {
        const s = (await spec.stream(S, `exact/r${r}/p${i}/s`)).integers(n, bits);
        const K = (await spec.stream(S, `exact/r${r}/p${i}/k`)).keyMap(n * kc);
        const t = withNetwork ? spec.coupling(model, r, i, P, K, h, w, bits) : new Array(n).fill(0);
        P[i] = P[i].map((val, p) => (((val + t[p] + s[p]) % M) + M) % M);
      }
      const perm = (await spec.stream(S, `exact/r${r}/perm`)).permutation(4 * n);
      const f = P.flat(), g = perm.map((k) => f[k]);
      P = [0, 1, 2, 3].map((j) => g.slice(j * n, (j + 1) * n));
    }
    const out = new Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        out[y * W + x] = P[2 * (y % 2) + (x % 2)][Math.floor(y / 2) * w + Math.floor(x / 2)];
      }
    }
    return out;
  },
};

// ------------------------------------------------------------------------------- the tests

const model = await loadDefaultModel();

Deno.test("SPEC.md prints testdata/vector.json verbatim, and the header bytes of each vector", async () => {
  const file = JSON.parse(await Deno.readTextFile(new URL("testdata/vector.json", here)));
  assert.deepEqual(V, file);
  for (const v of V.vectors) assert.ok(specText.includes(v.header), `${v.name}: header not shown`);
  // the human-readable hex blocks (rows of pixels, QR bytes cut into lines) say the same bytes
  const blocks = [...specText.matchAll(/```text\n([\s\S]*?)```/g)].map((m) =>
    m[1].replace(/\s+/g, "")
  );
  for (const v of V.vectors) {
    for (
      const [what, hex] of [
        ["plain", v.plain],
        ["cipher", v.cipher],
        ...v.qrChunks.map((c) => ["QR", c]),
      ]
    ) {
      assert.ok(blocks.includes(hex), `${v.name}: no text block with the ${what} hex`);
    }
  }
  const v1 = V.vectors[0];
  for (
    const line of [
      `H     = ${v1.imageHash}`,
      `S     = ${v1.seed}`,
      `check = ${v1.check}`,
      `cipherHash = ${v1.cipherHash}`,
      `tag        = ${v1.tag}`,
    ]
  ) {
    assert.ok(specText.includes(line), line);
  }
  assert.ok(specText.includes(V.model.config), "model config JSON not shown");
});

Deno.test("spec vector: the shipped model and its fingerprint (§5)", async () => {
  assert.equal(model.id, V.model.id);
  assert.equal(JSON.stringify(model.config), V.model.config);
  assert.equal(await spec.fingerprint(V.model.config, model), V.model.id);
  const manifest = JSON.parse(
    await Deno.readTextFile(new URL("../../../data/models/revcipher/model.json", here)),
  );
  assert.equal(manifest.weightsSha256, V.model.weightsSha256);
});

Deno.test("spec vector: key streams, counters and words (§4)", async () => {
  for (const s of V.streams) {
    const S = fromHex(s.seed);
    assert.deepEqual(await spec.maps(S, s.label), s.maps, `${s.label}: prose`);
    const code = await new ChaosKey(S).mapParams(s.label);
    assert.deepEqual(code, s.maps.map(({ x0, r, burnIn }) => ({ x0, r, burnIn })), s.label);
    assert.deepEqual([...(await new ChaosKey(S).stream(s.label)).words(s.words.length)], s.words);
    const ref = await spec.stream(S, s.label);
    assert.deepEqual(s.words.map(() => ref.word()), s.words, `${s.label}: prose words`);
  }
  assert.ok(V.streams.some((s) => s.maps.some((m) => m.counter > 0)), "a redrawn map is shown");
});

for (const v of V.vectors) {
  Deno.test(`spec vector ${v.name}: encryption gives the printed header, cipher and QR bytes`, async () => {
    const img = plainImage(v);
    const H = await spec.imageHash(v.width, v.height, v.bitDepth, fromHex(v.plain));
    assert.equal(toHex(H), v.imageHash);
    const S = await spec.seed(v.key, H);
    assert.equal(toHex(S), v.seed);
    assert.equal(toHex(await spec.check(S)), v.check);

    const { cipher, header } = await encryptExact(img, v.key, model);
    assert.equal(new TextDecoder().decode(encodeHeader(header)), v.header);
    assert.deepEqual([cipher.width, cipher.height, cipher.bitDepth], [
      v.cipherWidth,
      v.cipherHeight,
      v.cipherBits,
    ]);
    assert.equal(pixHex(cipher.data, v.cipherBits), v.cipher);
    // the ablation without the CNN isolates the key streams and permutations
    const ck = await deriveChaosKey(v.key, H);
    assert.equal(toHex(ck.seed), v.seed);
    const padded = new Float64Array(v.cipherWidth * v.cipherHeight);
    const px = pixels(v.plain, v.bitDepth);
    for (let y = 0; y < v.cipherHeight; y++) {
      for (let x = 0; x < v.cipherWidth; x++) {
        padded[y * v.cipherWidth + x] =
          px[Math.min(y, v.height - 1) * v.width + Math.min(x, v.width - 1)];
      }
    }
    const noNet = await exactCore(
      padded,
      v.cipherWidth,
      v.cipherHeight,
      v.cipherBits,
      ck,
      model,
      "encrypt",
      {
        withoutNetwork: true,
      },
    );
    assert.equal(pixHex(noNet, v.cipherBits), v.cipherNoNetwork);
    // the spec's prose, implemented independently, gives the same bytes
    assert.equal(pixHex(await spec.encrypt(v, model, false), v.cipherBits), v.cipherNoNetwork);
    assert.equal(pixHex(await spec.encrypt(v, model), v.cipherBits), v.cipher);
    // §9.4: the cipher digest, and the tag over the header up to its last member
    const cipherHash = await spec.imageHash(
      v.cipherWidth,
      v.cipherHeight,
      v.cipherBits,
      fromHex(v.cipher),
    );
    assert.equal(toHex(cipherHash), v.cipherHash);
    assert.equal(header.cipherHash, v.cipherHash);
    const tail = `,"tag":"${v.tag}"}`;
    assert.ok(v.header.endsWith(tail), "tag is the last member");
    assert.equal(toHex(await spec.tag(S, v.header.slice(0, -tail.length) + "}")), v.tag);

    // QR payload and chunks, as the QR codes carry them
    const payload = packQr(header);
    assert.equal(toHex(payload), v.qrPayload);
    const hb = te.encode(v.header);
    assert.equal(toHex(payload), toHex(new Uint8Array([...u32le(hb.length), ...hb])));
    const pngs = await encodeQrPngs(payload);
    assert.equal(pngs.length, v.qrChunks.length);
    const digest = (await sha(payload)).slice(0, 8);
    for (let i = 0; i < pngs.length; i++) {
      const { bytes, version } = qrBytes(pngs[i]);
      assert.equal(toHex(bytes), v.qrChunks[i]);
      assert.equal(version, v.qrVersion[i]);
      const part = payload.subarray(i * 1200, (i + 1) * 1200);
      assert.equal(
        toHex(bytes),
        toHex(new Uint8Array([...te.encode("MCQ1"), i, pngs.length, ...digest, ...part])),
      );
    }
    const key = qrBytes(keyQrPng(v.key)).bytes;
    assert.equal(toHex(key), v.keyQr);
    assert.equal(toHex(key), toHex(new Uint8Array([...te.encode("MCK1"), ...te.encode(v.key)])));
    assert.equal(decodeKeyQr(keyQrPng(v.key)), v.key);
  });

  Deno.test(`spec vector ${v.name}: decryption of the printed bytes is bit-exact`, async () => {
    const blob = await decodeQrPng(v.qrChunks.map((c) => renderQr(fromHex(c))));
    const { header } = unpackQr(blob);
    assert.equal(new TextDecoder().decode(encodeHeader(header)), v.header);
    const back = await decryptExact(cipherImage(v), header, v.key, model);
    const img = plainImage(v);
    assert.equal(back.width, v.width);
    assert.equal(back.height, v.height);
    assert.equal(back.bitDepth, v.bitDepth);
    assert.equal(back.data.constructor, img.data.constructor);
    assert.deepEqual([...back.data], [...img.data]);
    assert.equal(back.modality, v.modality);
    assert.deepEqual(back.pixelSpacing, v.pixelSpacing);
    assert.deepEqual(back.rescale, v.rescale);
    // the embedded-cipher payload round-trips too
    const pkg = unpackQr(packQr(header, cipherImage(v)));
    assert.deepEqual([...pkg.cipher!.data], [...cipherImage(v).data]);
  });
}

// -------------------------------------------------------------------------- rejection rules

async function rejects(p: () => unknown, code: string, message: RegExp) {
  try {
    await p();
  } catch (e) {
    assert.ok(e instanceof MedCryptError, `not a MedCryptError: ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return;
  }
  assert.fail(`no error (expected ${code} ${message})`);
}

Deno.test("spec rejection rules: header (§9.3)", async () => {
  const base = JSON.parse(V.vectors[0].header) as Record<string, unknown>;
  const withField = (k: string, val: unknown) => te.encode(JSON.stringify({ ...base, [k]: val }));
  const bh = (bytes: Uint8Array, m: RegExp) => rejects(() => decodeHeader(bytes), "bad-header", m);
  await bh(te.encode("{"), /not valid JSON/);
  await bh(Uint8Array.of(0x22, 0xff, 0x22), /not valid JSON/); // invalid UTF-8
  await bh(te.encode("null"), /not an object/);
  await bh(te.encode("[]"), /scheme/);
  await bh(withField("scheme", "revcipher/v3"), /scheme 'revcipher\/v3' is not revcipher\/v2/);
  await bh(
    withField("scheme", "revcipher/v1"),
    /'revcipher\/v1' .*whose header is not authenticated/,
  );
  await bh(withField("variant", "fast"), /variant 'fast' is unknown/);
  await bh(withField("width", 0), /width '0' is not a size/);
  await bh(withField("height", 8.5), /height '8.5' is not a size/);
  await bh(withField("cipherWidth", 65538), /cipherWidth '65538' is not a size/);
  await bh(withField("bitDepth", 17), /bitDepth '17' is not in 1..16/);
  await bh(withField("cipherBits", 12), /cipherBits '12' is not 8 or 16/);
  await bh(withField("cipherWidth", 10), /cipher size 10×8 is not 8×8 padded to even/);
  await bh(
    te.encode(JSON.stringify({ ...base, width: 7, cipherWidth: 7 })),
    /cipher size 7×8 is not 7×8 padded to even/,
  );
  await bh(withField("cipherBits", 16), /cipherBits 16 does not fit bitDepth 8/);
  await bh(withField("imageHash", (base.imageHash as string).toUpperCase()), /imageHash is not 64/);
  await bh(withField("check", "abc"), /check is not 16 hex digits/);
  await bh(withField("model", undefined), /model is not 16 hex digits/);
  await bh(withField("cipherHash", "00"), /cipherHash is not 64 hex digits/);
  await bh(withField("tag", undefined), /tag is not 32 hex digits/);
  await bh(withField("variant", "paper"), /paper variant needs alpha/);
  await bh(withField("modality", 3), /modality is not a string/);
  await bh(withField("pixelSpacing", [1]), /pixelSpacing is not 2 numbers/);
  await bh(withField("rescale", { slope: 1 }), /rescale is not/);
  // accepted: any JSON spelling of a valid header; unknown members are dropped
  const loose = decodeHeader(te.encode(` { "x": 1, ${V.vectors[0].header.slice(1)}`));
  assert.equal(loose.width, 8);
  assert.equal("x" in loose, false);
  const back = await decryptExact(cipherImage(V.vectors[0]), loose, V.vectors[0].key, model);
  assert.equal(back.width, 8);
  // QR payload framing
  await rejects(() => unpackQr(new Uint8Array(3)), "bad-header", /too short/);
  await rejects(() => unpackQr(Uint8Array.of(9, 0, 0, 0, 0x7b)), "bad-header", /truncated/);
});

Deno.test("spec rejection rules: decryption (§8)", async () => {
  const v1 = V.vectors[0], v2 = V.vectors[1];
  const h1 = decodeHeader(te.encode(v1.header)), c1 = cipherImage(v1);
  const dec = (c: MedImage, h: RevHeader, key: string, m = model) => () =>
    decryptExact(c, h, key, m);
  await rejects(dec(c1, { ...h1, variant: "paper" }, v1.key), "bad-header", /not exact/);
  const small = medImage(new Uint8Array(36), 6, 6);
  await rejects(dec(small, h1, v1.key), "bad-shape", /6×6 but its header expects 8×8/);
  const deep = medImage(Uint16Array.from(c1.data), 8, 8, { bitDepth: 16 });
  await rejects(dec(deep, h1, v1.key), "bad-bit-depth", /16-bit but its header expects a 8-bit/);
  const other = await initModel(DEFAULT_CONFIG, 1);
  await rejects(dec(c1, h1, v1.key, other), "wrong-model", /made by model 9f14e1b26a0a9568/);
  await rejects(dec(c1, h1, "wrong key"), "wrong-key", /key check value/);
  await rejects(dec(c1, { ...h1, imageHash: "00".repeat(32) }, v1.key), "wrong-key", /check value/);
  await rejects(dec(c1, h1, ""), "bad-key", /empty/);
  await rejects(() => encryptExact(plainImage(v1), "", model), "bad-key", /empty/);
  // §8.6: a member altered (the vector 2 CT's rescale), or the tag itself
  const h2 = decodeHeader(te.encode(v2.header)), c2 = cipherImage(v2);
  const tagFails = /header was altered: its authentication tag does not match/;
  await rejects(
    dec(c2, { ...h2, rescale: { slope: 1, intercept: 0 } }, v2.key),
    "integrity",
    tagFails,
  );
  await rejects(dec(c2, { ...h2, pixelSpacing: [0.5, 0.5] }, v2.key), "integrity", tagFails);
  await rejects(dec(c2, { ...h2, modality: undefined }, v2.key), "integrity", tagFails);
  await rejects(dec(c2, { ...h2, tag: "00".repeat(16) }, v2.key), "integrity", tagFails);
  // §8.7: altered cipher pixels, or the genuine header of another cipher image
  const altered = c1.data.slice();
  altered[27] ^= 1;
  const notIts = /not the one its header was made for/;
  await rejects(dec(medImage(altered, 8, 8), h1, v1.key), "integrity", notIts);
  const otherImage = await encryptExact(medImage(altered, 8, 8), v1.key, model);
  await rejects(dec(c1, otherImage.header, v1.key), "integrity", notIts);
  // §8.9 and §8.10 are reached only by a header sealed with the key it is decrypted with
  const unsealed = (h: RevHeader) => {
    const { cipherHash: _c, tag: _t, ...rest } = h;
    return rest;
  };
  const ck1 = await deriveChaosKey(v1.key, fromHex(h1.imageHash));
  const resealed = await sealHeader(unsealed(h1), medImage(altered, 8, 8), ck1);
  await rejects(dec(medImage(altered, 8, 8), resealed, v1.key), "integrity", /image hash/);
  // a wrong key behind a header sealed for it: 12-bit plain in a 16-bit container
  const wrongCk = await deriveChaosKey("wrong", fromHex(h2.imageHash));
  const forged = await sealHeader(
    { ...unsealed(h2), check: toHex(await wrongCk.checkValue()) },
    c2,
    wrongCk,
  );
  await rejects(dec(c2, forged, "wrong"), "wrong-key", /above 12-bit range/);
  // verify: false returns the wrong-key output instead
  const raw = await decryptExact(cipherImage(v2), forged, "wrong", model, { verify: false });
  assert.equal(raw.width, 5);
});

Deno.test("spec rejection rules: QR codes (§10)", async () => {
  const v = V.vectors[0], good = fromHex(v.qrChunks[0]);
  const chunk = (f: (c: Uint8Array) => void) => {
    const c = good.slice();
    f(c);
    return renderQr(c);
  };
  await rejects(() => decodeQrPng([]), "missing-qr", /no QR code images/);
  const empty = await Deno.makeTempDir();
  await rejects(() => readQrSet(empty), "missing-qr", /no header-\*\.png/);
  await rejects(() => readQrSet(`${empty}/nonexistent`), "missing-qr", /not found/);
  await Deno.remove(empty);
  await rejects(() => decodeQrPng([new Uint8Array(10)]), "bad-qr", /not a readable PNG/);
  const blank = encodePng(medImage(new Uint8Array(80 * 80).fill(255), 80, 80));
  await rejects(() => decodeQrPng([blank]), "bad-qr", /no readable QR code/);
  await rejects(
    () => decodeQrPng([chunk((c) => (c[3] = 0x32))]),
    "bad-qr",
    /not a medcrypt header/,
  );
  await rejects(
    () => decodeQrPng([renderQr(good.slice(0, 13))]),
    "bad-qr",
    /not a medcrypt header/,
  );
  await rejects(() => decodeQrPng([chunk((c) => (c[4] = 1))]), "bad-qr", /number 2 of 1/);
  await rejects(() => decodeQrPng([chunk((c) => (c[5] = 0))]), "bad-qr", /number 1 of 0/);
  await rejects(() => decodeQrPng([chunk((c) => (c[5] = 2))]), "missing-qr", /missing number 2/);
  const two = [chunk(() => {}), chunk((c) => (c[6] ^= 1))];
  await rejects(() => decodeQrPng(two), "bad-qr", /another cipher image's set/);
  await rejects(() => decodeQrPng([chunk((c) => (c[40] ^= 1))]), "bad-qr", /checksum/);
  await rejects(() => encodeQrPngs(new Uint8Array(1200 * 255 + 1)), "too-large", /255 QR codes/);
  await rejects(() => decodeKeyQr(renderQr(te.encode("MCK1"))), "bad-qr", /not a medcrypt key/);
  await rejects(() => decodeKeyQr(renderQr(good)), "bad-qr", /not a medcrypt key/);
});
