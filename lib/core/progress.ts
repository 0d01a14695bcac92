/**
 * Progress reporting for long work (training, shadow models, HE batches, reproduce).
 *
 * On a terminal it draws a `cli-progress` bar on stderr; elsewhere (CI logs, Jupyter cells) it
 * prints a short line at most every few seconds, so logs stay readable and cell outputs small.
 * Set `MEDCRYPT_QUIET=1` to silence it.
 *
 * @example
 * ```ts
 * import { progress } from "./progress.ts";
 * const bar = progress("epochs", 3);
 * for (let i = 0; i < 3; i++) bar.tick({ loss: 0.1 * i });
 * bar.done(); // stderr (not a terminal): "epochs: 3/3 (0.0 s) loss=0.2000 done"
 * console.log(Object.keys(bar)); // [ "tick", "done" ]
 * ```
 * @module
 */
import cliProgress from "cli-progress";

/** A running progress indicator. */
export interface Progress {
  /** Advances by `n` (default 1) steps, optionally showing named values such as the loss. */
  tick(values?: Record<string, number | string>, n?: number): void;
  /** Finishes the indicator (prints the final state). */
  done(): void;
}

function quiet(): boolean {
  try {
    return Deno.env.get("MEDCRYPT_QUIET") === "1";
  } catch {
    return false;
  }
}

function fmtValues(values: Record<string, number | string>): string {
  return Object.entries(values)
    .map(([k, v]) =>
      `${k}=${typeof v === "number" ? (Number.isInteger(v) ? v : v.toPrecision(4)) : v}`
    )
    .join(" ");
}

/**
 * Starts a progress indicator.
 *
 * @param label what is being done
 * @param total how many steps in all
 * @returns a {@linkcode Progress}
 * @example
 * ```ts
 * import { progress } from "./progress.ts";
 * const p = progress("images", 2);
 * p.tick();
 * p.tick();
 * p.done(); // stderr (not a terminal): "images: 2/2 (0.0 s) done"
 * console.log(typeof p.tick, typeof p.done); // function function
 * ```
 */
export function progress(label: string, total: number): Progress {
  if (quiet()) return { tick() {}, done() {} };
  let values: Record<string, number | string> = {};
  let count = 0;
  if (Deno.stderr.isTerminal()) {
    const bar = new cliProgress.SingleBar({
      format: `${label} [{bar}] {value}/{total} {eta_formatted} {extra}`,
      stream: process.stderr,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { extra: "" });
    return {
      tick(v = {}, n = 1) {
        values = { ...values, ...v };
        count += n;
        bar.update(count, { extra: fmtValues(values) });
      },
      done() {
        bar.stop();
      },
    };
  }
  const start = performance.now();
  let last = start;
  const enc = new TextEncoder();
  const line = (final: boolean) => {
    const s = ((performance.now() - start) / 1000).toFixed(1);
    const extra = Object.keys(values).length ? " " + fmtValues(values) : "";
    Deno.stderr.writeSync(
      enc.encode(`${label}: ${count}/${total} (${s} s)${extra}${final ? " done" : ""}\n`),
    );
  };
  return {
    tick(v = {}, n = 1) {
      values = { ...values, ...v };
      count += n;
      const now = performance.now();
      if (now - last > 5000) {
        last = now;
        line(false);
      }
    },
    done() {
      line(true);
    },
  };
}
