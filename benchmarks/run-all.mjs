#!/usr/bin/env node
// Runs every benchmark, one process each, in sequence (they compare against baselines
// measured in the same run, so they must not overlap). `pnpm bench [name…]` runs some.
import { spawnSync } from "node:child_process";

const ALL = [
  ["ring.bench.js"],
  ["actors.bench.js"],
  ["actor-memory.js", "--expose-gc"],
  ["eigr-workloads.js"],
  ["membership.bench.js"],
  ["security-fuzz.js"],
  ["call-port-attack.js", "--expose-gc"],
  ["tcp-baseline.js"],
  ["call-transport.bench.js"],
  ["cross-node.bench.js"],
  ["eigr-multinode.js"],
  ["join-under-load.js"],
  ["observability.bench.js"],
  ["tracing.bench.js"],
];
const wanted = process.argv.slice(2);
const chosen = wanted.length === 0 ? ALL : ALL.filter(([file]) => wanted.some((w) => file.startsWith(w)));
let failed = 0;
for (const [file, ...flags] of chosen) {
  console.log(`\n### ${file}`);
  const { status } = spawnSync(process.execPath, [...flags, new URL(`dist/${file}`, import.meta.url).pathname], {
    stdio: "inherit",
  });
  if (status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
