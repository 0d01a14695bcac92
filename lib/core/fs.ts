/**
 * File helpers that never leave partial output: write to a temporary file beside the target,
 * then rename; refuse to overwrite an input.
 *
 * @example Writing a file atomically
 * ```ts
 * import { writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/out.bin`, new Uint8Array([1, 2, 3]));
 * console.log((await Deno.readFile(`${dir}/out.bin`)).length); // 3
 * ```
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { MedCryptError } from "./errors.ts";

import process from "node:process";

/**
 * The temporary file a write to `path` goes through: `.tmp-<name>-p<pid>-<random>` in the same
 * folder, so a user sees which file it was for and which process wrote it.
 */
function tempPathFor(path: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(2));
  return join(
    dirname(path),
    `${tempPrefix(path)}${Deno.pid}-${rand[0].toString(36)}${rand[1].toString(36)}`,
  );
}

const tempPrefix = (path: string) => `.tmp-${basename(path)}-p`;

/** Whether process `pid` exists (a process of another user counts as existing). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/**
 * Removes the temporaries of earlier writes to `path` whose process no longer exists — what a
 * write killed mid-way (`kill -9`, power loss) leaves behind. Temporaries of running processes
 * are left alone.
 *
 * @param path the file about to be written
 * @returns the temporaries removed
 * @example
 * ```ts
 * import { removeStaleTemporaries } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/.tmp-out.mce-p999999999-abc`, "partial"); // no such process
 * console.log((await removeStaleTemporaries(`${dir}/out.mce`)).length); // 1
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function removeStaleTemporaries(path: string): Promise<string[]> {
  const prefix = tempPrefix(path), removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dirname(path) || "."));
  } catch {
    return removed; // the folder does not exist (yet): nothing to clean
  }
  for (const e of entries) {
    if (!e.isFile || !e.name.startsWith(prefix)) continue;
    const pid = Number(e.name.slice(prefix.length).split("-")[0]);
    if (!Number.isInteger(pid) || pid === Deno.pid || processExists(pid)) continue;
    const p = join(dirname(path), e.name);
    await Deno.remove(p).then(() => removed.push(p), () => {});
  }
  return removed;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder is written, synced
 * and renamed over `path`. On failure the temporary file is removed and `path` is untouched;
 * temporaries that killed writes to `path` left behind are removed first
 * ({@linkcode removeStaleTemporaries}).
 *
 * @param path where the file should end up
 * @param data the bytes, or a function writing them to an open file (for streaming output)
 * @returns nothing; throws {@linkcode MedCryptError} with code `"io"` on failure
 * @example
 * ```ts
 * import { writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("hello"));
 * console.log(await Deno.readTextFile(`${dir}/a.txt`)); // hello
 * console.log([...Deno.readDirSync(dir)].length); // 1 (no temporary file left behind)
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | ((file: Deno.FsFile) => Promise<void>),
): Promise<void> {
  await removeStaleTemporaries(path);
  const tmp = tempPathFor(path);
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      throw new MedCryptError("not-found", `the folder ${dirname(path)} does not exist`, {
        file: path,
      });
    });
    if (data instanceof Uint8Array) {
      let off = 0;
      while (off < data.length) off += await file.write(data.subarray(off));
    } else {
      await data(file);
    }
    await file.syncData();
    file.close();
    file = undefined;
    await Deno.rename(tmp, path);
  } catch (e) {
    try {
      file?.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    if (e instanceof MedCryptError) throw e;
    throw new MedCryptError("io", `could not write: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
}

/**
 * Throws unless `output` is a different file from every path in `inputs` (so an input is never
 * overwritten).
 *
 * @param output the path about to be written
 * @param inputs the paths being read
 * @returns nothing
 * @example
 * ```ts
 * import { assertNotInput } from "./fs.ts";
 * assertNotInput("out.png", ["in.npy"]); // fine
 * ```
 */
export function assertNotInput(output: string, inputs: readonly string[]): void {
  const out = resolve(output);
  for (const input of inputs) {
    let same = resolve(input) === out;
    if (!same) {
      try {
        const a = Deno.statSync(input), b = Deno.statSync(output);
        same = a.ino !== null && a.ino === b.ino && a.dev === b.dev;
      } catch { /* output does not exist yet */ }
    }
    if (same) {
      throw new MedCryptError(
        "would-overwrite-input",
        "output is the same file as an input; refusing to overwrite it",
        {
          file: output,
        },
      );
    }
  }
}

/**
 * Reads a whole file, turning "not found" and similar failures into a {@linkcode MedCryptError}
 * that names the file.
 *
 * @param path the file to read
 * @returns its bytes
 * @example
 * ```ts
 * import { readFileChecked } from "./fs.ts";
 * const bytes = await readFileChecked("deno.json");
 * console.log(bytes.length > 0); // true
 * const err = await readFileChecked("no-such-file.npy").catch((e) => e);
 * console.log(err.code, err.message); // not-found `no-such-file.npy`: no such file
 * ```
 */
export async function readFileChecked(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new MedCryptError("not-found", "no such file", { file: path });
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new MedCryptError("io", "is a folder, not a file", { file: path });
    }
    throw new MedCryptError("io", `could not read: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
}
