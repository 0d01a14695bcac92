/**
 * Writes `testdata/vec-*.mce` and `testdata/vectors.json` from fixed key material (SPEC.md §9).
 * Run: `deno run -A lib/envelope/_make_vectors.ts`.
 *
 * @module
 */
import { encrypt, inspect, type Metadata } from "../../lib/envelope/envelope.ts";
import { readPublicKey } from "../../lib/envelope/keys.ts";
import { closeWorkers } from "../../lib/envelope/engines.ts";

const dir = new URL("../../lib/envelope/testdata/", import.meta.url).pathname;
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const fixed = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed + 7) & 255);

/** One vector's recipe. */
interface Recipe {
  name: string;
  suite: "aes-256-gcm" | "aes-256-cbc-hmac-sha256";
  exponent: number;
  content: Uint8Array;
  metadata?: Metadata;
  clearMetadata?: boolean;
}

const recipes: Recipe[] = [
  {
    name: "gcm-3chunks",
    suite: "aes-256-gcm",
    exponent: 10,
    content: fixed(3000, 31),
    metadata: { kind: "file" },
  },
  {
    name: "cbc-3chunks",
    suite: "aes-256-cbc-hmac-sha256",
    exponent: 10,
    content: fixed(3000, 31),
    metadata: { kind: "file" },
  },
  {
    name: "gcm-image-clear-meta",
    suite: "aes-256-gcm",
    exponent: 10,
    content: fixed(2 * 24 * 24, 97),
    metadata: {
      kind: "image",
      width: 24,
      height: 24,
      bitDepth: 16,
      dtype: "u16le",
      modality: "CT",
    },
    clearMetadata: true,
  },
  { name: "gcm-empty", suite: "aes-256-gcm", exponent: 16, content: new Uint8Array(0) },
  {
    name: "cbc-full-last-chunk",
    suite: "aes-256-cbc-hmac-sha256",
    exponent: 10,
    content: fixed(2044, 5),
  },
];

const pub = await readPublicKey(`${dir}public.pem`);
const vectors = [];
for (const [i, r] of recipes.entries()) {
  const fileKey = fixed(32, 11 + i), nonce = fixed(16, 13 + i);
  const env = await encrypt(r.content, pub, {
    suite: r.suite,
    chunkExponent: r.exponent,
    metadata: r.metadata,
    clearMetadata: r.clearMetadata,
    fileKey,
    nonce,
  });
  const file = `vec-${r.name}.mce`;
  await Deno.writeFile(`${dir}${file}`, env);
  vectors.push({
    file,
    suite: r.suite === "aes-256-gcm" ? 1 : 2,
    exponent: r.exponent,
    fileKey: hex(fileKey),
    nonce: hex(nonce),
    headerBytes: inspect(env).headerBytes,
    contentBytes: r.content.length,
    contentSha256: hex(
      new Uint8Array(await crypto.subtle.digest("SHA-256", r.content as Uint8Array<ArrayBuffer>)),
    ),
    metadata: r.metadata ?? null,
    clearMetadata: r.clearMetadata ?? false,
  });
}
await Deno.writeTextFile(
  `${dir}vectors.json`,
  JSON.stringify({ privateKey: "private.pem", publicKey: "public.pem", vectors }, null, 2) + "\n",
);
closeWorkers();
console.log(`wrote ${vectors.length} vectors to ${dir}`);
