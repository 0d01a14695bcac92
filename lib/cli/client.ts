/**
 * `deno task medcrypt client …`: the diagnostic service from the command line, beside
 * `he-infer --server` (CKKS):
 * - `client diagnose --server URL --in IMAGE [--resize] [--method envelope|plain] [--pin HEX]`:
 *   paper A's AES+RSA method (the image sealed to the server's key, the diagnosis sealed back to a
 *   key pair made for this one request) or the plaintext baseline;
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
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import { readFileChecked, writeFileAtomic } from "../core/fs.ts";
import {
  type Flag,
  need,
  oneOf,
  type Parsed,
  parseFlags,
  refuseExisting,
  type Spec,
  str,
} from "./flags.ts";
import { generateKeyPair } from "../envelope/keys.ts";
import { encodeNpy, readImage } from "../image/mod.ts";
import { imageToInput } from "../he/client.ts";
import { ServiceClient } from "../service/client.ts";
import { serviceToken, TOKEN_NOTE } from "./service.ts";
import { fitToModel } from "./he.ts";

const CONNECT: Record<string, Flag> = {
  server: {
    required: true,
    type: "string",
    value: "URL",
    help: "the running `serve`, e.g. http://127.0.0.1:8443 (what `serve` prints when it starts)",
  },
  "token-env": {
    type: "string",
    value: "VAR",
    help: "the environment variable holding this client's token",
    default: "MEDCRYPT_TOKEN, else a local serve's token file",
  },
  "ca-cert": {
    type: "string",
    value: "CERT.pem",
    help: "over https: the PEM certificate to trust for the server (e.g. a self-signed one)",
  },
};

const ID_FLAG: Flag = {
  required: true,
  type: "string",
  value: "ID",
  help: "a stored scan's id (16 hex characters, as `client store` and `client list` print)",
};

const SERVER = "http://127.0.0.1:8443";

const DIAGNOSE: Spec = {
  name: "client diagnose",
  summary: "have the service diagnose an image: sealed in an envelope (AES+RSA) or in plaintext",
  flags: {
    ...CONNECT,
    in: {
      required: true,
      type: "string",
      value: "IMAGE",
      help: "the image to diagnose (.npy, .png or .dcm; 28×28 8-bit for the shipped model)",
    },
    resize: {
      type: "boolean",
      help: "fit the image to the model first: resize to its input size by area averaging and " +
        "convert to 8-bit by stretching its own range (without it, another size or bit depth is " +
        "refused)",
    },
    method: {
      type: "string",
      value: "envelope|plain",
      default: "envelope",
      help: "envelope: the image sealed to the server's RSA key and the diagnosis sealed back to " +
        "a key pair made for this request; plain: the image sent as it is (the baseline). For " +
        "CKKS, where the server never sees the image, use `he-infer --server`",
    },
    pin: {
      type: "string",
      value: "HEX",
      help: "with --method envelope: the server key's SHA-256 fingerprint (64 hex digits) you " +
        "trust; refused if the server offers another key (diagnose prints the one it used)",
    },
    json: {
      type: "boolean",
      help: "print one JSON object (file, method, logits, label, bytes sent and received)",
    },
  },
  examples: [
    `client diagnose --server ${SERVER} --in data/clinical/cxr-1.npy --resize`,
    `client diagnose --server ${SERVER} --in data/clinical/cxr-1.npy --resize --method plain --json`,
  ],
  notes: [
    "Prints the label with the logits and the method (and, for envelope, the server key's " +
    "fingerprint to give --pin next time).",
    TOKEN_NOTE,
  ],
};

const STORE: Spec = {
  name: "client store",
  summary: "store an encrypted scan (.mce) at the service, which cannot open it",
  flags: {
    ...CONNECT,
    in: {
      required: true,
      type: "string",
      value: "SCAN.mce",
      help: "the envelope to upload (made by `encrypt`, sealed to keys the server does not hold)",
    },
  },
  examples: [`client store --server ${SERVER} --in cxr-1.npy.mce`],
  notes: [
    "Prints the id the scan is stored as, its size and SHA-256. The example stores a scan made " +
    "with `deno task medcrypt keygen --out keys/alice` and `deno task medcrypt encrypt --to " +
    "keys/alice/public.pem --in data/clinical/cxr-1.npy --out cxr-1.npy.mce`.",
    TOKEN_NOTE,
  ],
};

const LIST: Spec = {
  name: "client list",
  summary: "list this client's stored scans",
  flags: { ...CONNECT },
  examples: [`client list --server ${SERVER}`],
  notes: ["Prints one line per scan: id, size in bytes, when it was stored.", TOKEN_NOTE],
};

const FETCH: Spec = {
  name: "client fetch",
  summary: "download a stored scan, byte for byte as it was stored",
  flags: {
    ...CONNECT,
    id: ID_FLAG,
    out: { required: true, type: "string", value: "FILE", help: "where to write the .mce" },
  },
  writes: true,
  examples: [`client fetch --server ${SERVER} --id 0123456789abcdef --out back.mce`],
  notes: [
    "Writes the envelope as stored (the server cannot open it); open it with " +
    "`deno task medcrypt decrypt --key keys/alice/private.pem --in back.mce --out back.npy`.",
    TOKEN_NOTE,
  ],
};

const DELETE: Spec = {
  name: "client delete",
  summary: "delete a stored scan",
  flags: { ...CONNECT, id: ID_FLAG },
  examples: [`client delete --server ${SERVER} --id 0123456789abcdef`],
  notes: [TOKEN_NOTE],
};

const SPECS: Record<string, Spec> = {
  diagnose: DIAGNOSE,
  store: STORE,
  list: LIST,
  fetch: FETCH,
  delete: DELETE,
};

async function connect(spec: Spec, p: Parsed): Promise<ServiceClient> {
  const url = need(spec, p, "server").replace(/\/+$/, "");
  const token = await serviceToken(url, str(p, "token-env"));
  const caPath = str(p, "ca-cert");
  const caCert = caPath ? await Deno.readTextFile(caPath) : undefined;
  return new ServiceClient(url, token, { caCert });
}

async function diagnose(api: ServiceClient, p: Parsed): Promise<void> {
  const input = need(DIAGNOSE, p, "in");
  const method = oneOf(DIAGNOSE, p, "method", ["envelope", "plain"] as const, "envelope");
  const { spec } = await api.spec();
  let image = await readImage(input), note = "";
  if (p.values.resize === true) {
    ({ image, note } = fitToModel(image, spec.inputShape[1], spec.inputShape[0]));
  }
  imageToInput(image, spec, input); // refused here, naming the file, rather than by the server
  let result: { logits: number[]; label: string; sent?: number; received?: number };
  let serverKey: string | undefined;
  if (method === "envelope") {
    const key = await api.serverKey(str(p, "pin"));
    serverKey = key.fingerprint;
    result = await api.envelopeInfer(image, await generateKeyPair(2048), key);
  } else {
    result = await api.plainInfer(encodeNpy(image));
  }
  if (p.values.json) {
    console.log(JSON.stringify(
      {
        file: input,
        method,
        ...(note ? { resized: note } : {}),
        ...(serverKey ? { serverKey } : {}),
        ...result,
      },
      null,
      2,
    ));
    return;
  }
  console.log(
    `${input}: ${result.label} (${note ? `${note}; ` : ""}logits ${
      result.logits.map((v) => v.toFixed(5)).join(", ")
    }; ${method}${serverKey ? ` to server key ${serverKey}` : ""})`,
  );
}

const client: Command = {
  name: "client",
  summary:
    "use a running medcrypt serve: diagnose an image (envelope or plain), store scans at rest",
  specs: Object.values(SPECS),
  async run(args) {
    const [verb, ...rest] = args;
    const spec = SPECS[verb ?? ""];
    if (!spec) {
      throw new MedCryptError(
        "usage",
        `${verb === undefined ? "no" : `unknown`} client sub-command${
          verb === undefined ? "" : ` '${verb}'`
        }: use one of ${Object.keys(SPECS).join(", ")} (see: deno task medcrypt client --help)`,
      );
    }
    const p = parseFlags(spec, rest);
    // what the sub-command needs, checked before connecting
    const out = spec === FETCH ? need(spec, p, "out") : undefined;
    const id = spec === FETCH || spec === DELETE ? need(spec, p, "id") : undefined;
    const scan = spec === STORE ? need(spec, p, "in") : undefined;
    if (out !== undefined) await refuseExisting([out], p.values.force === true);
    const api = await connect(spec, p);
    try {
      if (spec === DIAGNOSE) await diagnose(api, p);
      else if (spec === STORE) {
        const rec = await api.storeScan(await readFileChecked(scan!));
        console.log(`stored ${scan} as ${rec.id} (${rec.bytes} bytes, sha256 ${rec.sha256})`);
      } else if (spec === LIST) {
        for (const s of await api.listScans()) {
          console.log(`${s.id}  ${s.bytes} bytes  ${s.created}`);
        }
      } else if (spec === FETCH) {
        await writeFileAtomic(out!, await api.fetchScan(id!));
        console.log(`${out}: scan ${id}`);
      } else {
        await api.deleteScan(id!);
        console.log(`deleted scan ${id}`);
      }
    } finally {
      api.close();
    }
    return 0;
  },
};

/** The client commands. */
export const commands: Command[] = [client];
