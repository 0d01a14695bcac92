import assert from "node:assert/strict";
import { join } from "node:path";
import { removeStaleTemporaries, writeFileAtomic } from "./fs.ts";

Deno.test("writeFileAtomic: a temporary left by a killed write is removed by the next write", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    const alive = join(dir, `.tmp-out.bin-p${child.pid}-keep`);
    const dead = join(dir, ".tmp-out.bin-p999999999-stale");
    const other = join(dir, ".tmp-other.bin-p999999999-stale");
    for (const p of [alive, dead, other]) await Deno.writeTextFile(p, "partial");
    await writeFileAtomic(join(dir, "out.bin"), new Uint8Array([7]));
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      `.tmp-other.bin-p999999999-stale`,
      `.tmp-out.bin-p${child.pid}-keep`,
      "out.bin",
    ]);
    child.kill("SIGKILL");
    await child.status;
    assert.deepEqual(await removeStaleTemporaries(join(dir, "out.bin")), [alive]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: a failed streaming write leaves neither the output nor a temporary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      writeFileAtomic(join(dir, "out.bin"), () => Promise.reject(new Error("disk full"))),
      /could not write: disk full/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: a missing output folder is named as such", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      writeFileAtomic(join(dir, "nope", "out.bin"), new Uint8Array([1])),
      /out\.bin`: the folder .*nope does not exist$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
