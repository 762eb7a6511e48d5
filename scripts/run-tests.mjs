#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js, test-cluster/dist/**/*.test.js)
// with node's built-in test runner. Arguments are passed through (e.g. --test-name-pattern).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (entry.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, "packages"))) collect(join(root, "packages", pkg, "dist", "test"), files);
collect(join(root, "test-cluster", "dist"), files);
files.sort();

const result = spawnSync(
  process.execPath,
  ["--test", "--test-concurrency=2", "--test-timeout=300000", ...process.argv.slice(2), ...files],
  { stdio: "inherit", cwd: root },
);
process.exit(result.status ?? 1);
