/**
 * OpenSSL's libcrypto through Deno's FFI: EVP AES-256-GCM / AES-256-CBC and HMAC-SHA-256 over
 * runs of chunks addressed by raw pointers, so the same code runs on the main thread and in
 * workers that share the process's memory (no copies). Nothing here implements a cipher.
 *
 * @example
 * ```ts
 * import { loadLibcrypto } from "./_openssl.ts";
 * const lib = loadLibcrypto(); // null when FFI or libcrypto is unavailable
 * console.log(lib === null || lib.version.startsWith("OpenSSL 3")); // true
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import {
  chunkCipherLen,
  type ChunkRun,
  type PayloadKeys,
  streamNonce,
  type SuiteId,
} from "./_layout.ts";

const SYMBOLS = {
  OpenSSL_version: { parameters: ["i32"], result: "pointer" },
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_aes_256_gcm: { parameters: [], result: "pointer" },
  EVP_aes_256_cbc: { parameters: [], result: "pointer" },
  EVP_sha256: { parameters: [], result: "pointer" },
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "pointer", "i32"],
    result: "i32",
  },
  EVP_CipherUpdate: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "i32"],
    result: "i32",
  },
  EVP_CipherFinal_ex: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "pointer"], result: "i32" },
  HMAC_CTX_new: { parameters: [], result: "pointer" },
  HMAC_CTX_free: { parameters: ["pointer"], result: "void" },
  HMAC_Init_ex: {
    parameters: ["pointer", "pointer", "i32", "pointer", "pointer"],
    result: "i32",
  },
  HMAC_Update: { parameters: ["pointer", "pointer", "usize"], result: "i32" },
  HMAC_Final: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  CRYPTO_memcmp: { parameters: ["pointer", "pointer", "usize"], result: "i32" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
type Ptr = Deno.PointerValue;

const CTRL_GET_TAG = 0x10;
const CTRL_SET_TAG = 0x11;

/** Candidate library names, tried in order (override with `MEDCRYPT_LIBCRYPTO`). */
function candidates(): string[] {
  let env: string | undefined;
  try {
    env = Deno.env.get("MEDCRYPT_LIBCRYPTO");
  } catch { /* no env permission */ }
  if (env) return [env];
  switch (Deno.build.os) {
    case "darwin":
      return [
        "libcrypto.3.dylib",
        "/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib",
        "/usr/local/opt/openssl@3/lib/libcrypto.3.dylib",
      ];
    case "windows":
      return ["libcrypto-3-x64.dll", "libcrypto-3.dll"];
    default:
      return ["libcrypto.so.3", "libcrypto.so"];
  }
}

/** Per-key OpenSSL contexts of one thread. */
interface KeyState {
  id: number;
  enc: Ptr;
  dec: Ptr;
  hIv: Ptr;
  hMac: Ptr;
}

/** libcrypto bound through FFI, with per-thread scratch memory and cached key schedules. */
export class Libcrypto {
  /** OpenSSL's version string. */
  readonly version: string;
  #lib: Lib;
  #close: () => void;
  #scratch = new Uint8Array(64);
  #scratchPtr: Ptr;
  #nonce = new Uint8Array(12);
  #noncePtr: Ptr;
  #md = new Uint8Array(32);
  #mdPtr: Ptr;
  #outl = new Int32Array(2);
  #outlPtr: Ptr;
  #big = new Uint8Array(0);
  #states: KeyState[] = [];

  /** @param dl the opened library */
  constructor(dl: Deno.DynamicLibrary<typeof SYMBOLS>) {
    this.#lib = dl.symbols;
    this.#close = () => dl.close();
    const v = this.#lib.OpenSSL_version(0);
    this.version = v ? Deno.UnsafePointerView.getCString(v) : "OpenSSL";
    this.#scratchPtr = Deno.UnsafePointer.of(this.#scratch);
    this.#noncePtr = Deno.UnsafePointer.of(this.#nonce);
    this.#mdPtr = Deno.UnsafePointer.of(this.#md);
    this.#outlPtr = Deno.UnsafePointer.of(this.#outl);
  }

