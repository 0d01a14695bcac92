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
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { int, parseFlags, type Spec, str, usageError } from "./flags.ts";
import { loadHeModel } from "../he/model.ts";
import { SHIPPED_MODEL_PATH } from "../he/pipeline.ts";
import { startService } from "../service/server.ts";
import { defaultStateDir, ServiceStore } from "../service/store.ts";

/**
 * Where a client command's token comes from, for the help of `he-infer` and `client`.
 *
 * @example
 * ```ts
 * import { TOKEN_NOTE } from "./service.ts";
 * console.log(TOKEN_NOTE.includes("MEDCRYPT_TOKEN")); // true
 * ```
 */
export const TOKEN_NOTE: string = "Token (with --server): the variable named by --token-env, " +
  "else MEDCRYPT_TOKEN, else, for a server on this machine (127.0.0.1, localhost), the token " +
  "file of client 'local' that `serve` writes into its default state folder. " +
  "`serve add-client NAME` makes a token for another client.";

/**
 * The token file of the `local` client in a state folder.
 *
 * @param state the state folder
 * @returns `state/local.token`
 * @example
 * ```ts
 * import { localTokenPath } from "./service.ts";
 * console.log(localTokenPath("/srv/medcrypt")); // /srv/medcrypt/local.token
 * ```
 */
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

const STATE_FLAG = {
  type: "string",
  value: "DIR",
  default: "$XDG_STATE_HOME/medcrypt, else ~/.local/state/medcrypt",
  help: "the service's state folder (clients, budgets, stored scans, the server's key; created " +
    "mode 0700 if missing)",
} as const;

const SERVE: Spec = {
  name: "serve",
  summary: "run the diagnostic service (CKKS, envelope and plaintext inference, scans at rest)",
  flags: {
    port: {
      type: "string",
      value: "N",
      default: "8443",
      help: "the TCP port to listen on, 0..65535 (0: any free port, printed at start)",
    },
    host: {
      type: "string",
      value: "ADDRESS",
      default: "127.0.0.1",
      help: "the address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface, " +
        "then give --tls-cert and --tls-key)",
    },
    state: STATE_FLAG,
    model: {
      type: "string",
      value: "MODEL.json",
      default: "data/models/he_cnn.json, the shipped model",
      help: "the HE-friendly CNN to serve (as `he-train` writes it)",
    },
    "tls-cert": {
      type: "string",
      value: "CERT.pem",
      help: "serve HTTPS with this PEM certificate (chain); needs --tls-key",
    },
    "tls-key": {
      type: "string",
      value: "KEY.pem",
      help: "the PEM private key of --tls-cert",
    },
    "max-waiting": {
      type: "string",
      value: "N",
      default: "4",
      help: "CKKS queries that may wait behind the one being evaluated, 0..1000 (more are " +
        "refused as busy)",
    },
  },
  examples: [
    "serve",
    "serve --port 9000 --state /tmp/medcrypt-state",
    "serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem",
  ],
  notes: [
    "Runs until Ctrl-C (SIGINT) or SIGTERM. Prints the URL it listens on, its state folder and " +
    "where the token of client 'local' is: on first start it registers client 'local' and " +
    "writes its token to DIR/local.token (mode 0600), so `he-infer --server` and `client` work " +
    "on this machine without copying a token.",
    "Clients elsewhere need a token: `deno task medcrypt serve add-client NAME` registers one " +
    "(see `deno task medcrypt serve add-client --help`).",
  ],
};

const ADD_CLIENT: Spec = {
  name: "serve add-client",
  summary: "register a client of the service and print its token (shown once)",
  positionals: "NAME",
  positionalHelp: "the client's name: 1..64 characters of A-Z a-z 0-9 _ . - (unique)",
  flags: {
    budget: {
      type: "string",
      value: "N",
      default: "unlimited",
      help: "how many charged requests (images diagnosed) the client may make",
    },
    state: STATE_FLAG,
  },
  examples: ["serve add-client site-a --budget 100", "serve add-client bob"],
  notes: [
    "The token is printed on stdout and never again: only its hash is stored. Give it to the " +
    "client, who sets MEDCRYPT_TOKEN (or names a variable with --token-env). The server need not " +
    "be stopped.",
  ],
};

function addClient(args: string[]): number {
  const p = parseFlags(ADD_CLIENT, args);
  if (p.positionals.length !== 1) usageError(ADD_CLIENT, "give one client NAME");
  const budget = str(p, "budget") === undefined ? null : int(ADD_CLIENT, p, "budget", 0, 0, 1e12);
  const store = ServiceStore.open(str(p, "state") ?? defaultStateDir());
  try {
    const { client, token } = store.addClient(p.positionals[0], budget);
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
  specs: [SERVE, ADD_CLIENT],
  async run(args) {
    if (args[0] === "add-client") return addClient(args.slice(1));
    const p = parseFlags(SERVE, args);
    const port = int(SERVE, p, "port", 8443, 0, 65535);
    const maxWaiting = int(SERVE, p, "max-waiting", 4, 0, 1000);
    const certPath = str(p, "tls-cert"), keyPath = str(p, "tls-key");
    if (!certPath !== !keyPath) usageError(SERVE, "give both --tls-cert and --tls-key, or neither");
    const tls = certPath && keyPath
      ? { cert: await Deno.readTextFile(certPath), key: await Deno.readTextFile(keyPath) }
      : undefined;
    const model = await loadHeModel(str(p, "model") ?? SHIPPED_MODEL_PATH);
    const store = ServiceStore.open(str(p, "state") ?? defaultStateDir());
    const tokenFile = await ensureLocalClient(store);
    const svc = await startService({
      store,
      model,
      hostname: str(p, "host") ?? "127.0.0.1",
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
 *
 * @param url the service's URL (`--server`)
 * @param envVar the `--token-env` value, if given
 * @returns the token
 * @example
 * ```ts
 * import { serviceToken } from "./service.ts";
 * Deno.env.set("MEDCRYPT_TOKEN", "mc_example");
 * console.log(await serviceToken("https://diagnose.example.org", undefined)); // mc_example
 * Deno.env.delete("MEDCRYPT_TOKEN");
 * ```
 */
export async function serviceToken(url: string, envVar: unknown): Promise<string> {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new MedCryptError(
      "usage",
      `--server '${url}' is not a URL (e.g. http://127.0.0.1:8443, as \`deno task medcrypt serve\` prints)`,
    );
  }
  if (typeof envVar === "string") {
    const t = Deno.env.get(envVar);
    if (!t) throw new MedCryptError("usage", `--token-env ${envVar}: the variable is not set`);
    return t;
  }
  const env = Deno.env.get("MEDCRYPT_TOKEN");
  if (env) return env;
  if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") {
    const file = localTokenPath(defaultStateDir());
    try {
      return (await Deno.readTextFile(file)).trim();
    } catch {
      throw new MedCryptError(
        "usage",
        `no token: set MEDCRYPT_TOKEN or give --token-env VAR (there is no ${file}: start \`deno task medcrypt serve\` on this machine first, or make a token with \`deno task medcrypt serve add-client NAME\`)`,
      );
    }
  }
  throw new MedCryptError(
    "usage",
    "no token: set MEDCRYPT_TOKEN or give --token-env VAR (the server's operator makes one with `deno task medcrypt serve add-client NAME`)",
  );
}

/** The service commands. */
export const commands: Command[] = [serve];
