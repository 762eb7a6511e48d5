/**
 * One two-node loopback cluster and its callers in a process of its own, for
 * observability.bench.js: "off" runs no admin endpoint (so not even prom-client's
 * process collectors), "on" runs one per node. Prints {"admin": "host:port" | null}
 * once both nodes see each other; then each line "measure <seconds>" on stdin runs
 * one round and prints {"rps", "cpuUs", "share"} (calls/s, CPU µs per call, CPU
 * time over wall time). Exits when stdin closes.
 */
import { createInterface } from "node:readline";
import { createNode, type NodeInit } from "@mesh/node";
import { waitFor } from "@mesh/testing";
import { runFor } from "./load.js";
import { PAYLOAD } from "./tcp-baseline.js";

const IN_FLIGHT = 64;
const IDS = Array.from({ length: 1000 }, (_, i) => `player_${i}`);

class GameActor {
  moves = 0;
  handleCall(): number {
    return ++this.moves;
  }
}

const setup = process.argv[2];
if (setup !== "off" && setup !== "on") throw new Error(`usage: observability-cluster.js off|on (got ${setup})`);
// Both clusters use the same node names: placement depends only on names, so both
// split the ids between local and remote calls identically.
const common: Omit<NodeInit, "name"> = {
  host: "127.0.0.1",
  multicast: false,
  gossip: { preset: "local" },
  actors: { GameActor },
  capabilities: ["game"],
  ...(setup === "on" ? { admin: { port: 0 } } : {}),
};
const a = await createNode({ name: "bench-a", ...common });
const b = await createNode({ name: "bench-b", seeds: [`127.0.0.1:${a.members()[0]?.address.port}`], ...common });
await waitFor("both nodes in the tables", () => a.nodesFor("game").length === 2, { timeoutMs: 10_000 });
await Promise.all(IDS.map((id) => a.call({ module: "GameActor", id, capability: "game", payload: PAYLOAD })));

/** Calls completed per second with IN_FLIGHT calls outstanding from node a (about half go to b). */
async function measure(seconds: number): Promise<{ rps: number; cpuUs: number; share: number }> {
  const call = (i: number) =>
    a.call({ module: "GameActor", id: IDS[i % IDS.length] as string, capability: "game", payload: PAYLOAD });
  const { ops, elapsedMs, cpuUs } = await runFor(seconds, IN_FLIGHT, call);
  return { rps: (ops * 1000) / elapsedMs, cpuUs: cpuUs / ops, share: cpuUs / 1000 / elapsedMs };
}

await measure(1); // warm-up
const admin = a.members().find((m) => m.name === a.name)?.tags.admin ?? null;
process.stdout.write(`${JSON.stringify({ admin })}\n`);
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, seconds] = line.split(" ");
  if (command === "measure") process.stdout.write(`${JSON.stringify(await measure(Number(seconds)))}\n`);
}
await Promise.allSettled([a.stop(), b.stop()]);
process.exit(0);
