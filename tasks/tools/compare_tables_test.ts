import { deepStrictEqual } from "node:assert";
import { compareCsv } from "./compare_tables.ts";

const base = "method,latency (ms),AUC,max |ΔP|\nAES,1.5,0.51,0\nHE,200,0.49,0.0003\n";
const now = "method,latency (ms),AUC,max |ΔP|\nAES,1.7,0.51,0\nHE,210,0.52,0.0004\n";

Deno.test("compare_tables: a changed non-timing cell counts as changed", () => {
  const kinds = compareCsv("t.csv", base, now).map((d) => `${d.column}:${d.kind}`);
  deepStrictEqual(kinds, [
    "latency (ms):timing",
    "latency (ms):timing",
    "AUC:changed",
    "max |ΔP|:changed",
  ]);
});

Deno.test("compare_tables: declared randomised cells are reported apart, only where declared", () => {
  const declared = [{ columns: ["max |ΔP|"], rows: [1], reason: "CKKS noise" }];
  const kinds = compareCsv("t.csv", base, now, declared).map((d) => `${d.column}:${d.kind}`);
  deepStrictEqual(kinds, [
    "latency (ms):timing",
    "latency (ms):timing",
    "AUC:changed",
    "max |ΔP|:randomised",
  ]);
});

Deno.test("compare_tables: per-image milliseconds and MB/s columns are timing", () => {
  const a = "cipher,encrypt ms/image 64²,encrypt MB/s 8-bit\nAES,1.5,30\n";
  const b = "cipher,encrypt ms/image 64²,encrypt MB/s 8-bit\nAES,1.1,41\n";
  deepStrictEqual(compareCsv("t.csv", a, b).map((d) => d.kind), ["timing", "timing"]);
});
