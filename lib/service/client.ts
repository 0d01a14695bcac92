/**
 * The typed client of the diagnostic service: health, the model's client spec, key registration,
 * encrypted inference, envelope inference (AES+RSA), storage of `.mce` scans at rest and the
 * plaintext baseline over HTTP(S), and {@linkcode remoteEncryptedInference},
 * which does what `he/pipeline.ts`'s in-process `encryptedInference` does with the server on the
 * other side of a socket: the secret key never leaves this process, and every byte that crosses
 * the wire is counted.
 *
 * @example
 * ```ts ignore
 * import { remoteEncryptedInference, ServiceClient } from "./client.ts";
 * const api = new ServiceClient("http://127.0.0.1:8443", token);
 * const run = await remoteEncryptedInference(api, [x]);
 * console.log(run.labels[0], run.wire.queryBytes > 0); // pneumonia true
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { HeClient } from "../he/client.ts";
import type { HeParams } from "../he/params.ts";
import type { EncryptedQuery, EncryptedResult, PublicEvaluationKeys } from "../he/protocol.ts";
import type { ClientSpec } from "../he/spec.ts";
import { decrypt } from "../envelope/envelope.ts";
import { encryptImage } from "../envelope/image.ts";
import {
  exportPublicPem,
  importPublicPem,
  type KeyPair,
  type PublicKey,
} from "../envelope/keys.ts";
import type { MedImage } from "../image/types.ts";
import type { MetricsSnapshot } from "./metrics.ts";
import type { ScanRecord } from "./store.ts";
import { ENVELOPE_TYPE, keysToWire, queryToWire, resultFromWire, WIRE_TYPE } from "./wire.ts";

/** What `GET /v1/he/spec` returns. */
export interface RemoteSpec {
  /** Preset name. */
  preset: string;
  /** Its CKKS parameters. */
  params: HeParams;
  /** What the client needs to encrypt for the served model. */
  spec: ClientSpec;
  /** Class names in logit order. */
  labels: string[];
}

/** A client of one service. */
export class ServiceClient {
  readonly #http?: Deno.HttpClient;
  /** Body bytes sent and received so far. */
  readonly traffic = { sent: 0, received: 0 };

  /**
   * @param url the service's base URL, e.g. `http://127.0.0.1:8443`
   * @param token the client token (`medcrypt serve add-client` prints one)
   * @param options `caCert`: a PEM certificate to trust (a self-signed server)
   */
  constructor(readonly url: string, readonly token?: string, options: { caCert?: string } = {}) {
    if (options.caCert) this.#http = Deno.createHttpClient({ caCerts: [options.caCert] });
  }

