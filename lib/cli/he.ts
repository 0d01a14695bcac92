/**
 * `deno task medcrypt` commands for HE inference:
 * - `he-infer --in IMAGE|DIR [--in …] [--resize] [--json]`: client → server → client on the
 *   model's 28×28 8-bit input, printing the encrypted and plaintext logits, the label and the
 *   timings; folders are searched for images, and `--resize` fits any image to the model first;
 * - `he-train --out MODEL.json`: trains the HE-friendly CNN (this is how the shipped
 *   `data/models/he_cnn.json` is made).
 *
 * @example
 * ```ts
 * import { commands } from "./he.ts";
 * console.log(commands.map((c) => c.name)); // [ "he-infer", "he-train" ]
 * ```
 * @module
 */
import type { Command } from "./types.ts";
import { assertNotInput } from "../core/fs.ts";
import {
  int,
  need,
  oneOf,
  type Parsed,
  parseFlags,
  refuseExisting,
  type Spec,
  str,
  usageError,
} from "./flags.ts";
import { eachFile, IMAGE_EXTENSIONS, listInputs } from "./batch.ts";
import { type MedImage, medImage, readImage, resize, toEightBit } from "../image/mod.ts";
import { imageToInput } from "../he/client.ts";
import { loadHeModel, saveHeModel, trainHeFriendly } from "../he/model.ts";
import { preset, PRESETS } from "../he/params.ts";
import { encryptedInference, SHIPPED_MODEL_PATH } from "../he/pipeline.ts";
import { type ClientSpec, clientSpec } from "../he/spec.ts";
import { remoteEncryptedInference, ServiceClient } from "../service/client.ts";
import { serviceToken, TOKEN_NOTE } from "./service.ts";

/** Presets offered by `--preset`. */
export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/** What {@linkcode fitToModel} returns. */
export interface Fitted {
  /** The image, `width×height`, 8-bit, values as stored (no rescale). */
  image: MedImage;
  /** What was done, e.g. `"resized 1024×1024 → 28×28 by area averaging, 16-bit → 8-bit"`; empty if nothing. */
  note: string;
}

/**
 * What `--resize` does: resizes an image to the model's input size by area averaging, converts it
 * to 8-bit by stretching its own stored range (when it is deeper), and drops any rescale so the
 * stored values are the pixels (as a PNG copy would).
 *
 * @param img the image
 * @param width the model's input columns
 * @param height the model's input rows
 * @returns the fitted image and what was done to it
 * @example
 * ```ts
 * import { fitToModel } from "./he.ts";
 * import { medImage } from "../image/types.ts";
 * const r = fitToModel(medImage(new Uint16Array(56 * 56).fill(700), 56, 56, { bitDepth: 12 }), 28, 28);
 * console.log(r.image.width, r.image.bitDepth, r.note); // 28 8 resized 56×56 → 28×28 by area averaging, 12-bit → 8-bit
 * ```
 */
export function fitToModel(img: MedImage, width: number, height: number): Fitted {
  const done: string[] = [];
  let out = img;
  if (out.width !== width || out.height !== height) {
    done.push(`resized ${out.width}×${out.height} → ${width}×${height} by area averaging`);
    out = resize(out, width, height, "area");
  }
  if (out.bitDepth !== 8 || !(out.data instanceof Uint8Array)) {
    done.push(`${out.bitDepth}-bit → 8-bit`);
    out = toEightBit(out);
  }
  if (out.rescale && (out.rescale.slope !== 1 || out.rescale.intercept !== 0)) {
    done.push("rescale dropped (stored values used)");
  }
  if (out.rescale) {
    out = medImage(out.data, out.width, out.height, {
      bitDepth: 8,
      ...(out.modality !== undefined ? { modality: out.modality } : {}),
    });
  }
  return { image: out, note: done.join(", ") };
}

const SERVER_FLAGS: Spec["flags"] = {
  server: {
    type: "string",
    value: "URL",
    help: "evaluate on a running `serve` (e.g. http://127.0.0.1:8443) instead of in this " +
      "process; the secret key stays here, only evaluation keys and ciphertexts are sent",
  },
  "token-env": {
    type: "string",
    value: "VAR",
    help: "with --server: the environment variable holding this client's token",
    default: "MEDCRYPT_TOKEN, else a local serve's token file",
  },
  "ca-cert": {
    type: "string",
    value: "CERT.pem",
    help: "with --server over https: the PEM certificate to trust for it (e.g. a self-signed one)",
  },
};

