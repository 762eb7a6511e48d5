import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** A resolve hook that makes every `@opentelemetry/*` import fail as a missing package does. */
const HIDE_OTEL = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@opentelemetry/")) {
    const error = new Error("Cannot find package '" + specifier + "'");
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}`;
const REGISTER = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HIDE_OTEL)}`)});`;

it("runs a two-node cluster, untraced and without a warning, where @opentelemetry/api cannot be imported", async () => {
  const { stdout, stderr } = await run(
    process.execPath,
    ["--import", `data:text/javascript,${encodeURIComponent(REGISTER)}`, join(here, "tracing-absent-child.js")],
    { timeout: 60_000 },
  );
  const seen = JSON.parse(stdout.trim()) as { hidden: boolean; owners: string[]; names: string[] };
  assert.equal(seen.hidden, true, "the hook hid the package");
  assert.deepEqual(seen.owners, seen.names, "calls were served on both nodes");
  assert.equal(stderr, "");
});
