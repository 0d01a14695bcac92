/**
 * Entry point of `deno task medcrypt …`. See `deno task medcrypt help`.
 *
 * @module
 */
import { runCli } from "../lib/cli/mod.ts";

Deno.exit(await runCli(Deno.args));
