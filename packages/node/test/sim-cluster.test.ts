/**
 * Cluster behaviour on the simulator: gossip on SimNetwork, calls on
 * SimCallNetwork, every node on the network's fake clock, seeded. A failure
 * prints its seed; MESH_SEED=<seed> replays it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SimCallNetwork, SimNetwork, type SimNode, testSeed } from "@mesh/testing";
import { encodeHandoff } from "../src/control.js";
import { createNode, isMeshError, type MeshNode } from "../src/index.js";

class Counter {
  count = 0;
  handleCall(payload: unknown): number {
    this.count += typeof payload === "number" ? payload : 1;
    return this.count;
  }
  handleCast(payload: unknown): void {
    this.count += typeof payload === "number" ? payload : 1;
  }
  snapshot(): number {
    return this.count;
  }
  restore(state: unknown): void {
    this.count = Number(state);
  }
}
let openGate: () => void = () => {};
class Slow {
  async handleCall(): Promise<string> {
    await new Promise<void>((resolve) => {
      openGate = resolve;
    });
    return "late";
  }
}
const FAST = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };

interface Sim {
  readonly net: SimNetwork;
  readonly calls: SimCallNetwork;
  readonly nodes: Map<string, { node: MeshNode; sim: SimNode }>;
  add(name: string, capabilities: readonly string[]): Promise<MeshNode>;
  converged(): Promise<void>;
  /** A bare call endpoint on a host of its own: it sends what no node would (hops, raw handoffs). */
  probe(): ReturnType<SimCallNetwork["endpoint"]>;
  /** The call address of node `name`. */
  callAddress(name: string): string;
}

function simulation(seed: number, handoffTimeoutMs = 1_000): Sim {
  const net = new SimNetwork({ seed });
  const calls = new SimCallNetwork(net);
  const nodes = new Map<string, { node: MeshNode; sim: SimNode }>();
  const sim: Sim = {
    net,
    calls,
    nodes,
    async add(name, capabilities) {
      const s = net.addNode();
      const first = [...nodes.values()][0];
      const seeds = first === undefined ? [] : [`${first.sim.address.host}:${first.sim.address.port}`];
      const node = await net.settle(
        createNode(
          {
            name,
            capabilities,
            actors: { Counter, Slow },
            host: s.address.host,
            multicast: false,
            ...(seeds.length > 0 ? { seeds } : { discovery: [] }),
            gossip: FAST,
            clock: s.clock,
            callTimeoutMs: 2_000,
            handoffTimeoutMs,
          },
          {
            transport: s.transport,
            callTransport: calls.endpoint(s),
            random: s.random,
          },
        ),
      );
      nodes.set(name, { node, sim: s });
      return node;
    },
    probe: () => calls.endpoint(net.addNode()),
    callAddress: (name) => `${(nodes.get(name) as { sim: SimNode }).sim.address.host}:${calls.port}`,
    async converged() {
      const all = [...nodes.values()].filter((n) => !n.sim.crashed).map((n) => n.node);
      const names = all.map((n) => n.name).sort();
      const ok = await net.runUntil(
        () =>
          all.every(
            (n) =>
              JSON.stringify(
                n
                  .members()
                  .filter((m) => m.state === "alive")
                  .map((m) => m.name)
                  .sort(),
              ) === JSON.stringify(names),
          ),
        20_000,
      );
      assert.ok(ok, `the cluster converged (seed ${net.seed})`);
      await net.run(100); // the tables rebuild on the membership events
    },
  };
  return sim;
}

async function withSeed(seed: number, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Error) error.message = `${error.message}\n  (replay with MESH_SEED=${seed})`;
    throw error;
  }
}

const IDS = Array.from({ length: 100 }, (_, i) => `player_${i}`);
/** Ids first called after a heal, while the views still differ. */
const FRESH_IDS = Array.from({ length: 100 }, (_, i) => `fresh_${i}`);
/** Ids of calls that arrive already forwarded once. */
const LAST_HOP_IDS = Array.from({ length: 100 }, (_, i) => `last_hop_${i}`);

