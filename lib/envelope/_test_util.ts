/**
 * Shared fixtures of the envelope tests: the test-vector key pair, a second key, helpers.
 *
 * @module
 */
import { closeWorkers } from "./engines.ts";
import { generateKeyPair, type KeyPair, readPrivateKey, readPublicKey } from "./keys.ts";

/** Folder of the test vectors. */
export const TESTDATA = new URL("./testdata/", import.meta.url).pathname;

let alice: Promise<KeyPair> | undefined;
let bob: Promise<KeyPair> | undefined;

/** @returns the fixed test key pair of `testdata/` */
export function aliceKeys(): Promise<KeyPair> {
  return alice ??= (async () => ({
    publicKey: await readPublicKey(`${TESTDATA}public.pem`),
    privateKey: await readPrivateKey(`${TESTDATA}private.pem`),
  }))();
}

/** @returns a second, freshly generated key pair (once per process) */
export function bobKeys(): Promise<KeyPair> {
  return bob ??= generateKeyPair(2048);
}

/**
 * `Deno.test` whose body may use the OpenSSL worker pool: the workers are closed at the end so
 * the sanitizers see no leaked timer or worker.
 */
export function envTest(name: string, fn: () => Promise<void>, ignore = false): void {
  Deno.test({
    name,
    ignore,
    async fn() {
      try {
        await fn();
      } finally {
        closeWorkers();
      }
    },
  });
}

/** @returns deterministic bytes */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** @returns hex SHA-256 of a file's bytes */
export async function sha256File(path: string): Promise<string> {
  const b = await Deno.readFile(path);
  return Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", b)),
    (x) => x.toString(16).padStart(2, "0"),
  ).join("");
}