  async #call(method: string, path: string, body?: Uint8Array, type?: string): Promise<Uint8Array> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (type) headers["content-type"] = type;
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body as Uint8Array<ArrayBuffer> | undefined,
        ...(this.#http ? { client: this.#http } : {}),
      });
    } catch (e) {
      throw new MedCryptError(
        "service-unreachable",
        `cannot reach ${this.url}: ${(e as Error).message}`,
      );
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    this.traffic.sent += body?.length ?? 0;
    this.traffic.received += bytes.length;
    if (!res.ok) throw serviceError(this.url, path, res.status, bytes);
    return bytes;
  }

  async #json<T>(method: string, path: string, body?: Uint8Array, type?: string): Promise<T> {
    return JSON.parse(new TextDecoder().decode(await this.#call(method, path, body, type))) as T;
  }

  /** @returns the service's health and the model it serves */
  health(): Promise<
    { status: string; model: { inputShape: [number, number]; classes: string[] } }
  > {
    return this.#json("GET", "/v1/health");
  }

  /** @returns the service's counters */
  metrics(): Promise<MetricsSnapshot & { queueDepth: number }> {
    return this.#json("GET", "/v1/metrics");
  }

  /**
   * @param preset CKKS preset name
   * @returns the parameters and client spec of the served model under that preset
   */
  spec(preset = "ckks-8192-d5"): Promise<RemoteSpec> {
    return this.#json("GET", `/v1/he/spec?preset=${encodeURIComponent(preset)}`);
  }

  /**
   * Uploads evaluation keys (idempotent).
   *
   * @param keys the public evaluation keys
   * @returns the key id, whether it was new, and the bytes sent
   */
  async registerKeys(
    keys: PublicEvaluationKeys,
  ): Promise<{ keyId: string; created: boolean; bytes: number }> {
    const body = keysToWire(keys);
    const r = await this.#json<{ keyId: string; created: boolean }>(
      "POST",
      "/v1/he/keys",
      body,
      WIRE_TYPE,
    );
    return { ...r, bytes: body.length };
  }

  /**
   * @param query an encrypted query
   * @returns the encrypted result and the bytes of request and reply
   */
  async infer(
    query: EncryptedQuery,
  ): Promise<{ result: EncryptedResult; sent: number; received: number }> {
    const body = queryToWire(query);
    const reply = await this.#call("POST", "/v1/he/infer", body, WIRE_TYPE);
    return { result: resultFromWire(reply), sent: body.length, received: reply.length };
  }

  /**
   * The plaintext baseline: the server sees the image.
   *
   * @param image an NPY, PNG or DICOM file's bytes
   * @returns the logits and label
   */
  plainInfer(image: Uint8Array): Promise<{ logits: number[]; label: string }> {
    return this.#json("POST", "/v1/plain/infer", image, "application/octet-stream");
  }

  /**
   * The server's RSA public key, checked against `pin` (a fingerprint the client already trusts)
   * when given.
   *
   * @param pin expected hex SHA-256 fingerprint
   * @returns the key
   */
  async serverKey(pin?: string): Promise<PublicKey> {
    const r = await this.#json<{ publicKey: string; fingerprint: string }>(
      "GET",
      "/v1/envelope/key",
    );
    const key = await importPublicPem(r.publicKey, { file: `${this.url}/v1/envelope/key` });
    if (key.fingerprint !== r.fingerprint || (pin !== undefined && key.fingerprint !== pin)) {
      throw new MedCryptError(
        "wrong-server-key",
        `${this.url} offers RSA key ${key.fingerprint.slice(0, 16)}…, not the expected ${
          (pin ?? r.fingerprint).slice(0, 16)
        }…`,
      );
    }
    return key;
  }

  /**
   * Paper A's AES+RSA method: seals the image to the server's key with this client's public key
   * as the reply address, and opens the sealed diagnosis that comes back.
   *
   * @param image the scan
   * @param identity this client's RSA key pair (the diagnosis is sealed to its public half)
   * @param serverKey the server's key (default: fetched with {@linkcode ServiceClient.serverKey})
   * @returns the diagnosis and the bytes of request and reply
   */
  async envelopeInfer(
    image: MedImage,
    identity: KeyPair,
    serverKey?: PublicKey,
  ): Promise<{ logits: number[]; label: string; sent: number; received: number }> {
    const to = serverKey ?? await this.serverKey();
    const body = await encryptImage(image, to, {
      extraMetadata: { replyTo: await exportPublicPem(identity.publicKey) },
    });
    const reply = await this.#call("POST", "/v1/envelope/infer", body, ENVELOPE_TYPE);
    const opened = await decrypt(reply, identity.privateKey, { file: "the service's reply" });
    if (opened.metadata?.kind !== "diagnosis") {
      throw new MedCryptError(
        "bad-reply",
        `${this.url} sent back an envelope that is no diagnosis`,
      );
    }
    const d = JSON.parse(new TextDecoder().decode(opened.data));
    return { logits: d.logits, label: d.label, sent: body.length, received: reply.length };
  }

  /**
   * @param envelope an `.mce` file's bytes (sealed to keys the server does not hold)
   * @returns the stored scan's record
   */
  storeScan(envelope: Uint8Array): Promise<ScanRecord> {
    return this.#json("POST", "/v1/scans", envelope, ENVELOPE_TYPE);
  }

  /** @returns this client's stored scans */
  async listScans(): Promise<ScanRecord[]> {
    return (await this.#json<{ scans: ScanRecord[] }>("GET", "/v1/scans")).scans;
  }

  /**
   * @param id a scan id
   * @returns the stored `.mce`, byte for byte
   */
  fetchScan(id: string): Promise<Uint8Array> {
    return this.#call("GET", `/v1/scans/${encodeURIComponent(id)}`);
  }

  /** @param id a scan id to delete */
  async deleteScan(id: string): Promise<void> {
    await this.#call("DELETE", `/v1/scans/${encodeURIComponent(id)}`);
  }

  /** Releases the TLS client, if any. */
  close(): void {
    this.#http?.close();
  }
}

