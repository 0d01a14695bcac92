/**
 * The envelope category of the adversarial suite: a `.mce` file altered in every way a damaged
 * disk or an attacker can alter it. Single-bit flips over every region (fixed header, each
 * recipient stanza, clear metadata, header MAC, each payload chunk, the final tag), truncation
 * at every chunk boundary and at random offsets, appended bytes, chunks swapped, duplicated and
 * dropped, and every header field edited (magic, version, suite, chunk exponent, flags, length,
 * recipient count, stanza lengths, metadata length). Two envelopes are attacked: AES-256-GCM with
 * two recipients and clear metadata, and AES-256-CBC + HMAC with one recipient and encrypted
 * metadata, both in 1 KiB chunks so that a small file has several. Every case is decrypted in
 * process with the recipient's private key and must be refused with a message naming the file;
 * a sample goes through `decryptFile` (no output may be left) and through `medcrypt decrypt`.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./mod.ts";
 * const r = await runSuite({ seed: 1, long: false, only: ["envelope"] });
 * console.log(r.tallies[0].wrongSuccesses); // 0
 * ```
 * @module
 */
import { join } from "node:path";
import { Rng } from "../core/random.ts";
import { closeWorkers } from "../envelope/engines.ts";
import { type CipherSuite, decrypt, decryptFile, encrypt } from "../envelope/envelope.ts";
import {
  exportPrivatePem,
  generateKeyPair,
  type PrivateKey,
  readPrivateKey,
  readPublicKey,
} from "../envelope/keys.ts";
import { parseHeader } from "../envelope/_header.ts";
import { chunkCipherLen, chunkCount, type SuiteId } from "../envelope/_layout.ts";
import { TESTDATA } from "../envelope/_test_util.ts";
import { type AdversarialCase, runCli } from "./harness.ts";
import type { BuiltCases, CaseSource, SuiteOptions } from "./types.ts";

/** A refusal names the file it is about. */
const NAMES_FILE = /^`case\.mce`: /;

/** A byte range of the envelope, named for the case names. */
interface Region {
  name: string;
  start: number;
  end: number;
}

/** One envelope under attack and its layout. */
interface Target {
  label: string;
  bytes: Uint8Array;
  key: PrivateKey;
  regions: Region[];
  /** File offsets where each chunk starts, and the file size at the end. */
  boundaries: number[];
  /** Offsets of header fields. */
  fields: { stanzas: { at: number; t: number; b: number }[]; metaAt?: number; m?: number };
  headerLen: number;
  chunkLen: number;
  suite: SuiteId;
}

/** Cuts an envelope into the regions a reader checks differently. */
function layout(bytes: Uint8Array): Omit<Target, "label" | "bytes" | "key"> {
  const h = parseHeader(bytes, bytes.length);
  const regions: Region[] = [{ name: "fixed header", start: 0, end: 38 }];
  const stanzas: Target["fields"]["stanzas"] = [];
  let at = 38;
  h.stanzas.forEach((s, i) => {
    const t = s.type.length, b = s.body.length, end = at + 1 + t + 2 + b;
    regions.push({ name: `recipient stanza ${i}`, start: at, end });
    stanzas.push({ at, t, b });
    at = end;
  });
  const fields: Target["fields"] = { stanzas };
  if (h.clearMetadata) {
    regions.push({ name: "clear metadata", start: at, end: h.macOffset });
    fields.metaAt = at;
    fields.m = h.clearMetadata.length;
  }
  regions.push({ name: "header MAC", start: h.macOffset, end: h.headerLen });
  const c = 2 ** h.exponent, n = chunkCount(h.length, c), full = chunkCipherLen(h.suite, c);
  const tag = h.suite === 1 ? 16 : 32;
  const boundaries = Array.from({ length: n }, (_, i) => h.headerLen + i * full);
  boundaries.push(bytes.length);
  for (let i = 0; i < n; i++) {
    const end = boundaries[i + 1] - (i === n - 1 ? tag : 0);
    regions.push({ name: `payload chunk ${i}`, start: boundaries[i], end });
  }
  regions.push({ name: "final tag", start: bytes.length - tag, end: bytes.length });
  return { regions, boundaries, fields, headerLen: h.headerLen, chunkLen: full, suite: h.suite };
}

async function targets(rng: Rng): Promise<Target[]> {
  const alice = {
    publicKey: await readPublicKey(`${TESTDATA}public.pem`),
    privateKey: await readPrivateKey(`${TESTDATA}private.pem`),
  };
  const bob = await generateKeyPair(2048);
  const content = (n: number) => Uint8Array.from({ length: n }, () => rng.int(256));
  const make = async (label: string, suite: CipherSuite, clear: boolean, both: boolean) => {
    const bytes = await encrypt(
      content(5000),
      both ? [alice.publicKey, bob.publicKey] : [
        alice.publicKey,
      ],
      {
        suite,
        chunkExponent: 10,
        metadata: { kind: "ct", shape: [50, 50], bitDepth: 16 },
        clearMetadata: clear,
      },
    );
    return { label, bytes, key: alice.privateKey, ...layout(bytes) };
  };
  return [
    await make("gcm", "aes-256-gcm", true, true),
    await make("cbc", "aes-256-cbc-hmac-sha256", false, false),
  ];
}

