/**
 * `deno task medcrypt serve`: the diagnostic service on a socket, and `serve add-client NAME`,
 * which registers a client and prints its token once.
 *
 * - `serve [--port 8443] [--host 127.0.0.1] [--state DIR] [--model MODEL.json]
 *   [--tls-cert F --tls-key F] [--max-waiting N]`
 * - `serve add-client NAME [--budget N] [--state DIR]`
 *
 * On first start the state folder gets a client `local` whose token is written to
 * `DIR/local.token` (mode 0600), so that `he-infer --server http://127.0.0.1:8443` works on the
 * same machine without copying a token.
 *
 * @example
 * ```ts
 * import { commands } from "./service.ts";
 * console.log(commands.map((c) => c.name)); // [ "serve" ]
 * ```
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { loadHeModel } from "../he/model.ts";
import { SHIPPED_MODEL_PATH } from "../he/pipeline.ts";
import { startService } from "../service/server.ts";
import { defaultStateDir, ServiceStore } from "../service/store.ts";

type ParseOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

function parse(args: string[], options: ParseOptions, positionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: positionals });
  } catch (e) {
    throw new MedCryptError("usage", (e as Error).message);
  }
}

/** The token file of the `local` client in a state folder. */
export function localTokenPath(state: string): string {
  return join(state, "local.token");
}

/** Creates the `local` client and its token file on first start. */
async function ensureLocalClient(store: ServiceStore): Promise<string> {
  const path = localTokenPath(store.dir);
  if (!store.clientByName("local")) {
    const { token } = store.addClient("local");
    // The state folder is 0700, so the token is never readable by others, even before chmod.
    await writeFileAtomic(path, new TextEncoder().encode(`${token}\n`));
    await Deno.chmod(path, 0o600);
  }
  return path;
}

function int(v: unknown, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new MedCryptError(
      "usage",
      `--${name} must be a whole number in ${min}..${max}, not '${v}'`,
    );
  }
  return n;
}

function addClient(args: string[]): number {
  const { values, positionals } = parse(args, {
    budget: { type: "string" },
    state: { type: "string" },
  }, true);
  if (positionals.length !== 1) {
    throw new MedCryptError("usage", "give one client NAME: serve add-client NAME");
  }
  const store = ServiceStore.open((values.state as string | undefined) ?? defaultStateDir());
  try {
    const budget = values.budget === undefined ? null : int(values.budget, "budget", 0, 1e12);
    const { client, token } = store.addClient(positionals[0], budget);
    console.log(token);
    console.error(
      `client '${client.name}' added (budget ${
        budget ?? "unlimited"
      }); the token above is shown once — only its hash is stored`,
    );
  } finally {
    store.close();
  }
  return 0;
}

const serve: Command = {
  name: "serve",
  summary:
    "run the diagnostic service (HE, plaintext inference) on HTTP(S); `serve add-client NAME`",
  usage: "serve [--port 8443] [--host 127.0.0.1] [--state DIR] [--model MODEL.json] " +
    "[--tls-cert CERT.pem --tls-key KEY.pem] [--max-waiting N]\n  serve add-client NAME [--budget N] [--state DIR]",
  async run(args) {
    if (args[0] === "add-client") return addClient(args.slice(1));
    const { values } = parse(args, {
      port: { type: "string", default: "8443" },
      host: { type: "string", default: "127.0.0.1" },
      state: { type: "string" },
      model: { type: "string", default: SHIPPED_MODEL_PATH },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "max-waiting": { type: "string", default: "4" },
    });
    const port = int(values.port, "port", 0, 65535);
    const maxWaiting = int(values["max-waiting"], "max-waiting", 0, 1000);
    if (!values["tls-cert"] !== !values["tls-key"]) {
      throw new MedCryptError("usage", "give both --tls-cert and --tls-key, or neither");
    }
    const tls = values["tls-cert"]
      ? {
        cert: await Deno.readTextFile(values["tls-cert"] as string),
        key: await Deno.readTextFile(values["tls-key"] as string),
      }
      : undefined;
    const model = await loadHeModel(values.model as string);
    const store = ServiceStore.open((values.state as string | undefined) ?? defaultStateDir());
    const tokenFile = await ensureLocalClient(store);
    const svc = await startService({
      store,
      model,
      hostname: values.host as string,
      port,
      tls,
      limits: { maxWaiting },
    });
    console.log(
      `medcrypt serve: listening on ${svc.url} (state ${store.dir}; token of client 'local' in ${tokenFile})`,
    );
    const { promise: stop, resolve } = Promise.withResolvers<void>();
    for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => resolve());
    await stop;
    await svc.shutdown();
    store.close();
    console.log("medcrypt serve: stopped");
    return 0;
  },
};

/**
 * The token for a service: `--token-env VAR`, else `MEDCRYPT_TOKEN`, else (for a server on this
 * machine) the `local` client's token file in the default state folder.
 */
export async function serviceToken(url: string, envVar: unknown): Promise<string> {
  if (typeof envVar === "string") {
    const t = Deno.env.get(envVar);
    if (!t) throw new MedCryptError("usage", `--token-env ${envVar}: the variable is not set`);
    return t;
  }
  const env = Deno.env.get("MEDCRYPT_TOKEN");
  if (env) return env;
  const host = new URL(url).hostname;
  if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") {
    const file = localTokenPath(defaultStateDir());
    try {
      return (await Deno.readTextFile(file)).trim();
    } catch {
      throw new MedCryptError(
        "usage",
        `no token: set MEDCRYPT_TOKEN or --token-env VAR (no ${file} from a local \`medcrypt serve\`)`,
      );
    }
  }
  throw new MedCryptError("usage", "no token: set MEDCRYPT_TOKEN or give --token-env VAR");
}

/** The service commands. */
export const commands: Command[] = [serve];
