import assert from "node:assert/strict";
import { IMPLEMENTED, runSuite } from "./mod.ts";

/** The seed of the quick suite in `deno task test`. */
const SEED = 20261206;

for (const category of IMPLEMENTED) {
  Deno.test(`adversarial ${category}: every malformed input refused clearly, nothing left behind`, async () => {
    const r = await runSuite({ seed: SEED, long: false, only: [category] });
    assert.ok(r.outcomes.length > 0, `the ${category} category built no case`);
    assert.deepEqual(
      r.failures.map((f) => `${f.name}: ${f.kind} (${f.detail}) ${f.leftovers.join(" ")}`),
      [],
    );
    for (const m of r.measurements) {
      if (m.limit !== undefined) {
        assert.ok(m.value <= m.limit, `${m.name}: ${m.value} ${m.unit} > ${m.limit} ${m.unit}`);
      }
    }
  });
}
