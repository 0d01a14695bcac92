/**
 * One worker thread of {@linkcode threadPool}: loads the handler module it is given, then runs
 * one job at a time. Inside a job thread tfjs runs single-threaded, so N threads use N cores.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { MedCryptError } from "../core/errors.ts";
import { jobCacheDir, runSealed } from "./execute.ts";
import type { JobHandler } from "./types.ts";
import type { ThreadReply, ThreadRequest } from "./threads.ts";

let handlers: readonly JobHandler<never, unknown>[] = [];
let cacheRoot: string | null = null;
let name = "thread";
let current: AbortController | undefined;

const post = (m: ThreadReply) => self.postMessage(m);

self.onmessage = async (e: MessageEvent<ThreadRequest>) => {
  const m = e.data;
  if (m.type === "init") {
    try {
      const mod = await import(m.module);
      if (!Array.isArray(mod.handlers)) {
        throw new MedCryptError("job-thread", `${m.module} exports no \`handlers\` array`);
      }
      handlers = mod.handlers;
      cacheRoot = m.cacheRoot;
      name = m.name;
      post({ type: "ready" });
    } catch (err) {
      post({ type: "init-error", message: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  current = new AbortController();
  try {
    const sealed = await runSealed(handlers, m.job, {
      progress: (fraction, note) => post({ type: "progress", key: m.job.key, fraction, note }),
      signal: current.signal,
      cacheDir: jobCacheDir(cacheRoot, m.job.cache),
      worker: name,
    });
    post({ type: "done", sealed });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "job-failed";
    post({ type: "failed", code, message: err instanceof Error ? err.message : String(err) });
  }
};
