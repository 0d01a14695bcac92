/**
 * `deno task medcrypt` commands for he.
 *
 * @example
 * ```ts
 * import { commands } from "./he.ts";
 * console.log(commands.map((c) => c.name));
 * ```
 * @module
 */
import type { Command } from "./types.ts";

/** The he commands. */
export const commands: Command[] = [];
