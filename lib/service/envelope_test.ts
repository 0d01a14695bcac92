import assert from "node:assert/strict";
import { join } from "node:path";
import { closeWorkers, decrypt, encrypt, encryptImage, generateKeyPair } from "../envelope/mod.ts";
import { tinyModel } from "../he/model.ts";
import { encodeNpy } from "../image/npy.ts";
import { medImage } from "../image/types.ts";
import { containsBytes } from "../core/bytes.ts";
import { ServiceClient } from "./client.ts";
import { type RunningService, startService } from "./server.ts";
import { IDENTITY_FILE } from "./identity.ts";
import { ServiceStore } from "./store.ts";
import { errorOf } from "./_test_util.ts";
import { ENVELOPE_TYPE } from "./wire.ts";

const model = tinyModel(1);
const serverPair = await generateKeyPair(2048);
const alicePair = await generateKeyPair(2048);

/** A scan whose 16 pixel bytes are distinctive enough to search the state folder for. */
const scan = medImage(
  Uint8Array.from([201, 7, 99, 140, 33, 250, 18, 77, 163, 5, 222, 91, 64, 180, 12, 239]),
  4,
  4,
);

async function withService(
  fn: (svc: RunningService, api: ServiceClient, store: ServiceStore, dir: string) => Promise<void>,
  identity = serverPair,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = ServiceStore.open(dir);
  const { token } = store.addClient("alice");
  const svc = await startService({ store, model, port: 0, identity });
  try {
    await fn(svc, new ServiceClient(svc.url, token), store, dir);
  } finally {
    await svc.shutdown();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await filesUnder(p));
    else out.push(p);
  }
  return out;
}

Deno.test("service: envelope inference gives the plaintext diagnosis, sealed to the client; the scan is never written", async () => {
  await withService(async (_svc, api, _store, dir) => {
    const key = await api.serverKey(serverPair.publicKey.fingerprint);
    const sealed = await api.envelopeInfer(scan, alicePair, key);
    const plain = await api.plainInfer(encodeNpy(scan));
    assert.deepEqual(sealed.logits, plain.logits);
    assert.equal(sealed.label, plain.label);
    assert.ok(sealed.sent > 16 && sealed.received > 0);
    // nothing in the state folder (database, WAL, blobs) holds the scan's pixels
    for (const f of await filesUnder(dir)) {
      assert.ok(!containsBytes(await Deno.readFile(f), scan.data as Uint8Array), f);
    }
    assert.match(await errorOf(api.serverKey("00".repeat(32))), /^wrong-server-key: /);
  });
  closeWorkers();
});

Deno.test("service: envelope inference refuses foreign, reply-less, truncated and mistyped envelopes with 4xx JSON", async () => {
  await withService(async (svc, api, store) => {
    const token = store.addClient("eve").token;
    const post = (body: Uint8Array, type = ENVELOPE_TYPE) =>
      fetch(`${svc.url}/v1/envelope/infer`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": type },
        body: body as Uint8Array<ArrayBuffer>,
      });
    const replyTo = { replyTo: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" };
    const good = await encryptImage(scan, serverPair.publicKey, {
      extraMetadata: { replyTo: "x" },
    });
    const cases: [string, Uint8Array, string, number, RegExp][] = [
      [
        "sealed to another key",
        await encryptImage(scan, alicePair.publicKey),
        ENVELOPE_TYPE,
        400,
        /./,
      ],
      [
        "no replyTo",
        await encryptImage(scan, serverPair.publicKey),
        ENVELOPE_TYPE,
        400,
        /^no-reply-key$/,
      ],
      [
        "a replyTo that is no key",
        await encryptImage(scan, serverPair.publicKey, { extraMetadata: replyTo }),
        ENVELOPE_TYPE,
        400,
        /^bad-key$/,
      ],
      [
        "not an image envelope",
        await encrypt(new Uint8Array(9), serverPair.publicKey),
        ENVELOPE_TYPE,
        400,
        /^bad-metadata$/,
      ],
      ["truncated", good.subarray(0, good.length - 5), ENVELOPE_TYPE, 400, /./],
      ["not an envelope", new Uint8Array(64), ENVELOPE_TYPE, 400, /./],
      ["wrong content type", good, "application/octet-stream", 415, /^wrong-content-type$/],
    ];
    for (const [what, body, type, status, code] of cases) {
      const r = await post(body, type);
      const j = await r.json();
      assert.equal(r.status, status, `${what}: ${JSON.stringify(j)}`);
      assert.match(j.error.code, code, what);
      assert.ok(j.error.message.length > 10, what);
    }
    // still serving
    assert.equal((await api.envelopeInfer(scan, alicePair)).label.length > 0, true);
  });
  closeWorkers();
});

Deno.test("service: scans at rest are stored, listed, fetched byte for byte and deleted, per client only", async () => {
  await withService(async (svc, api, store) => {
    const mce = await encryptImage(scan, alicePair.publicKey);
    const rec = await api.storeScan(mce);
    assert.equal(rec.bytes, mce.length);
    assert.deepEqual((await api.listScans()).map((s) => s.id), [rec.id]);
    const back = await api.fetchScan(rec.id);
    assert.deepEqual(back, mce);
    assert.deepEqual((await decrypt(back, alicePair.privateKey)).data, scan.data);
    const bob = new ServiceClient(svc.url, store.addClient("bob").token);
    assert.deepEqual(await bob.listScans(), []);
    assert.match(await errorOf(bob.fetchScan(rec.id)), /^unknown-scan: .*404/);
    assert.match(await errorOf(bob.deleteScan(rec.id)), /^unknown-scan: .*404/);
    assert.match(
      await errorOf(api.storeScan(mce.subarray(0, mce.length - 1))),
      /^truncated: .*400/,
    );
    assert.match(await errorOf(api.storeScan(new Uint8Array(100))), /400/);
    assert.match(await errorOf(api.fetchScan("../../etc/passwd")), /404/);
    await api.deleteScan(rec.id);
    assert.deepEqual(await api.listScans(), []);
    assert.match(await errorOf(api.fetchScan(rec.id)), /^unknown-scan: .*404/);
  });
  closeWorkers();
});

Deno.test("service: the server's RSA identity is created once, owner-only, and survives a restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fingerprints: string[] = [];
    for (let run = 0; run < 2; run++) {
      const store = ServiceStore.open(dir);
      const token = run === 0 ? store.addClient("alice").token : undefined;
      const svc = await startService({ store, model, port: 0 });
      try {
        const t = token ?? (store.addClient(`c${run}`).token);
        fingerprints.push((await new ServiceClient(svc.url, t).serverKey()).fingerprint);
      } finally {
        await svc.shutdown();
        store.close();
      }
    }
    assert.equal(fingerprints[0], fingerprints[1]);
    assert.equal((await Deno.stat(join(dir, IDENTITY_FILE))).mode! & 0o077, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
