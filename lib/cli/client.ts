/**
 * `deno task medcrypt client …`: the diagnostic service from the command line, beside
 * `he-infer --server` (CKKS):
 * - `client diagnose --server URL --in IMAGE [--method envelope|plain] [--pin FINGERPRINT]`: paper
 *   A's AES+RSA method (the image sealed to the server's key, the diagnosis sealed back to a key
 *   pair made for this one request) or the plaintext baseline;
 * - `client store --server URL --in SCAN.mce`, `client list --server URL`,
 *   `client fetch --server URL --id ID --out FILE`, `client delete --server URL --id ID`: scans at
 *   rest, which the server cannot open.
 *
 * The token comes from `--token-env VAR`, else `MEDCRYPT_TOKEN`, else a local `serve`'s token file.
 *
 * @example
 * ```ts
 * import { commands } from "./client.ts";
 * console.log(commands.map((c) => c.name)); // [ "client" ]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import { readFileChecked, writeFileAtomic } from "../core/fs.ts";
import { generateKeyPair } from "../envelope/keys.ts";
import { encodeNpy, readImage } from "../image/mod.ts";
import { ServiceClient } from "../service/client.ts";
import { serviceToken } from "./service.ts";

const USAGE = [
  "client diagnose --server URL --in IMAGE [--method envelope|plain] [--pin FINGERPRINT] [--json]",
  "client store --server URL --in SCAN.mce",
  "client list --server URL",
  "client fetch --server URL --id ID --out FILE [--force]",
  "client delete --server URL --id ID",
  "(each also takes [--token-env VAR] [--ca-cert CERT.pem])",
].join("\n       ");

function need(v: unknown, flag: string): string {
  if (typeof v !== "string" || v === "") {
    throw new MedCryptError("usage", `give --${flag}\nusage: ${USAGE}`);
  }
  return v;
}

async function connect(values: Record<string, unknown>): Promise<ServiceClient> {
  const url = need(values.server, "server").replace(/\/+$/, "");
  const caCert = values["ca-cert"]
    ? await Deno.readTextFile(values["ca-cert"] as string)
    : undefined;
  return new ServiceClient(url, await serviceToken(url, values["token-env"]), { caCert });
}

async function diagnose(api: ServiceClient, values: Record<string, unknown>): Promise<void> {
  const input = need(values.in, "in");
  const image = await readImage(input);
  const method = (values.method as string | undefined) ?? "envelope";
  let result: { logits: number[]; label: string; sent?: number; received?: number };
  if (method === "envelope") {
    const key = await api.serverKey(values.pin as string | undefined);
    result = await api.envelopeInfer(image, await generateKeyPair(2048), key);
  } else if (method === "plain") {
    result = await api.plainInfer(encodeNpy(image));
  } else {
    throw new MedCryptError(
      "usage",
      `--method ${method}: use envelope or plain (CKKS: he-infer --server)`,
    );
  }
  if (values.json) console.log(JSON.stringify({ file: input, method, ...result }, null, 2));
  else {
    console.log(
      `${input}: ${result.label} (logits ${
        result.logits.map((v) => v.toFixed(5)).join(", ")
      }; ${method})`,
    );
  }
}

const client: Command = {
  name: "client",
  summary:
    "use a running medcrypt serve: diagnose an image (envelope or plain), store scans at rest",
  usage: USAGE,
  async run(args) {
    const [verb, ...rest] = args;
    const { values } = parseArgs({
      args: rest,
      options: {
        server: { type: "string" },
        in: { type: "string" },
        out: { type: "string" },
        id: { type: "string" },
        method: { type: "string" },
        pin: { type: "string" },
        json: { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        "token-env": { type: "string" },
        "ca-cert": { type: "string" },
      },
    });
    if (!["diagnose", "store", "list", "fetch", "delete"].includes(verb ?? "")) {
      throw new MedCryptError("usage", `unknown client command '${verb ?? ""}'\nusage: ${USAGE}`);
    }
    const api = await connect(values);
    try {
      if (verb === "diagnose") await diagnose(api, values);
      else if (verb === "store") {
        const rec = await api.storeScan(await readFileChecked(need(values.in, "in")));
        console.log(`stored ${values.in} as ${rec.id} (${rec.bytes} bytes, sha256 ${rec.sha256})`);
      } else if (verb === "list") {
        for (const s of await api.listScans()) {
          console.log(`${s.id}  ${s.bytes} bytes  ${s.created}`);
        }
      } else if (verb === "fetch") {
        const out = need(values.out, "out");
        const exists = await Deno.lstat(out).then(() => true, () => false);
        if (exists && !values.force) {
          throw new MedCryptError(
            "exists",
            "already exists; refusing to overwrite it (use --force)",
            {
              file: out,
            },
          );
        }
        await writeFileAtomic(out, await api.fetchScan(need(values.id, "id")));
        console.log(`${out}: scan ${values.id}`);
      } else {
        await api.deleteScan(need(values.id, "id"));
        console.log(`deleted scan ${values.id}`);
      }
    } finally {
      api.close();
    }
    return 0;
  },
};

/** The client commands. */
export const commands: Command[] = [client];
