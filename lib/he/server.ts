/**
 * The HE server: evaluates the HE-friendly model on encrypted images. It is built from the model
 * and a {@linkcode PublicEvaluationKeys} bundle only — its constructor's type has no place for a
 * secret key, and a run-time check refuses bundles with extra fields and key bytes that are not
 * relinearization/Galois keys of the context.
 *
 * Two modes: `single` (one image per ciphertext group; latency) and `batch` (one image per slot;
 * throughput, no rotations). With `workers: 2` (or more) the batch mode splits the convolution's
 * output rows over the Web Workers, each with its own SEAL instance, and adds their partial sums.
 * The single mode always evaluates in the calling thread: splitting one image over two workers
 * costs more in ciphertext exchange than it saves.
 *
 * @example
 * ```ts
 * import { HeClient, HeServer, clientSpec, PRESETS, tinyModel, heFriendlyPredictPlain } from "./mod.ts";
 * const model = tinyModel(1), params = PRESETS["ckks-8192-d3"];
 * const spec = clientSpec(model, params);
 * const client = await HeClient.create(params);
 * const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
 * const img = new Uint8Array(16).map((_, i) => i * 10);
 * const x = Float64Array.from(img, (v) => v / 255);
 * const logits = client.decrypt(await server.evaluate(client.encryptSingle(spec, [x])));
 * const plain = heFriendlyPredictPlain(model, img);
 * console.log(Math.abs(logits[0] - plain[0]) < 1e-2); // true
 * server.delete();
 * client.delete();
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import type { Ciphertext, GaloisKeys, RelinKeys } from "node-seal";
import { MedCryptError } from "../core/errors.ts";
import {
  batchStageA,
  batchStageB,
  Engine,
  LatencyEvaluator,
  type Part,
  partInputs,
} from "./_engine.ts";
import { type HeModel, modelToJson } from "./model.ts";
import { type HeContext, makeContext } from "./params.ts";
import { compile, type HeProgram, latencyPlan } from "./plan.ts";
import {
  type EncryptedQuery,
  type EncryptedResult,
  parsePublicEvaluationKeys,
  type PublicEvaluationKeys,
} from "./protocol.ts";
import { loadSeal, type Seal, sealErrorText } from "./seal.ts";
import { assertDepth } from "./spec.ts";

/** Options of {@linkcode HeServer.create}. */
export interface HeServerOptions {
  /**
   * Web Workers for the batch mode (default 1 = evaluate in this thread). With 2 or more, the
   * batch mode splits stage A over all of them; the single mode runs in this thread.
   */
  workers?: number;
}

/** Loads the SEAL objects of a key bundle, with clear errors. @internal */
export function loadServerKeys(
  seal: Seal,
  he: HeContext,
  keys: PublicEvaluationKeys,
): { relin: RelinKeys; galois: GaloisKeys } {
  if (keys.contextId !== he.contextId) {
    throw new MedCryptError(
      "he-wrong-context",
      `the keys were made for context ${keys.contextId}, not ${he.contextId} (${he.params.name})`,
    );
  }
  const keyId = createHash("sha256").update(keys.publicKey).digest("hex").slice(0, 16);
  if (keyId !== keys.keyId) {
    throw new MedCryptError("he-bad-keys", `keyId ${keys.keyId} does not match the public key`);
  }
  const relin = new seal.RelinKeys();
  const galois = new seal.GaloisKeys();
  try {
    try {
      relin.loadFromArray(he.context, keys.relinKeys);
    } catch (e) {
      throw new MedCryptError(
        "he-bad-keys",
        `relinKeys are not relinearization keys of this context: ${sealErrorText(e)}`,
      );
    }
    try {
      galois.loadFromArray(he.context, keys.galoisKeys);
    } catch (e) {
      throw new MedCryptError(
        "he-bad-keys",
        `galoisKeys are not Galois keys of this context: ${sealErrorText(e)}`,
      );
    }
    if (relin.size() < 1) throw new MedCryptError("he-bad-keys", "relinKeys hold no key");
  } catch (e) {
    relin.delete();
    galois.delete();
    throw e;
  }
  return { relin, galois };
}

interface WorkerHandle {
  worker: Worker;
  call(
    msg: unknown,
    transfer?: Transferable[],
  ): Promise<{ accs: Uint8Array[]; heap: number }>;
}

function spawnWorker(): WorkerHandle {
  const worker = new Worker(new URL("./_worker.ts", import.meta.url).href, { type: "module" });
  let pending: { resolve: (v: never) => void; reject: (e: unknown) => void } | undefined;
  worker.onmessage = (ev: MessageEvent) => {
    const p = pending;
    pending = undefined;
    if (!p) return;
    const d = ev.data as { error?: { code: string; message: string } };
    if (d.error) p.reject(new MedCryptError(d.error.code, d.error.message));
    else p.resolve(ev.data as never);
  };
  worker.onerror = (ev: ErrorEvent) => {
    ev.preventDefault();
    const p = pending;
    pending = undefined;
    p?.reject(new MedCryptError("he-worker", `HE worker failed: ${ev.message}`));
  };
  return {
    worker,
    call(msg, transfer = []) {
      return new Promise((resolve, reject) => {
        pending = { resolve: resolve as (v: never) => void, reject };
        worker.postMessage(msg, transfer);
      });
    },
  };
}

