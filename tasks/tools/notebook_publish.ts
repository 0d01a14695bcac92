/**
 * Executed notebooks a code host renders: `deno task notebooks` writes each executed copy to
 * `figures/notebooks/NAME.ipynb` with its tables (HTML/Markdown) and figures (PNG) but without
 * Plotly's JSON bundles, within a size budget, and stamped in its metadata (`medcrypt`) with the
 * commit that produced it and a digest of the source notebook's cells. The provenance check
 * ({@linkcode checkPublished}) then says whether a committed copy comes from a run of the
 * committed code: same cells as the source notebook, a clean commit that exists in the history,
 * every output there, no error, within budget. It does not ask for byte-identical outputs
 * (timings and CKKS noise differ from run to run).
 *
 * @example
 * ```ts
 * import { sourceDigest } from "./notebook_publish.ts";
 * const nb = { cells: [{ cell_type: "code", source: ["1 + 1"] }] };
 * console.log(sourceDigest(nb).length); // 64
 * ```
 * @module
 */
import { createHash } from "node:crypto";

/** The per-notebook size budget of a published copy: 2 MB. */
export const PUBLISHED_BUDGET_BYTES = 2 * 1024 * 1024;

/** Output bundles dropped from published copies (the PNG beside them stays). */
const DROPPED_MIME = ["application/vnd.plotly.v1+json"];

/** What a published copy records about the run that made it. */
export interface PublishStamp {
  /** The commit checked out when it ran. */
  commit: string;
  /** Whether code, notebooks or data differed from that commit. */
  dirty: boolean;
  /** SHA-256 of the source notebook's cells (type and source), see {@linkcode sourceDigest}. */
  sourceSha256: string;
  /** When it ran (ISO 8601). */
  executedAt: string;
  /** `deno --version`'s first line. */
  deno: string;
}

/** The parts of a notebook this module reads. */
export interface NotebookJson {
  cells: {
    cell_type: string;
    source: string | string[];
    outputs?: { output_type: string; data?: Record<string, unknown> }[];
  }[];
  metadata?: Record<string, unknown>;
}

const text = (s: string | string[]) => Array.isArray(s) ? s.join("") : s;

/**
 * @param nb a notebook
 * @returns hex SHA-256 of its cells' types and sources (outputs and metadata ignored)
 * @example
 * ```ts
 * import { sourceDigest } from "./notebook_publish.ts";
 * const a = { cells: [{ cell_type: "code", source: "x", outputs: [] }] };
 * const b = { cells: [{ cell_type: "code", source: ["x"], outputs: [{ output_type: "stream" }] }] };
 * console.log(sourceDigest(a) === sourceDigest(b)); // true
 * ```
 */
export function sourceDigest(nb: NotebookJson): string {
  const cells = nb.cells.map((c) => [c.cell_type, text(c.source)]);
  return createHash("sha256").update(JSON.stringify(cells)).digest("hex");
}

/**
 * The commit and cleanliness of the working tree, for a stamp.
 *
 * @param root the repository
 * @returns the commit (`"unknown"` outside git) and whether lib/, tasks/, notebooks/, data/ or
 *   the Deno config differ from it
 */
export async function gitState(root = "."): Promise<{ commit: string; dirty: boolean }> {
  const git = async (...args: string[]) => {
    const r = await new Deno.Command("git", { args: ["-C", root, ...args], stderr: "null" })
      .output();
    return r.success ? new TextDecoder().decode(r.stdout).trim() : undefined;
  };
  const commit = await git("rev-parse", "HEAD");
  if (!commit) return { commit: "unknown", dirty: true };
  const status = await git(
    "status",
    "--porcelain",
    "--",
    "lib",
    "tasks",
    "notebooks",
    "data",
    "deno.json",
    "deno.lock",
  );
  return { commit, dirty: status !== "" };
}