  /** Frees every context and closes the library. */
  close(): void {
    for (const s of this.#states) this.#free(s);
    this.#states = [];
    this.#close();
  }

  #free(s: KeyState): void {
    this.#lib.EVP_CIPHER_CTX_free(s.enc);
    this.#lib.EVP_CIPHER_CTX_free(s.dec);
    if (s.hIv) this.#lib.HMAC_CTX_free(s.hIv);
    if (s.hMac) this.#lib.HMAC_CTX_free(s.hMac);
  }

  #state(keys: PayloadKeys): KeyState {
    const found = this.#states.find((s) => s.id === keys.id);
    if (found) return found;
    const L = this.#lib;
    const cipher = keys.suite === 1 ? L.EVP_aes_256_gcm() : L.EVP_aes_256_cbc();
    const keyPtr = Deno.UnsafePointer.of(keys.encKey);
    const enc = L.EVP_CIPHER_CTX_new();
    const dec = L.EVP_CIPHER_CTX_new();
    const zeroIv = new Uint8Array(16);
    const ivp = Deno.UnsafePointer.of(zeroIv);
    if (
      !enc || !dec || L.EVP_CipherInit_ex(enc, cipher, null, keyPtr, ivp, 1) !== 1 ||
      L.EVP_CipherInit_ex(dec, cipher, null, keyPtr, ivp, 0) !== 1
    ) {
      throw new MedCryptError("backend-failed", "OpenSSL: cipher initialisation failed");
    }
    let hIv: Ptr = null, hMac: Ptr = null;
    if (keys.suite === 2) {
      hIv = L.HMAC_CTX_new();
      hMac = L.HMAC_CTX_new();
      const md = L.EVP_sha256();
      if (
        L.HMAC_Init_ex(hIv, Deno.UnsafePointer.of(keys.ivKey!), 32, md, null) !== 1 ||
        L.HMAC_Init_ex(hMac, Deno.UnsafePointer.of(keys.macKey!), 32, md, null) !== 1
      ) throw new MedCryptError("backend-failed", "OpenSSL: HMAC initialisation failed");
    }
    const s: KeyState = { id: keys.id, enc, dec, hIv, hMac };
    this.#states.push(s);
    if (this.#states.length > 4) this.#free(this.#states.shift()!);
    return s;
  }

  #hmac(h: Ptr, a: Ptr, alen: number, b: Ptr, blen: number, out: Ptr): void {
    const L = this.#lib;
    L.HMAC_Init_ex(h, null, 0, null, null);
    L.HMAC_Update(h, a, BigInt(alen));
    if (blen > 0) L.HMAC_Update(h, b, BigInt(blen));
    L.HMAC_Final(h, out, this.#outlPtr);
  }

