/**
 * eigr/mesh's multi-node workload: 4 nodes with one capability each (separate
 * processes), 40,000 creations then 50,000 calls at concurrency 500, driven from a
 * fifth node that hosts nothing (so every call crosses the network). eigr/mesh
 * measured 31,000 creations/s and 19,500 calls/s on this machine.
 *
 * Run: pnpm build && node benchmarks/dist/eigr-multinode.js
 */
import { createNode } from "@mesh/node";
import { waitFor } from "@mesh/testing";
import { fmt, runLoad } from "./load.js";
import { PAYLOAD, spawnServer } from "./tcp-baseline.js";

const CAPABILITIES = ["game", "chat", "payment", "match"] as const;
const first = await spawnServer("./mesh-node-child.js", ["node1", "game", "-"]);
const seeds = `127.0.0.1:${first.port}`;
const rest = await Promise.all(
  CAPABILITIES.slice(1).map((capability, i) =>
    spawnServer("./mesh-node-child.js", [`node${i + 2}`, capability, seeds]),
  ),
);
const children = [first, ...rest];
const driver = await createNode({
  name: "driver",
  host: "127.0.0.1",
  multicast: false,
  seeds: [seeds],
  gossip: { preset: "local" },
  callTimeoutMs: 60_000,
});
try {
  await waitFor("the driver to see all four capabilities", () => driver.allCapabilities().length === 4, {
    timeoutMs: 15_000,
  });
  const call = (i: number, id: string) =>
    driver.call({ module: "GameActor", id, capability: CAPABILITIES[i % 4] as string, payload: PAYLOAD });
  const creations = await runLoad(40_000, 500, (i) => call(i, `actor-${i}`));
  const calls = await runLoad(50_000, 500, (i) => call(i, `actor-${i % 40_000}`));
  console.log("\neigr/mesh multi-node workload (4 owner processes, 1 capability each, driver owns nothing)");
  console.log(`40,000 creations, concurrency 500: ${fmt(creations.opsPerSec)} /s   (eigr/mesh here: 31,000/s)`);
  console.log(`50,000 calls,     concurrency 500: ${fmt(calls.opsPerSec)} /s   (eigr/mesh here: 19,500/s)`);
  console.log(`failed calls: ${JSON.stringify(driver.stats().failures)}`);
} finally {
  await driver.stop();
  await Promise.all(children.map((c) => c.stop()));
}