function serviceError(url: string, path: string, status: number, bytes: Uint8Array): MedCryptError {
  let code = `http-${status}`, message = `HTTP ${status}`;
  try {
    const e = JSON.parse(new TextDecoder().decode(bytes)).error;
    if (typeof e?.code === "string") code = e.code;
    if (typeof e?.message === "string") message = e.message;
  } catch { /* not a JSON error: keep the status */ }
  return new MedCryptError(code, `${url}${path.split("?")[0]} answered ${status}: ${message}`);
}

/** What {@linkcode remoteEncryptedInference} returns. */
export interface RemoteRun {
  /** Decrypted logits, image-major. */
  logits: Float64Array;
  /** The label of each image. */
  labels: string[];
  /** Bytes on the wire: keys once, then queries and replies. */
  wire: { keysBytes: number; queryBytes: number; resultBytes: number };
  /** Wall time of the queries (encrypt, send, evaluate, receive, decrypt), ms. */
  inferenceMs: number;
  /** Key generation and registration, ms. */
  setupMs: number;
}

/**
 * Encrypted inference against a remote service, with the same choices as the in-process
 * pipeline: single mode sends seeded queries with the rotation keys, batch mode packs up to one
 * image per slot and needs no rotation keys.
 *
 * @param api the service client
 * @param inputs preprocessed images (`imageToInput`)
 * @param options preset and mode
 * @returns logits, labels, bytes and times
 * @example
 * ```ts ignore
 * const run = await remoteEncryptedInference(api, [x], { mode: "single" });
 * console.log(run.logits.length); // 2
 * ```
 */
export async function remoteEncryptedInference(
  api: ServiceClient,
  inputs: readonly Float64Array[],
  options: { preset?: string; mode?: "single" | "batch" } = {},
): Promise<RemoteRun> {
  const mode = options.mode ?? "single";
  const remote = await api.spec(options.preset);
  let t = performance.now();
  const client = await HeClient.create(remote.params, {
    compression: "none",
    seeded: mode === "single",
  });
  try {
    const reg = await api.registerKeys(
      client.evaluationKeys(mode === "single" ? remote.spec.rotations : []),
    );
    const setupMs = performance.now() - t;
    const k = remote.spec.classes, slots = remote.params.polyModulusDegree / 2;
    const logits = new Float64Array(inputs.length * k);
    let queryBytes = 0, resultBytes = 0;
    t = performance.now();
    const chunk = mode === "single" ? 1 : slots;
    for (let i = 0; i < inputs.length; i += chunk) {
      const part = inputs.slice(i, i + chunk);
      const q = mode === "single"
        ? client.encryptSingle(remote.spec, part)
        : client.encryptBatch(remote.spec, part);
      const r = await api.infer(q);
      queryBytes += r.sent;
      resultBytes += r.received;
      logits.set(client.decrypt(r.result), i * k);
    }
    const labels = inputs.map((_, i) => {
      const row = Array.from(logits.subarray(i * k, (i + 1) * k));
      return remote.labels[row.indexOf(Math.max(...row))];
    });
    return {
      logits,
      labels,
      wire: { keysBytes: reg.bytes, queryBytes, resultBytes },
      inferenceMs: performance.now() - t,
      setupMs,
    };
  } finally {
    client.delete();
  }
}
