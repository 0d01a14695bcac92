/**
 * The `deno task medcrypt` command line: every sub-command, and the runner that turns errors
 * into one line on stderr with a non-zero exit.
 *
 * @example
 * ```ts
 * import { allCommands } from "./mod.ts";
 * console.log(allCommands().map((c) => c.name).includes("help")); // true
 * ```
 * @module
 */
import type { Command } from "./types.ts";
import { MedCryptError } from "../core/errors.ts";
import { helpText, type Spec } from "./flags.ts";
import { commands as image } from "./image.ts";
import { commands as envelope } from "./envelope.ts";
import { commands as he } from "./he.ts";
import { commands as revcipher } from "./revcipher.ts";
import { commands as metrics } from "./metrics.ts";
import { commands as service } from "./service.ts";
import { commands as client } from "./client.ts";

export type { Command } from "./types.ts";

/**
 * @returns every registered command, `help` included
 * @example
 * ```ts
 * import { allCommands } from "./mod.ts";
 * console.log(allCommands().length > 0); // true
 * ```
 */
export function allCommands(): Command[] {
  const list = [...image, ...envelope, ...he, ...revcipher, ...metrics, ...service, ...client];
  const help: Command = {
    name: "help",
    summary: "list the commands",
    specs: [{ name: "help", summary: "list the commands", flags: {}, examples: ["help"] }],
    run() {
      console.log("usage: deno task medcrypt <command> [options]\n\ncommands:");
      for (const c of [...list, help]) console.log(`  ${c.name.padEnd(16)} ${c.summary}`);
      console.log("\n`deno task medcrypt <command> --help` shows a command's usage.");
      return Promise.resolve(0);
    },
  };
  return [...list, help];
}

/**
 * The help `--help` prints: the sub-command's own help when `sub` names one, the command's help
 * when it has one spec, else the list of its sub-commands.
 *
 * @param cmd the command
 * @param sub the first argument after the command's name, if any
 * @returns the help text
 * @example
 * ```ts
 * import { allCommands, commandHelp } from "./mod.ts";
 * const rev = allCommands().find((c) => c.name === "revcipher")!;
 * console.log(commandHelp(rev, "encrypt").includes("--exact")); // true
 * ```
 */
export function commandHelp(cmd: Command, sub?: string): string {
  const subSpec = cmd.specs.find((s: Spec) => s.name === `${cmd.name} ${sub}`);
  if (subSpec) return helpText(subSpec);
  const own = cmd.specs.find((s: Spec) => s.name === cmd.name);
  const subs = cmd.specs.filter((s) => s !== own);
  if (own) {
    // a command that also has sub-commands (e.g. `serve add-client`) lists them after its help
    return [
      helpText(own),
      ...(subs.length
        ? ["", "sub-commands:", ...subs.map((s) => `  ${s.name}  ${s.summary} (see --help)`)]
        : []),
    ].join("\n");
  }
  const width = Math.max(...cmd.specs.map((s) => s.name.length));
  return [
    `usage: deno task medcrypt ${cmd.name} <sub-command> [options]`,
    "",
    cmd.summary,
    "",
    "sub-commands:",
    ...cmd.specs.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    "",
    `\`deno task medcrypt ${cmd.name} <sub-command> --help\` explains the options of each.`,
  ].join("\n");
}

/**
 * Runs the CLI with `args` and returns the exit code. Errors become one line on stderr
 * (`medcrypt: …`); a stack trace is printed only when `MEDCRYPT_DEBUG=1`.
 *
 * @param args command-line arguments (without the program name)
 * @returns the exit code: 0 success, 1 failure, 2 usage error
 * @example
 * ```ts
 * import { runCli } from "./mod.ts";
 * const code = await runCli(["help"]);
 * console.log(code); // 0
 * ```
 */
export async function runCli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const commands = allCommands();
  const cmd = commands.find((c) => c.name === (name ?? "help"));
  if (!cmd) {
    console.error(`medcrypt: unknown command '${name}' (try: deno task medcrypt help)`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(commandHelp(cmd, rest[0]));
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (Deno.env.get("MEDCRYPT_DEBUG") === "1") console.error(e);
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`medcrypt ${cmd.name}: ${msg.split("\n")[0]}`);
    return e instanceof MedCryptError && e.code === "usage" ? 2 : 1;
  }
}
