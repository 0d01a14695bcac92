import { deepEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { medImage } from "../image/types.ts";
import { MedCryptError } from "../core/errors.ts";
import { uniformReference } from "./uniform.ts";

Deno.test("uniform reference: container depth, seeded stream, refuses to decrypt", async () => {
  const img12 = medImage(new Uint16Array(64).fill(1000), 8, 8, { bitDepth: 12 });
  const a = uniformReference(1), b = uniformReference(1);
  const r1 = await a.encrypt(img12, "k"), r2 = await a.encrypt(img12, "k");
  assertEquals(r1.cipher.bitDepth, 16);
  assert(r1.cipher.data instanceof Uint16Array);
  // The same seed gives the same stream; successive calls give fresh noise.
  assertEquals((await b.encrypt(img12, "other key")).cipher.data, r1.cipher.data);
  assert(r1.cipher.data.some((v, i) => v !== r2.cipher.data[i]));
  const r8 = await uniformReference(2).encrypt(medImage(new Uint8Array(64), 8, 8), "k");
  assertEquals(r8.cipher.bitDepth, 8);
  await rejects(
    a.decrypt(r1.cipher, null, "k"),
    (e) => e instanceof MedCryptError && e.code === "not-decryptable",
  );
});
