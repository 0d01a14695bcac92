import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { containsBytes, sha256Hex } from "../core/bytes.ts";
import { MedCryptError } from "../core/errors.ts";
import { ServiceStore } from "./store.ts";

const KEYS = { keyId: "0123456789abcdef", contextId: "fedcba9876543210", preset: "ckks-4096-d3" };

/** Opens a store in a fresh temp dir, runs `fn`, closes and removes it. */
async function withStore(fn: (store: ServiceStore, dir: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "medcrypt-store-" });
  const store = ServiceStore.open(dir);
  try {
    await fn(store, dir);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MedCryptError, `not a MedCryptError: ${e}`);
    return e.code;
  }
  return undefined;
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("addClient: the token authenticates, others do not, and it is not stored", async () => {
  await withStore(async (store, dir) => {
    const { client, token } = store.addClient("site-a", 5);
    assert.match(token, /^mc_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual({ ...client, created: "" }, {
      id: client.id,
      name: "site-a",
      budget: 5,
      used: 0,
      created: "",
    });
    assert.ok(!Number.isNaN(Date.parse(client.created)));
    assert.deepEqual(await store.authenticate(token), client);
    const other = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    for (const bad of [other, "", "mc_", token + "x", token.slice(3), "mc_" + "!".repeat(43)]) {
      assert.equal(await store.authenticate(bad), undefined, bad);
    }
    assert.equal(await store.authenticate(42 as unknown as string), undefined);
    const db = new Uint8Array([
      ...Deno.readFileSync(join(dir, "service.db")),
      ...(await Deno.readFile(join(dir, "service.db-wal")).catch(() => new Uint8Array())),
    ]);
    assert.ok(db.length > 0);
    assert.ok(containsBytes(db, new TextEncoder().encode("site-a")), "the search finds the name");
    assert.ok(!containsBytes(db, new TextEncoder().encode(token)), "token in the db file");
    assert.ok(!containsBytes(db, new TextEncoder().encode(token.slice(3))), "token in the db");
    assert.equal(code(() => store.addClient("site-a")), "client-exists");
    for (const bad of ["", "a b", "x".repeat(65), "../etc", "é"]) {
      assert.equal(code(() => store.addClient(bad)), "usage", bad);
    }
    assert.equal(code(() => store.addClient("site-b", -1)), "usage");
    assert.equal(code(() => store.addClient("site-b", 1.5)), "usage");
    assert.equal(store.clientByName("site-b"), undefined);
    const b = store.addClient("site-b");
    assert.notEqual(b.token, token);
    assert.equal((await store.authenticate(b.token))?.name, "site-b");
  });
});

Deno.test("budget: charge until spent, then false and used stays; null is unlimited", async () => {
  await withStore((store) => {
    const { client } = store.addClient("limited", 3);
    assert.deepEqual([1, 2, 3, 4, 5].map(() => store.charge(client.id)), [
      true,
      true,
      true,
      false,
      false,
    ]);
    assert.equal(store.clientByName("limited")?.used, 3);
    assert.equal(store.charge(client.id, 0), true);
    store.setBudget("limited", 5);
    assert.equal(store.charge(client.id, 3), false, "3 more would exceed 5");
    assert.equal(store.charge(client.id, 2), true);
    assert.equal(store.clientByName("limited")?.used, 5);
    const free = store.addClient("free").client;
    for (let i = 0; i < 100; i++) assert.ok(store.charge(free.id));
    assert.deepEqual(store.clientByName("free")?.budget, null);
    assert.equal(store.clientByName("free")?.used, 100);
    store.setBudget("free", 10);
    assert.equal(store.charge(free.id), false);
    store.setBudget("limited", null);
    assert.equal(store.charge(client.id, 100), true);
    assert.equal(store.charge(9999), false, "unknown client");
    assert.equal(code(() => store.charge(client.id, -1)), "usage");
    assert.equal(code(() => store.setBudget("nobody", 1)), "unknown-client");
    assert.equal(code(() => store.setBudget("free", -2)), "usage");
  });
});

Deno.test("he keys: round trip, idempotent, conflicts refused, per client, listed", async () => {
  await withStore(async (store, dir) => {
    const a = store.addClient("a").client, b = store.addClient("b").client;
    const keys = crypto.getRandomValues(new Uint8Array(65536));
    assert.deepEqual(await store.putHeKeys(a.id, KEYS, keys), { created: true });
    assert.deepEqual(await store.getHeKeys(a.id, KEYS.keyId), keys);
    assert.deepEqual(await store.putHeKeys(a.id, KEYS, keys.slice()), { created: false });
    const other = keys.slice();
    other[100] ^= 1;
    const conflict = await store.putHeKeys(a.id, KEYS, other).catch((e) => e);
    assert.equal(conflict.code, "key-conflict");
    const ctx = await store.putHeKeys(a.id, { ...KEYS, contextId: "0".repeat(16) }, keys)
      .catch((e) => e);
    assert.equal(ctx.code, "key-conflict");
    assert.deepEqual(await store.getHeKeys(a.id, KEYS.keyId), keys, "the first keys are kept");
    assert.equal(await store.getHeKeys(b.id, KEYS.keyId), undefined);
    assert.equal(await store.getHeKeys(a.id, "ffffffffffffffff"), undefined);
    assert.equal(await store.getHeKeys(a.id, "../../service.db"), undefined);
    assert.deepEqual(await store.putHeKeys(b.id, KEYS, other), { created: true }, "own keys");
    assert.deepEqual(await store.getHeKeys(b.id, KEYS.keyId), other);
    await store.putHeKeys(a.id, { ...KEYS, keyId: "1111111111111111" }, new Uint8Array(3));
    const list = store.listHeKeys(a.id);
    assert.deepEqual(list.map((k) => [k.keyId, k.contextId, k.preset, k.bytes]), [
      [KEYS.keyId, KEYS.contextId, KEYS.preset, keys.length],
      ["1111111111111111", KEYS.contextId, KEYS.preset, 3],
    ]);
    assert.equal(store.listHeKeys(b.id).length, 1);
    for (const bad of [{ keyId: "ABCDEF0123456789" }, { contextId: "123" }, { preset: "a/b" }]) {
      const err = await Promise.resolve().then(() =>
        store.putHeKeys(a.id, { ...KEYS, ...bad }, keys)
      ).catch((e) => e);
      assert.equal(err.code, "usage", JSON.stringify(bad));
    }
    assert.deepEqual(
      names(join(dir, "blobs/he-keys")),
      [
        `${a.id}-${KEYS.keyId}.bin`,
        `${a.id}-1111111111111111.bin`,
        `${b.id}-${KEYS.keyId}.bin`,
      ].sort(),
    );
  });
});

Deno.test("he keys: concurrent puts of one key id leave one consistent row and file", async () => {
  await withStore(async (store) => {
    const { client } = store.addClient("a");
    const blobs = [1, 2, 3, 4].map((v) => new Uint8Array(50_000).fill(v));
    const results = await Promise.allSettled(blobs.map((k) => store.putHeKeys(client.id, KEYS, k)));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    assert.ok(results.every((r) => r.status === "fulfilled" || r.reason.code === "key-conflict"));
    const winner = blobs[results.findIndex((r) => r.status === "fulfilled")];
    assert.deepEqual(await store.getHeKeys(client.id, KEYS.keyId), winner);
  });
});

Deno.test("scans: put, list, get, delete, and isolation between clients", async () => {
  await withStore(async (store, dir) => {
    const a = store.addClient("a").client, b = store.addClient("b").client;
    const s1 = await store.putScan(a.id, new Uint8Array([1, 2, 3]));
    const s2 = await store.putScan(a.id, new Uint8Array(1000).fill(9));
    const s3 = await store.putScan(b.id, new Uint8Array([7]));
    assert.match(s1.id, /^[0-9a-f]{16}$/);
    assert.equal(s1.sha256, await sha256Hex(new Uint8Array([1, 2, 3])));
    assert.deepEqual(store.listScans(a.id), [s1, s2]);
    assert.deepEqual(store.listScans(b.id), [s3]);
    assert.deepEqual(await store.getScan(a.id, s1.id), new Uint8Array([1, 2, 3]));
    assert.equal(await store.getScan(b.id, s1.id), undefined);
    assert.equal(await store.getScan(a.id, s3.id), undefined);
    assert.equal(await store.getScan(a.id, "not-an-id"), undefined);
    assert.equal(await store.deleteScan(b.id, s1.id), false, "not b's scan");
    assert.deepEqual(await store.getScan(a.id, s1.id), new Uint8Array([1, 2, 3]));
    assert.equal(await store.deleteScan(a.id, s1.id), true);
    assert.equal(await store.deleteScan(a.id, s1.id), false);
    assert.equal(await store.getScan(a.id, s1.id), undefined);
    assert.deepEqual(store.listScans(a.id), [s2]);
    const nobody = await store.putScan(9999, new Uint8Array([1])).catch((e) => e);
    assert.equal(nobody.code, "unknown-client");
    const nokeys = await store.putHeKeys(9999, KEYS, new Uint8Array([1])).catch((e) => e);
    assert.equal(nokeys.code, "unknown-client");
    assert.deepEqual(names(join(dir, "blobs/he-keys")), [], "no blob left by a refused put");
    assert.deepEqual(
      names(join(dir, "blobs/scans")),
      [
        `${a.id}-${s2.id}.mce`,
        `${b.id}-${s3.id}.mce`,
      ].sort(),
    );
  });
});

Deno.test("audit: newest first, detail cut at 200 characters, limit", async () => {
  await withStore((store) => {
    for (let i = 0; i < 5; i++) {
      store.audit({
        clientId: i,
        endpoint: "GET /x",
        status: 200 + i,
        bytesIn: i,
        bytesOut: 2 * i,
        ms: 0.5,
      });
    }
    store.audit({
      clientId: null,
      endpoint: "POST /y",
      status: 500,
      bytesIn: 1,
      bytesOut: 2,
      ms: 3,
      detail: "d".repeat(1000),
    });
    const log = store.auditLog();
    assert.equal(log.length, 6);
    assert.equal(log[0].clientId, null);
    assert.equal(log[0].detail, "d".repeat(200));
    assert.deepEqual(log.slice(1).map((e) => e.status), [204, 203, 202, 201, 200]);
    assert.equal(log[1].detail, undefined);
    assert.equal(log[1].ms, 0.5);
    assert.deepEqual(store.auditLog(2).map((e) => e.status), [500, 204]);
  });
});

Deno.test("restart: close and reopen keeps clients, budgets, keys, scans and the audit log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "medcrypt-store-" });
  try {
    let store = ServiceStore.open(dir);
    const { client, token } = store.addClient("site-a", 10);
    store.charge(client.id, 4);
    const keys = crypto.getRandomValues(new Uint8Array(10_000));
    await store.putHeKeys(client.id, KEYS, keys);
    const scan = await store.putScan(client.id, new Uint8Array([4, 5, 6]));
    store.audit({
      clientId: client.id,
      endpoint: "PUT /k",
      status: 201,
      bytesIn: 1,
      bytesOut: 1,
      ms: 1,
    });
    store.close();
    store = ServiceStore.open(dir);
    try {
      assert.deepEqual(await store.authenticate(token), { ...client, used: 4 });
      assert.deepEqual(await store.getHeKeys(client.id, KEYS.keyId), keys);
      assert.equal(store.listHeKeys(client.id).length, 1);
      assert.deepEqual(store.listScans(client.id), [scan]);
      assert.deepEqual(await store.getScan(client.id, scan.id), new Uint8Array([4, 5, 6]));
      assert.equal(store.auditLog()[0].endpoint, "PUT /k");
      assert.equal(store.charge(client.id, 7), false);
      assert.equal(store.charge(client.id, 6), true);
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("open removes stale temporaries and orphan blobs, keeps real blobs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "medcrypt-store-" });
  try {
    let store = ServiceStore.open(dir);
    const { client } = store.addClient("a");
    const scan = await store.putScan(client.id, new Uint8Array([1]));
    await store.putHeKeys(client.id, KEYS, new Uint8Array([2]));
    store.close();
    const scans = join(dir, "blobs/scans"), he = join(dir, "blobs/he-keys");
    const junk = [
      join(scans, `.tmp-${client.id}-aaaaaaaaaaaaaaaa.mce-p999999999-abc123`),
      join(he, `.tmp-${client.id}-bbbbbbbbbbbbbbbb.bin-p999999998-zz`),
      join(scans, `${client.id}-cccccccccccccccc.mce`), // renamed, row never inserted
      join(he, `${client.id}-dddddddddddddddd.bin`),
      join(scans, `${client.id + 1}-${scan.id}.mce`), // right id, wrong owner
    ];
    const live = join(scans, `.tmp-x.mce-p${Deno.pid}-live`); // a write of a running process
    for (const p of [...junk, live]) await Deno.writeTextFile(p, "partial");
    store = ServiceStore.open(dir);
    try {
      for (const p of junk) assert.ok(!(await exists(p)), `${p} was not removed`);
      assert.ok(await exists(live), "a running process's temporary is left alone");
      assert.deepEqual(await store.getScan(client.id, scan.id), new Uint8Array([1]));
      assert.deepEqual(await store.getHeKeys(client.id, KEYS.keyId), new Uint8Array([2]));
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("open refuses a garbage service.db (bad-state) and a newer schema (state-too-new)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "medcrypt-store-" });
  try {
    const file = join(dir, "service.db");
    await Deno.writeTextFile(file, "this is not an SQLite database\n".repeat(100));
    const e1 = (() => {
      try {
        ServiceStore.open(dir);
      } catch (e) {
        return e;
      }
    })() as MedCryptError;
    assert.ok(e1 instanceof MedCryptError);
    assert.equal(e1.code, "bad-state");
    assert.equal(e1.file, file);
    assert.ok(e1.message.includes(file), e1.message);
    assert.equal(
      await Deno.readTextFile(file),
      "this is not an SQLite database\n".repeat(100),
      "left untouched",
    );

    await Deno.remove(file);
    ServiceStore.open(dir).close();
    const db = new DatabaseSync(file);
    db.exec("PRAGMA user_version = 99");
    db.close();
    const e2 = (() => {
      try {
        ServiceStore.open(dir);
      } catch (e) {
        return e;
      }
    })() as MedCryptError;
    assert.equal(e2?.code, "state-too-new");
    assert.equal(e2.file, file);
    assert.match(e2.message, /99/);

    await Deno.remove(file);
    const foreign = new DatabaseSync(file);
    foreign.exec("CREATE TABLE other (x)");
    foreign.close();
    assert.equal(code(() => ServiceStore.open(dir)), "bad-state", "another program's database");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kill -9 while storing scans loses nothing committed and leaves no partial blob", async () => {
  const dir = await Deno.makeTempDir({ prefix: "medcrypt-store-" });
  try {
    const setup = ServiceStore.open(dir);
    const { client } = setup.addClient("crash");
    setup.close();
    const script = join(dir, "writer.ts");
    await Deno.writeTextFile(
      script,
      `import { ServiceStore } from ${JSON.stringify(new URL("./store.ts", import.meta.url).href)};
const store = ServiceStore.open(${JSON.stringify(dir)});
const id = store.clientByName("crash")!.id;
const blob = new Uint8Array(1 << 20);
console.log("ready");
for (let i = 0; ; i++) {
  crypto.getRandomValues(blob.subarray(0, 65536));
  await store.putScan(id, blob);
}
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", script],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /ready/);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
    await reader.cancel();

    const store = ServiceStore.open(dir);
    try {
      const scans = store.listScans(client.id);
      assert.ok(scans.length > 0, "the writer stored nothing in 1.5 s");
      const folder = join(dir, "blobs/scans");
      for (const s of scans) {
        const bytes = await Deno.readFile(join(folder, `${client.id}-${s.id}.mce`));
        assert.equal(bytes.length, 1 << 20);
        assert.equal(await sha256Hex(bytes), s.sha256);
      }
      assert.deepEqual(
        names(folder),
        scans.map((s) => `${client.id}-${s.id}.mce`).sort(),
        "only blobs with a row remain (no .tmp-*, no orphan)",
      );
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
