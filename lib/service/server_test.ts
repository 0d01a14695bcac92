import assert from "node:assert/strict";
import { HeClient, imageToInput } from "../he/client.ts";
import { tinyModel } from "../he/model.ts";
import { errorBound, forwardProgram } from "../he/noise.ts";
import { PRESETS } from "../he/params.ts";
import { compile } from "../he/plan.ts";
import { clientSpec } from "../he/spec.ts";
import { encodeNpy } from "../image/npy.ts";
import { medImage } from "../image/types.ts";
import { remoteEncryptedInference, ServiceClient } from "./client.ts";
import { type RunningService, startService } from "./server.ts";
import { ServiceStore } from "./store.ts";
import { errorOf } from "./_test_util.ts";
import { encodeFrame, keysToWire, queryToWire, WIRE_TYPE } from "./wire.ts";

const model = tinyModel(1);
const PRESET = "ckks-8192-d3";
const params = PRESETS[PRESET];
const spec = clientSpec(model, params);

function image(seed: number): Uint8Array {
  return new Uint8Array(16).map((_, i) => (i * 37 + seed * 53) % 256);
}

/** A service on a free loopback port with a fresh state folder and one client. */
async function withService(
  fn: (s: RunningService, token: string, store: ServiceStore) => Promise<void>,
  limits: Record<string, number> = {},
  budget: number | null = null,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = ServiceStore.open(dir);
  const { token } = store.addClient("alice", budget);
  const svc = await startService({ store, model, port: 0, limits });
  try {
    await fn(svc, token, store);
  } finally {
    await svc.shutdown();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("service: encrypted inference across a socket matches the plaintext model within the CKKS bound (both modes)", async () => {
  await withService(async (svc, token) => {
    const api = new ServiceClient(svc.url, token);
    const inputs = [0, 1, 2].map((s) => imageToInput(medImage(image(s), 4, 4), spec));
    const prog = compile(model);
    for (const mode of ["single", "batch"] as const) {
      const run = await remoteEncryptedInference(api, inputs, { preset: PRESET, mode });
      const bound = errorBound(prog, params, [inputs], mode).logits;
      inputs.forEach((x, i) => {
        const plain = forwardProgram(prog, x).at(-1)!;
        for (let c = 0; c < 2; c++) {
          assert.ok(Math.abs(run.logits[i * 2 + c] - plain[c]) <= bound, `${mode} image ${i}`);
        }
      });
      assert.ok(run.wire.keysBytes > 0 && run.wire.queryBytes > 0 && run.wire.resultBytes > 0);
    }
    const m = await api.metrics();
    assert.equal(m.requests["POST /v1/he/infer"], 4);
    assert.equal(m.errors["POST /v1/he/infer"] ?? 0, 0);
  });
});

Deno.test("service: tokens, key ids and budgets are enforced; refusals are JSON with stable codes and the server keeps serving", async () => {
  await withService(async (svc, token, store) => {
    const api = new ServiceClient(svc.url, token);
    assert.equal((await new ServiceClient(svc.url).health()).status, "ok");
    assert.match(
      await errorOf(new ServiceClient(svc.url).metrics()),
      /^unauthorized: .*answered 401/,
    );
    assert.match(
      await errorOf(new ServiceClient(svc.url, "mc_wrong").spec(PRESET)),
      /^unauthorized/,
    );
    const client = await HeClient.create(params);
    try {
      const keys = client.evaluationKeys(spec.rotations);
      assert.equal((await api.registerKeys(keys)).created, true);
      assert.equal((await api.registerKeys(keys)).created, false, "re-registration is idempotent");
      const q = client.encryptSingle(spec, [new Float64Array(16).fill(0.5)]);
      // Another client cannot use alice's keys.
      const bob = new ServiceClient(svc.url, store.addClient("bob").token);
      assert.match(await errorOf(bob.infer(q)), /^unknown-key: .*404/);
      const post = (body: Uint8Array, type = WIRE_TYPE, path = "/v1/he/infer") =>
        fetch(`${svc.url}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": type },
          body: body as Uint8Array<ArrayBuffer>,
        });
      const wire = queryToWire(q);
      const cases: [Promise<Response>, number, string][] = [
        [post(wire.subarray(0, wire.length - 7)), 400, "bad-frame"],
        [post(wire, "application/json"), 415, "wrong-content-type"],
        [
          post(
            encodeFrame({
              kind: "he-query",
              mode: "single",
              contextId: "ab",
              keyId: q.keyId,
              count: 1,
            }, q.ciphertexts),
          ),
          400,
          "he-wrong-context",
        ],
        [post(keysToWire(keys).subarray(0, 100), WIRE_TYPE, "/v1/he/keys"), 400, "bad-frame"],
        [
          post(new Uint8Array(4), "application/octet-stream", "/v1/plain/infer"),
          415,
          "not-an-image",
        ],
        [
          fetch(`${svc.url}/v1/he/infer`, { headers: { authorization: `Bearer ${token}` } }),
          405,
          "method-not-allowed",
        ],
        [fetch(`${svc.url}/v2/anything`), 404, "not-found"],
      ];
      for (const [p, status, code] of cases) {
        const r = await p;
        const body = await r.json();
        assert.equal(r.status, status, JSON.stringify(body));
        assert.equal(body.error.code, code, JSON.stringify(body));
      }
      assert.equal((await api.infer(q)).result.count, 1, "still serving after the refusals");
    } finally {
      client.delete();
    }
    const audit = store.auditLog(100);
    assert.ok(audit.length >= 10);
    assert.ok(audit.every((a) => a.detail === undefined || a.detail.length <= 200));
  });
});

Deno.test("service: a spent budget answers 429, a full queue 503 with Retry-After, a large body 413", async () => {
  await withService(
    async (svc, token) => {
      const api = new ServiceClient(svc.url, token);
      const npy = encodeNpy(medImage(image(1), 4, 4));
      const first = await api.plainInfer(npy);
      const plain = forwardProgram(compile(model), imageToInput(medImage(image(1), 4, 4), spec)).at(
        -1,
      )!;
      assert.deepEqual(first.logits, Array.from(plain));
      await api.plainInfer(npy);
      assert.match(await errorOf(api.plainInfer(npy)), /^budget-spent: .*429/);
    },
    {},
    2,
  );
  await withService(async (svc, token) => {
    const r = await fetch(`${svc.url}/v1/plain/infer`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: new Uint8Array(2000),
    });
    assert.equal(r.status, 413);
    assert.equal((await r.json()).error.code, "too-large");
  }, { imageBytes: 1000 });
  await withService(async (svc, token) => {
    const api = new ServiceClient(svc.url, token);
    const client = await HeClient.create(params);
    try {
      await api.registerKeys(client.evaluationKeys(spec.rotations));
      const q = client.encryptSingle(spec, [new Float64Array(16).fill(0.5)]);
      const body = queryToWire(q) as Uint8Array<ArrayBuffer>;
      const headers = { authorization: `Bearer ${token}`, "content-type": WIRE_TYPE };
      const all = await Promise.all(
        [0, 1, 2].map(() => fetch(`${svc.url}/v1/he/infer`, { method: "POST", headers, body })),
      );
      const statuses = all.map((r) => r.status);
      for (const r of all) await r.body?.cancel();
      assert.ok(statuses.includes(200), String(statuses));
      const busy = all.filter((r) => r.status === 503);
      assert.ok(busy.length >= 1, String(statuses));
      assert.ok(busy.every((r) => r.headers.get("retry-after") === "2"));
    } finally {
      client.delete();
    }
  }, { maxWaiting: 0 });
});

/** A self-signed certificate for 127.0.0.1 made with the openssl command, or undefined without it. */
async function selfSigned(dir: string): Promise<{ cert: string; key: string } | undefined> {
  const args = [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
  ];
  // An end-entity certificate (CA:FALSE): rustls refuses a CA certificate as a server's own.
  args.push(
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-keyout",
    `${dir}/key.pem`,
    "-out",
    `${dir}/cert.pem`,
  );
  try {
    const r = await new Deno.Command("openssl", { args, stdout: "null", stderr: "null" }).output();
    if (!r.success) return undefined;
  } catch {
    return undefined;
  }
  return {
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
  };
}

Deno.test("service: over TLS with a self-signed certificate, for the typed client and for curl", async (t) => {
  const dir = await Deno.makeTempDir();
  const tls = await selfSigned(dir);
  if (!tls) {
    if (Deno.env.get("CI")) throw new Error("openssl is needed for the TLS test (CI installs it)");
    console.log("skipped: no openssl command to make a certificate");
    return;
  }
  const store = ServiceStore.open(`${dir}/state`);
  const { token } = store.addClient("alice");
  const svc = await startService({ store, model, port: 0, tls });
  try {
    assert.ok(svc.url.startsWith("https://127.0.0.1:"));
    const api = new ServiceClient(svc.url, token, { caCert: tls.cert });
    assert.equal((await api.spec(PRESET)).spec.classes, 2);
    api.close();
    // Without trusting the certificate the connection is refused.
    assert.match(await errorOf(new ServiceClient(svc.url, token).health()), /^service-unreachable/);
    await t.step("curl", async () => {
      const args = [
        "-sS",
        "--cacert",
        `${dir}/cert.pem`,
        "-H",
        `authorization: Bearer ${token}`,
        `${svc.url}/v1/he/spec?preset=${PRESET}`,
      ];
      let out: Deno.CommandOutput;
      try {
        out = await new Deno.Command("curl", { args, stdout: "piped", stderr: "piped" }).output();
      } catch {
        if (Deno.env.get("CI")) throw new Error("curl is needed for this test (CI installs it)");
        return console.log("skipped: no curl");
      }
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)).preset, PRESET);
    });
  } finally {
    await svc.shutdown();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("service: openapi.json describes exactly the routes the server answers", async () => {
  const { createService } = await import("./server.ts");
  const doc = JSON.parse(await Deno.readTextFile(new URL("./openapi.json", import.meta.url)));
  assert.equal(doc.openapi, "3.1.0");
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) =>
      Object.keys(ops).filter((m) => m !== "parameters").map((m) => `${m.toUpperCase()} ${path}`)
    ).sort();
  const dir = await Deno.makeTempDir();
  const store = ServiceStore.open(dir);
  const svc = createService({ store, model });
  try {
    assert.deepEqual(documented, [...svc.routes].sort());
    // Every documented route is answered (not 404/405) by the handler, without a token: 401 or 200.
    for (const r of documented) {
      const [method, path] = r.split(" ");
      const res = await svc.handler(new Request(`http://x${path}`, { method }));
      await res.body?.cancel();
      assert.ok(res.status === 200 || res.status === 401, `${r}: ${res.status}`);
    }
  } finally {
    svc.close();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("service: 1,200 mutated requests each get a 4xx JSON error, and the server keeps serving", async () => {
  const { Rng } = await import("../core/random.ts");
  await withService(async (svc, token) => {
    const rng = new Rng(20261207);
    const api = new ServiceClient(svc.url, token);
    const client = await HeClient.create(params);
    try {
      const keys = client.evaluationKeys(spec.rotations);
      await api.registerKeys(keys);
      const query = queryToWire(client.encryptSingle(spec, [new Float64Array(16).fill(0.5)]));
      const headLen = 8 + new DataView(query.buffer, query.byteOffset).getUint32(4);
      const keysFrame = keysToWire(keys).subarray(0, 4096);
      const mutate = (): [string, RequestInit, string] => {
        const kind = rng.int(6);
        const auth = { authorization: `Bearer ${token}`, "content-type": WIRE_TYPE };
        const body = query.slice();
        if (kind === 0) { // bit flips in the frame header (magic, length, JSON)
          for (let k = 0; k <= rng.int(3); k++) body[rng.int(headLen)] ^= 1 << rng.int(8);
          return ["/v1/he/infer", { method: "POST", headers: auth, body }, "header bits"];
        }
        if (kind === 1) { // truncated or extended frames
          const cut = rng.int(query.length);
          const b = rng.next() < 0.5
            ? query.slice(0, cut)
            : new Uint8Array([...query.subarray(0, 64), ...query]);
          return ["/v1/he/infer", { method: "POST", headers: auth, body: b }, "length"];
        }
        if (kind === 2) { // wrong or missing token, wrong content type
          const headers: Record<string, string> =
            [{ authorization: "Bearer mc_x" }, {}, { authorization: token }, {
              ...auth,
              "content-type": "text/plain",
            }][rng.int(4)];
          return ["/v1/he/infer", { method: "POST", headers, body }, "headers"];
        }
        if (kind === 3) { // random bytes to every POST endpoint
          const path = ["/v1/he/infer", "/v1/he/keys", "/v1/plain/infer"][rng.int(3)];
          const b = Uint8Array.from({ length: rng.int(3000) }, () => rng.int(256));
          if (rng.next() < 0.5) b.set([0x4d, 0x43, 0x57, 0x31]);
          return [path, { method: "POST", headers: auth, body: b }, "garbage"];
        }
        if (kind === 4) { // truncated key frames
          return ["/v1/he/keys", {
            method: "POST",
            headers: auth,
            body: keysFrame.slice(0, rng.int(keysFrame.length)),
          }, "keys"];
        }
        const path = [
          "/v1/he/infer",
          "/v1/nothing",
          "/v1/he/keys/../keys",
          "/",
          "/v1/he/spec?preset=nope",
        ][rng.int(5)];
        return [
          path,
          { method: ["GET", "PUT", "DELETE", "PATCH"][rng.int(4)], headers: auth },
          "routes",
        ];
      };
      const tally: Record<string, number> = {};
      for (let i = 0; i < 1200; i++) {
        const [path, init, what] = mutate();
        const r = await fetch(`${svc.url}${path}`, init);
        const text = await r.text();
        assert.ok(r.status >= 400 && r.status < 500, `${what} → ${r.status} ${text.slice(0, 200)}`);
        const e = JSON.parse(text).error;
        assert.ok(
          typeof e.code === "string" && typeof e.message === "string" && !e.message.includes("\n"),
          text,
        );
        tally[`${r.status} ${e.code}`] = (tally[`${r.status} ${e.code}`] ?? 0) + 1;
      }
      assert.equal(
        (await api.infer(client.encryptSingle(spec, [new Float64Array(16)]))).result.count,
        1,
      );
      console.log(`fuzz: ${JSON.stringify(tally)}`);
    } finally {
      client.delete();
    }
  });
});
