/**
 * Training on a data set stored at rest as envelopes (paper A trains "on encrypted datasets"):
 * each image is an `.mce` envelope (AES-256-GCM, key wrapped with RSA-OAEP to the trainer) whose
 * encrypted metadata carries the label; the loader decrypts in memory and never writes clear
 * data to disk.
 *
 * @example
 * ```ts
 * import { closeWorkers, generateKeyPair } from "../envelope/mod.ts";
 * import { loadEnvelopeSet, storeSetAsEnvelopes } from "./train_envelope.ts";
 * const { publicKey, privateKey } = await generateKeyPair(2048);
 * const set = { images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), labels: Uint8Array.from([0, 1]),
 *   n: 2, height: 2, width: 2, channels: 1, labelWidth: 1 };
 * const dir = await Deno.makeTempDir();
 * const paths = await storeSetAsEnvelopes(set, dir, publicKey);
 * console.log(paths.map((p) => p.slice(-10))); // [ "000000.mce", "000001.mce" ]
 * const clear = await loadEnvelopeSet(dir, privateKey); // in memory only
 * console.log(clear.images.join(), clear.labels.join()); // 1,2,3,4,5,6,7,8 0,1
 * closeWorkers();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { join } from "node:path";
import { MedCryptError } from "../core/errors.ts";
import { readFileChecked, writeFileAtomic } from "../core/fs.ts";
import { progress } from "../core/progress.ts";
import { imageAt, type LabeledSet } from "../datasets/medmnist.ts";
import { decryptImage, encryptImage, type PrivateKey, type PublicKey } from "../envelope/mod.ts";

/**
 * Encrypts every image of `set` to `recipients`, one `NNNNNN.mce` file per image in `dir`
 * (created), with the label inside the encrypted metadata.
 *
 * @param set grey 8-bit images with single labels
 * @param dir output folder
 * @param recipients public key(s) of whoever may train on the data
 * @returns the paths written
 * @example
 * ```ts
 * import { closeWorkers, generateKeyPair } from "../envelope/mod.ts";
 * import { storeSetAsEnvelopes } from "./train_envelope.ts";
 * const { publicKey } = await generateKeyPair(2048);
 * const set = { images: new Uint8Array(2 * 4), labels: Uint8Array.from([0, 1]), n: 2, height: 2, width: 2, channels: 1, labelWidth: 1 };
 * console.log((await storeSetAsEnvelopes(set, await Deno.makeTempDir(), publicKey)).length); // 2
 * closeWorkers();
 * ```
 */
export async function storeSetAsEnvelopes(
  set: LabeledSet,
  dir: string,
  recipients: PublicKey | PublicKey[],
): Promise<string[]> {
  if (set.channels !== 1 || set.labelWidth !== 1) {
    throw new MedCryptError(
      "bad-argument",
      "only grey, single-label sets can be stored as envelopes",
    );
  }
  await Deno.mkdir(dir, { recursive: true });
  const paths: string[] = [];
  const bar = progress("encrypt set", set.n);
  for (let i = 0; i < set.n; i++) {
    const img = imageAt(set, i);
    const env = await encryptImage(img, recipients, {
      extraMetadata: { label: set.labels[i], index: i },
    });
    const p = join(dir, `${String(i).padStart(6, "0")}.mce`);
    await writeFileAtomic(p, env);
    paths.push(p);
    bar.tick();
  }
  bar.done();
  return paths;
}

/**
 * Decrypts a folder of image envelopes (as written by {@linkcode storeSetAsEnvelopes}) into an
 * in-memory {@linkcode LabeledSet}, in file-name order. Nothing is written to disk. Every
 * envelope is authenticated; a wrong key, an altered file or a missing label is an error naming
 * the file.
 *
 * @param dir the folder of `.mce` files
 * @param identity the private key
 * @returns the decrypted set
 * @example
 * ```ts
 * import { closeWorkers, generateKeyPair } from "../envelope/mod.ts";
 * import { loadEnvelopeSet, storeSetAsEnvelopes } from "./train_envelope.ts";
 * const { publicKey, privateKey } = await generateKeyPair(2048);
 * const dir = await Deno.makeTempDir();
 * const set = { images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), labels: Uint8Array.from([0, 1]), n: 2, height: 2, width: 2, channels: 1, labelWidth: 1 };
 * await storeSetAsEnvelopes(set, dir, publicKey);
 * console.log((await loadEnvelopeSet(dir, privateKey)).labels); // Uint8Array(2) [ 0, 1 ]
 * closeWorkers();
 * ```
 */
export async function loadEnvelopeSet(dir: string, identity: PrivateKey): Promise<LabeledSet> {
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".mce")) files.push(e.name);
    }
  } catch (e) {
    throw new MedCryptError("not-found", `cannot list the folder: ${(e as Error).message}`, {
      file: dir,
    });
  }
  if (!files.length) {
    throw new MedCryptError("bad-argument", "no .mce files in the folder", { file: dir });
  }
  files.sort();
  let h = 0, w = 0;
  let images = new Uint8Array(0);
  const labels = new Uint8Array(files.length);
  const bar = progress("decrypt set", files.length);
  for (const [k, name] of files.entries()) {
    const path = join(dir, name);
    const { image, metadata } = await decryptImage(await readFileChecked(path), identity, {
      file: path,
    });
    if (!(image.data instanceof Uint8Array)) {
      throw new MedCryptError("bad-bit-depth", "training images must be 8-bit", { file: path });
    }
    if (k === 0) {
      h = image.height;
      w = image.width;
      images = new Uint8Array(files.length * h * w);
    } else if (image.height !== h || image.width !== w) {
      throw new MedCryptError(
        "bad-shape",
        `image is ${image.width}×${image.height}, the first was ${w}×${h}`,
        { file: path },
      );
    }
    const label = Number(metadata.label);
    if (!Number.isInteger(label) || label < 0 || label > 255) {
      throw new MedCryptError("bad-metadata", "the envelope carries no integer label", {
        file: path,
      });
    }
    images.set(image.data, k * h * w);
    labels[k] = label;
    bar.tick();
  }
  bar.done();
  return { images, labels, n: files.length, height: h, width: w, channels: 1, labelWidth: 1 };
}
