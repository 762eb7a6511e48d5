import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { waitFor } from "@mesh/testing";
import { createNode, isMeshError, type MeshNode, type NodeInit } from "../src/index.js";

/** A counter that carries its count to its next owner. */
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
class GameActor extends Counter {}
class ChatActor extends Counter {}
class PaymentActor extends Counter {}
const actors = { GameActor, ChatActor, PaymentActor };

const FAST = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };
const started: MeshNode[] = [];

async function start(init: NodeInit): Promise<MeshNode> {
  const node = await createNode({ host: "127.0.0.1", multicast: false, gossip: FAST, actors, ...init });
  started.push(node);
  return node;
}

function gossipAddress(node: MeshNode): string {
  const self = node.members().find((m) => m.name === node.name);
  assert.ok(self !== undefined, "a networked node knows itself");
  return `${self.address.host}:${self.address.port}`;
}

async function converged(nodes: readonly MeshNode[], what = "every node to see every other"): Promise<void> {
  const names = nodes.map((n) => n.name).sort();
  await waitFor(
    what,
    () =>
      nodes.every((n) => {
        const alive = n
          .members()
          .filter((m) => m.state === "alive")
          .map((m) => m.name)
          .sort();
        return JSON.stringify(alive) === JSON.stringify(names);
      }),
    {
      timeoutMs: 10_000,
      describe: () => nodes.map((n) => `${n.name}: ${n.members().map((m) => `${m.name}=${m.state}`)}`).join("; "),
    },
  );
}

after(async () => {
  await Promise.all(started.map((n) => n.stop()));
});

