/**
 * A node joins while 10,000 calls/s run against 2,000 actors that hand their state
 * off (snapshot/restore). Three owner processes have `game`; the driver hosts
 * nothing; after a steady phase a fourth owner joins. Reports failed calls (goal 0
 * for handoff actors), the share of shards that moved (goal <= 1/(N+1) + 2%), the
 * longest pause a caller saw, and whether any actor lost state.
 * eigr/mesh here rejected about 5,500 to 8,600 calls in a 250 ms window on a join,
 * then failed about 930 more over 2 seconds.
 *
 * Run: pnpm build && node benchmarks/dist/join-under-load.js
 */
import { createNode, isMeshError } from "@mesh/node";
import { waitFor } from "@mesh/testing";
import { fmt } from "./load.js";
import { spawnServer } from "./tcp-baseline.js";

const RATE_PER_SEC = 10_000;
const TICK_MS = 10;
const ACTORS = 2_000;
const STEADY_MS = 3_000;
const AFTER_JOIN_MS = 5_000;

const first = await spawnServer("./mesh-node-child.js", ["owner1", "game", "-"]);
const seeds = `127.0.0.1:${first.port}`;
const owners = [
  first,
  await spawnServer("./mesh-node-child.js", ["owner2", "game", seeds]),
  await spawnServer("./mesh-node-child.js", ["owner3", "game", seeds]),
];
const driver = await createNode({
  name: "driver",
  host: "127.0.0.1",
  multicast: false,
  seeds: [seeds],
  gossip: { preset: "local" },
  callTimeoutMs: 10_000,
});
const ids = Array.from({ length: ACTORS }, (_, i) => `player-${i}`);
const succeeded = new Map<string, number>();
const failures: Record<string, number> = {};
let longestMs = 0;
let sent = 0;
let inFlight = 0;

function fire(id: string): void {
  sent++;
  inFlight++;
  const t0 = performance.now();
  driver
    .call({ module: "CounterActor", id, capability: "game" })
    .then(
      () => {
        succeeded.set(id, (succeeded.get(id) ?? 0) + 1);
      },
      (error: unknown) => {
        const code = isMeshError(error) ? error.code : String(error);
        failures[code] = (failures[code] ?? 0) + 1;
      },
    )
    .finally(() => {
      inFlight--;
      longestMs = Math.max(longestMs, performance.now() - t0);
    });
}

function owners_(): string[] {
  return Array.from({ length: 4096 }, (_, shard) => driver.ownerNode(shard, "game") ?? "-");
}

try {
  await waitFor("the driver to see three game owners", () => driver.nodesFor("game").length === 3, {
    timeoutMs: 15_000,
  });
  let next = 0;
  const perTick = (RATE_PER_SEC * TICK_MS) / 1000;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) fire(ids[next++ % ACTORS] as string);
  }, TICK_MS);
  await new Promise((resolve) => setTimeout(resolve, STEADY_MS));
  const before = owners_();
  const steadyLongest = longestMs;
  longestMs = 0;
  const joiner = await spawnServer("./mesh-node-child.js", ["owner4", "game", seeds]);
  owners.push(joiner);
  await waitFor("the driver to see the joiner", () => driver.nodesFor("game").length === 4, { timeoutMs: 15_000 });
  await new Promise((resolve) => setTimeout(resolve, AFTER_JOIN_MS));
  clearInterval(timer);
  await waitFor("every call to settle", () => inFlight === 0, { timeoutMs: 20_000 });
  const after = owners_();
  const moved = before.filter((owner, shard) => owner !== after[shard]).length;
  // Every actor's count must equal the calls that succeeded on it: none lost on the way.
  let lostState = 0;
  for (const id of ids) {
    const { response } = await driver.call({ module: "CounterActor", id, capability: "game" });
    if (response !== (succeeded.get(id) ?? 0) + 1) lostState++;
  }
  console.log("\njoin under load: 3 -> 4 owner processes, driver hosts nothing, CounterActor with snapshot/restore");
  console.log(`calls sent:            ${fmt(sent)} at ${fmt(RATE_PER_SEC)}/s`);
  console.log(
    `failed calls:          ${Object.values(failures).reduce((a, b) => a + b, 0)} ${JSON.stringify(failures)}   (goal 0)`,
  );
  console.log(
    `shards moved:          ${moved} of 4096 = ${fmt((moved / 4096) * 100, 1)}%   (goal <= 1/4 + 2% = 27.0%)`,
  );
  console.log(`longest call, steady:  ${fmt(steadyLongest, 1)} ms`);
  console.log(`longest call, join:    ${fmt(longestMs, 1)} ms`);
  console.log(`actors that lost state: ${lostState} of ${ACTORS}`);
} finally {
  await driver.stop();
  await Promise.all(owners.map((o) => o.stop()));
}