const INFER: Spec = {
  name: "he-infer",
  summary:
    "classify images under CKKS encryption (client → server → client) and compare with plaintext",
  flags: {
    in: {
      required: true,
      type: "string",
      value: "IMAGE|DIR",
      multiple: true,
      help: `an image to classify (${
        IMAGE_EXTENSIONS.join(", ")
      }), or a folder: every such image below it, recursively`,
    },
    resize: {
      type: "boolean",
      help: "fit each image to the model first: resize to its input size (28×28 for the " +
        "shipped model) by area averaging and convert to 8-bit by stretching the image's own " +
        "range; without it, an image of another size or bit depth is refused",
    },
    json: {
      type: "boolean",
      help: "print one JSON document (results, failures, timings, parameters) instead of text",
    },
    mode: {
      type: "string",
      value: "single|batch",
      default: "single",
      help: "single: one ciphertext group per image (lowest latency); batch: the images packed " +
        "across the CKKS slots, one ciphertext per pixel (highest throughput)",
    },
    preset: {
      type: "string",
      value: "NAME",
      default: "ckks-8192-d5",
      help: `CKKS parameters, one of ${PRESET_NAMES.join(", ")}`,
    },
    model: {
      type: "string",
      value: "MODEL.json",
      default: "data/models/he_cnn.json, the shipped model",
      help: "the HE-friendly CNN (as `he-train` writes it); not used with --server, which " +
        "evaluates its own model",
    },
    workers: {
      type: "string",
      value: "N",
      default: "1",
      help: "threads that evaluate a batch (--mode batch, in process), 1..8",
    },
    ...SERVER_FLAGS,
  },
  examples: [
    "he-infer --in data/clinical/cxr-1.npy --resize",
    "he-infer --in data/clinical --resize --json",
    "he-infer --in data/clinical/cxr-1.npy --resize --server http://127.0.0.1:8443",
  ],
  notes: [
    "Prints, per image, the label (normal or pneumonia) with the decrypted and the plaintext " +
    "logits, then the CKKS parameters, the timings and the largest difference between " +
    "encrypted and plaintext logits beside its derived bound. With --resize each line also " +
    "says what was done to the image. The shipped model was trained on PneumoniaMNIST chest " +
    "X-rays: its label means nothing for other kinds of scan.",
    "With several images (a folder, or --in more than once) a file that cannot be used (wrong " +
    "size or bit depth without --resize, unreadable) is reported as FAILED and the others are " +
    "still classified; the exit code is then 1. A single image that cannot be used is one " +
    "error line.",
    TOKEN_NOTE,
  ],
};

interface Prepared {
  file: string;
  input?: Float64Array;
  note: string;
  error?: unknown;
}

async function inputFiles(p: Parsed): Promise<{ files: string[]; many: boolean }> {
  const ins = (p.values.in as string[] | undefined) ?? [];
  if (ins.length === 0) usageError(INFER, "needs --in IMAGE|DIR");
  const files: string[] = [];
  let folder = false;
  for (const i of ins) {
    const r = await listInputs(i, IMAGE_EXTENSIONS);
    folder ||= r.folder;
    for (const f of r.files) if (!files.includes(f)) files.push(f);
  }
  return { files, many: folder || files.length > 1 };
}

