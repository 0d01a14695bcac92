/**
 * `deno task medcrypt` commands for revcipher.
 *
 * @example
 * ```ts
 * import { commands } from "./revcipher.ts";
 * console.log(commands.map((c) => c.name));
 * ```
 * @module
 */
import type { Command } from "./types.ts";

/** The revcipher commands. */
export const commands: Command[] = [];
