/**
 * `deno task medcrypt` commands for HE inference:
 * - `he-infer --in IMAGE.npy [--in …] [--json]`: client → server → client on 28×28 8-bit images,
 *   printing the encrypted and plaintext logits, the label and the timings;
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
import { parseArgs } from "node:util";
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import { assertNotInput } from "../core/fs.ts";
import { readImage } from "../image/mod.ts";
import { imageToInput } from "../he/client.ts";
import { loadHeModel, saveHeModel, trainHeFriendly } from "../he/model.ts";
import { PRESETS } from "../he/params.ts";
import { encryptedInference, SHIPPED_MODEL_PATH } from "../he/pipeline.ts";
import { clientSpec } from "../he/spec.ts";
import { preset } from "../he/params.ts";
import { remoteEncryptedInference, ServiceClient } from "../service/client.ts";
import { serviceToken } from "./service.ts";

type ParseOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

function parse(args: string[], options: ParseOptions) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new MedCryptError("usage", (e as Error).message);
  }
}

const heInfer: Command = {
  name: "he-infer",
  summary:
    "classify images under CKKS encryption (client → server → client) and compare with plaintext",
  usage: "he-infer --in IMAGE.npy [--in …] [--json] [--mode single|batch] [--preset NAME] " +
    "[--model MODEL.json] [--workers N] [--server URL [--token-env VAR] [--ca-cert CERT.pem]]",
  async run(args) {
    const { values } = parse(args, {
      in: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      mode: { type: "string", default: "single" },
      preset: { type: "string", default: "ckks-8192-d5" },
      model: { type: "string", default: SHIPPED_MODEL_PATH },
      workers: { type: "string", default: "1" },
      server: { type: "string" },
      "token-env": { type: "string" },
      "ca-cert": { type: "string" },
    });
    const ins = (values.in as string[] | undefined) ?? [];
    if (ins.length === 0) throw new MedCryptError("usage", "give at least one --in IMAGE");
    const mode = values.mode as string;
    if (mode !== "single" && mode !== "batch") {
      throw new MedCryptError("usage", `--mode must be single or batch, not '${mode}'`);
    }
    const workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 8) {
      throw new MedCryptError("usage", `--workers must be 1..8, not '${values.workers}'`);
    }
    if (values.server) return await remoteInfer(ins, values);
    const params = preset(values.preset as string);
    const model = await loadHeModel(values.model as string);
    const spec = clientSpec(model, params);
    const inputs: Float64Array[] = [];
    for (const p of ins) inputs.push(imageToInput(await readImage(p), spec, p));
    const run = await encryptedInference(model, inputs, {
      preset: params.name,
      mode,
      workers,
    });
    const k = spec.classes;
    const results = ins.map((file, i) => ({
      file,
      encryptedLogits: Array.from(run.encryptedLogits.subarray(i * k, (i + 1) * k)),
      plainLogits: Array.from(run.plainLogits.subarray(i * k, (i + 1) * k)),
      label: run.labels[i],
      plainLabel: run.plainLabels[i],
    }));
    if (values.json) {
      console.log(JSON.stringify(
        {
          results,
          timings: run.timings,
          params: run.params,
          mode,
          depth: run.depth,
          rotations: run.rotations,
          sizes: run.sizes,
          maxError: run.maxError,
          errorBound: run.bound,
        },
        null,
        2,
      ));
      return 0;
    }
    const names = ["normal", "pneumonia"];
    for (const r of results) {
      console.log(
        `${r.file}: ${names[r.label] ?? r.label} (encrypted logits ${
          r.encryptedLogits.map((v) => v.toFixed(5)).join(", ")
        }; plaintext ${r.plainLogits.map((v) => v.toFixed(5)).join(", ")})`,
      );
    }
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
    return 0;
  },
};

/** `he-infer --server URL`: the same inference with the server across a socket. */
async function remoteInfer(ins: string[], values: Record<string, unknown>): Promise<number> {
  const url = (values.server as string).replace(/\/+$/, "");
  const caCert = values["ca-cert"]
    ? await Deno.readTextFile(values["ca-cert"] as string)
    : undefined;
  const api = new ServiceClient(url, await serviceToken(url, values["token-env"]), { caCert });
  try {
    const { spec } = await api.spec(values.preset as string);
    const inputs: Float64Array[] = [];
    for (const p of ins) inputs.push(imageToInput(await readImage(p), spec, p));
    const run = await remoteEncryptedInference(api, inputs, {
      preset: values.preset as string,
      mode: values.mode as "single" | "batch",
    });
    const k = spec.classes;
    const results = ins.map((file, i) => ({
      file,
      encryptedLogits: Array.from(run.logits.subarray(i * k, (i + 1) * k)),
      label: run.labels[i],
    }));
    if (values.json) {
      console.log(
        JSON.stringify(
          {
            server: url,
            results,
            wire: run.wire,
            inferenceMs: run.inferenceMs,
            setupMs: run.setupMs,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    for (const r of results) {
      console.log(
        `${r.file}: ${r.label} (encrypted logits ${
          r.encryptedLogits.map((v) => v.toFixed(5)).join(", ")
        }; evaluated by ${url})`,
      );
    }
    const mb = (n: number) => (n / 1e6).toFixed(2);
    console.log(
      `on the wire: keys ${mb(run.wire.keysBytes)} MB once, queries ${
        mb(run.wire.queryBytes)
      } MB, replies ${mb(run.wire.resultBytes)} MB; ${
        (run.inferenceMs / ins.length).toFixed(0)
      } ms per image`,
    );
    return 0;
  } finally {
    api.close();
  }
}

const heTrain: Command = {
  name: "he-train",
  summary: "train the HE-friendly CNN on the embedded PneumoniaMNIST and write it as JSON",
  usage: "he-train --out MODEL.json [--seed N] [--epochs N] [--activation square|relu-approx] " +
    "[--filters N] [--hidden N] [--augment PIXELS] [--class-weight none|balanced] [--lr X] " +
    "[--rotate DEG] [--zoom F] [--intensity F] [--flip] [--schedule constant|cosine] " +
    "[--label-smoothing X] [--backend cpu|wasm|tensorflow]",
  async run(args) {
    const { values } = parse(args, {
      out: { type: "string" },
      seed: { type: "string", default: "1" },
      epochs: { type: "string", default: "12" },
      activation: { type: "string", default: "square" },
      filters: { type: "string", default: "5" },
      hidden: { type: "string", default: "32" },
      augment: { type: "string", default: "2" },
      "class-weight": { type: "string", default: "none" },
      lr: { type: "string" },
      rotate: { type: "string" },
      zoom: { type: "string" },
      intensity: { type: "string" },
      flip: { type: "boolean", default: false },
      schedule: { type: "string", default: "constant" },
      "label-smoothing": { type: "string", default: "0" },
      backend: { type: "string" },
    });
    const out = values.out as string | undefined;
    if (!out) throw new MedCryptError("usage", "give --out MODEL.json");
    const act = values.activation as string;
    if (act !== "square" && act !== "relu-approx") {
      throw new MedCryptError("usage", `--activation must be square or relu-approx, not '${act}'`);
    }
    const num = (name: string, v: unknown) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) {
        throw new MedCryptError("usage", `--${name} must be a positive integer, not '${v}'`);
      }
      return n;
    };
    const cwOf = (v: unknown): "none" | "balanced" => {
      if (v !== "none" && v !== "balanced") {
        throw new MedCryptError("usage", `--class-weight must be none or balanced, not '${v}'`);
      }
      return v;
    };
    const lrOf = (v: unknown) => {
      const n = Number(v);
      if (!(n > 0 && n < 1)) throw new MedCryptError("usage", `--lr must be in (0, 1), not '${v}'`);
      return n;
    };
    const frac = (name: string, v: unknown, max: number) => {
      const n = Number(v);
      if (!(n >= 0 && n <= max)) {
        throw new MedCryptError("usage", `--${name} must be in [0, ${max}], not '${v}'`);
      }
      return n;
    };
    const schedule = values.schedule as string;
    if (schedule !== "constant" && schedule !== "cosine") {
      throw new MedCryptError("usage", `--schedule must be constant or cosine, not '${schedule}'`);
    }
    const labelSmoothing = frac("label-smoothing", values["label-smoothing"], 0.5);
    // any of these switches to the classifiers' affine augmentation (lib/nn/train.ts), with
    // --augment as the maximum shift in pixels
    const affine = values.rotate !== undefined || values.zoom !== undefined ||
        values.intensity !== undefined || values.flip
      ? {
        shift: frac("augment", values.augment, 4),
        flip: values.flip as boolean,
        rotate: frac("rotate", values.rotate ?? 0, 45),
        zoom: frac("zoom", values.zoom ?? 0, 0.5),
        intensity: frac("intensity", values.intensity ?? 0, 0.5),
      }
      : undefined;
    assertNotInput(out, []);
    const { initBackend } = await import("../nn/backend.ts");
    const prefer = values.backend as string | undefined;
    if (prefer !== undefined && prefer !== "cpu" && prefer !== "wasm" && prefer !== "tensorflow") {
      throw new MedCryptError(
        "usage",
        `--backend must be cpu, wasm or tensorflow, not '${prefer}'`,
      );
    }
    const backend = await initBackend(prefer);
    const r = await trainHeFriendly({
      seed: num("seed", values.seed),
      epochs: num("epochs", values.epochs),
      activation: act,
      filters: num("filters", values.filters),
      hidden: num("hidden", values.hidden),
      augment: Number(values.augment),
      classWeight: cwOf(values["class-weight"]),
      learningRate: values.lr === undefined ? undefined : lrOf(values.lr),
      affine,
      schedule,
      labelSmoothing,
    });
    const command = `deno task medcrypt he-train ${args.join(" ")}`;
    await saveHeModel(out, { ...r.model, meta: { ...r.model.meta, backend, command } });
    console.log(
      `wrote ${out}: test accuracy ${r.testAccuracy.toFixed(4)}, val ${
        r.valAccuracy.toFixed(4)
      } (val loss ${
        r.valLoss.toFixed(4)
      }, seed ${values.seed}, ${values.epochs} epochs, ${backend} backend)`,
    );
    return 0;
  },
};

/** The he commands. */
export const commands: Command[] = [heInfer, heTrain];

/** Presets offered by `--preset`. */
export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);
