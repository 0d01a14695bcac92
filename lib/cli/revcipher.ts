/**
 * `deno task medcrypt revcipher …`: train the learned cipher, encrypt and decrypt images with it.
 * `deno task medcrypt revcipher <sub-command> --help` explains each sub-command's options.
 *
 * `encrypt` uses the bit-exact variant unless `--paper` asks for paper B's lossy one; both
 * `encrypt` and `decrypt` say which variant ran, and for the lossy one how far its decryption is
 * from the original (measured at encrypt time and sealed into the header).
 *
 * @example
 * ```ts
 * import { commands } from "./revcipher.ts";
 * console.log(commands.map((c) => c.name)); // ["revcipher"]
 * ```
 * @module
 */
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
import type { RevHeader } from "../ciphers/revcipher/header.ts";
import { decodeKeyQr, keyQrPng, readQrSet, writeQrSet } from "../ciphers/revcipher/qr.ts";
import { protectCipher, ROBUST_PARITY } from "../ciphers/revcipher/robust.ts";
import {
  int,
  need,
  oneOf,
  parseFlags,
  refuseExisting,
  type Spec,
  str,
  usageError,
} from "./flags.ts";

const KEY_HELP = "the user key: any non-empty text (UTF-8). It is hashed with SHA-256 together " +
  "with the image to seed the logistic-map key streams; it is never written to the QR codes. " +
  "Quote it if it has spaces";
const MODEL_HELP = "a model folder written by `revcipher train` (default: the shipped 64×64 " +
  "model in data/models/revcipher); decrypt needs the same model as encrypt";

const ENCRYPT: Spec = {
  name: "revcipher encrypt",
  summary: "encrypt an image with the learned cipher (bit-exact variant unless --paper)",
  flags: {
    key: { required: true, type: "string", value: "KEY", help: KEY_HELP },
    in: {
      required: true,
      type: "string",
      value: "IMAGE",
      help: "the image to encrypt (.npy, .png or .dcm)",
    },
    out: {
      required: true,
      type: "string",
      value: "CIPHER.png",
      help: "the cipher image to write (a .png)",
    },
    paper: {
      type: "boolean",
      help: "use paper B's variant, which decrypts only approximately (lossy): the output says " +
        "how far this image's decryption is from it; never use it for a scan that must come back " +
        "unchanged",
    },
    exact: {
      type: "boolean",
      help: "the bit-exact variant (the default; the flag is accepted so scripts can say so)",
    },
    robust: {
      type: "boolean",
      help: "add an interleaved Reed–Solomon erasure code to the cipher image so a cropped or " +
        "noisy copy still decrypts bit for bit (the image grows; exact variant only)",
    },
    qr: {
      type: "string",
      value: "DIR",
      help: "folder for the QR codes that carry the header (default: CIPHER.qr beside the cipher)",
    },
    embed: {
      type: "boolean",
      help: "also put the cipher image itself into the QR codes, so the QR folder alone decrypts",
    },
    "key-qr": {
      type: "string",
      value: "FILE.png",
      help: "also write the key as its own QR code (whoever scans it holds the key)",
    },
    model: { type: "string", value: "DIR", help: MODEL_HELP },
  },
  writes: true,
  examples: [
    "revcipher encrypt --key 's3cret phrase' --in data/clinical/mr-brain-1.npy --out brain.png",
    "revcipher encrypt --key K --robust --in data/dicom/CT_small.dcm --out ct.png",
    "revcipher encrypt --key K --paper --in data/clinical/cxr-1.npy --out cxr.png",
  ],
  notes: [
    "The cipher image keeps the image's size (padded to even) at 8 bits for images up to 8 bits, " +
    "else 16. The header (sizes, image hash, key check value, model fingerprint, authentication " +
    "tag) goes into the QR codes; decrypt needs the cipher image, the QR codes, the key and the " +
    "same model.",
  ],
};

const DECRYPT: Spec = {
  name: "revcipher decrypt",
  summary: "decrypt a learned-cipher image (header, cipher and key checked first)",
  flags: {
    key: { type: "string", value: "KEY", help: KEY_HELP },
    "key-qr": {
      type: "string",
      value: "FILE.png",
      help: "read the key from the QR code `revcipher encrypt --key-qr` wrote (instead of --key)",
    },
    in: {
      type: "string",
      value: "CIPHER.png",
      help: "the cipher image (may be left out when the QR codes embed it)",
    },
    qr: {
      type: "string",
      value: "DIR",
      help: "the folder of QR codes (default: CIPHER.qr beside the cipher image)",
    },
    out: {
      required: true,
      type: "string",
      value: "IMAGE",
      help: "the decrypted image to write (.npy, .png or .dcm; .npy keeps every bit)",
    },
    model: { type: "string", value: "DIR", help: MODEL_HELP },
  },
  writes: true,
  examples: [
    "revcipher decrypt --key 's3cret phrase' --in brain.png --out brain.npy",
    "revcipher decrypt --key-qr key.png --qr brain.qr --out brain.npy",
  ],
  notes: [
    "A wrong key, an altered header or altered cipher pixels are refused before anything is " +
    "written. The output line says which variant made the cipher; for the lossy paper variant it " +
    "repeats the error measured when the image was encrypted.",
  ],
};

