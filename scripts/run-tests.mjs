#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js, test-cluster/dist/**/*.test.js)
// with node's built-in test runner. Arguments are passed through (e.g. --test-name-pattern).
// The real-container tests (test-cluster/dist/containers/) run after the others, alone: they load
// the machine enough to make the timing bounds of the loopback cluster tests flaky beside them.
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

const alone = join(root, "test-cluster", "dist", "containers");
const groups = [
  { concurrency: 2, files: files.filter((f) => !f.startsWith(alone)) },
  { concurrency: 1, files: files.filter((f) => f.startsWith(alone)) },
];
let status = 0;
for (const group of groups) {
  if (group.files.length === 0) continue;
  const result = spawnSync(
    process.execPath,
    [
      "--test",
      `--test-concurrency=${group.concurrency}`,
      "--test-timeout=300000",
      ...process.argv.slice(2),
      ...group.files,
    ],
    { stdio: "inherit", cwd: root },
  );
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
