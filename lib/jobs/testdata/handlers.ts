/**
 * Handlers for the job runners' tests: arithmetic, a cancellable wait, a poisoned payload and a
 * job that kills its thread.
 *
 * @module
 */
import { MedCryptError } from "../../core/errors.ts";
import type { JobHandler } from "../types.ts";

const square: JobHandler<{ x: number }, number> = {
  kind: "square",
  run: (p) => Promise.resolve(p.x * p.x),
};

/** What a `wait` job returns: its tag, where and when it ran (epoch ms). */
export interface Waited {
  tag: string;
  worker: string;
  start: number;
  end: number;
}

const wait: JobHandler<{ ms: number; tag: string }, Waited> = {
  kind: "wait",
  run: (p, ctx) =>
    new Promise((resolve, reject) => {
      const start = Date.now();
      ctx.progress(0.5, "halfway");
      const t = setTimeout(
        () => resolve({ tag: p.tag, worker: ctx.worker, start, end: Date.now() }),
        p.ms,
      );
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(t);
        reject(new Error("cancelled"));
      });
    }),
};

const poison: JobHandler<{ why: string }, never> = {
  kind: "poison",
  run: (p) => Promise.reject(new Error(`poisoned payload: ${p.why}`)),
};

const crash: JobHandler<Record<string, never>, never> = {
  kind: "crash",
  run: () =>
    new Promise(() => {
      setTimeout(() => {
        throw new MedCryptError("test-crash", "the thread died");
      }, 0);
    }),
};

const cacheDir: JobHandler<Record<string, never>, string | null> = {
  kind: "cache-dir",
  run: (_p, ctx) => Promise.resolve(ctx.cacheDir ?? null),
};

/** The handlers, by kind. */
export const handlers: JobHandler<never, unknown>[] = [
  square,
  wait,
  poison,
  crash,
  cacheDir,
] as JobHandler<never, unknown>[];