describe("a cluster on the simulator", () => {
  it("moves actors with their state when a node joins, and calls for them follow", async () => {
    const seed = testSeed();
    await withSeed(seed, async () => {
      const sim = simulation(seed);
      const caller = await sim.add("caller", []);
      await sim.add("a", ["game"]);
      await sim.add("b", ["game"]);
      await sim.converged();
      const call = (id: string) =>
        sim.net.settle(caller.call({ module: "Counter", id, capability: "game", payload: 1 }));
      for (const id of IDS) assert.equal((await call(id)).response, 1);
      const joiner = await sim.add("c", ["game"]);
      await sim.converged();
      const moved = IDS.filter((id) => caller.ownerNode(caller.shardFor(id), "game") === "c");
      assert.ok(moved.length > 0, "the joiner owns some of the ids");
      for (const id of IDS) {
        const { pid, response } = await call(id);
        assert.equal(response, 2, `${id} kept its count (owner ${pid.node})`);
      }
      assert.equal(joiner.stats().handoffsReceived, moved.length, "every moved actor came with its state");
      assert.deepEqual(caller.stats().failures, {});
      for (const { node } of sim.nodes.values()) await sim.net.settle(node.stop());
    });
  });

  it("drains a leaving node: calls during the leave all succeed and keep their state", async () => {
    const seed = testSeed();
    await withSeed(seed, async () => {
      const sim = simulation(seed);
      const caller = await sim.add("caller", []);
      await sim.add("a", ["game"]);
      const b = await sim.add("b", ["game"]);
      await sim.converged();
      const call = (id: string) => caller.call({ module: "Counter", id, capability: "game", payload: 1 });
      for (const id of IDS) await sim.net.settle(call(id));
      const onB = IDS.filter((id) => caller.ownerNode(caller.shardFor(id), "game") === "b");
      assert.ok(onB.length > 0);
      // Calls in flight while b stops: each reaches an actor that has its count.
      const stopping = b.stop();
      const during = await sim.net.settle(Promise.all(IDS.map((id) => call(id))));
      await sim.net.settle(stopping);
      assert.ok(
        during.every((r) => r.response === 2),
        during.map((r) => r.response).join(","),
      );
      assert.ok(b.stats().handoffsSent >= onB.length);
      assert.deepEqual(caller.stats().failures, {});
      for (const { node } of sim.nodes.values()) await sim.net.settle(node.stop());
    });
  });

  it("forwards a one-way cast that reached a node that does not own the actor, once", async () => {
    const seed = testSeed();
    await withSeed(seed, async () => {
      const sim = simulation(seed);
      const a = await sim.add("a", ["game"]);
      await sim.add("b", ["game"]);
      await sim.converged();
      const id = IDS.find((i) => a.ownerNode(a.shardFor(i), "game") === "b") as string;
      const probe = sim.probe();
      const aAddress = sim.callAddress("a");
      probe.cast(aAddress, { module: "Counter", id, capability: "game", payload: 5 });
      await sim.net.run(50);
      assert.equal(a.stats().forwarded, 1);
      const { pid, response } = await sim.net.settle(a.call({ module: "Counter", id, capability: "game", payload: 1 }));
      assert.deepEqual([pid.node, response], ["b", 6]);
      for (const { node } of sim.nodes.values()) await sim.net.settle(node.stop());
    });
  });

  for (const kind of ["call", "cast"] as const) {
    it(`hands a ${kind} served as its last hop on a non-owner to the owner, with its state`, async () => {
      const seed = testSeed();
      await withSeed(seed, async () => {
        const sim = simulation(seed);
        const a = await sim.add("a", ["game"]);
        const b = await sim.add("b", ["game"]);
        await sim.converged();
        const id = IDS.find((i) => a.ownerNode(a.shardFor(i), "game") === "b") as string;
        // Already forwarded once (its sender's view named a): served where it arrived.
        const probe = sim.probe();
        const aAddress = sim.callAddress("a");
        const request = { module: "Counter", id, capability: "game", payload: 5, hops: 1 };
        if (kind === "call") {
          const reply = await sim.net.settle(probe.call(aAddress, { ...request, timeoutMs: 1_000 }));
          assert.deepEqual(reply, ["a", 5]);
        } else {
          probe.cast(aAddress, request);
          await sim.net.run(50);
        }
        assert.deepEqual(a.activeModules("game", id), ["Counter"], "served on a");
        await sim.net.run(1_100); // handoffTimeoutMs: the grace for views that still differ
        // The handoff runs on the actor runtime's own turns: settle on the next call, which follows it.
        const { pid, response } = await sim.net.settle(
          a.call({ module: "Counter", id, capability: "game", payload: 1 }),
        );
        assert.deepEqual(a.activeModules("game", id), [], "a kept no activation of b's actor");
        assert.equal(a.stats().straysEvicted, 1);
        assert.equal(b.stats().handoffsReceived, 1);
        assert.deepEqual(b.activeModules("game", id), ["Counter"]);
        assert.deepEqual([pid.node, response], ["b", 6], "the owner has the count");
        for (const { node } of sim.nodes.values()) await sim.net.settle(node.stop());
      });
    });
  }

  it("passes on a handoff received for a shard another node owns, with its state", async () => {
    const seed = testSeed();
    await withSeed(seed, async () => {
      const sim = simulation(seed);
      const a = await sim.add("a", ["game"]);
      await sim.add("b", ["game"]);
      await sim.converged();
      const id = IDS.find((i) => a.ownerNode(a.shardFor(i), "game") === "b") as string;
      // A previous owner whose view (after a heal, say) named a sends it the actor.
      const probe = sim.probe();
      const aAddress = sim.callAddress("a");
      const message = { kind: "actor", module: "Counter", id, capability: "game", state: 7, from: "gone" } as const;
      await sim.net.settle(probe.call(aAddress, encodeHandoff(message, 1_000)));
      assert.deepEqual(a.activeModules("game", id), ["Counter"]);
      await sim.net.run(1_100); // handoffTimeoutMs: the grace for views that still differ
      const { pid, response } = await sim.net.settle(a.call({ module: "Counter", id, capability: "game", payload: 1 }));
      assert.deepEqual(a.activeModules("game", id), [], "a kept no activation of b's actor");
      assert.deepEqual([pid.node, response], ["b", 8], "the owner has the state");
      for (const { node } of sim.nodes.values()) await sim.net.settle(node.stop());
    });
  });

  it("fails a call in flight at once when its owner dies, then routes to the new owner", async () => {
    const seed = testSeed();
    await withSeed(seed, async () => {
      const sim = simulation(seed);
      const caller = await sim.add("caller", []);
      await sim.add("a", ["game"]);
      await sim.add("b", ["game"]);
      await sim.converged();
      const id = IDS.find((i) => caller.ownerNode(caller.shardFor(i), "game") === "b") as string;
      const pending = caller.call({ module: "Slow", id, capability: "game" }).catch((e: unknown) => e);
      await sim.net.run(20);
      const b = sim.nodes.get("b");
      assert.ok(b !== undefined);
      const diedAt = sim.net.clock.now();
      sim.calls.crash(b.sim);
      const error = await sim.net.settle(pending);
      assert.ok(isMeshError(error, "MESH_ERR_NODE_UNREACHABLE"), String(error));
      assert.ok(sim.net.clock.now() - diedAt < 100, "failed on the reset, not at the deadline");
      // Every survivor sees b dead (a suspect stays in the ring; a, still seeing b, would forward to it).
      const survivors = [caller, (sim.nodes.get("a") as { node: MeshNode }).node];
      const dead = await sim.net.runUntil(
        () => survivors.every((n) => n.members().find((m) => m.name === "b")?.state === "dead"),
        30_000,
      );
      assert.ok(dead, "every survivor declared b dead");
      await sim.net.run(100);
      assert.equal(caller.ownerNode(caller.shardFor(id), "game"), "a", "a took b's shards");
      const { pid, response } = await sim.net.settle(
        caller.call({ module: "Counter", id, capability: "game", payload: 5 }),
      );
      assert.deepEqual([pid.node, response], ["a", 5]);
      openGate();
      for (const { node, sim: s } of sim.nodes.values()) if (!s.crashed) await sim.net.settle(node.stop());
    });
  });

  it("a call that waited for a handoff while its shard moved on follows the shard (no stray activation)", async () => {
    const seed = testSeed();
    await withSeed(seed, async () => {
      // A long handoff grace, so the shard can move while a call waits for it.
      const sim = simulation(seed, 20_000);
      for (const name of ["n1", "n2", "n3", "n4"]) await sim.add(name, ["game"]);
      await sim.converged();
      const node = (name: string) => sim.nodes.get(name) as { node: MeshNode; sim: SimNode };
      const address = (name: string) => node(name).sim.address;
      const n4 = node("n4").node;
      const deadIn = (viewer: string, others: readonly string[]) => () =>
        others.every(
          (o) =>
            node(viewer)
              .node.members()
              .find((m) => m.name === o)?.state === "dead",
        );
      sim.net.partition([
        [address("n1"), address("n2")],
        [address("n3"), address("n4")],
      ]);
      const bothDeclared = () => deadIn("n3", ["n1", "n2"])() && deadIn("n4", ["n1", "n2"])();
      assert.ok(await sim.net.runUntil(bothDeclared, 30_000), "n3 and n4 declared n1 and n2 dead");
      // n2 comes back to n4 first; n4 then waits for n2's handoff of the shards n2 would
      // own without n4. n2 still sees n1, the owner in its view, so no handoff comes.
      sim.net.partition([[address("n1")], [address("n2"), address("n3"), address("n4")]]);
      const alive = (viewer: string, other: string) => () =>
        node(viewer)
          .node.members()
          .find((m) => m.name === other)?.state === "alive";
      const n2Back = () => alive("n3", "n2")() && alive("n4", "n2")();
      assert.ok(await sim.net.runUntil(n2Back, 30_000), "n3 and n4 see n2 again");
      await sim.net.run(100);
      // Calls for fresh ids from n3's side: those on such shards wait on n4 (deadlines past
      // the grace: no caller gives up while they wait). Meanwhile the cluster becomes
      // whole and those shards go to n1.
      const calls = Promise.allSettled(
        FRESH_IDS.map((id) =>
          node("n3").node.call({ module: "Counter", id, capability: "game", payload: 1, timeoutMs: 30_000 }),
        ),
      );
      // And calls already sent on once by a node whose view named n4: served where they arrive.
      const probe = sim.probe();
      const n4Address = sim.callAddress("n4");
      const lastHops = Promise.allSettled(
        LAST_HOP_IDS.map((id) =>
          probe.call(n4Address, { module: "Counter", id, capability: "game", payload: 1, hops: 1, timeoutMs: 30_000 }),
        ),
      );
      await sim.net.run(50);
      sim.net.heal();
      await sim.converged();
      const outcomes = await sim.net.settle(calls);
      const lastHopFailures = (await sim.net.settle(lastHops)).flatMap((o) =>
        o.status === "rejected" ? [String(o.reason)] : [],
      );
      assert.deepEqual(lastHopFailures.slice(0, 3), [], "a call on its last hop is served, not failed, after its wait");
      // The simulated call network drops what crosses a partition (no TCP to retransmit it
      // after the heal): a call forwarded across it before the heal times out; none fails otherwise.
      const failed = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
      const otherFailures = failed.filter((e) => !isMeshError(e, "MESH_ERR_TIMEOUT")).map(String);
      assert.deepEqual(otherFailures.slice(0, 3), [], "no call failed but for time");
      await sim.net.run(25_000); // past the handoff grace: strays, if any, were evicted by now
      const names = [...sim.nodes.keys()];
      const misplaced: string[] = [];
      for (const id of [...FRESH_IDS, ...LAST_HOP_IDS]) {
        const owner = n4.ownerNode(n4.shardFor(id), "game");
        const activeOn = names.filter((n) => node(n).node.activeModules("game", id).length > 0);
        if (activeOn.some((n) => n !== owner))
          misplaced.push(`${id} active on [${activeOn.join(", ")}], owner ${owner}`);
      }
      assert.deepEqual(misplaced, [], "no actor is active on a node that does not own it");
      for (const { node: n } of sim.nodes.values()) await sim.net.settle(n.stop());
    });
  });

  it("after a 2 | 2 partition heals, keeps each actor active on its owner only", async () => {
    // Seeds known to leave a duplicate when the sweep is missing, then a fresh one (MESH_SEED: that one alone).
    const seeds = process.env.MESH_SEED ? [testSeed()] : [4, 8, testSeed()];
    for (const seed of seeds) await partitionAndHeal(seed);
  });
});

