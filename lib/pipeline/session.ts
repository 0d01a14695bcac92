/**
 * Threat model of paper A's pipeline: for each protection method (Plaintext, AES, AES+RSA, HE)
 * one diagnostic request is run for real, and every adversary position records exactly the
 * values it would hold — nothing is described, everything is captured from the run:
 *
 * | position | sees |
 * | --- | --- |
 * | network eavesdropper | the bytes on the wire in both directions |
 * | storage | the bytes at rest (the stored scan) |
 * | inference server | what arrives at the server, and what it can compute from it |
 * | client | its own image and the returned diagnosis |
 * | public API user | the released output for a query of its choice |
 *
 * @example
 * ```ts ignore
 * import { runSession } from "./session.ts";
 * const s = await runSession("AES+RSA", image, services);
 * console.log(s.views.eavesdropper.kind); // "bytes"
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import type { MedImage } from "../image/types.ts";
import { decryptImage, encryptImage, type PrivateKey, type PublicKey } from "../envelope/mod.ts";
import type {
  ClientSpec,
  EncryptedQuery,
  EncryptedResult,
  HeClient,
  HeServer,
  PublicEvaluationKeys,
} from "../he/mod.ts";
import { aesGcmOpen, aesGcmSeal } from "../core/aes_gcm.ts";

/** The protection methods compared by paper A. */
export type Method = "Plaintext" | "AES" | "AES+RSA" | "HE";

/** The methods, in table order. */
export const METHODS: readonly Method[] = ["Plaintext", "AES", "AES+RSA", "HE"];

/** Adversary positions. */
export type Position = "eavesdropper" | "storage" | "server" | "client" | "apiUser";

/** The positions, in table order, with display names. */
export const POSITIONS: readonly { id: Position; name: string }[] = [
  { id: "eavesdropper", name: "network eavesdropper" },
  { id: "storage", name: "storage (data at rest)" },
  { id: "server", name: "inference server" },
  { id: "client", name: "client receiving the diagnosis" },
  { id: "apiUser", name: "public API user" },
];

/** What an adversary holds. */
export type View =
  | { kind: "bytes"; bytes: Uint8Array[]; note: string }
  | { kind: "image+output"; image: Uint8Array; probs: Float32Array; note: string }
  | {
    kind: "he-ciphertexts";
    query: EncryptedQuery;
    keys: PublicEvaluationKeys;
    result?: EncryptedResult;
    note: string;
  };

/** The services a session talks to (real keys, real models). */
export interface Services {
  /** Plaintext inference of the deployed classifier: `n × 28 × 28` bytes → `n × 2` probabilities. */
  infer: (images: Uint8Array, n: number) => Float32Array;
  /** Pre-shared AES-256-GCM key (the paper's "AES" row). */
  aesKey: CryptoKey;
  /** The server's RSA key pair (the "AES+RSA" row: an envelope to the server). */
  rsa: { publicKey: PublicKey; privateKey: PrivateKey };
  /** HE: the client (holds the secret key), the server (public keys only) and the spec. */
  he: { client: HeClient; server: HeServer; spec: ClientSpec; keys: PublicEvaluationKeys };
}

/** One request under one method, with what each position saw and the timings. */
export interface Session {
  /** The method. */
  method: Method;
  /** Released class probabilities (what the client gets back). */
  probs: Float32Array;
  /** Milliseconds: client-side protection, server side (decrypt/evaluate + inference), client-side unprotection. */
  ms: { client: number; server: number; clientAfter: number; total: number };
  /** Each position's view. */
  views: Record<Position, View>;
}

const softmax2 = (a: number, b: number) => {
  const m = Math.max(a, b), ea = Math.exp(a - m), eb = Math.exp(b - m);
  return Float32Array.from([ea / (ea + eb), eb / (ea + eb)]);
};

