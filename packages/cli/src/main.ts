#!/usr/bin/env node
import { runCli } from "./cli.js";

const interrupted = new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interrupted,
}).catch((error: unknown) => {
  process.stderr.write(`mesh: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
process.exitCode = code;
// The SIGINT listener would keep nothing alive, but an open fetch socket might: exit now.
process.exit(code);
