/**
 * `medcrypt serve` as a child process on a free loopback port: what the crash test, the CLI
 * tests and the load bench run against (a server in its own process, as deployed).
 *
 * @example
 * ```ts ignore
 * import { spawnServe } from "./spawn.ts";
 * const s = await spawnServe(["--state", dir]);
 * console.log(s.url.startsWith("http://127.0.0.1:")); // true
 * await s.stop();
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";

/** A running `medcrypt serve` child. */
export interface ServeProcess {
  /** The child. */
  child: Deno.ChildProcess;
  /** Its base URL, from the line it prints when listening. */
  url: string;
  /** Kills it with SIGKILL and waits (a crash, for the restart tests). */
  kill(): Promise<Deno.CommandStatus>;
  /** Its resident memory now, MB (Linux: `/proc/PID/status`). */
  rssMb(): Promise<number>;
  /** Stops it with SIGTERM; returns its exit code and what it printed after the first line. */
  stop(): Promise<{ code: number; rest: string }>;
}

/**
 * @param args arguments after `serve --port 0`
 * @param env extra environment variables
 * @returns the running server
 */
export async function spawnServe(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const cli = new URL("../../tasks/medcrypt.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, "serve", "--port", "0", ...args],
    env: { NO_COLOR: "1", MEDCRYPT_QUIET: "1", ...env },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) break;
    text += r.value;
  }
  const url = /listening on (\S+)/.exec(text)?.[1];
  if (!url) throw new MedCryptError("internal", `medcrypt serve did not start: ${text.trim()}`);
  return {
    child,
    url,
    async kill() {
      child.kill("SIGKILL");
      const status = await child.status;
      await reader.cancel();
      return status;
    },
    async rssMb() {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
    },
    async stop() {
      child.kill("SIGTERM");
      let rest = text;
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
      return { code: (await child.status).code, rest };
    },
  };
}