/** An in-process case: decrypting `bytes` must be refused with a message naming the file. */
function refused(t: Target, name: string, bytes: Uint8Array): AdversarialCase {
  return {
    category: "envelope",
    name: `${t.label}: ${name}`,
    message: NAMES_FILE,
    run: () => decrypt(bytes, t.key, { file: "case.mce" }),
  };
}

function flipped(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

/**
 * Single-bit flips: quick, the first and last bit of each region and a few random ones; long,
 * every bit of the file.
 */
function bitFlips(t: Target, rng: Rng, long: boolean): AdversarialCase[] {
  const cases: AdversarialCase[] = [];
  for (const r of t.regions) {
    const bits = (r.end - r.start) * 8;
    const picks = new Set([0, bits - 1]);
    const want = long ? bits : 6;
    if (want >= bits) { for (let i = 0; i < bits; i++) picks.add(i); }
    while (picks.size < Math.min(want, bits)) picks.add(rng.int(bits));
    for (const b of picks) {
      const bit = r.start * 8 + b;
      cases.push(
        refused(t, `bit ${bit & 7} of byte ${bit >> 3} flipped (${r.name})`, flipped(t.bytes, bit)),
      );
    }
  }
  return cases;
}

/** Truncation at every chunk boundary, inside the header, and at random offsets. */
function truncations(t: Target, rng: Rng, long: boolean): AdversarialCase[] {
  const at = new Set([0, 1, 7, 8, 37, 38, t.headerLen - 32, t.headerLen - 1]);
  for (const b of t.boundaries) at.add(b).add(b - 1).add(b + 1);
  at.add(t.bytes.length - 1);
  const extra = long ? 3000 : 12;
  for (let i = 0; i < extra; i++) at.add(rng.int(t.bytes.length));
  at.delete(t.bytes.length);
  at.delete(t.bytes.length + 1);
  return [...at].sort((a, b) => a - b).map((n) =>
    refused(t, `cut to ${n} of ${t.bytes.length} bytes`, t.bytes.subarray(0, n))
  );
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

/** Bytes appended: one zero, a block, a whole chunk (a copy of the last), the envelope itself. */
function appended(t: Target, rng: Rng): AdversarialCase[] {
  const last = t.bytes.subarray(t.boundaries.at(-2)!);
  const random = Uint8Array.from({ length: 37 }, () => rng.int(256));
  const tails: [string, Uint8Array][] = [
    ["1 zero byte", new Uint8Array(1)],
    ["16 zero bytes", new Uint8Array(16)],
    ["37 random bytes", random],
    ["a copy of the last chunk", last],
    ["a newline (a text editor's save)", new Uint8Array([10])],
    ["the whole envelope again", t.bytes],
  ];
  return tails.map(([what, tail]) => refused(t, `appended ${what}`, concat(t.bytes, tail)));
}

/** Chunks of the payload swapped, duplicated, dropped, or repeated past the end. */
function chunkEdits(t: Target): AdversarialCase[] {
  const b = t.boundaries, n = b.length - 1;
  const chunk = (i: number) => t.bytes.subarray(b[i], b[i + 1]);
  const header = t.bytes.subarray(0, t.headerLen);
  const rebuilt = (order: number[]) => concat(header, ...order.map(chunk));
  const all = [...Array(n).keys()];
  const cases: AdversarialCase[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const o = all.slice();
      [o[i], o[j]] = [o[j], o[i]];
      cases.push(refused(t, `chunks ${i} and ${j} swapped`, rebuilt(o)));
      // Same length, so the size check alone cannot catch it (chunk n−1 is shorter).
      if (j < n - 1) {
        cases.push(
          refused(t, `chunk ${j} replaced by chunk ${i}`, rebuilt(all.map((k) => k === j ? i : k))),
        );
      }
    }
    cases.push(refused(t, `chunk ${i} dropped`, rebuilt(all.filter((k) => k !== i))));
    cases.push(
      refused(t, `chunk ${i} duplicated`, rebuilt(all.flatMap((k) => k === i ? [k, k] : [k]))),
    );
  }
  return cases;
}

/** A copy of `bytes` with `value` written big-endian in `size` bytes at `at`. */
function withField(bytes: Uint8Array, at: number, size: number, value: bigint): Uint8Array {
  const out = bytes.slice();
  for (let i = size - 1; i >= 0; i--, value >>= 8n) out[at + i] = Number(value & 255n);
  return out;
}

function fieldCases(t: Target): AdversarialCase[] {
  const e = (name: string, at: number, size: number, values: (number | bigint)[]) =>
    values.map((v) => refused(t, `${name} set to ${v}`, withField(t.bytes, at, size, BigInt(v))));
  const L = new DataView(t.bytes.buffer, t.bytes.byteOffset).getBigUint64(12);
  const r = t.fields.stanzas.length;
  const cases = [
    ...e("magic byte 1 ('M')", 1, 1, [0x6d, 0]),
    ...e("version", 8, 1, [0, 2, 255]),
    ...e("suite", 9, 1, [0, 3 - t.suite, 3, 255]),
    ...e("chunk exponent", 10, 1, [0, 9, 11, 16, 24, 25, 255]),
    ...e("flags", 11, 1, [t.fields.metaAt ? 0 : 1, 2, 4, 8, 16, 32, 64, 128, 255]),
    ...e("length L", 12, 8, [0, 3, 4, L - 1n, L + 1n, L + 1024n, 2n ** 53n, 2n ** 64n - 1n]),
    ...e("recipient count", 36, 2, [0, r - 1, r + 1, 1024, 1025, 65535].filter((v) => v !== r)),
  ];
  t.fields.stanzas.forEach((s, i) => {
    cases.push(
      ...e(`stanza ${i} type length`, s.at, 1, [0, s.t - 1, s.t + 1, 255]),
      ...e(`stanza ${i} body length`, s.at + 1 + s.t, 2, [0, 287, s.b - 1, s.b + 1, 65535]),
    );
    // The type renamed to one no reader knows: the stanza is ignored, so no recipient is left.
    const renamed = t.bytes.slice();
    renamed[s.at + 1] = "X".charCodeAt(0);
    cases.push(refused(t, `stanza ${i} type renamed`, renamed));
  });
  if (t.fields.metaAt !== undefined) {
    const m = t.fields.m!;
    cases.push(...e("clear metadata length", t.fields.metaAt, 4, [0, m - 1, m + 1, 2 ** 32 - 1]));
  }
  return cases;
}

/** Through `decryptFile`: refused, and neither the output nor a temporary is left. */
function fileCase(t: Target, name: string, bytes: Uint8Array, dir: string): AdversarialCase {
  const input = join(dir, `${crypto.randomUUID().slice(0, 8)}.mce`), output = `${input}.out`;
  return {
    category: "envelope",
    name: `${t.label}: ${name} (decryptFile)`,
    message: /^`[^`]+\.mce`: /,
    async run() {
      await Deno.writeFile(input, bytes);
      return await decryptFile(input, output, t.key);
    },
    leftovers: () => leftIn(dir, output),
  };
}

async function leftIn(dir: string, output: string): Promise<string[]> {
  const left = (await Array.fromAsync(Deno.readDir(dir))).filter((e) => e.name.startsWith(".tmp-"))
    .map((e) => join(dir, e.name));
  if (await Deno.lstat(output).then(() => true, () => false)) left.push(output);
  return left;
}

/** Through `medcrypt decrypt`: one clear line, no output left. */
function cliCase(
  t: Target,
  name: string,
  bytes: Uint8Array,
  dir: string,
  keyPem: string,
): AdversarialCase {
  const input = join(dir, `cli-${crypto.randomUUID().slice(0, 8)}.mce`), output = `${input}.out`;
  return {
    category: "envelope",
    name: `${t.label}: ${name} (medcrypt decrypt)`,
    async run() {
      await Deno.writeFile(input, bytes);
      return await runCli("decrypt", "--key", keyPem, "--in", input, "--out", output);
    },
    leftovers: () => leftIn(dir, output),
  };
}

function samples(t: Target, rng: Rng, dir: string, keyPem: string): AdversarialCase[] {
  const b = t.boundaries;
  const picks: [string, Uint8Array][] = [
    ["cut at the start of the last chunk", t.bytes.subarray(0, b.at(-2)!)],
    ["cut inside the header", t.bytes.subarray(0, 100)],
    ["bit flipped in the final tag", flipped(t.bytes, (t.bytes.length - 1) * 8)],
    ["bit flipped in chunk 1", flipped(t.bytes, (b[1] + rng.int(b[2] - b[1])) * 8 + rng.int(8))],
    ["header MAC bit flipped", flipped(t.bytes, (t.headerLen - 5) * 8)],
    ["appended zero byte", concat(t.bytes, new Uint8Array(1))],
  ];
  const cases = picks.map(([n, bytes]) => fileCase(t, n, bytes, dir));
  if (t.label === "gcm") {
    cases.push(...picks.slice(0, 4).map(([n, bytes]) => cliCase(t, n, bytes, dir, keyPem)));
  }
  return cases;
}

/** The envelope category. */
export const source: CaseSource = {
  category: "envelope",
  async build(o: SuiteOptions): Promise<BuiltCases> {
    const rng = new Rng(o.seed);
    const ts = await targets(rng);
    const keyPem = join(o.workDir, "private.pem");
    await Deno.writeTextFile(keyPem, await exportPrivatePem(ts[0].key));
    const cases = ts.flatMap((t) => [
      ...bitFlips(t, rng, o.long),
      ...truncations(t, rng, o.long),
      ...appended(t, rng),
      ...chunkEdits(t),
      ...fieldCases(t),
      ...samples(t, rng, o.workDir, keyPem),
    ]);
    return { cases, close: () => Promise.resolve(closeWorkers()) };
  },
};
