/**
 * Web Worker of the HE server: its own SEAL instance, context and evaluation keys (public only).
 * It computes the batch mode's stage A for one part of the convolution's output rows; the server
 * adds the parts' partial sums.
 *
 * @module
 */
import type { Ciphertext } from "node-seal";
import { MedCryptError } from "../core/errors.ts";
import { batchStageA, Engine, type Part } from "./_engine.ts";
import { modelFromJson } from "./model.ts";
import { makeContext } from "./params.ts";
import { compile, type HeProgram } from "./plan.ts";
import { parsePublicEvaluationKeys } from "./protocol.ts";
import { loadSeal, sealHeapBytes } from "./seal.ts";
import { loadServerKeys } from "./server.ts";

let engine: Engine | undefined;
let program: HeProgram | undefined;

type Msg =
  | { type: "init"; model: Uint8Array; keys: unknown }
  | { type: "stageA"; cts: Uint8Array[]; part: Part };

const scope = self as unknown as {
  onmessage: (ev: MessageEvent<Msg>) => void;
  postMessage: (m: unknown, t?: Transferable[]) => void;
};

async function init(msg: Extract<Msg, { type: "init" }>): Promise<void> {
  const keys = parsePublicEvaluationKeys(msg.keys);
  const seal = await loadSeal();
  const he = makeContext(seal, keys.params);
  const { relin, galois } = loadServerKeys(seal, he, keys);
  engine = new Engine(seal, he, relin, galois);
  program = compile(modelFromJson(msg.model));
  scope.postMessage({ accs: [], heap: sealHeapBytes() });
}

function stageA(msg: Extract<Msg, { type: "stageA" }>): void {
  if (!engine || !program) throw new MedCryptError("he-worker", "worker not initialised");
  const e = engine;
  const input = (i: number, into: Ciphertext) => e.loadQueryCiphertext(msg.cts[i], i, into);
  const accs = batchStageA(e, program, input, msg.part);
  const out: Uint8Array[] = [];
  try {
    for (const c of accs) {
      out.push(
        c.size() ? c.saveToArray(e.seal.ComprModeType.none) as Uint8Array : new Uint8Array(),
      );
    }
  } finally {
    for (const c of accs) c.delete();
  }
  scope.postMessage({ accs: out, heap: sealHeapBytes() }, out.map((b) => b.buffer as ArrayBuffer));
}

scope.onmessage = async (ev: MessageEvent<Msg>) => {
  const msg = ev.data;
  try {
    if (msg.type === "init") await init(msg);
    else stageA(msg);
  } catch (e) {
    scope.postMessage({
      error: {
        code: e instanceof MedCryptError ? e.code : "he-worker",
        message: e instanceof Error ? e.message : String(e),
      },
    });
  }
};
