/**
 * The he-infer category of the adversarial suite: what a user can hand encrypted inference
 * instead of a 28×28 8-bit scan. Images of the wrong size (never resized behind the user's back),
 * of another bit depth, signed data shifted into range, colour and stacked arrays, float arrays
 * holding NaN, ±Infinity or huge values; inputs handed straight to the client's encryption
 * (wrong length, NaN, ±Infinity, values far outside what preprocessing can produce, which CKKS
 * would overflow into a confident garbage diagnosis); and damaged model files. Every case must
 * be refused before anything is encrypted; a sample goes through `medcrypt he-infer`.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./mod.ts";
 * const r = await runSuite({ seed: 1, long: false, only: ["he-infer"] });
 * console.log(r.tallies[0].wrongSuccesses); // 0
 * ```
 * @module
 */
import { join } from "node:path";
import { Rng } from "../core/random.ts";
import { HeClient, imageToInput } from "../he/client.ts";
import { loadHeModel, modelToJson } from "../he/model.ts";
import { preset } from "../he/params.ts";
import { SHIPPED_MODEL_PATH } from "../he/pipeline.ts";
import { type ClientSpec, clientSpec } from "../he/spec.ts";
import { readImage } from "../image/mod.ts";
import { encodeNpy } from "../image/npy.ts";
import { encodePng } from "../image/png.ts";
import { medImage } from "../image/types.ts";
import { type AdversarialCase, runCli } from "./harness.ts";
import type { BuiltCases, CaseSource, SuiteOptions } from "./types.ts";

/** An NPY file of any dtype and shape (the library writes only images). */
function npy(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  const dims = shape.join(", ") + (shape.length === 1 ? "," : "");
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  while ((10 + h.length + 1) % 64) h += " ";
  h += "\n";
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
  out.set(new TextEncoder().encode(h), 10);
  out.set(data, 10 + h.length);
  return out;
}

const bytesOf = (a: Float32Array | Float64Array | Int8Array) => new Uint8Array(a.buffer);

/** Image files that must not reach the encrypted model. */
function imageFiles(rng: Rng, long: boolean): [string, string, Uint8Array][] {
  const grey = (w: number, h: number) =>
    encodeNpy(medImage(Uint8Array.from({ length: w * h }, () => rng.int(256)), w, h));
  const f32 = (fill: number, at?: number, v?: number) => {
    const a = new Float32Array(784).fill(fill);
    if (at !== undefined) a[at] = v!;
    return npy("<f4", [28, 28], bytesOf(a));
  };
  const files: [string, string, Uint8Array][] = [
    ["27×28 (one column short)", "npy", grey(27, 28)],
    ["28×27", "npy", grey(28, 27)],
    ["56×56 (twice the size)", "npy", grey(56, 56)],
    ["1×1", "npy", grey(1, 1)],
    ["784×1 (the right pixel count, flattened)", "npy", grey(784, 1)],
    ["a 512×512 scan", "npy", grey(512, 512)],
    ["28×28, 16-bit", "npy", encodeNpy(medImage(new Uint16Array(784).fill(40000), 28, 28))],
    ["28×28 PNG, 16-bit", "png", encodePng(medImage(new Uint16Array(784).fill(300), 28, 28))],
    ["28×28, 1-bit", "npy", npy("|b1", [28, 28], new Uint8Array(784).fill(1))],
    [
      "28×28 signed 8-bit (shifted into 0..255)",
      "npy",
      npy("|i1", [28, 28], bytesOf(Int8Array.from({ length: 784 }, (_, i) => (i % 200) - 100))),
    ],
    ["28×28×3 colour", "npy", npy("|u1", [28, 28, 3], new Uint8Array(2352))],
    ["3×28×28 stack", "npy", npy("|u1", [3, 28, 28], new Uint8Array(2352))],
    ["28×28 float with a NaN", "npy", f32(0.5, rng.int(784), NaN)],
    ["28×28 float with +Infinity", "npy", f32(0.5, rng.int(784), Infinity)],
    ["28×28 float with -Infinity", "npy", f32(0.5, rng.int(784), -Infinity)],
    ["28×28 float with 1e30", "npy", f32(0.5, rng.int(784), 1e30)],
    ["28×28 float, all 1e30", "npy", f32(1e30)],
    ["28×28 float in 0..1 (already normalised)", "npy", f32(0.25, 5, 0.75)],
    [
      "28×28 float64 with a NaN",
      "npy",
      npy("<f8", [28, 28], bytesOf(new Float64Array(784).fill(NaN))),
    ],
    ["an empty file", "npy", new Uint8Array()],
  ];
  for (let k = 0; k < (long ? 300 : 6); k++) {
    let w = 1 + rng.int(64);
    const h = 1 + rng.int(64);
    if (w === 28 && h === 28) w = 29;
    files.push([`${w}×${h} (random size)`, "npy", grey(w, h)]);
  }
  return files;
}

