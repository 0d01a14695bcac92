/**
 * `deno task medcrypt` commands for image.
 *
 * @example
 * ```ts
 * import { commands } from "./image.ts";
 * console.log(commands.map((c) => c.name));
 * ```
 * @module
 */
import type { Command } from "./types.ts";

/** The image commands. */
export const commands: Command[] = [];
