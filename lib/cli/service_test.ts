import assert from "node:assert/strict";
import { loadPneumoniaMNIST } from "../datasets/mod.ts";
import { encodeNpy, medImage } from "../image/mod.ts";
import { spawnServe } from "../service/spawn.ts";

const cli = new URL("../../tasks/medcrypt.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const dec = new TextDecoder();

async function medcrypt(env: Record<string, string>, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    env: { MEDCRYPT_QUIET: "1", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const serve = (env: Record<string, string>) => spawnServe([], env);

Deno.test("cli serve + he-infer --server: the same label, and logits within the CKKS bound, as in process", async () => {
  const dir = await Deno.makeTempDir();
  const env = { XDG_STATE_HOME: dir };
  const { test } = await loadPneumoniaMNIST();
  const img = `${dir}/test0.npy`;
  await Deno.writeFile(img, encodeNpy(medImage(test.images.slice(0, 784), 28, 28)));
  const server = await serve(env);
  try {
    // No token flag: the local client's token file of the default state folder is used.
    const remote = await medcrypt(env, "he-infer", "--server", server.url, "--in", img, "--json");
    assert.equal(remote.code, 0, remote.stderr);
    const local = await medcrypt(env, "he-infer", "--in", img, "--json");
    assert.equal(local.code, 0, local.stderr);
    const r = JSON.parse(remote.stdout), l = JSON.parse(local.stdout);
    assert.equal(r.results[0].label, ["normal", "pneumonia"][l.results[0].label]);
    const bound = l.errorBound.logits;
    r.results[0].encryptedLogits.forEach((v: number, c: number) => {
      assert.ok(
        Math.abs(v - l.results[0].plainLogits[c]) <= bound,
        `class ${c}: ${v} vs ${l.results[0].plainLogits[c]}`,
      );
    });
    assert.ok(r.wire.keysBytes > 1e6 && r.wire.queryBytes > 1e5);
    // A client added by name gets a token that works through MEDCRYPT_TOKEN; a wrong one is refused.
    const added = await medcrypt(
      { ...env, MEDCRYPT_QUIET: "" },
      "serve",
      "add-client",
      "bob",
      "--budget",
      "0",
    );
    assert.equal(added.code, 0, added.stderr);
    const token = added.stdout.trim();
    assert.match(token, /^mc_[A-Za-z0-9_-]{43}$/);
    const spent = await medcrypt(
      { ...env, MEDCRYPT_TOKEN: token },
      "he-infer",
      "--server",
      server.url,
      "--in",
      img,
    );
    assert.equal(spent.code, 1);
    assert.match(spent.stderr.trim(), /budget-spent|budget of client 'bob' is spent/);
    const wrong = await medcrypt(
      { ...env, MEDCRYPT_TOKEN: "mc_nope" },
      "he-infer",
      "--server",
      server.url,
      "--in",
      img,
    );
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
    assert.match(wrong.stderr, /401/);
  } finally {
    const s = await server.stop();
    assert.equal(s.code, 0);
    assert.match(s.rest, /stopped/);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli client: envelope and plain diagnoses agree over the socket; scans stored, listed, fetched and deleted", async () => {
  const dir = await Deno.makeTempDir();
  const env = { XDG_STATE_HOME: dir };
  const { test } = await loadPneumoniaMNIST();
  const img = `${dir}/test0.npy`;
  await Deno.writeFile(img, encodeNpy(medImage(test.images.slice(0, 784), 28, 28)));
  const server = await serve(env);
  try {
    const run = (...args: string[]) => medcrypt(env, "client", ...args, "--server", server.url);
    const envl = await run("diagnose", "--in", img, "--json");
    const plain = await run("diagnose", "--in", img, "--method", "plain", "--json");
    assert.equal(envl.code, 0, envl.stderr);
    assert.equal(plain.code, 0, plain.stderr);
    const [a, b] = [JSON.parse(envl.stdout), JSON.parse(plain.stdout)];
    assert.deepEqual(a.logits, b.logits);
    assert.equal(a.label, b.label);
    assert.ok(a.sent > 784, "the envelope went over the wire");
    // a scan at rest, round trip
    const mce = `${dir}/scan.mce`;
    const kg = await medcrypt(env, "keygen", "--out", `${dir}/keys`);
    assert.equal(kg.code, 0, kg.stderr);
    const enc = await medcrypt(
      env,
      "encrypt",
      "--to",
      `${dir}/keys/public.pem`,
      "--in",
      img,
      "--out",
      mce,
    );
    assert.equal(enc.code, 0, enc.stderr);
    const stored = await run("store", "--in", mce);
    assert.equal(stored.code, 0, stored.stderr);
    const id = /as ([0-9a-f]{16})/.exec(stored.stdout)![1];
    assert.match((await run("list")).stdout, new RegExp(id));
    const back = `${dir}/back.mce`;
    assert.equal((await run("fetch", "--id", id, "--out", back)).code, 0);
    assert.deepEqual(await Deno.readFile(back), await Deno.readFile(mce));
    const again = await run("fetch", "--id", id, "--out", back);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal((await run("delete", "--id", id)).code, 0);
    const gone = await run("fetch", "--id", id, "--out", `${dir}/gone.mce`);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr.trim().split("\n").length, 1, gone.stderr);
    assert.match(gone.stderr, /unknown-scan|no stored scan/);
    // a 1024×1024 scan: refused here, naming the file; fitted with --resize
    const big = `${ROOT}data/clinical/cxr-1.npy`;
    const refused = await run("diagnose", "--in", big, "--method", "plain");
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    assert.match(refused.stderr, /cxr-1\.npy`: image is 1024×1024.*--resize.*medcrypt resize /);
    const fitted = await run("diagnose", "--in", big, "--method", "plain", "--resize");
    assert.equal(fitted.code, 0, fitted.stderr);
    assert.match(
      fitted.stdout,
      /cxr-1\.npy: \w+ \(resized 1024×1024 → 28×28 by area averaging; logits/,
    );
    const pinned = await run("diagnose", "--in", img, "--pin", "00".repeat(32));
    assert.equal(pinned.code, 1);
    assert.match(pinned.stderr, /not the expected/);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli client fetch: an existing --out is refused before connecting; unknown sub-commands and flags are usage errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/have.mce`;
    await Deno.writeTextFile(out, "keep");
    // nothing listens on port 9: the refusal comes first
    const r = await medcrypt(
      { XDG_STATE_HOME: dir },
      "client",
      "fetch",
      "--server",
      "http://127.0.0.1:9",
      "--id",
      "0123456789abcdef",
      "--out",
      out,
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr.trim(),
      /have\.mce`: already exists; refusing to overwrite it \(use --force\)$/,
    );
    assert.equal(await Deno.readTextFile(out), "keep");
    const u = await medcrypt({}, "client", "fetchall");
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown client sub-command 'fetchall'.*diagnose, store, list/);
    const f = await medcrypt({}, "client", "list", "--server", "http://127.0.0.1:9", "--id", "x");
    assert.equal(f.code, 2);
    assert.match(f.stderr, /--id.*client list --help/);
    const a = await medcrypt({ XDG_STATE_HOME: dir }, "serve", "add-client");
    assert.equal(a.code, 2);
    assert.match(a.stderr, /give one client NAME.*serve add-client --help/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
