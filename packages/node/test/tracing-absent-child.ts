/**
 * Two nodes in a process where `@opentelemetry/api` cannot be imported, as in an
 * application that does not depend on it. Run by tracing-absent.test.ts under a
 * resolve hook that hides the package; prints one JSON line with what it saw.
 */
import { randomBytes } from "node:crypto";
import { waitFor } from "@mesh/testing";
import { createNode } from "../src/index.js";

class Counter {
  count = 0;
  handleCall(n: number): number {
    this.count += n;
    return this.count;
  }
}

let hidden = false;
try {
  await import("@opentelemetry/api");
} catch {
  hidden = true;
}
const secret = randomBytes(16).toString("hex");
const common = {
  host: "127.0.0.1",
  multicast: false,
  secret,
  gossip: { preset: "local" as const },
  actors: { Counter },
  capabilities: ["game"],
};
const a = await createNode({ ...common, name: `mo-absent-a-${secret.slice(0, 6)}` });
const self = a.members().find((m) => m.name === a.name);
const b = await createNode({
  ...common,
  name: `mo-absent-b-${secret.slice(0, 6)}`,
  seeds: [`127.0.0.1:${self?.address.port}`],
});
try {
  await waitFor("both nodes in the tables", () => a.nodesFor("game").length === 2, { timeoutMs: 10_000 });
  const owners = new Set<string>();
  for (let i = 0; i < 40; i++) {
    owners.add((await a.call({ module: "Counter", id: `p${i}`, capability: "game", payload: 1 })).pid.node);
  }
  process.stdout.write(`${JSON.stringify({ hidden, owners: [...owners].sort(), names: [a.name, b.name].sort() })}\n`);
} finally {
  await Promise.all([a.stop(), b.stop()]);
}
