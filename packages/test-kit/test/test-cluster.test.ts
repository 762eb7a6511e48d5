/**
 * The kit as a user meets it: counter actors on three simulated nodes, through
 * partitions, crashes, loss and restarts. Each test's simulated time is bounded
 * by the kit's waits; a failure names its seed (MESH_SEED=<seed> replays it).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMeshError } from "@mesh/node";
import { type TestCluster, type TestClusterInit, testSeed, withTestCluster } from "../src/index.js";

class Counter {
  count = 0;
  handleCall(payload: unknown): number {
    this.count += typeof payload === "number" ? payload : 1;
    return this.count;
  }
  snapshot(): number {
    return this.count;
  }
  restore(state: unknown): void {
    this.count = Number(state);
  }
}

const IDS = Array.from({ length: 60 }, (_, i) => `player_${i}`);

function threeNodes(seed: number): TestClusterInit {
  return {
    seed,
    actors: { Counter },
    nodes: [
      { name: "gate", capabilities: [] },
      { name: "a", capabilities: ["game"] },
      { name: "b", capabilities: ["game"] },
      { name: "c", capabilities: ["game", "chat"] },
    ],
  };
}

const count = (cluster: TestCluster, from: string, id: string, payload = 1) =>
  cluster.node(from).call<number>({ module: "Counter", id, capability: "game", payload });

describe("createTestCluster", () => {
  it("routes calls by capability across the simulated nodes", async () => {
    await withTestCluster(threeNodes(testSeed()), async (cluster) => {
      assert.deepEqual([...cluster.node("gate").nodesFor("game")].sort(), ["a", "b", "c"]);
      assert.deepEqual(cluster.node("a").nodesFor("chat"), ["c"]);
      const hosts = new Set<string>();
      for (const id of IDS) {
        const { pid, response } = await count(cluster, "gate", id);
        assert.equal(response, 1);
        assert.equal(pid.node, cluster.node("gate").ownerOf("game", id));
        hosts.add(pid.node);
      }
      assert.deepEqual([...hosts].sort(), ["a", "b", "c"], "the ids spread over every game node");
      const chat = await cluster.node("a").call({ module: "Counter", id: "room", capability: "chat" });
      assert.equal(chat.pid.node, "c", "only c hosts chat");
      for (const id of IDS) assert.equal((await count(cluster, "b", id)).response, 2, "any node reaches the owner");
    });
  });

  it("serves each side of a partition from its own nodes, then heals into one cluster", async () => {
    await withTestCluster(threeNodes(testSeed()), async (cluster) => {
      cluster.partition(["gate", "a"], ["b", "c"]);
      const sees = (name: string, alive: string[]) => () => cluster.node(name).alive().join() === alive.join();
      await cluster.waitUntil(() => sees("gate", ["a", "gate"])() && sees("b", ["b", "c"])(), {
        timeoutMs: 30_000,
        message: "each side to declare the other dead",
      });
      await cluster.advance(200);
      for (const id of IDS.slice(0, 20)) {
        assert.equal((await count(cluster, "gate", id)).pid.node, "a", "the gate's side serves every id on a");
        assert.notEqual((await count(cluster, "c", id)).pid.node, "a", "the other side serves it on b or c");
      }
      cluster.heal();
      await cluster.waitUntil(() => cluster.converged(), { timeoutMs: 60_000, message: "one cluster again" });
      await cluster.advance(200);
      for (const id of IDS) {
        const owners = new Set(cluster.running().map((n) => cluster.node(n).ownerOf("game", id)));
        assert.equal(owners.size, 1, `every node agrees on the owner of ${id}`);
        const { pid } = await count(cluster, "gate", id);
        assert.equal(pid.node, [...owners][0]);
      }
    });
  });

  it("brings a killed owner's actors back on another node once the death is detected", async () => {
    await withTestCluster(threeNodes(testSeed()), async (cluster) => {
      const gate = cluster.node("gate");
      const id = IDS.find((i) => gate.ownerOf("game", i) === "b") as string;
      assert.equal((await count(cluster, "gate", id)).pid.node, "b");
      cluster.kill("b");
      assert.throws(
        () => cluster.node("b"),
        (e) => isMeshError(e, "MESH_ERR_NODE_STOPPED"),
      );
      await cluster.waitUntil(() => cluster.converged(), { timeoutMs: 30_000, message: "b declared dead" });
      await cluster.advance(200);
      const { pid, response } = await count(cluster, "gate", id);
      assert.ok(pid.node === "a" || pid.node === "c", `reactivated on ${pid.node}`);
      assert.equal(response, 1, "a crash loses the state it did not hand off");
      assert.ok(
        cluster.trace().some((line) => / gate member:dead b$/.test(line)),
        "the trace shows the detection",
      );
    });
  });

  it("keeps calls succeeding under 10% packet loss, with retries", async () => {
    await withTestCluster(threeNodes(testSeed()), async (cluster) => {
      cluster.loss(0.1);
      await cluster.advance(5_000);
      // What a caller does on a lossy network: retry a call that timed out or lost its connection.
      let retries = 0;
      const withRetries = async (from: string, id: string) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await count(cluster, from, id);
          } catch (error) {
            const transient = isMeshError(error, "MESH_ERR_TIMEOUT") || isMeshError(error, "MESH_ERR_NODE_UNREACHABLE");
            if (!transient || attempt === 4) throw error;
            retries++;
          }
        }
      };
      for (const id of IDS) assert.ok((await withRetries("gate", id)).response >= 1);
      for (const id of IDS) assert.ok((await withRetries("a", id)).response >= 2, "the counts survived");
      assert.ok(retries <= IDS.length / 4, `${retries} retries for ${IDS.length * 2} calls`);
      assert.ok(cluster.trace().some((line) => line.endsWith("loss 0.1")));
      cluster.loss(0);
      await cluster.waitUntil(() => cluster.converged(), { timeoutMs: 30_000, message: "all alive after the loss" });
    });
  });

  it("restarts a node under the same name, which takes its shards back", async () => {
    await withTestCluster(threeNodes(testSeed()), async (cluster) => {
      const id = IDS.find((i) => cluster.node("gate").ownerOf("game", i) === "c") as string;
      await count(cluster, "gate", id);
      cluster.kill("c");
      await cluster.waitUntil(() => cluster.converged(), { timeoutMs: 30_000, message: "c declared dead" });
      const back = await cluster.restart("c");
      assert.equal(back.name, "c");
      await cluster.waitUntil(() => cluster.converged(), { timeoutMs: 60_000, message: "c alive again everywhere" });
      await cluster.advance(200);
      assert.deepEqual(cluster.node("gate").alive(), ["a", "b", "c", "gate"]);
      assert.equal(cluster.node("gate").ownerOf("game", id), "c");
      assert.equal((await count(cluster, "gate", id)).pid.node, "c");
      assert.deepEqual(cluster.node("c").nodesFor("chat"), ["c"]);
    });
  });

  it("replays the same run from the same seed", async () => {
    const seed = testSeed();
    const run = () =>
      withTestCluster(threeNodes(seed), async (cluster) => {
        for (const id of IDS.slice(0, 10)) await count(cluster, "gate", id);
        cluster.loss(0.05, { node: "a" });
        cluster.kill("b");
        await cluster.waitUntil(() => cluster.converged(), { timeoutMs: 30_000 });
        for (const id of IDS.slice(0, 10)) await count(cluster, "gate", id);
        return { trace: cluster.trace(), now: cluster.now() };
      });
    const first = await run();
    const second = await run();
    assert.ok(first.trace.length > 20, `a trace of ${first.trace.length} lines`);
    assert.deepEqual(second, first);
  });

  it("names the seed when a wait times out", async () => {
    await withTestCluster({ seed: 42, nodes: [{ name: "solo", capabilities: ["game"] }] }, async (cluster) => {
      await assert.rejects(
        cluster.waitUntil(() => false, { timeoutMs: 500, message: "never" }),
        (e: unknown) => isMeshError(e, "MESH_ERR_TIMEOUT") && /never.*MESH_SEED=42/.test(e.message),
      );
      assert.equal(cluster.now() >= 500, true);
    });
  });
});
