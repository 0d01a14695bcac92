/**
 * The server's RSA identity: the key pair envelope inference is addressed to. Created on first
 * start as `identity.pem` (PKCS#8, owner-only permissions) in the state folder, written to a
 * temporary file and renamed, so a crash leaves either no identity or a whole one; read back on
 * every later start, so clients' cached public keys stay valid across restarts.
 *
 * @example
 * ```ts
 * import { loadServerIdentity } from "./identity.ts";
 * const dir = await Deno.makeTempDir();
 * const a = await loadServerIdentity(dir), b = await loadServerIdentity(dir);
 * console.log(a.publicKey.fingerprint === b.publicKey.fingerprint); // true
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { join } from "node:path";
import {
  exportPrivatePem,
  generateKeyPair,
  importPrivatePem,
  type KeyPair,
  type RsaBits,
} from "../envelope/keys.ts";

/** File name of the identity inside the state folder. */
export const IDENTITY_FILE = "identity.pem";

/**
 * Loads the server's key pair from `dir`, creating it if there is none.
 *
 * @param dir the state folder
 * @param bits modulus size of a new key (default 3072)
 * @returns the key pair
 */
export async function loadServerIdentity(dir: string, bits: RsaBits = 3072): Promise<KeyPair> {
  const path = join(dir, IDENTITY_FILE);
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (text === undefined) {
    const pair = await generateKeyPair(bits);
    const tmp = join(dir, `.tmp-identity-${crypto.randomUUID()}`);
    await Deno.writeTextFile(tmp, await exportPrivatePem(pair.privateKey), {
      mode: 0o600,
      createNew: true,
    });
    try {
      // link() fails if another process created the identity meanwhile: keep theirs
      await Deno.link(tmp, path);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    } finally {
      await Deno.remove(tmp);
    }
    text = await Deno.readTextFile(path);
  }
  const privateKey = await importPrivatePem(text, { file: path });
  return { publicKey: privateKey.publicKey, privateKey };
}
