/**
 * Paper A's methods as one request each against a running service, and the same operation in
 * this process: what the load bench and the `paper-a-service` experiment time side by side.
 * Plaintext posts the image as NPY; AES+RSA seals it to the server's RSA key with this client's
 * public key as the reply address; HE registers this client's evaluation keys once, then sends
 * CKKS ciphertexts and decrypts the encrypted logits.
 *
 * @example
 * ```ts ignore
 * import { methodCalls } from "./methods.ts";
 * import { ServiceClient } from "./client.ts";
 * import { medImage } from "../image/types.ts";
 * const api = new ServiceClient("http://127.0.0.1:8443", Deno.env.get("MEDCRYPT_TOKEN"));
 * const calls = await methodCalls(api, [medImage(new Uint8Array(784), 28, 28)]);
 * console.log((await calls.remote.he(0)).label); // "normal" or "pneumonia"
 * calls.release();
 * ```
 * @module
 */
import { decryptImage, encryptImage, generateKeyPair } from "../envelope/mod.ts";
import { HeClient, imageToInput } from "../he/client.ts";
import { forwardProgram } from "../he/noise.ts";
import { loadShippedModel } from "../he/pipeline.ts";
import { compile } from "../he/plan.ts";
import { HeServer } from "../he/server.ts";
import { encodeNpy } from "../image/npy.ts";
import type { MedImage } from "../image/types.ts";
import type { ServiceClient } from "./client.ts";

/** The service's diagnosis methods. */
export type Method = "plain" | "envelope" | "he";

/** Every method, in the order of paper A's table. */
export const METHODS: readonly Method[] = ["plain", "envelope", "he"];

/** One remote diagnosis. */
export interface RemoteDiagnosis {
  /** Logits as the client reads them (decrypted for HE). */
  logits: number[];
  /** The label, argmax of the logits. */
  label: string;
  /** Request body bytes plus reply body bytes. */
  bodyBytes: number;
}

/** What {@linkcode methodCalls} returns. */
export interface MethodCalls {
  /** One diagnosis of image `i` by each method, through the service. */
  remote: Record<Method, (i: number) => Promise<RemoteDiagnosis>>;
  /** The same operation in this process (no socket, no HTTP). */
  inProcess: Record<Method, (i: number) => Promise<unknown>>;
  /** Bytes of the evaluation keys uploaded once (HE only). */
  keyBytes: number;
  /** The CKKS client's secret key, serialised: it must never appear on the wire. */
  secretKey: Uint8Array;
  /** Frees the CKKS objects. */
  release(): void;
}

/**
 * Prepares one call per method: registers fresh CKKS evaluation keys, makes this client's RSA
 * key pair and fetches the server's key.
 *
 * @param api a client of a running service
 * @param images the scans the calls diagnose, by index
 * @returns the calls
 * @example
 * ```ts ignore
 * import { methodCalls } from "./methods.ts";
 * const calls = await methodCalls(api, images);
 * const d = await calls.remote.envelope(0);
 * console.log(d.label, d.bodyBytes); // e.g. pneumonia 2241
 * ```
 */
export async function methodCalls(api: ServiceClient, images: MedImage[]): Promise<MethodCalls> {
  const model = await loadShippedModel();
  const remote = await api.spec();
  const he = await HeClient.create(remote.params, { compression: "none", seeded: true });
  const keys = he.evaluationKeys(remote.spec.rotations);
  const { bytes: keyBytes } = await api.registerKeys(keys);
  const local = await HeServer.create(model, keys);
  const me = await generateKeyPair(2048), server = await generateKeyPair(2048);
  const serverKey = await api.serverKey();
  const program = compile(model);
  const x = (img: MedImage) => imageToInput(img, remote.spec);
  const npy = images.map((img) => encodeNpy(img));
  const labelOf = (logits: number[]) => remote.labels[logits.indexOf(Math.max(...logits))];
  return {
    keyBytes,
    secretKey: he.exportSecretKey(),
    remote: {
      plain: async (i) => {
        const r = await api.plainInfer(npy[i]);
        // the reply is this JSON, byte for byte (the server serialises it the same way)
        const reply = new TextEncoder().encode(JSON.stringify(r)).length;
        return { ...r, bodyBytes: npy[i].length + reply };
      },
      envelope: async (i) => {
        const r = await api.envelopeInfer(images[i], me, serverKey);
        return { logits: r.logits, label: r.label, bodyBytes: r.sent + r.received };
      },
      he: async (i) => {
        const r = await api.infer(he.encryptSingle(remote.spec, [x(images[i])]));
        const logits = Array.from(he.decrypt(r.result).slice(0, remote.spec.classes));
        return { logits, label: labelOf(logits), bodyBytes: r.sent + r.received };
      },
    },
    inProcess: {
      plain: (i) => Promise.resolve(forwardProgram(program, x(images[i]))),
      envelope: async (i) => {
        const sealed = await encryptImage(images[i], server.publicKey);
        forwardProgram(program, x((await decryptImage(sealed, server.privateKey)).image));
      },
      he: async (i) =>
        he.decrypt(await local.evaluate(he.encryptSingle(remote.spec, [x(images[i])]))),
    },
    release() {
      local.delete();
      he.delete();
    },
  };
}