/**
 * Runs one diagnostic request for `image` under `method` and captures every position's view.
 *
 * @param method the protection method
 * @param image an 8-bit 28×28 image
 * @param services keys, models and servers
 * @returns the {@linkcode Session}
 * @example
 * ```ts
 * import { findInStore, runSession, type Services, viewBytes } from "./session.ts";
 * import { closeWorkers, generateKeyPair } from "../envelope/mod.ts";
 * import { medImage } from "../image/types.ts";
 * const services: Services = {
 *   infer: (_images, n) => new Float32Array(2 * n).fill(0.5), // a stand-in classifier
 *   aesKey: await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
 *     "encrypt",
 *     "decrypt",
 *   ]),
 *   rsa: await generateKeyPair(2048),
 *   he: {} as Services["he"], // only the "HE" method uses it
 * };
 * const scan = Uint8Array.from({ length: 28 * 28 }, (_, i) => i % 251);
 * const s = await runSession("AES+RSA", medImage(scan, 28, 28), services);
 * console.log(findInStore(viewBytes(s.views.eavesdropper), [scan])); // [ false ] (ciphertext)
 * console.log(findInStore(viewBytes(s.views.server), [scan])); // [ true ] (it holds the key)
 * console.log(s.probs); // Float32Array(2) [ 0.5, 0.5 ]
 * closeWorkers();
 * ```
 */
export async function runSession(
  method: Method,
  image: MedImage,
  services: Services,
): Promise<Session> {
  if (!(image.data instanceof Uint8Array) || image.bitDepth !== 8) {
    throw new MedCryptError("bad-bit-depth", "the pipeline takes 8-bit images");
  }
  const pixels = image.data;
  const t0 = performance.now();
  let t1 = t0, t2 = t0;
  let probs: Float32Array;
  let wire: View, stored: View, server: View;
  if (method === "Plaintext") {
    t1 = performance.now();
    probs = services.infer(pixels, 1);
    t2 = performance.now();
    wire = {
      kind: "image+output",
      image: pixels,
      probs,
      note: "the scan and the diagnosis in clear",
    };
    stored = { kind: "bytes", bytes: [pixels], note: "the scan in clear" };
    server = { kind: "image+output", image: pixels, probs, note: "the scan; computes the output" };
  } else if (method === "AES") {
    const sealed = await aesGcmSeal(services.aesKey, pixels);
    t1 = performance.now();
    const opened = await aesGcmOpen(services.aesKey, sealed);
    probs = services.infer(opened, 1);
    const reply = await aesGcmSeal(services.aesKey, new Uint8Array(probs.buffer.slice(0)));
    t2 = performance.now();
    await aesGcmOpen(services.aesKey, reply);
    wire = {
      kind: "bytes",
      bytes: [sealed, reply],
      note: "AES-256-GCM ciphertexts (query and reply)",
    };
    stored = { kind: "bytes", bytes: [sealed], note: "AES-256-GCM ciphertext of the scan" };
    server = {
      kind: "image+output",
      image: opened,
      probs,
      note: "holds the shared key: decrypts the scan, computes the output",
    };
  } else if (method === "AES+RSA") {
    const env = await encryptImage(image, services.rsa.publicKey);
    t1 = performance.now();
    const { image: opened } = await decryptImage(env, services.rsa.privateKey);
    probs = services.infer(opened.data as Uint8Array, 1);
    t2 = performance.now();
    wire = {
      kind: "bytes",
      bytes: [env],
      note: "the .mce envelope (RSA-OAEP-wrapped key, AES-256-GCM)",
    };
    stored = { kind: "bytes", bytes: [env], note: "the .mce envelope" };
    server = {
      kind: "image+output",
      image: opened.data as Uint8Array,
      probs,
      note: "holds the RSA private key: opens the envelope, computes the output",
    };
  } else {
    const { client, server: heServer, spec, keys } = services.he;
    const x = Float64Array.from(pixels, (v) => v / 255);
    const query = client.encryptSingle(spec, [x]);
    t1 = performance.now();
    const result = await heServer.evaluate(query);
    t2 = performance.now();
    const logits = client.decrypt(result);
    probs = softmax2(logits[0], logits[1]);
    wire = {
      kind: "bytes",
      bytes: [...query.ciphertexts, ...result.ciphertexts],
      note: "CKKS ciphertexts (query and encrypted logits)",
    };
    stored = { kind: "bytes", bytes: [...query.ciphertexts], note: "CKKS ciphertexts of the scan" };
    server = {
      kind: "he-ciphertexts",
      query,
      keys,
      result,
      note: "ciphertexts and public/relinearization/Galois keys; no secret key",
    };
  }
  const t3 = performance.now();
  const clientView: View = {
    kind: "image+output",
    image: pixels,
    probs,
    note: "its own scan and the diagnosis",
  };
  return {
    method,
    probs,
    ms: { client: t1 - t0, server: t2 - t1, clientAfter: t3 - t2, total: t3 - t0 },
    views: {
      eavesdropper: wire,
      storage: stored,
      server,
      client: clientView,
      apiUser: { kind: "image+output", image: pixels, probs, note: "the output for its query" },
    },
  };
}