/** The server: no secret key anywhere in its state. */
export class HeServer {
  /** The key bundle it was built from. */
  readonly keys: PublicEvaluationKeys;
  /** The compiled program. */
  readonly program: HeProgram;
  /** Rotations per image in the latency mode (after the first evaluation). */
  get rotationsPerImage(): number {
    return this.#latency?.rotationsPerImage ?? 0;
  }
  /** Peak WASM heap bytes reported by the workers (0 without workers). */
  workerHeapBytes = 0;
  readonly #seal: Seal;
  readonly #he: HeContext;
  readonly #engine: Engine;
  #latency: LatencyEvaluator | undefined;
  readonly #relin: RelinKeys;
  readonly #galois: GaloisKeys;
  readonly #workers: WorkerHandle[];

  private constructor(
    seal: Seal,
    he: HeContext,
    keys: PublicEvaluationKeys,
    model: HeModel,
    workers: WorkerHandle[],
  ) {
    this.#seal = seal;
    this.#he = he;
    this.keys = keys;
    this.program = compile(model);
    assertDepth(this.program.depth, keys.params);
    const { relin, galois } = loadServerKeys(seal, he, keys);
    this.#relin = relin;
    this.#galois = galois;
    this.#engine = new Engine(seal, he, relin, galois);
    this.#workers = workers;
    if (HeServer.#hasLatencyKeys(keys)) {
      // keys for rotations were sent: prepare the latency mode now (checks the steps)
      try {
        this.#latencyEvaluator();
      } catch (e) {
        this.#engine.delete();
        relin.delete();
        galois.delete();
        throw e;
      }
    }
  }

