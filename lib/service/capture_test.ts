import assert from "node:assert/strict";
import { captureProxy, contains } from "./capture.ts";

Deno.test("captureProxy forwards every byte unchanged and keeps a copy of each direction", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => new Response(new Uint8Array(await req.arrayBuffer()).reverse()),
  );
  const tap = captureProxy(`http://127.0.0.1:${server.addr.port}`);
  try {
    const body = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251);
    const res = await fetch(`${tap.url}/echo`, { method: "POST", body });
    const back = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(back, body.slice().reverse());
    assert.ok(contains(tap.upstream(), body), "the request body is in the capture");
    assert.ok(contains(tap.downstream(), back), "the reply body is in the capture");
    assert.ok(!contains(tap.upstream(), back.subarray(0, 64)), "and not in the wrong direction");
    const { up, down } = tap.bytes();
    assert.ok(up > body.length && down > body.length, `headers counted too: ${up} ${down}`);
    tap.clear();
    assert.equal(tap.upstream().length, 0);
    assert.deepEqual(tap.bytes(), { up, down });
  } finally {
    await tap.close();
    await server.shutdown();
  }
});
