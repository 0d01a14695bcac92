/**
 * The shared control block of the OpenSSL engine's thread pool. One `SharedArrayBuffer` holds the
 * current job (operation, raw addresses, chunk run, keys), a chunk claim counter and a state word;
 * the calling thread and the pool's workers claim small groups of chunks from the counter until
 * the run is done (work sharing: a worker that starts late, or is descheduled on a busy machine,
 * takes fewer chunks instead of making the caller wait). No message is posted per job: workers
 * sleep on the state word with `Atomics.wait` and are woken with `Atomics.notify`.
 *
 * State word: `seq << 8 | closed << 7 | busy`. A worker joins the open job `seq` with a
 * compare-and-swap that increments `busy`; the caller closes the job with a compare-and-swap once
 * it has claimed every chunk and `busy` is 0, so no worker can join a job whose parameters are
 * about to be overwritten.
 *
 * @example
 * ```ts
 * import { Control } from "./_pool.ts";
 * const c = new Control();
 * console.log(c.state() >> 8); // 0
 * ```
 * @module
 */
import type { ChunkRun, PayloadKeys, SuiteId } from "./_layout.ts";

const I_STATE = 0, I_NEXT = 1, I_COUNT = 2, I_GRAIN = 3, I_FAIL = 4, I_OP = 5, I_CHUNK = 6;
const I_LASTPLAIN = 7, I_FINAL = 8, I_KEYID = 9, I_SUITE = 10, I_QUIT = 11, I_ERR = 12;
const I_WORKED = 13;
// Float64 slots (byte offset 64): run counter, source and destination addresses
const F_COUNTER = 8, F_SRC = 9, F_DST = 10;
const KEY_OFF = 128;
const BYTES = KEY_OFF + 96;

/** Job closed flag in the state word. */
export const CLOSED = 0x80;
/** Mask of the busy-worker count in the state word. */
export const BUSY = 0x7f;
/** `fail` value when no chunk failed. */
export const NO_FAIL = 0x7fffffff;

/** A job as a worker reads it. */
export interface Job {
  /** `0` = seal, `1` = open. */
  op: 0 | 1;
  /** The payload keys. */
  keys: PayloadKeys;
  /** C. */
  chunkSize: number;
  /** The whole run. */
  run: ChunkRun;
  /** Address of the run's input. */
  src: number;
  /** Address of the run's output. */
  dst: number;
  /** Chunks per claim. */
  grain: number;
}

/** Views over the control block. */
export class Control {
  /** The shared memory (sent once to each worker). */
  readonly sab: SharedArrayBuffer;
  /** Int32 view (state, counters, parameters). */
  readonly i32: Int32Array<SharedArrayBuffer>;
  #f64: Float64Array<SharedArrayBuffer>;
  #keys: Uint8Array<SharedArrayBuffer>;
  #cachedKeys: PayloadKeys | undefined;

  /** @param sab an existing block (in a worker), or none to allocate one */
  constructor(sab?: SharedArrayBuffer) {
    this.sab = sab ?? new SharedArrayBuffer(BYTES);
    this.i32 = new Int32Array(this.sab);
    this.#f64 = new Float64Array(this.sab);
    this.#keys = new Uint8Array(this.sab, KEY_OFF, 96);
  }

  /** @returns the state word */
  state(): number {
    return Atomics.load(this.i32, I_STATE);
  }

  /** @returns whether the pool was told to stop */
  quitting(): boolean {
    return Atomics.load(this.i32, I_QUIT) !== 0;
  }

  /** Tells the workers to stop and wakes them. */
  quit(): void {
    Atomics.store(this.i32, I_QUIT, 1);
    Atomics.add(this.i32, I_STATE, 1 << 8);
    Atomics.notify(this.i32, I_STATE);
  }

  /**
   * Publishes a job (only while the previous one is closed) and wakes the workers.
   *
   * @param job the job
   */
  open(job: Job): void {
    const i = this.i32, k = job.keys;
    i[I_OP] = job.op;
    i[I_CHUNK] = job.chunkSize;
    i[I_COUNT] = job.run.count;
    i[I_LASTPLAIN] = job.run.lastPlain;
    i[I_FINAL] = job.run.final ? 1 : 0;
    i[I_GRAIN] = job.grain;
    i[I_KEYID] = k.id;
    i[I_SUITE] = k.suite;
    this.#f64[F_COUNTER] = job.run.counter;
    this.#f64[F_SRC] = job.src;
    this.#f64[F_DST] = job.dst;
    this.#keys.set(k.encKey, 0);
    if (k.macKey) this.#keys.set(k.macKey, 32);
    if (k.ivKey) this.#keys.set(k.ivKey, 64);
    Atomics.store(i, I_FAIL, NO_FAIL);
    Atomics.store(i, I_ERR, 0);
    Atomics.store(i, I_NEXT, 0);
    const seq = ((Atomics.load(i, I_STATE) >>> 8) + 1) & 0x3fffff;
    Atomics.store(i, I_STATE, seq << 8);
    Atomics.notify(i, I_STATE);
  }

