/**
 * @packageDocumentation
 * Test your own actors on a whole Mesh cluster, in one process, deterministically:
 * `createTestCluster` runs real Mesh nodes (`createNode`, the real gossip and
 * routing) on a seeded simulated network and a fake clock, and lets the test cut
 * the network (`partition`, `heal`, `loss`), crash and restart nodes (`kill`,
 * `restart`) and move time (`advance`, `waitUntil`). The same seed replays the
 * same run; a failure names its seed (`MESH_SEED=<seed>` replays it).
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { test } from "node:test";
 * import { withTestCluster } from "@mesh/test-kit";
 *
 * class Counter {
 *   count = 0;
 *   handleCall(by: number) {
 *     this.count += by;
 *     return this.count;
 *   }
 * }
 *
 * test("a counter survives the loss of its node", () =>
 *   withTestCluster(
 *     { nodes: [{ name: "a", capabilities: ["game"] }, { name: "b", capabilities: ["game"] }], actors: { Counter } },
 *     async (cluster) => {
 *       const a = cluster.node("a");
 *       const { pid } = await a.call({ module: "Counter", id: "p1", capability: "game", payload: 1 });
 *       const other = pid.node === "a" ? "b" : "a";
 *       cluster.kill(pid.node);
 *       await cluster.waitUntil(() => cluster.node(other).alive().length === 1, { timeoutMs: 10_000 });
 *       const again = await cluster.node(other).call({ module: "Counter", id: "p1", capability: "game", payload: 1 });
 *       assert.equal(again.pid.node, other);
 *     },
 *   ));
 * ```
 */
export {
  FakeClock,
  SeededRandom,
  type SimAddress,
  SimCallNetwork,
  type SimLink,
  SimNetwork,
  type SimNetworkInit,
  SimNode,
  testSeed,
} from "@mesh/testing";
export {
  createTestCluster,
  type LossOptions,
  TestCluster,
  type TestClusterInit,
  type TestNodeInit,
  type WaitUntilOptions,
  withTestCluster,
} from "./test-cluster.js";
export { type Settle, TestNode } from "./test-node.js";