async function partitionAndHeal(seed: number): Promise<void> {
  await withSeed(seed, async () => {
    const sim = simulation(seed);
    for (const name of ["n1", "n2", "n3", "n4"]) await sim.add(name, ["game"]);
    await sim.converged();
    const node = (name: string) => sim.nodes.get(name) as { node: MeshNode; sim: SimNode };
    const sides = [
      ["n1", "n2"],
      ["n3", "n4"],
    ];
    sim.net.partition(sides.map((side) => side.map((name) => node(name).sim.address)));
    const seesOtherSideDead = () =>
      sides.every((side, i) =>
        side.every((name) =>
          (sides[1 - i] as string[]).every(
            (other) =>
              node(name)
                .node.members()
                .find((m) => m.name === other)?.state === "dead",
          ),
        ),
      );
    assert.ok(await sim.net.runUntil(seesOtherSideDead, 30_000), "each side declared the other dead");
    await sim.net.run(100);
    // Each side serves every id on its own side: both activate a copy of each actor.
    const callAll = (from: string) =>
      Promise.allSettled(
        IDS.map((id) => node(from).node.call({ module: "Counter", id, capability: "game", payload: 1 })),
      );
    for (const from of ["n1", "n3"]) await sim.net.settle(callAll(from));
    sim.net.heal();
    // Calls keep coming from both sides while the views merge (some cross views that still differ),
    // for the actors of the split and for ones first called now.
    const names = [...sim.nodes.keys()];
    const callFresh = (from: string) =>
      Promise.allSettled(
        FRESH_IDS.map((id) => node(from).node.call({ module: "Counter", id, capability: "game", payload: 1 })),
      );
    for (let round = 0; round < 20; round++) {
      await sim.net.settle(Promise.all(names.flatMap((from) => [callAll(from), callFresh(from)])));
      await sim.net.run(250);
    }
    await sim.converged();
    await sim.net.run(5_000);
    const misplaced: string[] = [];
    for (const id of [...IDS, ...FRESH_IDS]) {
      const owners = new Set(names.map((n) => node(n).node.ownerNode(node(n).node.shardFor(id), "game")));
      assert.equal(owners.size, 1, `every node agrees on the owner of ${id}`);
      const owner = [...owners][0];
      const activeOn = names.filter((n) => node(n).node.activeModules("game", id).length > 0);
      if (activeOn.length > 1 || (activeOn.length === 1 && activeOn[0] !== owner)) {
        misplaced.push(`${id} active on [${activeOn.join(", ")}], owner ${owner}`);
      }
    }
    assert.deepEqual(misplaced, [], "every actor is active on its owner only");
    for (const { node: n } of sim.nodes.values()) await sim.net.settle(n.stop());
  });
}
