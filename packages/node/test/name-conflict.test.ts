import assert from "node:assert/strict";
import { after, it } from "node:test";
import { createNode, isMeshError, type MeshNode } from "../src/index.js";

const FAST = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };
const started: MeshNode[] = [];

after(async () => {
  await Promise.all(started.map((n) => n.stop()));
});

it("a second node with a live node's name: createNode rejects with MESH_ERR_NAME_CONFLICT, the first keeps its name", async () => {
  const name = `twin-${process.pid}-${Date.now()}`;
  const first = await createNode({ name, host: "127.0.0.1", multicast: false, gossip: FAST, capabilities: ["game"] });
  started.push(first);
  const self = first.members().find((m) => m.name === name);
  assert.ok(self !== undefined);
  const seed = `${self.address.host}:${self.address.port}`;
  const outcome = await createNode({
    name,
    host: "127.0.0.1",
    seeds: [seed],
    gossip: FAST,
    capabilities: ["chat"],
  }).then(
    (n) => {
      started.push(n);
      return n;
    },
    (error: unknown) => error,
  );
  assert.ok(isMeshError(outcome), `createNode rejected (got ${String(outcome)})`);
  assert.equal(outcome.code, "MESH_ERR_NAME_CONFLICT");
  const after = first.members().find((m) => m.name === name);
  assert.equal(after?.state, "alive");
  assert.deepEqual(after?.address, self.address, "the first holder keeps its address");
  assert.deepEqual(after?.capabilities, ["game"], "and its capabilities");
  assert.ok((first.stats().gossip?.nameConflicts ?? 0) >= 1, "the holder counted it");
});