async function model(dir: string | undefined): Promise<RevCipherModel> {
  return dir ? await loadRevCipherModel(dir) : await loadDefaultModel();
}

function defaultQrDir(cipherPath: string): string {
  return cipherPath.replace(/\.png$/i, "") + ".qr";
}

/** One line on the variant: bit-exact, or lossy with the error measured at encrypt time. */
export function variantLine(header: RevHeader): string {
  if (header.variant === "exact") {
    return "exact variant: decrypts to the very same pixels (bit for bit)";
  }
  const f = header.fidelity;
  const levels = 2 ** header.bitDepth - 1;
  return "PAPER variant (lossy): decryption gives an approximation, not the original scan: " +
    (f
      ? `max |Δ| ${f.maxAbsError} of ${levels} grey levels, PSNR ${
        f.psnr === null ? "∞" : f.psnr.toFixed(1)
      } dB (measured on this image at encrypt time)`
      : "its error was not measured when it was encrypted") +
    "; encrypt without --paper for the bit-exact variant";
}

async function encrypt(args: string[]): Promise<number> {
  const p = parseFlags(ENCRYPT, args), v = p.values;
  const key = need(ENCRYPT, p, "key"), input = need(ENCRYPT, p, "in");
  const out = need(ENCRYPT, p, "out");
  if (!/\.png$/i.test(out)) {
    usageError(ENCRYPT, `the cipher image must be a .png file (got '${out}')`);
  }
  if (v.paper && v.exact) usageError(ENCRYPT, "give --paper or --exact, not both");
  if (v.robust && v.paper) {
    usageError(
      ENCRYPT,
      "--robust needs the exact variant (an erasure code cannot make a lossy cipher exact): leave out --paper",
    );
  }
  if (v.robust && v.embed) {
    usageError(ENCRYPT, "--robust writes the cipher as a PNG: leave out --embed");
  }
  const qrDir = str(p, "qr") ?? defaultQrDir(out), keyQr = str(p, "key-qr");
  assertNotInput(out, [input]);
  if (resolve(qrDir) === resolve(input)) usageError(ENCRYPT, "--qr must not be the input");
  if (keyQr) assertNotInput(keyQr, [input, out]);
  await refuseExisting([out, qrDir, keyQr], v.force === true);
  const img = await readImage(input);
  const m = await model(str(p, "model"));
  const { cipher, header } = await revEncrypt(img, key, v.paper ? "paper" : "exact", m, {
    measure: true,
  });
  const blob = packQr(header, v.embed ? cipher : undefined);
  const written = v.robust ? protectCipher(cipher) : cipher;
  const qrs = await writeQrSet(qrDir, blob);
  await writeImage(out, written, [input]);
  if (keyQr) await writeFileAtomic(keyQr, keyQrPng(key));
  const robust = v.robust
    ? ` with its erasure code (${written.width}×${written.height}, ${
      (100 * (written.height / cipher.height - 1)).toFixed(1)
    } % larger; up to ${ROBUST_PARITY / 2} wrong bytes per 255 corrected)`
    : "";
  console.log(
    `${out}: cipher ${cipher.width}×${cipher.height}, ${cipher.bitDepth}-bit${robust}; header in ${qrs.length} QR code(s) in ${qrDir}${
      v.embed ? " (cipher embedded)" : ""
    }`,
  );
  console.log(variantLine(header));
  return 0;
}

async function decrypt(args: string[]): Promise<number> {
  const p = parseFlags(DECRYPT, args), v = p.values;
  const input = str(p, "in"), keyQr = str(p, "key-qr");
  const out = need(DECRYPT, p, "out");
  let key = str(p, "key");
  if (!key && keyQr) key = decodeKeyQr(await readFileChecked(keyQr), keyQr);
  if (!key) usageError(DECRYPT, "needs --key KEY (or --key-qr FILE.png)");
  const qrDir = str(p, "qr") ?? (input ? defaultQrDir(input) : undefined);
  if (!qrDir) usageError(DECRYPT, "needs --in CIPHER.png or --qr DIR");
  const inputs = [...(input ? [input] : []), ...(keyQr ? [keyQr] : [])];
  assertNotInput(out, inputs);
  if (resolve(out).startsWith(resolve(qrDir) + "/")) {
    usageError(DECRYPT, "--out must not be inside the QR folder");
  }
  await refuseExisting([out], v.force === true);
  const pkg = unpackQr(await readQrSet(qrDir));
  const cipher = input ? await readImage(input) : pkg.cipher;
  if (!cipher) {
    usageError(DECRYPT, `the QR codes in ${qrDir} carry no cipher image: give --in CIPHER.png`);
  }
  const m = await model(str(p, "model"));
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
    `${out}: ${img.width}×${img.height}, ${img.bitDepth}-bit; header and cipher authenticated${
      pkg.header.variant === "exact" ? ", verified against the image hash" : ""
    }`,
  );
  console.log(variantLine(pkg.header));
  return 0;
}

