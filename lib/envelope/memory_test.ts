import assert from "node:assert/strict";
import { peakRssOfStreaming } from "./_rss.ts";

Deno.test("streaming a 256 MB file keeps peak RSS under 200 MB (encrypt and decrypt, measured in a subprocess)", async () => {
  const r = await peakRssOfStreaming(256 * 1024 * 1024);
  assert.ok(r.roundTripOk, "round trip failed");
  assert.ok(r.encryptPeakMB < 200, `encrypt peak RSS ${r.encryptPeakMB} MB`);
  assert.ok(r.decryptPeakMB < 200, `decrypt peak RSS ${r.decryptPeakMB} MB`);
});