async function prepare(
  files: readonly string[],
  spec: Pick<ClientSpec, "inputShape" | "inputNorm">,
  fit: boolean,
): Promise<Prepared[]> {
  const [h, w] = spec.inputShape;
  const out: Prepared[] = [];
  for (const file of files) {
    try {
      let img = await readImage(file), note = "";
      if (fit) ({ image: img, note } = fitToModel(img, w, h));
      out.push({ file, input: imageToInput(img, spec, file), note });
    } catch (e) {
      out.push({ file, note: "", error: e });
    }
  }
  return out;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/**
 * Prints the per-file lines (and, for several files, the total) and returns the exit code.
 * `line(i)` is the text for the i-th successful input.
 */
async function report(
  prepared: readonly Prepared[],
  many: boolean,
  line: (k: number) => string,
): Promise<number> {
  const index = new Map<string, number>();
  let k = 0;
  for (const p of prepared) if (!p.error) index.set(p.file, k++);
  const text = (file: string) => {
    const p = prepared.find((x) => x.file === file)!;
    if (p.error) throw p.error;
    return line(index.get(file)!);
  };
  if (!many) {
    console.log(`${prepared[0].file}: ${text(prepared[0].file)}`);
    return 0;
  }
  return await eachFile("he-infer", prepared.map((p) => p.file), (f) => Promise.resolve(text(f)));
}

function failures(prepared: readonly Prepared[]) {
  return prepared.filter((p) => p.error).map((p) => ({ file: p.file, error: message(p.error) }));
}

function jsonExit(prepared: readonly Prepared[]): number {
  const failed = failures(prepared).length;
  if (failed) console.error(`medcrypt he-infer: ${failed} of ${prepared.length} files failed`);
  return failed ? 1 : 0;
}

const LABELS = ["normal", "pneumonia"];

const heInfer: Command = {
  name: "he-infer",
  summary: INFER.summary,
  specs: [INFER],
  async run(args) {
    const p = parseFlags(INFER, args);
    const mode = oneOf(INFER, p, "mode", ["single", "batch"] as const, "single");
    const workers = int(INFER, p, "workers", 1, 1, 8);
    const presetName = oneOf(INFER, p, "preset", PRESET_NAMES, "ckks-8192-d5");
    const fit = p.values.resize === true;
    const { files, many } = await inputFiles(p);
    if (str(p, "server") !== undefined) return await remoteInfer(p, files, many, mode, fit);
    const params = preset(presetName);
    const model = await loadHeModel(str(p, "model") ?? SHIPPED_MODEL_PATH);
    const spec = clientSpec(model, params);
    const prepared = await prepare(files, spec, fit);
    if (!many && prepared[0].error) throw prepared[0].error;
    const good = prepared.filter((x) => !x.error);
    const run = good.length
      ? await encryptedInference(model, good.map((x) => x.input!), {
        preset: params.name,
        mode,
        workers,
      })
      : undefined;
    const k = spec.classes;
    const results = good.map((x, i) => ({
      file: x.file,
      ...(fit ? { resized: x.note } : {}),
      encryptedLogits: Array.from(run!.encryptedLogits.subarray(i * k, (i + 1) * k)),
      plainLogits: Array.from(run!.plainLogits.subarray(i * k, (i + 1) * k)),
      label: run!.labels[i],
      plainLabel: run!.plainLabels[i],
    }));
    if (p.values.json) {
      console.log(JSON.stringify(
        {
          results,
          failed: failures(prepared),
          ...(run
            ? {
              timings: run.timings,
              params: run.params,
              mode,
              depth: run.depth,
              rotations: run.rotations,
              sizes: run.sizes,
              maxError: run.maxError,
              errorBound: run.bound,
            }
            : {}),
        },
        null,
        2,
      ));
      return jsonExit(prepared);
    }
    const code = await report(prepared, many, (i) => {
      const r = results[i];
      return `${LABELS[r.label] ?? r.label} (${r.resized ? `${r.resized}; ` : ""}encrypted logits ${
        r.encryptedLogits.map((v) => v.toFixed(5)).join(", ")
      }; plaintext ${r.plainLogits.map((v) => v.toFixed(5)).join(", ")})`;
    });
    if (!run) return code;
    const t = run.timings;
    console.log(
      `${params.name} (N=${params.polyModulusDegree}, moduli ${
        params.coeffBits.join("+")
      } bits, scale 2^${params.logScale}), ${mode} mode, depth ${run.depth}, ${run.rotations.length} rotation keys`,
    );
    console.log(
      `timings: keygen ${t.keygenMs.toFixed(0)} ms, encrypt ${t.encryptMs.toFixed(0)} ms, server ${
        t.serverMs.toFixed(0)
      } ms, decrypt ${t.decryptMs.toFixed(1)} ms; ${t.perImageMs.toFixed(1)} ms per image`,
    );
    console.log(
      `max |encrypted − plaintext| = ${run.maxError.toExponential(2)} (derived bound ${
        run.bound.logits.toExponential(2)
      })`,
    );
    return code;
  },
};

/** `he-infer --server URL`: the same inference with the server across a socket. */
async function remoteInfer(
  p: Parsed,
  files: string[],
  many: boolean,
  mode: "single" | "batch",
  fit: boolean,
): Promise<number> {
  const url = str(p, "server")!.replace(/\/+$/, "");
  const presetName = str(p, "preset") ?? "ckks-8192-d5";
  const caPath = str(p, "ca-cert");
  const caCert = caPath ? await Deno.readTextFile(caPath) : undefined;
  const api = new ServiceClient(url, await serviceToken(url, str(p, "token-env")), { caCert });
  try {
    const { spec } = await api.spec(presetName);
    const prepared = await prepare(files, spec, fit);
    if (!many && prepared[0].error) throw prepared[0].error;
    const good = prepared.filter((x) => !x.error);
    const run = good.length
      ? await remoteEncryptedInference(api, good.map((x) => x.input!), { preset: presetName, mode })
      : undefined;
    const k = spec.classes;
    const results = good.map((x, i) => ({
      file: x.file,
      ...(fit ? { resized: x.note } : {}),
      encryptedLogits: Array.from(run!.logits.subarray(i * k, (i + 1) * k)),
      label: run!.labels[i],
    }));
    if (p.values.json) {
      console.log(JSON.stringify(
        {
          server: url,
          results,
          failed: failures(prepared),
          ...(run ? { wire: run.wire, inferenceMs: run.inferenceMs, setupMs: run.setupMs } : {}),
        },
        null,
        2,
      ));
      return jsonExit(prepared);
    }
    const code = await report(prepared, many, (i) => {
      const r = results[i];
      return `${r.label} (${r.resized ? `${r.resized}; ` : ""}encrypted logits ${
        r.encryptedLogits.map((v) => v.toFixed(5)).join(", ")
      }; evaluated by ${url})`;
    });
    if (!run) return code;
    const mb = (n: number) => (n / 1e6).toFixed(2);
    console.log(
      `on the wire: keys ${mb(run.wire.keysBytes)} MB once, queries ${
        mb(run.wire.queryBytes)
      } MB, replies ${mb(run.wire.resultBytes)} MB; ${
        (run.inferenceMs / good.length).toFixed(0)
      } ms per image`,
    );
    return code;
  } finally {
    api.close();
  }
}

const TRAIN: Spec = {
  name: "he-train",
  summary: "train the HE-friendly CNN on the embedded PneumoniaMNIST and write it as JSON",
  flags: {
    out: {
      required: true,
      type: "string",
      value: "MODEL.json",
      help: "where to write the model (what `he-infer --model` and `serve --model` read)",
    },
    seed: {
      type: "string",
      value: "N",
      default: "1",
      help: "seed of the initial weights, the shuffling and the augmentation (same seed and " +
        "backend: the same model, bit for bit)",
    },
    epochs: { type: "string", value: "N", default: "12", help: "passes over the training split" },
    activation: {
      type: "string",
      value: "square|relu-approx",
      default: "square",
      help: "both activations: x², or a degree-2 least-squares approximation of ReLU",
    },
    filters: {
      type: "string",
      value: "N",
      default: "5",
      help: "filters of the 5×5 stride-2 convolution",
    },
    hidden: {
      type: "string",
      value: "N",
      default: "32",
      help:
        "units of the hidden dense layer; 0 leaves it and its activation out (depth 3, for --preset ckks-4096-d3)",
    },
    augment: {
      type: "string",
      value: "PIXELS",
      default: "2",
      help: "largest random shift while training, 0..4 pixels (whole pixels, with ±10 % " +
        "contrast jitter; with --rotate/--zoom/--intensity/--flip, the affine shift)",
    },
    "class-weight": {
      type: "string",
      value: "none|balanced",
      default: "none",
      help: "balanced weighs each class's loss by its rarity in the training split",
    },
    lr: {
      type: "string",
      value: "X",
      default: "0.003",
      help: "Adam's learning rate, in (0, 1)",
    },
    rotate: {
      type: "string",
      value: "DEG",
      help: "random rotations up to DEG degrees, 0..45 (switches to affine augmentation)",
    },
    zoom: {
      type: "string",
      value: "F",
      help: "random zooms up to ±F, 0..0.5 (switches to affine augmentation)",
    },
    intensity: {
      type: "string",
      value: "F",
      help: "random contrast/brightness changes up to ±F, 0..0.5 (switches to affine augmentation)",
    },
    flip: {
      type: "boolean",
      help: "random horizontal flips (switches to affine augmentation)",
    },
    schedule: {
      type: "string",
      value: "constant|cosine",
      default: "constant",
      help: "learning-rate schedule: constant, or cosine down to 1 % of --lr at the end",
    },
    "label-smoothing": {
      type: "string",
      value: "X",
      default: "0",
      help: "label smoothing of the one-hot targets, 0..0.5",
    },
    backend: {
      type: "string",
      value: "cpu|wasm|tensorflow",
      default: "tensorflow if installed, else wasm, else cpu; MEDCRYPT_BACKEND overrides",
      help: "the tfjs backend that trains",
    },
  },
  writes: true,
  examples: [
    "he-train --out he_cnn.json --epochs 2",
    "he-train --out data/models/he_cnn.json --force --seed 4 --epochs 30 --augment 1 --filters 5 " +
    "--hidden 16 --class-weight balanced --rotate 10 --zoom 0.1 --intensity 0.2 --flip " +
    "--schedule cosine --label-smoothing 0.1 --backend wasm",
  ],
  notes: [
    "Prints the test and validation accuracy, the validation loss, the seed, the epochs and the " +
    "backend. The model records the command that made it (without --force). The second example " +
    "remakes the shipped model (data/models/he_cnn.md).",
  ],
};

function num(p: Parsed, name: string, def: number, min: number, max: number): number {
  const s = str(p, name);
  if (s === undefined) return def;
  const n = Number(s);
  if (s.trim() === "" || !(n >= min && n <= max)) {
    usageError(TRAIN, `--${name} must be a number in ${min}..${max}, not '${s}'`);
  }
  return n;
}

const heTrain: Command = {
  name: "he-train",
  summary: TRAIN.summary,
  specs: [TRAIN],
  async run(args) {
    const p = parseFlags(TRAIN, args);
    const out = need(TRAIN, p, "out");
    const activation = oneOf(TRAIN, p, "activation", ["square", "relu-approx"] as const, "square");
    const seed = int(TRAIN, p, "seed", 1, 1);
    const epochs = int(TRAIN, p, "epochs", 12, 1);
    const filters = int(TRAIN, p, "filters", 5, 1);
    const hidden = int(TRAIN, p, "hidden", 32, 0);
    const classWeight = oneOf(TRAIN, p, "class-weight", ["none", "balanced"] as const, "none");
    const schedule = oneOf(TRAIN, p, "schedule", ["constant", "cosine"] as const, "constant");
    const labelSmoothing = num(p, "label-smoothing", 0, 0, 0.5);
    const augment = num(p, "augment", 2, 0, 4);
    const lrText = str(p, "lr");
    const learningRate = lrText === undefined ? undefined : Number(lrText);
    if (learningRate !== undefined && !(learningRate > 0 && learningRate < 1)) {
      usageError(TRAIN, `--lr must be a number in (0, 1), not '${lrText}'`);
    }
    const flip = p.values.flip === true;
    // any of these switches to the classifiers' affine augmentation (lib/nn/train.ts), with
    // --augment as the maximum shift in pixels
    const affine = str(p, "rotate") !== undefined || str(p, "zoom") !== undefined ||
        str(p, "intensity") !== undefined || flip
      ? {
        shift: augment,
        flip,
        rotate: num(p, "rotate", 0, 0, 45),
        zoom: num(p, "zoom", 0, 0, 0.5),
        intensity: num(p, "intensity", 0, 0, 0.5),
      }
      : undefined;
    if (!affine && !Number.isInteger(augment)) {
      usageError(
        TRAIN,
        `--augment must be whole pixels without affine augmentation, not '${augment}'`,
      );
    }
    const prefer = str(p, "backend") === undefined
      ? undefined
      : oneOf(TRAIN, p, "backend", ["cpu", "wasm", "tensorflow"] as const, "cpu");
    assertNotInput(out, []);
    await refuseExisting([out], p.values.force === true);
    const { initBackend } = await import("../nn/backend.ts");
    const backend = await initBackend(prefer);
    const r = await trainHeFriendly({
      seed,
      epochs,
      activation,
      filters,
      hidden,
      augment,
      classWeight,
      learningRate,
      affine,
      schedule,
      labelSmoothing,
    });
    // the recorded command remakes the model; --force is about this file, not the model
    const command = `deno task medcrypt he-train ${args.filter((a) => a !== "--force").join(" ")}`;
    await saveHeModel(out, { ...r.model, meta: { ...r.model.meta, backend, command } });
    console.log(
      `wrote ${out}: test accuracy ${r.testAccuracy.toFixed(4)}, val ${
        r.valAccuracy.toFixed(4)
      } (val loss ${r.valLoss.toFixed(4)}, seed ${seed}, ${epochs} epochs, ${backend} backend)`,
    );
    return 0;
  },
};

/** The he commands. */
export const commands: Command[] = [heInfer, heTrain];
