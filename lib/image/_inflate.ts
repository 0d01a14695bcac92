/**
 * Bounded inflation: a deflate (or zlib) stream is inflated a few kilobytes of input at a time
 * and stopped as soon as it yields more than the caller expects, so a small stream that
 * inflates to gigabytes (a zip or zlib bomb) costs neither memory nor the seconds of inflating
 * it into nothing. An optional `check` sees the first bytes before the full buffer is allocated.
 *
 * @example
 * ```ts
 * import { deflateSync } from "fflate";
 * import { inflateBounded } from "./_inflate.ts";
 * const r = inflateBounded(deflateSync(new Uint8Array(1000)), 10);
 * console.log(r.more, r.out.length); // true 10
 * ```
 * @module
 */
import { Inflate, Unzlib } from "fflate";

/** What {@linkcode inflateBounded} produced. */
export interface Inflated {
  /** The first `min(size, produced)` bytes, in a buffer of `size` bytes. */
  readonly out: Uint8Array;
  /** Bytes produced (at most `size`). */
  readonly produced: number;
  /** True when the stream holds more than `size` bytes (inflation was stopped there). */
  readonly more: boolean;
}

/** Compressed bytes pushed at a time: at most ~1032× as many come out of one push. */
const STEP = 4096;

/**
 * Inflates `raw` into a buffer of exactly `size` bytes, stopping early when the stream yields
 * more. `check(prefix)` is called with the first `min(size, prefixBytes)` bytes before the full
 * buffer is allocated (it throws to refuse).
 *
 * @param raw the compressed stream
 * @param size bytes expected
 * @param options `zlib: true` for a zlib-wrapped stream (PNG); a prefix check and its length
 * @returns the bytes, how many there were, and whether there were more
 * @example
 * ```ts
 * import { zlibSync } from "fflate";
 * import { inflateBounded } from "./_inflate.ts";
 * const r = inflateBounded(zlibSync(new Uint8Array([1, 2, 3])), 3, { zlib: true });
 * console.log(r.out, r.more); // Uint8Array(3) [ 1, 2, 3 ] false
 * ```
 */
export function inflateBounded(
  raw: Uint8Array,
  size: number,
  options: { zlib?: boolean; check?: (prefix: Uint8Array) => void; prefixBytes?: number } = {},
): Inflated {
  const pre = Math.min(size, options.prefixBytes ?? 0);
  let out = new Uint8Array(options.check ? pre : size);
  let produced = 0, more = false, checked = !options.check;
  const accept = (chunk: Uint8Array) => {
    let c = chunk;
    while (c.length && !more) {
      if (!checked && produced + c.length >= pre) {
        out.set(c.subarray(0, pre - produced), produced);
        c = c.subarray(pre - produced);
        produced = pre;
        options.check!(out);
        const full = new Uint8Array(size);
        full.set(out);
        out = full;
        checked = true;
        continue;
      }
      const room = out.length - produced;
      if (c.length > room) more = true;
      out.set(c.subarray(0, room), produced);
      produced += Math.min(room, c.length);
      c = c.subarray(Math.min(room, c.length));
    }
  };
  const stream = options.zlib ? new Unzlib(accept) : new Inflate(accept);
  for (let p = 0; p < raw.length && !more; p += STEP) {
    stream.push(raw.subarray(p, p + STEP), p + STEP >= raw.length);
  }
  if (!raw.length) stream.push(raw, true);
  if (!checked) options.check!(out.subarray(0, produced));
  if (out.length !== size) {
    const full = new Uint8Array(size);
    full.set(out.subarray(0, produced));
    out = full;
  }
  return { out, produced, more };
}