/**
 * The copy to publish: Plotly's JSON bundles dropped, the stamp added.
 *
 * @param executed the executed notebook
 * @param source the source notebook it ran from
 * @param state commit and cleanliness ({@linkcode gitState})
 * @returns a new notebook
 * @example
 * ```ts
 * import { publishable } from "./notebook_publish.ts";
 * const src = { cells: [{ cell_type: "code", source: "show(f)" }] };
 * const ran = { cells: [{ cell_type: "code", source: "show(f)", outputs: [{ output_type: "display_data",
 *   data: { "image/png": "iVBOR", "application/vnd.plotly.v1+json": {} } }] }] };
 * const out = publishable(ran, src, { commit: "abc", dirty: false });
 * console.log(Object.keys(out.cells[0].outputs![0].data!)); // [ "image/png" ]
 * ```
 */
export function publishable(
  executed: NotebookJson,
  source: NotebookJson,
  state: { commit: string; dirty: boolean },
): NotebookJson {
  const cells = executed.cells.map((c) => ({
    ...c,
    ...(c.outputs
      ? {
        outputs: c.outputs.map((o) =>
          o.data
            ? {
              ...o,
              data: Object.fromEntries(
                Object.entries(o.data).filter(([k]) => !DROPPED_MIME.includes(k)),
              ),
            }
            : o
        ),
      }
      : {}),
  }));
  const stamp: PublishStamp = {
    ...state,
    sourceSha256: sourceDigest(source),
    executedAt: new Date().toISOString(),
    deno: `deno ${Deno.version.deno}`,
  };
  return { ...executed, cells, metadata: { ...executed.metadata, medcrypt: stamp } };
}

/**
 * The provenance check of a committed copy (see the module doc).
 *
 * @param published the committed executed copy's bytes
 * @param source the source notebook
 * @param commitExists whether a commit is in the repository's history
 * @returns the problems; empty when the copy comes from a run of the committed code
 * @example
 * ```ts
 * import { checkPublished, publishable } from "./notebook_publish.ts";
 * const src = { cells: [{ cell_type: "markdown", source: "# hi" }] };
 * const pub = publishable(src, src, { commit: "abc", dirty: false });
 * const bytes = new TextEncoder().encode(JSON.stringify(pub));
 * console.log(checkPublished(bytes, src, () => true)); // []
 * console.log(checkPublished(bytes, { cells: [] }, () => true).length); // 1
 * ```
 */
export function checkPublished(
  published: Uint8Array,
  source: NotebookJson,
  commitExists: (commit: string) => boolean,
): string[] {
  const problems: string[] = [];
  if (published.length > PUBLISHED_BUDGET_BYTES) {
    problems.push(
      `${(published.length / 2 ** 20).toFixed(2)} MB, over the ${
        PUBLISHED_BUDGET_BYTES / 2 ** 20
      } MB budget`,
    );
  }
  const nb = JSON.parse(new TextDecoder().decode(published)) as NotebookJson;
  const stamp = nb.metadata?.medcrypt as PublishStamp | undefined;
  if (!stamp) return [...problems, "no medcrypt stamp: not written by `deno task notebooks`"];
  if (stamp.sourceSha256 !== sourceDigest(source) || sourceDigest(nb) !== sourceDigest(source)) {
    problems.push("its cells differ from the source notebook's: rerun `deno task notebooks`");
  }
  if (stamp.dirty) problems.push(`run on uncommitted changes to ${stamp.commit.slice(0, 8)}`);
  else if (!commitExists(stamp.commit)) {
    problems.push(`stamped commit ${stamp.commit.slice(0, 8)} is not in this repository`);
  }
  nb.cells.forEach((c, i) => {
    for (const o of c.outputs ?? []) {
      if (o.output_type === "error") problems.push(`cell ${i} shows an error`);
      for (const k of Object.keys(o.data ?? {})) {
        if (DROPPED_MIME.includes(k)) problems.push(`cell ${i} carries ${k}`);
      }
    }
  });
  return problems;
}
