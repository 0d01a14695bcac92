import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { medImage } from "../image/types.ts";
import {
  clientSpec,
  compile,
  errorBound,
  HeClient,
  heFriendlyPredictPlain,
  HeServer,
  imageToInput,
  PRESETS,
  type PublicEvaluationKeys,
  tinyModel,
} from "./mod.ts";
import { loadSeal } from "./seal.ts";
import { makeContext } from "./params.ts";

const params = PRESETS["ckks-8192-d3"];
const model = tinyModel(1);
const spec = clientSpec(model, params);

function images(n: number, seed = 0): Uint8Array[] {
  return Array.from(
    { length: n },
    (_, k) => new Uint8Array(16).map((_, i) => (i * 37 + k * 53 + seed * 11) % 256),
  );
}

async function rejects(p: Promise<unknown> | (() => unknown), code: string, re?: RegExp) {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    assert.ok(e instanceof MedCryptError, `expected MedCryptError, got ${e}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return;
  }
  assert.fail(`expected an error with code ${code}`);
}

Deno.test("he: every preset is accepted by SEAL at 128-bit security; too many bits are refused", async () => {
  const seal = await loadSeal();
  for (const p of Object.values(PRESETS)) {
    const ctx = makeContext(seal, p);
    assert.equal(ctx.primes.length, p.coeffBits.length - 1);
    ctx.delete();
  }
  await rejects(
    () =>
      makeContext(seal, {
        ...PRESETS["ckks-4096-d3"],
        name: "too-big",
        coeffBits: [40, 40, 40, 40],
      }),
    "he-bad-params",
    /128-bit/,
  );
});

Deno.test("he: client → server → client matches the plaintext model within the derived bound (both modes)", async () => {
  const client = await HeClient.create(params);
  const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
  try {
    const imgs = images(5);
    const xs = imgs.map((im) => imageToInput(medImage(im, 4, 4), spec));
    const plain = heFriendlyPredictPlain(model, new Uint8Array(imgs.flatMap((a) => [...a])));
    const prog = compile(model);
    for (const mode of ["single", "batch"] as const) {
      const q = mode === "single" ? client.encryptSingle(spec, xs) : client.encryptBatch(spec, xs);
      const enc = client.decrypt(await server.evaluate(q));
      const bound = errorBound(prog, params, [xs], mode).logits;
      assert.ok(bound < 1e-3, `bound ${bound} should be informative`);
      for (let i = 0; i < plain.length; i++) {
        assert.ok(
          Math.abs(enc[i] - plain[i]) <= bound,
          `${mode} logit ${i}: |${enc[i]} - ${plain[i]}| > ${bound}`,
        );
      }
    }
    // the rotations used are exactly the ones the Galois keys were made for
    assert.deepEqual([...server.keys.galoisSteps], [...spec.rotations]);
  } finally {
    server.delete();
    client.delete();
  }
});

Deno.test("he: a bundle with a secret key does not compile and is refused at run time", async () => {
  const client = await HeClient.create(params);
  try {
    const keys = client.evaluationKeys(spec.rotations);
    const sk = client.exportSecretKey();
    if (false as boolean) {
      // @ts-expect-error the server's key type has `secretKey?: never`
      await HeServer.create(model, { ...keys, secretKey: sk });
      // @ts-expect-error a client (which holds the secret key) is not a key bundle
      await HeServer.create(model, client);
      // @ts-expect-error a plain object is not a (branded) key bundle
      await HeServer.create(model, { kind: "he-public-keys" });
    }
    const smuggled = { ...keys, secretKey: sk } as unknown as PublicEvaluationKeys;
    await rejects(HeServer.create(model, smuggled), "he-secret-key-refused", /secret key/);
    // secret-key bytes in place of the relinearization keys are not accepted either
    const swapped = { ...keys, relinKeys: sk } as unknown as PublicEvaluationKeys;
    await rejects(HeServer.create(model, swapped), "he-bad-keys", /relinKeys/);
  } finally {
    client.delete();
  }
});

Deno.test("he: ciphertexts from another context or key, wrong scale or level are refused clearly", async () => {
  const seal = await loadSeal();
  const client = await HeClient.create(params);
  const other = await HeClient.create(params); // same context, another key
  const otherCtx = await HeClient.create(PRESETS["ckks-4096-d3"]);
  const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
  const he = makeContext(seal, params);
  try {
    const x = imageToInput(medImage(images(1)[0], 4, 4), spec);
    // another key
    await rejects(server.evaluate(other.encryptSingle(spec, [x])), "he-wrong-key", /key/);
    // another context (message level)
    const q2 = otherCtx.encryptSingle(clientSpec(model, PRESETS["ckks-4096-d3"]), [x]);
    await rejects(server.evaluate(q2), "he-wrong-context");
    // another context's bytes under this context's labels (SEAL level)
    const good = client.encryptSingle(spec, [x]);
    await rejects(
      server.evaluate({ ...good, ciphertexts: q2.ciphertexts }),
      "he-wrong-context",
      /ciphertext 0/,
    );
    // wrong scale / wrong level: re-made by someone holding the key
    const enc = new seal.CKKSEncoder(he.context);
    const ev = new seal.Evaluator(he.context);
    const ct = new seal.Ciphertext();
    ct.loadFromArray(he.context, good.ciphertexts[0]);
    const scaled = ct.copy();
    scaled.setScale(2 ** 41);
    await rejects(
      server.evaluate({ ...good, ciphertexts: [scaled.saveToArray(seal.ComprModeType.none)] }),
      "he-wrong-scale",
      /2\^41/,
    );
    const lowered = ct.copy();
    ev.cipherModSwitchToNextInplace(lowered);
    await rejects(
      server.evaluate({ ...good, ciphertexts: [lowered.saveToArray(seal.ComprModeType.none)] }),
      "he-wrong-level",
    );
    for (const o of [enc, ev, ct, scaled, lowered]) o.delete();
    // the client refuses a result for another key
    const r = await server.evaluate(good);
    assert.throws(
      () => other.decrypt(r),
      (e: unknown) => (e as MedCryptError).code === "he-wrong-key",
    );
  } finally {
    he.delete();
    server.delete();
    for (const c of [client, other, otherCtx]) c.delete();
  }
});

Deno.test("he: images of the wrong size or bit depth, and models too deep, are refused", async () => {
  assert.throws(
    () => imageToInput(medImage(new Uint8Array(25), 5, 5), spec, "x.npy"),
    (e: unknown) =>
      (e as MedCryptError).code === "bad-shape" && /x\.npy.*5×5.*4×4/.test((e as Error).message),
  );
  assert.throws(
    () => imageToInput(medImage(new Uint16Array(16), 4, 4, { bitDepth: 12 }), spec),
    (e: unknown) =>
      (e as MedCryptError).code === "bad-bit-depth" && /12/.test((e as Error).message),
  );
  const deep = {
    ...model,
    layers: [...model.layers, {
      kind: "act" as const,
      poly: { c0: 0, c1: 0, c2: 1 },
      name: "square",
    }, {
      kind: "dense" as const,
      units: 2,
      weights: new Float64Array(4).fill(0.5),
      bias: new Float64Array(2),
    }],
  };
  await rejects(() => clientSpec(deep, params), "he-model-too-deep", /depth 5.*allows 3/);
  const client = await HeClient.create(params);
  try {
    const keys = client.evaluationKeys(spec.rotations);
    await rejects(HeServer.create(deep, keys), "he-model-too-deep");
  } finally {
    client.delete();
  }
});

Deno.test("he: NaN, ±Infinity and values beyond any preprocessed pixel are refused before encryption", async () => {
  // tinyModel takes 4×4 inputs, so the bound is max(1, √16) = 4. Before the check NaN was
  // encrypted silently and ±Infinity or 1e6 threw WebAssembly exceptions from the encoder.
  const client = await HeClient.create(params);
  try {
    for (const v of [NaN, Infinity, -Infinity, 1e6, -4.01]) {
      const x = new Float64Array(16).fill(0.5);
      x[7] = v;
      await rejects(
        () => client.encryptSingle(spec, [x]),
        "bad-input",
        /input value 7 is .*finite numbers within ±4/,
      );
      await rejects(() => client.encryptBatch(spec, [new Float64Array(16), x]), "bad-input");
    }
    const edge = new Float64Array(16).fill(-4);
    assert.equal(client.encryptSingle(spec, [edge]).count, 1);
  } finally {
    client.delete();
  }
});

Deno.test("he: a signed image shifted into 0..255 is refused, not classified as if it were stored that way", async () => {
  const { ndArrayToImage } = await import("../image/npy.ts");
  const img = ndArrayToImage({
    dtype: "i1",
    shape: [4, 4],
    data: Int8Array.from({ length: 16 }, (_, i) => i - 8),
  });
  await rejects(
    () => imageToInput(img, spec, "s.npy"),
    "bad-values",
    /^`s.npy`: image values were mapped/,
  );
});

Deno.test("he: model files with no layers, a bad input shape or non-numeric weights are refused", async () => {
  const { modelFromJson, modelToJson } = await import("./model.ts");
  const good = JSON.parse(new TextDecoder().decode(modelToJson(model)));
  const bad = (edit: (m: typeof good) => void) => {
    const m = structuredClone(good);
    edit(m);
    return new TextEncoder().encode(JSON.stringify(m));
  };
  const cases: [Uint8Array, RegExp][] = [
    [bad((m) => (m.layers = [])), /no layers/],
    [bad((m) => (m.inputShape = ["4", "4"])), /input shape/],
    [bad((m) => (m.layers[0].weights[0] = null)), /weights\[0\] is null, not a finite number/],
    [bad((m) => (m.layers[0].weights[0] = "0.1")), /not a finite number/],
    [
      new TextEncoder().encode(
        JSON.stringify(good).replace(/("weights":\[)(-?[\d.e+-]+)/, "$11e999"),
      ),
      /is null|Infinity|not a finite/,
    ],
  ];
  for (const [bytes, re] of cases) {
    await rejects(() => modelFromJson(bytes, "m.json"), "bad-model", re);
  }
});