const TRAIN: Spec = {
  name: "revcipher train",
  summary:
    "train a learned-cipher model (paper B's losses; pretraining, then key fusion, then exact)",
  flags: {
    out: { required: true, type: "string", value: "MODEL_DIR", help: "the model folder to write" },
    size: { type: "string", value: "N", default: "64", help: "training crop size (even, ≥ 8)" },
    "pretrain-steps": {
      type: "string",
      value: "N",
      default: "300",
      help: "steps of pretraining without key fusion (paper B's first stage)",
    },
    steps: { type: "string", value: "N", default: "300", help: "steps of full training" },
    "exact-steps": {
      type: "string",
      value: "N",
      default: "150",
      help: "steps fitting the bit-exact variant's predictor",
    },
    batch: { type: "string", value: "N", default: "8", help: "images per step" },
    "train-count": {
      type: "string",
      value: "N",
      default: "512",
      help: "training crops drawn from the embedded images",
    },
    seed: { type: "string", value: "N", default: "1", help: "seed of data, crops and weights" },
    lr: { type: "string", value: "X", default: "1e-4", help: "AdamW learning rate" },
    checkpoint: {
      type: "string",
      value: "DIR",
      help: "save progress here and resume from it when it exists (interrupted runs continue)",
    },
    init: {
      type: "string",
      value: "MODEL_DIR",
      help: "start from this model (e.g. the 64×64 one for a 256×256 run) and continue its history",
    },
    sources: {
      type: "string",
      value: "mixed|clinical",
      default: "mixed",
      help: "training images: PneumoniaMNIST and the clinical scans (mixed), or the scans only",
    },
  },
  writes: true,
  examples: [
    "revcipher train --out my-model --steps 50 --pretrain-steps 50 --exact-steps 20",
    "revcipher train --out m256 --size 256 --sources clinical --checkpoint ck256",
  ],
};

async function train(args: string[]): Promise<number> {
  const p = parseFlags(TRAIN, args);
  const out = need(TRAIN, p, "out");
  await refuseExisting([out], p.values.force === true);
  const size = int(TRAIN, p, "size", 64, 8);
  if (size % 2) usageError(TRAIN, `--size must be even, got ${size}`);
  const lr = Number(str(p, "lr") ?? "1e-4");
  if (!(lr > 0)) usageError(TRAIN, "--lr must be a positive number");
  const { initBackend } = await import("../nn/backend.ts");
  const { trainRevCipher } = await import("../ciphers/revcipher/train.ts");
  const { cipherImages } = await import("../ciphers/revcipher/data.ts");
  const { adaptModel, DEFAULT_CONFIG, initModel, saveRevCipherModel } = await import(
    "../ciphers/revcipher/model.ts"
  );
  const backend = await initBackend();
  const seed = int(TRAIN, p, "seed", 1);
  const sources = oneOf(TRAIN, p, "sources", ["mixed", "clinical"] as const, "mixed");
  const data = await cipherImages({
    size,
    trainCount: int(TRAIN, p, "train-count", 512),
    heldOutCount: 0,
    seed,
    sources,
  });
  const init = str(p, "init");
  const start = init
    ? (await adaptModel(await loadRevCipherModel(init), DEFAULT_CONFIG, seed)).model
    : await initModel(DEFAULT_CONFIG, seed);
  const r = await trainRevCipher(start, data.pool, {
    pretrainSteps: int(TRAIN, p, "pretrain-steps", 300),
    steps: int(TRAIN, p, "steps", 300),
    exactSteps: int(TRAIN, p, "exact-steps", 150),
    batch: int(TRAIN, p, "batch", 8),
    lr,
    seed,
    checkpointDir: str(p, "checkpoint"),
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
  summary: "learned reversible image cipher (paper B): encrypt | decrypt | train",
  specs: [ENCRYPT, DECRYPT, TRAIN],
  run(args) {
    const [sub, ...rest] = args;
    if (sub === "encrypt") return encrypt(rest);
    if (sub === "decrypt") return decrypt(rest);
    if (sub === "train") return train(rest);
    throw new MedCryptError(
      "usage",
      `${
        sub ? `unknown sub-command '${sub}'` : "a sub-command is needed"
      }: encrypt, decrypt or train (see: deno task medcrypt revcipher --help)`,
    );
  },
}];
