/**
 * `deno task medcrypt` commands for envelope.
 *
 * @example
 * ```ts
 * import { commands } from "./envelope.ts";
 * console.log(commands.map((c) => c.name));
 * ```
 * @module
 */
import type { Command } from "./types.ts";

/** The envelope commands. */
export const commands: Command[] = [];
