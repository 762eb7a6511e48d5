/**
 * One Mesh node with an admin endpoint as its own OS process, for tests that
 * kill a node for real (SIGKILL: no leave, so the others see it die).
 * Usage: node admin-child-node.js '{"name":"x","seeds":["127.0.0.1:port"]}'
 * Prints `ready <admin host:port>` once joined.
 */
import { createNode } from "../src/index.js";
import { Counter } from "./admin-fixtures.js";

const spec = JSON.parse(process.argv[2] ?? "{}") as { name: string; seeds: string[]; capabilities?: string[] };
const node = await createNode({
  name: spec.name,
  host: "127.0.0.1",
  multicast: false,
  seeds: spec.seeds,
  gossip: { preset: "local", probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 },
  actors: { Counter },
  capabilities: spec.capabilities ?? ["game"],
  admin: { port: 0 },
});
const admin = node.members().find((m) => m.name === node.name)?.tags.admin;
process.stdout.write(`ready ${admin}\n`);
process.on("SIGTERM", () => {
  void node.stop().then(() => process.exit(0));
});
// Exits with the test process: the IPC-less child watches its stdin.
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
