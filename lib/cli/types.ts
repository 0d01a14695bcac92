/**
 * The shape of a `deno task medcrypt` sub-command.
 *
 * @example
 * ```ts
 * import type { Command } from "./types.ts";
 * const hello: Command = {
 *   name: "hello",
 *   summary: "say hello",
 *   specs: [{ name: "hello", summary: "say hello", flags: {}, examples: ["hello"] }],
 *   run: () => Promise.resolve(0),
 * };
 * console.log(hello.name, await hello.run([])); // "hello" 0
 * ```
 * @module
 */
import type { Spec } from "./flags.ts";

/** A CLI sub-command. Throw a `MedCryptError` for bad input: the CLI prints its message on one line. */
export interface Command {
  /** The word after `medcrypt`, e.g. `"info"` or `"revcipher"`. */
  name: string;
  /** One line for the help listing. */
  summary: string;
  /**
   * The command lines it accepts: one spec for a plain command, one per sub-command (named
   * `"revcipher encrypt"` etc.) otherwise. `--help` prints them and the parser is made from them.
   */
  specs: Spec[];
  /** Runs with the remaining arguments; returns the exit code. */
  run(args: string[]): Promise<number>;
}