  /**
   * Encrypts a run. `src`/`dst` are raw addresses of the run's plaintext and ciphertext.
   *
   * @param keys payload keys
   * @param chunkSize C
   * @param run the chunks
   * @param src address of the plaintext
   * @param dst address of the ciphertext
   */
  seal(keys: PayloadKeys, chunkSize: number, run: ChunkRun, src: Ptr, dst: Ptr): void {
    const L = this.#lib, s = this.#state(keys), suite: SuiteId = keys.suite;
    const full = chunkCipherLen(suite, chunkSize);
    for (let j = 0; j < run.count; j++) {
      const last = j === run.count - 1;
      const p = last ? run.lastPlain : chunkSize;
      streamNonce(this.#nonce, run.counter + j, last && run.final);
      const inp = Deno.UnsafePointer.offset(src!, j * chunkSize);
      const out = Deno.UnsafePointer.offset(dst!, j * full);
      if (suite === 1) {
        L.EVP_CipherInit_ex(s.enc, null, null, null, this.#noncePtr, -1);
        L.EVP_CipherUpdate(s.enc, out, this.#outlPtr, inp, p);
        L.EVP_CipherFinal_ex(s.enc, this.#scratchPtr, this.#outlPtr);
        L.EVP_CIPHER_CTX_ctrl(s.enc, CTRL_GET_TAG, 16, Deno.UnsafePointer.offset(out!, p));
      } else {
        this.#hmac(s.hIv, this.#noncePtr, 12, null, 0, this.#mdPtr);
        L.EVP_CipherInit_ex(s.enc, null, null, null, this.#mdPtr, -1);
        L.EVP_CipherUpdate(s.enc, out, this.#outlPtr, inp, p);
        const n1 = this.#outl[0];
        L.EVP_CipherFinal_ex(s.enc, Deno.UnsafePointer.offset(out!, n1), this.#outlPtr);
        const clen = n1 + this.#outl[0];
        this.#hmac(s.hMac, this.#noncePtr, 12, out, clen, Deno.UnsafePointer.offset(out!, clen));
      }
    }
  }

  /**
   * Decrypts and verifies a run.
   *
   * @param keys payload keys
   * @param chunkSize C
   * @param run the chunks
   * @param src address of the ciphertext
   * @param dst address of the plaintext
   * @returns index within the run of the first failing chunk, or -1
   */
  open(keys: PayloadKeys, chunkSize: number, run: ChunkRun, src: Ptr, dst: Ptr): number {
    const L = this.#lib, s = this.#state(keys), suite: SuiteId = keys.suite;
    const full = chunkCipherLen(suite, chunkSize);
    for (let j = 0; j < run.count; j++) {
      const last = j === run.count - 1;
      const p = last ? run.lastPlain : chunkSize;
      streamNonce(this.#nonce, run.counter + j, last && run.final);
      const inp = Deno.UnsafePointer.offset(src!, j * full);
      const out = Deno.UnsafePointer.offset(dst!, j * chunkSize);
      if (suite === 1) {
        L.EVP_CipherInit_ex(s.dec, null, null, null, this.#noncePtr, -1);
        L.EVP_CIPHER_CTX_ctrl(s.dec, CTRL_SET_TAG, 16, Deno.UnsafePointer.offset(inp!, p));
        L.EVP_CipherUpdate(s.dec, out, this.#outlPtr, inp, p);
        if (L.EVP_CipherFinal_ex(s.dec, this.#scratchPtr, this.#outlPtr) <= 0) return j;
      } else {
        const clen = chunkCipherLen(2, p) - 32;
        this.#hmac(s.hMac, this.#noncePtr, 12, inp, clen, this.#mdPtr);
        if (L.CRYPTO_memcmp(this.#mdPtr, Deno.UnsafePointer.offset(inp!, clen), 32n) !== 0) {
          return j;
        }
        this.#hmac(s.hIv, this.#noncePtr, 12, null, 0, this.#mdPtr);
        if (this.#big.length < clen) this.#big = new Uint8Array(Math.max(clen, chunkSize + 64));
        const bigPtr = Deno.UnsafePointer.of(this.#big);
        L.EVP_CipherInit_ex(s.dec, null, null, null, this.#mdPtr, -1);
        L.EVP_CipherUpdate(s.dec, bigPtr, this.#outlPtr, inp, clen);
        const n1 = this.#outl[0];
        const ok = L.EVP_CipherFinal_ex(
          s.dec,
          Deno.UnsafePointer.offset(bigPtr!, n1),
          this.#outlPtr,
        );
        if (ok <= 0 || n1 + this.#outl[0] !== p) return j;
        if (p > 0) {
          new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(out!, p)).set(
            this.#big.subarray(0, p),
          );
        }
      }
    }
    return -1;
  }
}

let cached: Libcrypto | null | undefined;

/**
 * Opens libcrypto once per thread.
 *
 * @returns the binding, or `null` when FFI is not permitted or libcrypto 3 is not found
 * @example
 * ```ts
 * import { loadLibcrypto } from "./_openssl.ts";
 * console.log(loadLibcrypto()?.version ?? "no OpenSSL"); // e.g. OpenSSL 3.0.19 27 Jan 2026
 * ```
 */
export function loadLibcrypto(): Libcrypto | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (typeof Deno.dlopen !== "function") return null;
  for (const name of candidates()) {
    try {
      cached = new Libcrypto(Deno.dlopen(name, SYMBOLS));
      break;
    } catch { /* try the next name */ }
  }
  return cached;
}
