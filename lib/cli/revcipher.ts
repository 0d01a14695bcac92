/**
 * `deno task medcrypt revcipher …`: train the learned cipher, encrypt and decrypt images with it.
 *
 * ```
 * revcipher encrypt --key KEY [--exact [--robust]] --in IMAGE --out CIPHER.png [--qr DIR] [--embed] [--key-qr FILE] [--model DIR]
 * revcipher decrypt (--key KEY | --key-qr FILE) [--in CIPHER.png] [--qr DIR] --out IMAGE [--model DIR]
 * revcipher train --out MODEL_DIR [--size 64] [--pretrain-steps N] [--steps N] [--exact-steps N]
 *                 [--batch 8] [--train-count 512] [--seed 1] [--lr 1e-4] [--checkpoint DIR]
 * ```
 *
 * The QR folder defaults to `<cipher without .png>.qr/` beside the cipher image.
 *
 * @example
 * ```ts
 * import { commands } from "./revcipher.ts";
 * console.log(commands.map((c) => c.name)); // ["revcipher"]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import { assertNotInput, readFileChecked, writeFileAtomic } from "../core/fs.ts";
import { readImage, writeImage } from "../image/io.ts";
import {
  loadDefaultModel,
  loadRevCipherModel,
  type RevCipherModel,
} from "../ciphers/revcipher/model.ts";
import { packQr, revDecrypt, revEncrypt, unpackQr } from "../ciphers/revcipher/cipher.ts";
import { decodeKeyQr, keyQrPng, readQrSet, writeQrSet } from "../ciphers/revcipher/qr.ts";
import { protectCipher, ROBUST_PARITY } from "../ciphers/revcipher/robust.ts";

const USAGE =
  `revcipher encrypt --key KEY [--exact [--robust]] --in IMAGE --out CIPHER.png [--qr DIR] [--embed] [--key-qr FILE] [--model DIR]
       revcipher decrypt (--key KEY | --key-qr FILE) [--in CIPHER.png] [--qr DIR] --out IMAGE [--model DIR]
       revcipher train --out MODEL_DIR [--size 64] [--pretrain-steps 300] [--steps 300] [--exact-steps 150]
                       [--batch 8] [--train-count 512] [--seed 1] [--lr 1e-4] [--checkpoint DIR] [--init MODEL_DIR]
                      [--sources mixed|clinical]`;

function usage(detail: string): never {
  throw new MedCryptError("usage", `${detail}\nusage: ${USAGE}`);
}

function parse(
  args: string[],
  options: Record<string, { type: "string" | "boolean" }>,
) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (e) {
    usage((e as Error).message);
  }
}

function str(v: Record<string, string | boolean | undefined>, name: string): string | undefined {
  const x = v[name];
  return typeof x === "string" ? x : undefined;
}

function int(v: Record<string, string | boolean | undefined>, name: string, def: number): number {
  const s = str(v, name);
  if (s === undefined) return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a whole number ≥ 0, got '${s}'`);
  return n;
}

async function model(dir: string | undefined): Promise<RevCipherModel> {
  return dir ? await loadRevCipherModel(dir) : await loadDefaultModel();
}

function defaultQrDir(cipherPath: string): string {
  return cipherPath.replace(/\.png$/i, "") + ".qr";
}

async function encrypt(args: string[]): Promise<number> {
  const v = parse(args, {
    key: { type: "string" },
    exact: { type: "boolean" },
    robust: { type: "boolean" },
    in: { type: "string" },
    out: { type: "string" },
    qr: { type: "string" },
    embed: { type: "boolean" },
    "key-qr": { type: "string" },
    model: { type: "string" },
  });
  const key = str(v, "key"), input = str(v, "in"), out = str(v, "out");
  if (!key) usage("encrypt needs --key KEY");
  if (!input) usage("encrypt needs --in IMAGE");
  if (!out) usage("encrypt needs --out CIPHER.png");
  if (!/\.png$/i.test(out)) usage(`the cipher image must be a .png file (got '${out}')`);
  if (v.robust && !v.exact) {
    usage("--robust needs --exact (the erasure code makes sense for an exact cipher)");
  }
  if (v.robust && v.embed) usage("--robust writes the cipher as a PNG: leave out --embed");
  const qrDir = str(v, "qr") ?? defaultQrDir(out);
  assertNotInput(out, [input]);
  if (resolve(qrDir) === resolve(input)) usage("--qr must not be the input");
  const img = await readImage(input);
  const m = await model(str(v, "model"));
  const { cipher, header } = await revEncrypt(img, key, v.exact ? "exact" : "paper", m);
  const blob = packQr(header, v.embed ? cipher : undefined);
  const written = v.robust ? protectCipher(cipher) : cipher;
  const qrs = await writeQrSet(qrDir, blob);
  await writeImage(out, written, [input]);
  const keyQr = str(v, "key-qr");
  if (keyQr) {
    assertNotInput(keyQr, [input, out]);
    await writeFileAtomic(keyQr, keyQrPng(key));
  }
  console.log(
    `${out}: ${header.variant} cipher ${cipher.width}×${cipher.height}, ${cipher.bitDepth}-bit${
      v.robust
        ? ` with its erasure code (${written.width}×${written.height}, ${
          (100 * (written.height / cipher.height - 1)).toFixed(1)
        } % larger; up to ${ROBUST_PARITY / 2} wrong bytes per 255 corrected)`
        : ""
    }; header in ${qrs.length} QR code(s) in ${qrDir}${v.embed ? " (cipher embedded)" : ""}`,
  );
  return 0;
}

async function decrypt(args: string[]): Promise<number> {
  const v = parse(args, {
    key: { type: "string" },
    "key-qr": { type: "string" },
    in: { type: "string" },
    out: { type: "string" },
    qr: { type: "string" },
    model: { type: "string" },
  });
  const input = str(v, "in"), out = str(v, "out"), keyQr = str(v, "key-qr");
  let key = str(v, "key");
  if (!key && keyQr) key = decodeKeyQr(await readFileChecked(keyQr), keyQr);
  if (!key) usage("decrypt needs --key KEY (or --key-qr FILE)");
  if (!out) usage("decrypt needs --out IMAGE");
  const qrDir = str(v, "qr") ?? (input ? defaultQrDir(input) : undefined);
  if (!qrDir) usage("decrypt needs --in CIPHER.png or --qr DIR");
  const pkg = unpackQr(await readQrSet(qrDir));
  let cipher = pkg.cipher;
  if (input) {
    assertNotInput(out, [input]);
    cipher = await readImage(input);
  }
  if (!cipher) usage(`the QR codes in ${qrDir} carry no cipher image: give --in CIPHER.png`);
  const inputs = [...(input ? [input] : []), ...(keyQr ? [keyQr] : [])];
  assertNotInput(out, inputs);
  if (resolve(out).startsWith(resolve(qrDir) + "/")) {
    usage("--out must not be inside the QR folder");
  }
  const m = await model(str(v, "model"));
  let img;
  try {
    img = await revDecrypt(cipher, pkg.header, key, m);
  } catch (e) {
    if (e instanceof MedCryptError && input) {
      throw new MedCryptError(e.code, e.message, { file: input, cause: e });
    }
    throw e;
  }
  await writeImage(out, img, inputs);
  console.log(
    `${out}: ${img.width}×${img.height}, ${img.bitDepth}-bit (${pkg.header.variant} variant${
      pkg.header.variant === "exact"
        ? ", header and cipher authenticated, verified against the image hash"
        : ", header and cipher authenticated, approximate"
    })`,
  );
  return 0;
}

async function train(args: string[]): Promise<number> {
  const v = parse(args, {
    out: { type: "string" },
    size: { type: "string" },
    "pretrain-steps": { type: "string" },
    steps: { type: "string" },
    "exact-steps": { type: "string" },
    batch: { type: "string" },
    "train-count": { type: "string" },
    seed: { type: "string" },
    lr: { type: "string" },
    checkpoint: { type: "string" },
    init: { type: "string" },
    sources: { type: "string" },
  });
  const out = str(v, "out");
  if (!out) usage("train needs --out MODEL_DIR");
  const size = int(v, "size", 64);
  if (size < 8 || size % 2) usage(`--size must be even and ≥ 8, got ${size}`);
  const lr = Number(str(v, "lr") ?? "1e-4");
  if (!(lr > 0)) usage("--lr must be a positive number");
  const { initBackend } = await import("../nn/backend.ts");
  const { trainRevCipher } = await import("../ciphers/revcipher/train.ts");
  const { cipherImages } = await import("../ciphers/revcipher/data.ts");
  const { adaptModel, DEFAULT_CONFIG, initModel, saveRevCipherModel } = await import(
    "../ciphers/revcipher/model.ts"
  );
  const backend = await initBackend();
  const seed = int(v, "seed", 1);
  const sources = str(v, "sources") ?? "mixed";
  if (sources !== "mixed" && sources !== "clinical") {
    usage(`--sources must be mixed or clinical, got '${sources}'`);
  }
  const data = await cipherImages({
    size,
    trainCount: int(v, "train-count", 512),
    heldOutCount: 0,
    seed,
    sources,
  });
  const init = str(v, "init");
  const start = init
    ? (await adaptModel(await loadRevCipherModel(init), DEFAULT_CONFIG, seed)).model
    : await initModel(DEFAULT_CONFIG, seed);
  const r = await trainRevCipher(start, data.pool, {
    pretrainSteps: int(v, "pretrain-steps", 300),
    steps: int(v, "steps", 300),
    exactSteps: int(v, "exact-steps", 150),
    batch: int(v, "batch", 8),
    lr,
    seed,
    checkpointDir: str(v, "checkpoint"),
  });
  let history = r.history;
  if (init) {
    // continue the curves of the model we started from, when it recorded them
    try {
      const before = JSON.parse(await Deno.readTextFile(join(init, "history.json")));
      history = appendHistory(before, r.history);
    } catch { /* no earlier history */ }
  }
  await saveRevCipherModel(out, r.model);
  await writeFileAtomic(
    join(out, "history.json"),
    new TextEncoder().encode(JSON.stringify(history)),
  );
  const last = history.loss.at(-1);
  console.log(
    `${out}: model ${r.model.id} (${backend}, ${history.step.length} steps, ` +
      `${(history.seconds.at(-1) ?? 0).toFixed(0)} s${r.resumed ? ", resumed" : ""}, ` +
      `last loss ${last?.toFixed(4)})`,
  );
  return 0;
}

type History = import("../ciphers/revcipher/train.ts").TrainHistory;

function appendHistory(a: History, b: History): History {
  const n = a.step.length, s0 = a.seconds.at(-1) ?? 0;
  const terms = { ...a.terms };
  for (const k of Object.keys(terms) as (keyof History["terms"])[]) {
    terms[k] = [...a.terms[k], ...b.terms[k]];
  }
  return {
    step: [...a.step, ...b.step.map((s) => s + n)],
    phase: [...a.phase, ...b.phase],
    loss: [...a.loss, ...b.loss],
    terms,
    seconds: [...a.seconds, ...b.seconds.map((s) => s + s0)],
  };
}

/** The revcipher commands. */
export const commands: Command[] = [{
  name: "revcipher",
  summary: "learned reversible image cipher (paper B): train | encrypt | decrypt",
  usage: USAGE,
  run(args) {
    const [sub, ...rest] = args;
    if (sub === "encrypt") return encrypt(rest);
    if (sub === "decrypt") return decrypt(rest);
    if (sub === "train") return train(rest);
    usage(sub ? `unknown sub-command '${sub}'` : "a sub-command is needed");
  },
}];
