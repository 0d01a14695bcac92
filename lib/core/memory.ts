/**
 * The process's peak resident memory, as the kernel counts it: Linux keeps a high-water mark
 * (`VmHWM` in `/proc/self/status`) that `/proc/self/clear_refs` can reset, so a stage's peak is
 * measured by resetting, running the stage, and reading the mark.
 *
 * @example
 * ```ts
 * import { peakRssBytes, resetPeakRss } from "./memory.ts";
 * const reset = resetPeakRss();
 * const peak = peakRssBytes();
 * console.log(reset === false || peak > 0); // true
 * ```
 * @module
 */

/**
 * Peak resident set size since the last reset (Linux `VmHWM`), in bytes.
 *
 * @returns the high-water mark, or `NaN` where the kernel does not report one (not Linux)
 * @example
 * ```ts
 * import { peakRssBytes } from "./memory.ts";
 * const peak = peakRssBytes();
 * console.log(Number.isNaN(peak) || peak >= Deno.memoryUsage().rss / 2); // true
 * ```
 */
export function peakRssBytes(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Resets the kernel's peak-RSS mark to the current RSS (Linux ≥ 4.0, writing `5` to
 * `/proc/self/clear_refs`).
 *
 * @returns whether the reset worked; when it did not, {@linkcode peakRssBytes} is the peak of the
 *   whole process so far
 * @example
 * ```ts
 * import { peakRssBytes, resetPeakRss } from "./memory.ts";
 * if (resetPeakRss()) {
 *   const start = peakRssBytes();
 *   const buf = new Uint8Array(64 * 2 ** 20).fill(1); // touch 64 MiB
 *   console.log(peakRssBytes() - start >= 60 * 2 ** 20, buf.length); // true 67108864
 * }
 * ```
 */
export function resetPeakRss(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}
