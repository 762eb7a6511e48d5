import assert from "node:assert/strict";
import { after, it } from "node:test";
import { waitFor } from "@mesh/testing";
import { createNode, isMeshError, type MeshNode } from "../src/index.js";

const FAST = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };
const started: MeshNode[] = [];

after(async () => {
  await Promise.all(started.map((n) => n.stop()));
});

async function twins() {
  const name = `twin-${process.pid}-${Date.now()}-${started.length}`;
  const first = await createNode({ name, host: "127.0.0.1", multicast: false, gossip: FAST, capabilities: ["game"] });
  started.push(first);
  const self = first.members().find((m) => m.name === name);
  assert.ok(self !== undefined);
  const second = createNode({
    name,
    host: "127.0.0.1",
    seeds: [`${self.address.host}:${self.address.port}`],
    gossip: FAST,
    capabilities: ["chat"],
  }).then(
    (n) => {
      started.push(n);
      return n;
    },
    (error: unknown) => error,
  );
  return { name, first, address: self.address, second };
}

it("a second node with a live node's name over real sockets: the first keeps its name, address and capabilities", async () => {
  const { name, first, address, second } = await twins();
  await second;
  await waitFor("the holder to see the conflict", () => (first.stats().gossip?.nameConflicts ?? 0) >= 1, {
    timeoutMs: 10_000,
  });
  // Long enough for a flip to have spread, were the newcomer taking the name.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const held = first.members().find((m) => m.name === name);
  assert.equal(held?.state, "alive");
  assert.deepEqual(held?.address, address, "the first holder keeps its address");
  assert.deepEqual(held?.capabilities, ["game"], "and its capabilities");
  assert.deepEqual(first.nodesFor("game"), [name]);
  assert.deepEqual(first.nodesFor("chat"), [], "the newcomer's capabilities never appear");
});

it("createNode of the second rejects with MESH_ERR_NAME_CONFLICT", async () => {
  const { second } = await twins();
  const outcome = await second;
  assert.ok(isMeshError(outcome), `createNode rejected (got ${String(outcome)})`);
  assert.equal(outcome.code, "MESH_ERR_NAME_CONFLICT");
});