function imageCases(
  files: [string, string, Uint8Array][],
  spec: ClientSpec,
  dir: string,
): AdversarialCase[] {
  return files.map(([what, ext, bytes], i) => {
    const p = join(dir, `img-${i}.${ext}`);
    return {
      category: "he-infer",
      name: `image: ${what}`,
      message: /^`[^`]+`: /,
      async run() {
        await Deno.writeFile(p, bytes);
        return imageToInput(await readImage(p), spec, p);
      },
    };
  });
}

/** Inputs handed straight to the client: refused before a ciphertext is made. */
function inputCases(
  client: HeClient,
  spec: ClientSpec,
  rng: Rng,
  long: boolean,
): AdversarialCase[] {
  const px = spec.inputShape[0] * spec.inputShape[1];
  const base = () => Float64Array.from({ length: px }, () => rng.next());
  const cases: AdversarialCase[] = [];
  const add = (what: string, x: Float64Array, message?: RegExp) => {
    for (const mode of ["single", "batch"] as const) {
      cases.push({
        category: "he-infer",
        name: `input (${mode}): ${what}`,
        message,
        run: () =>
          Promise.resolve().then(() =>
            mode === "single"
              ? client.encryptSingle(spec, [x])
              : client.encryptBatch(spec, [base(), x])
          ),
      });
    }
  };
  add(`${px - 1} values`, base().subarray(1), /values/);
  add(`${px + 1} values`, new Float64Array(px + 1), /values/);
  add("no values", new Float64Array(0), /values/);
  const specials: [string, number][] = [
    ["NaN", NaN],
    ["+Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["1e6", 1e6],
    ["-1e300", -1e300],
    ["the largest double", Number.MAX_VALUE],
  ];
  for (let k = 0; k < (long ? 40 : 1); k++) {
    for (const [what, v] of specials) {
      const x = base(), at = rng.int(px);
      x[at] = v;
      add(`${what} at value ${at}`, x, /finite numbers within/);
    }
  }
  return cases;
}

/** Model files that must be refused when loaded. */
async function modelCases(dir: string, rng: Rng, long: boolean): Promise<AdversarialCase[]> {
  const good = await Deno.readTextFile(SHIPPED_MODEL_PATH);
  const j = JSON.parse(good);
  const edit = (f: (m: typeof j) => void) => {
    const m = structuredClone(j);
    f(m);
    return JSON.stringify(m);
  };
  const files: [string, string][] = [
    ["an empty file", ""],
    ["not JSON", "model: yes"],
    ["a JSON array", "[]"],
    ["another format", edit((m) => (m.format = "keras/2"))],
    ["no layers", edit((m) => (m.layers = []))],
    ["a layer of an unknown kind", edit((m) => (m.layers[0].kind = "lstm"))],
    ["first layer's weights one short", edit((m) => m.layers[0].weights.pop())],
    ["last layer's bias one long", edit((m) => m.layers.at(-1).bias.push(0))],
    ["input shape 0×0", edit((m) => (m.inputShape = [0, 0]))],
    ["input shape -28×28", edit((m) => (m.inputShape = [-28, 28]))],
    ["input shape 1e6×1e6", edit((m) => (m.inputShape = [1e6, 1e6]))],
    ["input shape of strings", edit((m) => (m.inputShape = ["28", "28"]))],
    ["an unknown input normalisation", edit((m) => (m.inputNorm = "zscore"))],
    [
      "a weight of 1e999 (Infinity once parsed)",
      good.replace(/("weights":\s*\[\s*)(-?[\d.e+-]+)/, "$11e999"),
    ],
    ["a weight that is a string", edit((m) => (m.layers[0].weights[0] = "0.1"))],
    ["a weight that is null", edit((m) => (m.layers[0].weights[0] = null))],
  ];
  for (let k = 0; k < (long ? 300 : 4); k++) {
    const cut = 1 + rng.int(good.length - 2);
    files.push([`cut to ${cut} of ${good.length} characters`, good.slice(0, cut)]);
  }
  return files.map(([what, text], i) => {
    const p = join(dir, `model-${i}.json`);
    return {
      category: "he-infer",
      name: `model file: ${what}`,
      message: /^`[^`]+`: /,
      async run() {
        await Deno.writeTextFile(p, text);
        return await loadHeModel(p);
      },
    };
  });
}

/** A sample through `medcrypt he-infer`: refused with one clear line, nothing encrypted. */
function cliCases(files: [string, string, Uint8Array][], dir: string): AdversarialCase[] {
  const pick = [0, 2, 6, 9, 12, 13, 17];
  const cases = pick.map((i): AdversarialCase => {
    const [what, ext, bytes] = files[i];
    const p = join(dir, `cli-${i}.${ext}`);
    return {
      category: "he-infer",
      name: `image: ${what} (medcrypt he-infer)`,
      async run() {
        await Deno.writeFile(p, bytes);
        return await runCli("he-infer", "--in", p);
      },
    };
  });
  const model = join(dir, "cli-model.json");
  cases.push({
    category: "he-infer",
    name: "model file cut short (medcrypt he-infer --model)",
    async run() {
      await Deno.writeTextFile(model, (await Deno.readTextFile(SHIPPED_MODEL_PATH)).slice(0, 500));
      return await runCli("he-infer", "--in", join(dir, "cli-0.npy"), "--model", model);
    },
  });
  return cases;
}

/** The he-infer category. */
export const source: CaseSource = {
  category: "he-infer",
  async build(o: SuiteOptions): Promise<BuiltCases> {
    const rng = new Rng(o.seed);
    const model = await loadHeModel(SHIPPED_MODEL_PATH);
    const params = preset("ckks-8192-d5");
    const spec = clientSpec(model, params);
    const client = await HeClient.create(params);
    const files = imageFiles(rng, o.long);
    // A model round-trip that must load: the model cases edit a file that is valid.
    await loadHeModel(await writeModel(o.workDir, modelToJson(model)));
    const cases = [
      ...imageCases(files, spec, o.workDir),
      ...inputCases(client, spec, rng, o.long),
      ...await modelCases(o.workDir, rng, o.long),
      ...cliCases(files, o.workDir),
    ];
    return { cases, close: () => Promise.resolve(client.delete()) };
  },
};

async function writeModel(dir: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, "model-valid.json");
  await Deno.writeFile(p, bytes);
  return p;
}
