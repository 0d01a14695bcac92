/**
 * Folder inputs for the commands that take them (`info`, `convert`, `encrypt`, `he-infer`,
 * `cipher-metrics`): a folder is searched recursively for the files a command reads, each file is
 * processed on its own, one line is printed per file and a total at the end; a bad file is
 * reported and skipped, and the exit code is 1 when any failed.
 *
 * DICOM studies often name their files without an extension (`IM0001`): such files are taken when
 * their bytes say DICOM (`DICM` at offset 128).
 *
 * @example
 * ```ts
 * import { eachFile, listInputs } from "./batch.ts";
 * const { files } = await listInputs("data/dicom", [".dcm"]);
 * const code = await eachFile("info", files, (f) => Promise.resolve(`${f.length} characters`));
 * console.log(code); // 0
 * ```
 * @module
 */
import { extname, join, relative, resolve } from "node:path";
import { MedCryptError } from "../core/errors.ts";

/** The image files the folder commands read. */
export const IMAGE_EXTENSIONS: readonly string[] = [".npy", ".png", ".dcm"];

/** What {@linkcode listInputs} found. */
export interface Inputs {
  /** The path named a folder. */
  folder: boolean;
  /** The files to process, sorted; the path itself when it is a file. */
  files: string[];
}

async function isDicom(path: string): Promise<boolean> {
  const f = await Deno.open(path, { read: true }).catch(() => undefined);
  if (!f) return false;
  try {
    const head = new Uint8Array(132);
    let n = 0;
    while (n < head.length) {
      const r = await f.read(head.subarray(n));
      if (r === null) return false;
      n += r;
    }
    return String.fromCharCode(...head.subarray(128)) === "DICM";
  } finally {
    f.close();
  }
}

async function walk(dir: string, skip: string | undefined, out: string[]): Promise<void> {
  if (skip !== undefined && resolve(dir) === skip) return;
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    // a symbolic link counts as what it points to; a dangling one is listed, so it is reported
    const isDir = e.isDirectory ||
      (e.isSymlink && await Deno.stat(p).then((i) => i.isDirectory, () => false));
    if (isDir) await walk(p, skip, out);
    else out.push(p);
  }
}

/**
 * The files a command should process: `path` itself when it is a file, else every file below the
 * folder whose extension is in `extensions` (and extension-less DICOM files when `.dcm` is), or
 * every file when `extensions` is `"all"`; hidden files and folders skipped, symbolic links
 * followed, sorted by path.
 *
 * @param path a file or a folder
 * @param extensions accepted extensions, lower case with the dot, or `"all"`
 * @param skip a folder below `path` to leave out (e.g. the command's output folder)
 * @returns whether it was a folder, and the files
 * @example
 * ```ts
 * import { listInputs } from "./batch.ts";
 * const r = await listInputs("data/clinical", [".npy"]);
 * console.log(r.folder, r.files.length > 0); // true true
 * ```
 */
export async function listInputs(
  path: string,
  extensions: readonly string[] | "all",
  skip?: string,
): Promise<Inputs> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new MedCryptError("not-found", "no such file or folder", { file: path });
  }
  if (!info.isDirectory) return { folder: false, files: [path] };
  const all: string[] = [];
  await walk(path, skip === undefined ? undefined : resolve(skip), all);
  const files: string[] = [];
  for (const f of all) {
    const ext = extname(f).toLowerCase();
    if (extensions === "all" || extensions.includes(ext)) files.push(f);
    else if (ext === "" && extensions.includes(".dcm") && await isDicom(f)) files.push(f);
  }
  if (files.length === 0) {
    const what = extensions === "all" ? "" : ` ${extensions.join(", ")}`;
    throw new MedCryptError(
      "no-inputs",
      `is a folder with no${what} files in it (searched recursively)`,
      { file: path },
    );
  }
  return { folder: true, files: files.sort() };
}

/**
 * Where a file found under `inRoot` goes under `outRoot`: the same relative path, with `suffix`
 * replacing its extension (`replace`) or appended to its name.
 *
 * @param inRoot the input folder
 * @param file a file below it
 * @param outRoot the output folder
 * @param suffix the new extension, with its dot
 * @param replace replace the extension (true) or append to the name (false)
 * @returns the output path
 * @example
 * ```ts
 * import { mirrorPath } from "./batch.ts";
 * console.log(mirrorPath("in", "in/a/b.npy", "out", ".png", true)); // out/a/b.png
 * console.log(mirrorPath("in", "in/a/b.npy", "out", ".mce", false)); // out/a/b.npy.mce
 * ```
 */
export function mirrorPath(
  inRoot: string,
  file: string,
  outRoot: string,
  suffix: string,
  replace: boolean,
): string {
  const rel = relative(inRoot, file);
  const ext = extname(rel);
  return join(outRoot, replace && ext ? rel.slice(0, -ext.length) + suffix : rel + suffix);
}

/** A failure's message without the `` `file`: `` prefix (the line already starts with the file). */
function detail(e: unknown, file: string): string {
  const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  const prefix = `\`${file}\`: `;
  return msg.startsWith(prefix) ? msg.slice(prefix.length) : msg;
}

/**
 * Processes files one by one: `file: <summary>` for each success, `file: FAILED: <why>` for each
 * failure (the rest go on), then a total. Returns 0, or 1 when any file failed (with one line on
 * stderr saying how many).
 *
 * @param command the command's name, for the stderr line
 * @param files the files
 * @param work processes one file and returns its summary line
 * @returns the exit code
 * @example
 * ```ts
 * import { eachFile } from "./batch.ts";
 * const code = await eachFile("x", ["a", "b"], (f) => f === "a" ? Promise.resolve("ok") : Promise.reject(new Error("bad")));
 * console.log(code); // 1
 * ```
 */
export async function eachFile(
  command: string,
  files: readonly string[],
  work: (file: string) => Promise<string>,
): Promise<number> {
  let failed = 0;
  for (const f of files) {
    try {
      console.log(`${f}: ${await work(f)}`);
    } catch (e) {
      if (Deno.env.get("MEDCRYPT_DEBUG") === "1") console.error(e);
      failed++;
      console.log(`${f}: FAILED: ${detail(e, f)}`);
    }
  }
  console.log(
    `${files.length} file${files.length === 1 ? "" : "s"}: ${
      files.length - failed
    } done, ${failed} failed`,
  );
  if (failed) console.error(`medcrypt ${command}: ${failed} of ${files.length} files failed`);
  return failed ? 1 : 0;
}

/**
 * {@linkcode eachFile} for `--json`: one JSON object per line, `{file, …}` for each success and
 * `{file, error}` for each failure, no total line; exit 1 (and one stderr line) when any failed.
 *
 * @param command the command's name, for the stderr line
 * @param files the files
 * @param work processes one file and returns its facts
 * @returns the exit code
 * @example
 * ```ts
 * import { eachFileJson } from "./batch.ts";
 * const code = await eachFileJson("x", ["a"], (f) => Promise.resolve({ length: f.length })); // {"file":"a","length":1}
 * console.log(code); // 0
 * ```
 */
export async function eachFileJson(
  command: string,
  files: readonly string[],
  work: (file: string) => Promise<Record<string, unknown>>,
): Promise<number> {
  let failed = 0;
  for (const file of files) {
    try {
      console.log(JSON.stringify({ file, ...await work(file) }));
    } catch (e) {
      failed++;
      console.log(JSON.stringify({ file, error: detail(e, file) }));
    }
  }
  if (failed) console.error(`medcrypt ${command}: ${failed} of ${files.length} files failed`);
  return failed ? 1 : 0;
}
