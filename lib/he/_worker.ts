/**
 * Web Worker of the HE server: its own SEAL instance, context and evaluation keys (public only).
 * Batch mode: computes stage A for one part of the convolution's output rows. Latency mode (two
 * workers): computes its share of one image with {@linkcode LatencyEvaluator.evaluateSplit},
 * exchanging ciphertexts with the other worker over a `MessagePort` given at `init`.
 *
 * @module
 */
import type { Ciphertext } from "node-seal";
import { MedCryptError } from "../core/errors.ts";
import { batchStageA, Engine, LatencyEvaluator, type LatencyPeer, type Part } from "./_engine.ts";
import { modelFromJson } from "./model.ts";
import { makeContext } from "./params.ts";
import { compile, type HeProgram, latencyPlan } from "./plan.ts";
import { parsePublicEvaluationKeys } from "./protocol.ts";
import { loadSeal, sealHeapBytes } from "./seal.ts";
import { loadServerKeys } from "./server.ts";

let engine: Engine | undefined;
let program: HeProgram | undefined;
let latency: LatencyEvaluator | undefined;
let peer: LatencyPeer | undefined;

type Msg =
  | { type: "init"; model: Uint8Array; keys: unknown; port?: MessagePort }
  | { type: "stageA"; cts: Uint8Array[]; part: Part }
  | { type: "latency"; cts: Uint8Array[]; role: 0 | 1; seq: number };

/** Messages from the peer worker, tagged with the request they belong to. */
type PeerMsg = { seq: number; cts?: Uint8Array[]; abort?: boolean };
let seq = 0;

function makePeer(port: MessagePort): LatencyPeer & { abort(): void } {
  const inbox: PeerMsg[] = [];
  let waiter: ((m: PeerMsg) => void) | undefined;
  port.onmessage = (ev: MessageEvent<PeerMsg>) => {
    if (ev.data.seq < seq) return; // left over from a failed request
    if (waiter && ev.data.seq === seq) {
      const w = waiter;
      waiter = undefined;
      w(ev.data);
    } else inbox.push(ev.data);
  };
  const take = (m: PeerMsg) => {
    if (m.abort) throw new MedCryptError("he-worker-peer", "the other HE worker failed");
    return m.cts!;
  };
  return {
    send(cts) {
      port.postMessage({ seq, cts }, cts.map((b) => b.buffer as ArrayBuffer));
    },
    recv() {
      while (inbox.length && inbox[0].seq < seq) inbox.shift();
      if (inbox.length && inbox[0].seq === seq) {
        return Promise.resolve().then(() => take(inbox.shift()!));
      }
      return new Promise<PeerMsg>((r) => (waiter = r)).then(take);
    },
    abort() {
      port.postMessage({ seq, abort: true });
    },
  };
}

const scope = self as unknown as {
  onmessage: (ev: MessageEvent<Msg>) => void;
  postMessage: (m: unknown, t?: Transferable[]) => void;
};

scope.onmessage = async (ev: MessageEvent<Msg>) => {
  const msg = ev.data;
  try {
    if (msg.type === "init") {
      const keys = parsePublicEvaluationKeys(msg.keys);
      const seal = await loadSeal();
      const he = makeContext(seal, keys.params);
      const { relin, galois } = loadServerKeys(seal, he, keys);
      engine = new Engine(seal, he, relin, galois);
      program = compile(modelFromJson(msg.model));
      if (msg.port) {
        peer = makePeer(msg.port);
        latency = new LatencyEvaluator(engine, latencyPlan(program, he.slots));
      }
      scope.postMessage({ accs: [], heap: sealHeapBytes() });
    } else if (msg.type === "latency") {
      if (!engine || !latency || !peer) {
        throw new MedCryptError("he-worker", "worker not initialised for the latency mode");
      }
      seq = msg.seq;
      const e = engine;
      const ins = msg.cts.map((b) => b.length ? e.take() : undefined);
      let out: Uint8Array[] = [];
      let rotations = 0;
      try {
        ins.forEach((c, j) => c && e.loadQueryCiphertext(msg.cts[j], j, c));
        const r = await latency.evaluateSplit(ins, msg.role, peer);
        rotations = r.rotations;
        if (r.result) {
          try {
            out = [r.result.saveToArray(e.seal.ComprModeType.none) as Uint8Array];
          } finally {
            r.result.delete();
          }
        }
      } catch (err) {
        (peer as ReturnType<typeof makePeer>).abort();
        throw err;
      } finally {
        for (const c of ins) if (c) e.give(c);
      }
      scope.postMessage(
        { accs: out, heap: sealHeapBytes(), rotations },
        out.map((b) => b.buffer as ArrayBuffer),
      );
    } else {
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
      scope.postMessage(
        { accs: out, heap: sealHeapBytes() },
        out.map((b) => b.buffer as ArrayBuffer),
      );
    }
  } catch (e) {
    scope.postMessage({
      error: {
        code: e instanceof MedCryptError ? e.code : "he-worker",
        message: e instanceof Error ? e.message : String(e),
      },
    });
  }
};