  /**
   * Joins the open job `st` (a worker).
   *
   * @param st the state word seen
   * @returns whether the worker joined (then it must call {@linkcode leave})
   */
  join(st: number): boolean {
    return Atomics.compareExchange(this.i32, I_STATE, st, st + 1) === st;
  }

  /** Leaves the job (a worker) and wakes the caller if it is waiting. */
  leave(): void {
    Atomics.sub(this.i32, I_STATE, 1);
    Atomics.notify(this.i32, I_STATE);
  }

  /** @returns the job's parameters (a worker, after {@linkcode join}) */
  job(): Job {
    const i = this.i32, id = i[I_KEYID], suite = i[I_SUITE] as SuiteId;
    if (!this.#cachedKeys || this.#cachedKeys.id !== id) {
      this.#cachedKeys = {
        suite,
        id,
        encKey: this.#keys.slice(0, 32),
        ...(suite === 2
          ? { macKey: this.#keys.slice(32, 64), ivKey: this.#keys.slice(64, 96) }
          : {}),
      };
    }
    return {
      op: i[I_OP] as 0 | 1,
      keys: this.#cachedKeys,
      chunkSize: i[I_CHUNK],
      run: {
        counter: this.#f64[F_COUNTER],
        count: i[I_COUNT],
        lastPlain: i[I_LASTPLAIN],
        final: i[I_FINAL] === 1,
      },
      src: this.#f64[F_SRC],
      dst: this.#f64[F_DST],
      grain: i[I_GRAIN],
    };
  }

  /**
   * Claims the next group of chunks.
   *
   * @returns the index (within the run) of its first chunk and how many, or `null` when none is left
   */
  claim(): { first: number; count: number } | null {
    const i = this.i32, total = i[I_COUNT], grain = i[I_GRAIN];
    const first = Atomics.add(i, I_NEXT, grain);
    if (first >= total) return null;
    return { first, count: Math.min(grain, total - first) };
  }

  /** @param rel index within the run of a chunk that failed authentication */
  fail(rel: number): void {
    for (;;) {
      const cur = Atomics.load(this.i32, I_FAIL);
      if (rel >= cur || Atomics.compareExchange(this.i32, I_FAIL, cur, rel) === cur) return;
    }
  }

  /** @param count chunks a worker processed (statistics) */
  worked(count: number): void {
    Atomics.add(this.i32, I_WORKED, count);
  }

  /** @returns chunks processed by workers since the block was created */
  workerChunks(): number {
    return Atomics.load(this.i32, I_WORKED);
  }

  /** Records that a worker failed while it held claimed chunks (a worker). */
  error(): void {
    Atomics.store(this.i32, I_ERR, 1);
  }

  /** @returns whether a worker failed during the job */
  errored(): boolean {
    return Atomics.load(this.i32, I_ERR) !== 0;
  }

  /** @returns the first failing chunk of the job, or -1 */
  failed(): number {
    const f = Atomics.load(this.i32, I_FAIL);
    return f === NO_FAIL ? -1 : f;
  }

  /**
   * Closes the job once every worker that joined it has left (the caller, after its own claims
   * run out). Sleeps on the state word while workers finish their last group.
   */
  close(): void {
    const i = this.i32;
    for (;;) {
      const st = Atomics.load(i, I_STATE);
      if ((st & BUSY) === 0) {
        if (Atomics.compareExchange(i, I_STATE, st, st | CLOSED) === st) return;
        continue;
      }
      Atomics.wait(i, I_STATE, st, 50);
    }
  }
}

/**
 * The sub-run of `run` holding chunks `first .. first + count - 1` (indices within the run).
 *
 * @param run the whole run
 * @param chunkSize C
 * @param first first chunk index within the run
 * @param count how many chunks
 * @returns the sub-run
 * @example
 * ```ts
 * import { subRun } from "./_pool.ts";
 * console.log(subRun({ counter: 0, count: 3, lastPlain: 5, final: true }, 64, 2, 1).lastPlain); // 5
 * ```
 */
export function subRun(run: ChunkRun, chunkSize: number, first: number, count: number): ChunkRun {
  const end = first + count === run.count;
  return {
    counter: run.counter + first,
    count,
    lastPlain: end ? run.lastPlain : chunkSize,
    final: end && run.final,
  };
}