describe("a cluster of nodes in one process over loopback", () => {
  it("routes the seed's example: game to node1/node3, chat to node2/node3, payment to node3", async () => {
    const node1 = await start({ name: "node1", capabilities: ["game"] });
    const seeds = [gossipAddress(node1)];
    const node2 = await start({ name: "node2", capabilities: ["chat"], seeds });
    const node3 = await start({ name: "node3", capabilities: ["game", "chat", "payment"], seeds });
    const nodes = [node1, node2, node3];
    await converged(nodes);
    for (const node of nodes) {
      assert.deepEqual(node.allCapabilities(), ["chat", "game", "payment"]);
      assert.deepEqual(node.nodesFor("game"), ["node1", "node3"]);
      assert.deepEqual(node.nodesFor("chat"), ["node2", "node3"]);
      assert.deepEqual(node.nodesFor("payment"), ["node3"]);
    }
    const allowed: Record<string, string[]> = {
      game: ["node1", "node3"],
      chat: ["node2", "node3"],
      payment: ["node3"],
    };
    const modules: Record<string, string> = { game: "GameActor", chat: "ChatActor", payment: "PaymentActor" };
    const seen: Record<string, Set<string>> = { game: new Set(), chat: new Set(), payment: new Set() };
    for (const capability of Object.keys(allowed)) {
      for (let i = 0; i < 60; i++) {
        const id = `${capability}-${i}`;
        const caller = nodes[i % 3] as MeshNode;
        const { pid, response } = await caller.call({
          module: modules[capability] as string,
          id,
          capability,
          payload: 1,
        });
        assert.equal(response, 1, "each actor activated once, on one node");
        const owners = new Set(nodes.map((n) => n.ownerNode(n.shardFor(id), capability)));
        assert.deepEqual([...owners], [pid.node], `${id}: every node computes the same owner, and it answered`);
        assert.ok(allowed[capability]?.includes(pid.node), `${capability} actor ${id} landed on ${pid.node}`);
        seen[capability]?.add(pid.node);
      }
    }
    assert.deepEqual([...(seen.game ?? [])].sort(), ["node1", "node3"], "both game nodes got some");
    assert.deepEqual([...(seen.chat ?? [])].sort(), ["node2", "node3"], "both chat nodes got some");
    const local = nodes.map((n) => n.stats().actorsByCapability);
    assert.equal(local[0]?.chat, undefined, "no chat actor on node1");
    assert.equal(local[1]?.game, undefined, "no game actor on node2");
    assert.equal(local[2]?.payment, 60, "every payment actor on node3");

    // A capability registered later spreads by gossip and takes its share of shards.
    await node2.registerCapabilities(["payment"]);
    await waitFor("payment to reach every node", () =>
      nodes.every((n) => JSON.stringify(n.nodesFor("payment")) === '["node2","node3"]'),
    );
    for (let i = 0; i < 60; i++) {
      const id = `payment-${i}`;
      const { pid, response } = await node1.call({ module: "PaymentActor", id, capability: "payment", payload: 1 });
      assert.equal(response, 2, `${id} kept its count wherever it lives now`);
      assert.equal(pid.node, node1.ownerNode(node1.shardFor(id), "payment"));
    }
    await waitFor(
      "node3 to hold only the payment actors it still owns",
      () => (node3.stats().actorsByCapability.payment ?? 0) < 60,
    );
    const moved = node2.stats().handoffsReceived;
    assert.ok(moved > 0, "node2 took over some payment actors with their state");
  });

  it("hands actors off on a graceful stop, with zero failed calls", async () => {
    const a = await start({ name: "a", capabilities: ["game"] });
    const seeds = [gossipAddress(a)];
    const b = await start({ name: "b", capabilities: ["game"], seeds });
    const c = await start({ name: "c", capabilities: ["game"], seeds });
    await converged([a, b, c]);
    const ids = Array.from({ length: 200 }, (_, i) => `player-${i}`);
    const expected = new Map<string, number>();
    let failures = 0;
    let running = true;
    const failuresSeen: string[] = [];
    const load = (async () => {
      let round = 0;
      while (running) {
        round++;
        await Promise.all(
          ids.map(async (id) => {
            try {
              const { response } = await a.call({ module: "GameActor", id, capability: "game", payload: 1 });
              expected.set(id, (expected.get(id) ?? 0) + 1);
              assert.equal(response, expected.get(id), `${id} lost no state`);
            } catch (error) {
              failures++;
              failuresSeen.push(isMeshError(error) ? error.code : String(error));
            }
          }),
        );
        if (round > 200) break;
      }
    })();
    await waitFor("b to host some actors", () => (b.stats().actorsByCapability.game ?? 0) > 0);
    const hostedByB = b.stats().actorsByCapability.game ?? 0;
    await b.stop();
    await converged([a, c], "b to be gone from the survivors' views");
    await waitFor(
      "b's actors to answer on a or c",
      () => (a.stats().actorsByCapability.game ?? 0) + (c.stats().actorsByCapability.game ?? 0) === 200,
    );
    running = false;
    await load;
    assert.equal(failures, 0, `no call failed during the handoff: ${failuresSeen.slice(0, 5).join(", ")}`);
    assert.ok(b.stats().handoffsSent >= hostedByB, `b handed off its ${hostedByB} actors`);
    assert.equal(a.members().find((m) => m.name === "b")?.state, "left");
  });

  it("moves the joiner's share with its state when a node joins under load", async () => {
    const j1 = await start({ name: "j1", capabilities: ["game"] });
    const seeds = [gossipAddress(j1)];
    const j2 = await start({ name: "j2", capabilities: ["game"], seeds });
    const caller = await start({ name: "caller", seeds });
    await converged([j1, j2, caller]);
    const ids = Array.from({ length: 300 }, (_, i) => `joiner-${i}`);
    const succeeded = new Map<string, number>();
    const failed: string[] = [];
    let running = true;
    // One closed loop per actor, from the caller and from an owner, so calls are in flight throughout the join.
    const loop = async (from: MeshNode, id: string): Promise<void> => {
      while (running) {
        // Local calls settle in microtasks alone: yield, or timers and sockets starve.
        await new Promise((resolve) => setImmediate(resolve));
        try {
          await from.call({ module: "GameActor", id, capability: "game", payload: 1 });
          succeeded.set(id, (succeeded.get(id) ?? 0) + 1);
        } catch (error) {
          failed.push(isMeshError(error) ? error.code : String(error));
          return; // a loop that kept going on a failing call would starve the event loop
        }
      }
    };
    const load = Promise.all(ids.flatMap((id) => [loop(caller, id), loop(j1, id)]));
    await waitFor("some load before the join", () => (succeeded.get("joiner-0") ?? 0) >= 3);
    const j3 = await start({ name: "j3", capabilities: ["game"], seeds });
    await converged([j1, j2, j3, caller]);
    await waitFor("the joiner to serve its share", () => (j3.stats().actorsByCapability.game ?? 0) > 0);
    running = false;
    await load;
    assert.deepEqual(failed, [], "no call failed during the join");
    for (const id of ids) {
      const { response } = await caller.call({ module: "GameActor", id, capability: "game", payload: 0 });
      assert.equal(response, succeeded.get(id), `${id} kept every increment across the move`);
    }
    assert.ok(j3.stats().handoffsReceived > 0, "the joiner received state from the previous owners");
  });

  it("keeps a cluster with a secret closed to a node without it", async () => {
    const s1 = await start({ name: "s1", capabilities: ["game"], secret: "correct horse battery staple" });
    const seeds = [gossipAddress(s1)];
    const s2 = await start({ name: "s2", capabilities: ["game"], secret: "correct horse battery staple", seeds });
    const outsider = await start({
      name: "outsider",
      capabilities: ["game", "chat"],
      secret: "wrong horse battery staple",
      seeds,
    });
    await converged([s1, s2]);
    const { pid } = await s2.call({ module: "GameActor", id: "x", capability: "game" });
    assert.ok(["s1", "s2"].includes(pid.node));
    assert.deepEqual(
      outsider.members().map((m) => m.name),
      ["outsider"],
      "the outsider never learned a member",
    );
    assert.equal(s1.members().length, 2, "the cluster never learned the outsider");
    await assert.rejects(s1.call({ module: "ChatActor", id: "x", capability: "chat" }), (e) =>
      isMeshError(e, "MESH_ERR_NO_NODES"),
    );
  });
});