  static #hasLatencyKeys(keys: PublicEvaluationKeys): boolean {
    return keys.galoisSteps.length > 1 || keys.galoisSteps[0] !== 1;
  }

  #latencyEvaluator(): LatencyEvaluator {
    if (!this.#latency) {
      this.#latency = new LatencyEvaluator(this.#engine, latencyPlan(this.program, this.#he.slots));
    }
    return this.#latency;
  }

  /**
   * Builds a server for `model` from public evaluation keys.
   *
   * @param model the HE-friendly model (weights stay with the server)
   * @param keys the client's public evaluation keys
   * @param options workers for the batch mode
   * @returns the server
   * @example
   * ```ts
   * import { HeClient, HeServer, clientSpec, PRESETS, tinyModel } from "./mod.ts";
   * const params = PRESETS["ckks-4096-d3"], model = tinyModel(1);
   * const client = await HeClient.create(params);
   * const server = await HeServer.create(model, client.evaluationKeys(clientSpec(model, params).rotations));
   * console.log(server.program.depth); // 3
   * server.delete();
   * client.delete();
   * ```
   */
  static async create(
    model: HeModel,
    keys: PublicEvaluationKeys,
    options: HeServerOptions = {},
  ): Promise<HeServer> {
    parsePublicEvaluationKeys(keys);
    const seal = await loadSeal();
    const he = makeContext(seal, keys.params);
    const nw = Math.max(1, options.workers ?? 1);
    const workers: WorkerHandle[] = [];
    let server: HeServer;
    try {
      server = new HeServer(seal, he, keys, model, []);
    } catch (e) {
      he.delete();
      throw e;
    }
    if (nw > 1) {
      const modelBytes = modelToJson(model);
      const plainKeys = { ...keys };
      for (let i = 0; i < nw; i++) workers.push(spawnWorker());
      try {
        await Promise.all(
          workers.map((w) => w.call({ type: "init", model: modelBytes, keys: plainKeys })),
        );
      } catch (e) {
        for (const w of workers) w.worker.terminate();
        server.delete();
        throw e;
      }
      server.#workers.push(...workers);
    }
    return server;
  }

  #checkQuery(q: EncryptedQuery) {
    if (q?.kind !== "he-query") throw new MedCryptError("he-bad-message", "not an encrypted query");
    if (q.contextId !== this.#he.contextId) {
      throw new MedCryptError(
        "he-wrong-context",
        `the query was encrypted under context ${q.contextId}; this server runs ${this.#he.contextId} (${this.#he.params.name})`,
      );
    }
    if (q.keyId !== this.keys.keyId) {
      throw new MedCryptError(
        "he-wrong-key",
        `the query was encrypted under key ${q.keyId}; this server holds evaluation keys of key ${this.keys.keyId}`,
      );
    }
  }

  /**
   * Evaluates the model on an encrypted query.
   *
   * @param query from {@linkcode HeClient.encryptSingle} or {@linkcode HeClient.encryptBatch}
   * @returns the encrypted logits
   * @example
   * ```ts
   * import { clientSpec, HeClient, HeServer, PRESETS, tinyModel } from "./mod.ts";
   * const model = tinyModel(1), params = PRESETS["ckks-4096-d3"];
   * const spec = clientSpec(model, params);
   * const client = await HeClient.create(params);
   * const server = await HeServer.create(model, client.evaluationKeys(spec.rotations));
   * const x = Float64Array.from({ length: 16 }, (_, i) => i / 15);
   * const result = await server.evaluate(client.encryptSingle(spec, [x]));
   * console.log(result.kind, result.count, result.classes); // he-result 1 2
   * console.log(result.ciphertexts.length); // 1 (the logits, readable by the client only)
   * server.delete();
   * client.delete();
   * ```
   */
  async evaluate(query: EncryptedQuery): Promise<EncryptedResult> {
    this.#checkQuery(query);
    const t0 = performance.now();
    const e = this.#engine;
    const out: Uint8Array[] = [];
    const mode = this.#seal.ComprModeType.none;
    if (query.mode === "single") {
      const per = query.ciphertexts.length / query.count;
      if (!Number.isInteger(per) || per < 1) {
        throw new MedCryptError("he-bad-message", "ciphertext count is not a multiple of images");
      }
      const ins: Ciphertext[] = [];
      try {
        for (let i = 0; i < per; i++) ins.push(new this.#seal.Ciphertext());
        for (let k = 0; k < query.count; k++) {
          for (let i = 0; i < per; i++) {
            e.loadQueryCiphertext(query.ciphertexts[k * per + i], k * per + i, ins[i]);
          }
          const r = this.#latencyEvaluator().evaluate(ins);
          try {
            out.push(r.saveToArray(mode) as Uint8Array);
          } finally {
            r.delete();
          }
        }
      } finally {
        for (const c of ins) c.delete();
      }
    } else if (query.mode === "batch") {
      const px = this.program.inputShape[0] * this.program.inputShape[1];
      if (query.ciphertexts.length !== px) {
        throw new MedCryptError(
          "bad-shape",
          `a batch query needs one ciphertext per pixel (${px}), got ${query.ciphertexts.length}`,
        );
      }
      const accs = await this.#stageA(query.ciphertexts);
      const logits = batchStageB(e, this.program, accs);
      try {
        for (const c of logits) out.push(c.saveToArray(mode) as Uint8Array);
      } finally {
        for (const c of logits) c.delete();
      }
    } else {
      throw new MedCryptError("he-bad-message", `unknown mode ${(query as { mode: string }).mode}`);
    }
    return this.#result(query, out, t0);
  }

  #result(query: EncryptedQuery, out: Uint8Array[], t0: number): EncryptedResult {
    return {
      kind: "he-result",
      mode: query.mode,
      contextId: this.#he.contextId,
      keyId: this.keys.keyId,
      count: query.count,
      classes: this.program.classes,
      ciphertexts: out,
      serverMs: performance.now() - t0,
    };
  }

  async #stageA(cts: readonly Uint8Array[]): Promise<Ciphertext[]> {
    const e = this.#engine;
    const input = (i: number, into: Ciphertext) => e.loadQueryCiphertext(cts[i], i, into);
    if (this.#workers.length === 0) {
      return batchStageA(e, this.program, input, { index: 0, of: 1 });
    }
    const of = this.#workers.length;
    const empty = new Uint8Array();
    const parts = await Promise.all(
      this.#workers.map((w, index) => {
        // send each worker only the input ciphertexts its part reads
        const part: Part = { index, of };
        const needed = partInputs(this.program, part);
        return w.call({ type: "stageA", cts: cts.map((c, i) => needed(i) ? c : empty), part });
      }),
    );
    this.workerHeapBytes = Math.max(this.workerHeapBytes, ...parts.map((p) => p.heap));
    const accs: Ciphertext[] = [];
    const tmp = new this.#seal.Ciphertext();
    try {
      for (const [pi, p] of parts.entries()) {
        for (const [o, bytes] of p.accs.entries()) {
          if (pi === 0) {
            const c = new this.#seal.Ciphertext();
            accs.push(c);
            if (bytes.length) c.loadFromArray(this.#he.context, bytes);
          } else if (bytes.length) {
            tmp.loadFromArray(this.#he.context, bytes);
            if (accs[o].size() === 0) accs[o].assign(tmp);
            else e.ev.addInplace(accs[o], tmp);
          }
        }
      }
    } catch (err) {
      for (const c of accs) c.delete();
      throw err;
    } finally {
      tmp.delete();
    }
    return accs;
  }

  /** Stops the workers and frees every SEAL object. */
  delete(): void {
    for (const w of this.#workers) w.worker.terminate();
    this.#engine.delete();
    this.#relin.delete();
    this.#galois.delete();
    this.#he.delete();
  }
}
