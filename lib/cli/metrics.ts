/**
 * `deno task medcrypt` commands for metrics.
 *
 * @example
 * ```ts
 * import { commands } from "./metrics.ts";
 * console.log(commands.map((c) => c.name));
 * ```
 * @module
 */
import type { Command } from "./types.ts";

/** The metrics commands. */
export const commands: Command[] = [];
