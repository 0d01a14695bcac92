import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { sha256Hex } from "../core/bytes.ts";
import { closeWorkers, encrypt, generateKeyPair } from "../envelope/mod.ts";
import { HeClient } from "../he/client.ts";
import { PRESETS } from "../he/params.ts";
import { encodeNpy } from "../image/npy.ts";
import { medImage } from "../image/types.ts";
import { ServiceClient } from "./client.ts";
import { ServiceStore } from "./store.ts";
import { spawnServe } from "./spawn.ts";

/** `medcrypt serve --state DIR` in its own process, and the token of its client `local`. */
async function serve(state: string) {
  const server = await spawnServe(["--state", state]);
  const token = (await Deno.readTextFile(join(state, "local.token"))).trim();
  return { server, url: server.url, token };
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      out.push(...(await allFiles(join(dir, e.name))).map((f) => `${e.name}/${f}`));
    } else out.push(e.name);
  }
  return out;
}

Deno.test("service: kill -9 during uploads and inferences; on restart every completed upload is intact, nothing partial is visible", async () => {
  const state = await Deno.makeTempDir({ prefix: "medcrypt-crash-" });
  const { publicKey } = await generateKeyPair(2048);
  try {
    const first = await serve(state);
    const api = new ServiceClient(first.url, first.token);
    const he = await HeClient.create(PRESETS["ckks-8192-d3"]);
    const keys = he.evaluationKeys([]);
    const { keyId } = await api.registerKeys(keys);
    he.delete();
    const done = new Map<string, string>(); // scan id → sha256 of what was sent
    let inferences = 0, stop = false;
    const img = encodeNpy(medImage(new Uint8Array(784).map((_, i) => i % 256), 28, 28));
    const uploader = async () => {
      while (!stop) {
        const blob = crypto.getRandomValues(new Uint8Array(65536));
        const mce = await encrypt(blob, publicKey, { chunkExponent: 12 });
        try {
          const rec = await api.storeScan(mce);
          done.set(rec.id, await sha256Hex(mce));
        } catch { /* the kill: this upload did not complete */ }
      }
    };
    const diagnoser = async () => {
      while (!stop) {
        try {
          await api.plainInfer(img);
          inferences++;
        } catch { /* the kill */ }
      }
    };
    const load = [uploader(), uploader(), uploader(), diagnoser()];
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await first.server.kill()).signal, "SIGKILL");
    stop = true;
    await Promise.all(load);
    assert.ok(done.size > 0 && inferences > 0, `${done.size} uploads, ${inferences} inferences`);

    const second = await serve(state);
    try {
      const again = new ServiceClient(second.url, second.token);
      const listed = new Map((await again.listScans()).map((s) => [s.id, s.sha256]));
      for (const [id, sha] of done) {
        assert.equal(listed.get(id), sha, `completed upload ${id} is listed with its digest`);
        assert.equal(await sha256Hex(await again.fetchScan(id)), sha, `upload ${id} is intact`);
      }
      // every listed scan (including any whose reply the kill swallowed) is whole
      for (const [id, sha] of listed) assert.equal(await sha256Hex(await again.fetchScan(id)), sha);
      assert.ok((await again.plainInfer(img)).label.length > 0, "the restarted server serves");
      const files = await allFiles(state);
      assert.deepEqual(files.filter((f) => /(^|\/)\.tmp-/.test(f)), [], "no temporary is left");
      const blobs = files.filter((f) => f.endsWith(".mce")).length;
      assert.equal(blobs, listed.size, "every scan blob has its row, and no row lacks its blob");
    } finally {
      await second.server.stop();
    }
    const db = new DatabaseSync(join(state, "service.db"), { readOnly: true });
    try {
      assert.deepEqual(db.prepare("PRAGMA integrity_check").all().map((r) => ({ ...r })), [{
        integrity_check: "ok",
      }]);
    } finally {
      db.close();
    }
    const store = ServiceStore.open(state);
    try {
      const local = store.clientByName("local")!;
      assert.deepEqual(store.listHeKeys(local.id).map((k) => k.keyId), [keyId]);
    } finally {
      store.close();
    }
    console.log(
      `kill -9 after ${done.size} completed uploads and ${inferences} inferences: all intact`,
    );
  } finally {
    closeWorkers();
    await Deno.remove(state, { recursive: true });
  }
});
