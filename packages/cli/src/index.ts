/**
 * @packageDocumentation
 * The `mesh` command line: members, capabilities, where (explain), stats, top and
 * call, against one node's admin endpoint. `runCli` is the same program as a function.
 */
export { AdminClient, CliError } from "./admin-client.js";
export { type CliOptions, DEFAULT_ADMIN, parseArgs, USAGE, UsageError } from "./args.js";
export { type CliIo, runCli } from "./cli.js";
