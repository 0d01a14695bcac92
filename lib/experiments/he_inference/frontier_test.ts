import assert from "node:assert/strict";
import { frontierRow, HE_FAMILY } from "./frontier.ts";
import { loadHeModel } from "../../he/model.ts";

Deno.test("he-frontier: the N = 4096 member's row — encrypted accuracy as recorded, interval around it", async () => {
  const m = HE_FAMILY.find((f) => f.preset === "ckks-4096-d3")!;
  const row = await frontierRow(m, 1);
  const model = await loadHeModel(m.path);
  assert.equal(row.N, 4096);
  assert.equal(row.depth, 3);
  assert.equal(row["batch size"], 2048);
  assert.equal(row["labels = plaintext"], "468/468");
  assert.equal(row["test accuracy"], model.meta?.testAccuracy);
  assert.ok(row["95% lo"] < row["test accuracy"] && row["test accuracy"] < row["95% hi"]);
  assert.ok(row["keys per client MB"] > 1 && row["query MB/image"] > 0.1);
});