/**
 * The bytes a view holds, as one flat list (for "attack on what the adversary sees").
 *
 * @param view a view
 * @returns its byte buffers
 * @example
 * ```ts
 * import { viewBytes } from "./session.ts";
 * console.log(viewBytes({ kind: "bytes", bytes: [new Uint8Array(3)], note: "" }).length); // 1
 * ```
 */
export function viewBytes(view: View): Uint8Array[] {
  if (view.kind === "bytes") return view.bytes;
  if (view.kind === "image+output") return [view.image, new Uint8Array(view.probs.buffer)];
  return [
    ...view.query.ciphertexts,
    view.keys.publicKey,
    view.keys.relinKeys,
    view.keys.galoisKeys,
    ...(view.result?.ciphertexts ?? []),
  ];
}

/**
 * Turns the first `size²` bytes of a ciphertext view into an image, for running an attack that
 * needs an input on what an adversary without the key actually holds.
 *
 * @param bytes the adversary's bytes
 * @param size image side
 * @returns `size²` bytes (zero-padded)
 * @example
 * ```ts
 * import { bytesAsImage } from "./session.ts";
 * console.log(bytesAsImage([new Uint8Array([7, 8])], 2)); // Uint8Array(4) [ 7, 8, 0, 0 ]
 * ```
 */
export function bytesAsImage(bytes: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  let off = 0;
  for (const b of bytes) {
    const take = Math.min(b.length, out.length - off);
    out.set(b.subarray(0, take), off);
    off += take;
    if (off >= out.length) break;
  }
  return out;
}

/**
 * For each needle, whether it occurs anywhere in the stored blobs — one pass over the store
 * (a rolling 6-byte key looked up among the needles' prefixes, then a full comparison), so a
 * store of hundreds of MB of ciphertexts is searched for hundreds of scans in seconds.
 *
 * @param store the stored blobs
 * @param needles the byte strings looked for (each at least 6 bytes)
 * @returns one flag per needle
 * @example
 * ```ts
 * import { findInStore } from "./session.ts";
 * const store = [Uint8Array.from([9, 1, 2, 3, 4, 5, 6, 7, 9])];
 * console.log(findInStore(store, [Uint8Array.from([1, 2, 3, 4, 5, 6, 7]), Uint8Array.from([2, 2, 2, 2, 2, 2])])); // [true, false]
 * ```
 */
export function findInStore(store: Uint8Array[], needles: Uint8Array[]): boolean[] {
  const K = 6;
  const byKey = new Map<number, number[]>();
  const keyOf = (b: Uint8Array, off: number) => {
    let k = 0;
    for (let j = 0; j < K; j++) k = k * 256 + b[off + j];
    return k;
  };
  needles.forEach((n, i) => {
    if (n.length < K) {
      throw new MedCryptError("bad-argument", `needle ${i} is shorter than ${K} bytes`);
    }
    const k = keyOf(n, 0);
    byKey.set(k, [...(byKey.get(k) ?? []), i]);
  });
  const found = needles.map(() => false);
  const top = 256 ** (K - 1);
  for (const blob of store) {
    if (blob.length < K) continue;
    let k = keyOf(blob, 0);
    for (let p = 0; p + K <= blob.length; p++) {
      if (p > 0) k = (k % top) * 256 + blob[p + K - 1];
      const hits = byKey.get(k);
      if (!hits) continue;
      for (const i of hits) {
        const n = needles[i];
        if (found[i] || p + n.length > blob.length) continue;
        let same = true;
        for (let j = K; j < n.length && same; j++) same = blob[p + j] === n[j];
        if (same) found[i] = true;
      }
    }
  }
  return found;
}
