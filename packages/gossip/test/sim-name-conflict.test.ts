import assert from "node:assert/strict";
import { test } from "node:test";
import { MeshError } from "@mesh/interface";
import { SimNetwork, testSeed } from "@mesh/testing";
import { createGossip, type Gossip, type GossipInit } from "../src/index.js";
import { type CaptureLogger, captureLogger } from "./capture-logger.js";
import { withSeed } from "./sim-cluster.js";

const T = 1000;

interface Member {
  readonly gossip: Gossip;
  readonly log: CaptureLogger;
  readonly sim: ReturnType<SimNetwork["addNode"]>;
}

async function member(net: SimNetwork, init: GossipInit): Promise<Member> {
  const sim = net.addNode();
  const log = captureLogger();
  const gossip = createGossip(init, { transport: sim.transport, clock: sim.clock, random: sim.random, logger: log });
  await gossip.start();
  return { gossip, log, sim };
}

function view(of: Member, name: string) {
  return of.gossip.members().find((m) => m.name === name);
}

async function cluster(net: SimNetwork): Promise<Member[]> {
  const members = [
    await member(net, { name: "a" }),
    await member(net, { name: "holder", capabilities: ["game"] }),
    await member(net, { name: "c" }),
  ];
  const seed = (members[0] as Member).gossip.localMember.address;
  await net.settle(Promise.all(members.slice(1).map((m) => m.gossip.join([seed]))));
  const allAlive = () => members.every((o) => members.every((m) => view(o, m.gossip.name)?.state === "alive"));
  assert.ok(await net.runUntil(allAlive, 30 * T, 50), "the cluster formed");
  return members;
}

test("a second live process with a held name: its join rejects with MESH_ERR_NAME_CONFLICT, the holder keeps name and capabilities", async () => {
  const net = new SimNetwork({ seed: testSeed() });
  await withSeed(net, async () => {
    const members = await cluster(net);
    const [a, holder] = members as [Member, Member, Member];
    const where = holder.gossip.localMember.address;
    for (const through of [a, holder]) {
      // Through an observer (it checks the holder's address) and through the holder itself.
      const newcomer = await member(net, { name: "holder", capabilities: ["other"] });
      const outcome = await net.settle(newcomer.gossip.join([through.gossip.localMember.address]).catch((e) => e));
      assert.ok(outcome instanceof MeshError, `join rejected (got ${String(outcome)})`);
      assert.equal(outcome.code, "MESH_ERR_NAME_CONFLICT");
      assert.equal(newcomer.log.find("error", "name conflict").length, 1, "the newcomer logs it");
      assert.equal(newcomer.gossip.stats().nameConflicts, 1);
      await net.run(10 * T);
      assert.ok(through.log.find("warn", "name conflict").length >= 1, `${through.gossip.name} logs it`);
      assert.ok(through.gossip.stats().nameConflicts >= 1);
      for (const o of members) {
        if (o === holder) continue;
        const v = view(o, "holder");
        assert.equal(v?.state, "alive", `${o.gossip.name} still sees the holder alive`);
        assert.deepEqual(v?.address, where, `${o.gossip.name} keeps the holder's address`);
        assert.deepEqual(v?.capabilities, ["game"], `${o.gossip.name} keeps the holder's capabilities`);
      }
      assert.equal(holder.gossip.localMember.state, "alive");
      await assert.rejects(newcomer.gossip.start(), { code: "MESH_ERR_NODE_STOPPED" }, "the newcomer stopped");
    }
  });
});

test("ready() after a start with discovery rejects with MESH_ERR_NAME_CONFLICT when the seed shows a live holder", async () => {
  const net = new SimNetwork({ seed: testSeed() });
  await withSeed(net, async () => {
    const members = await cluster(net);
    const seed = (members[0] as Member).gossip.localMember.address;
    const sim = net.addNode();
    const log = captureLogger();
    const newcomer = createGossip(
      { name: "holder" },
      {
        transport: sim.transport,
        clock: sim.clock,
        random: sim.random,
        logger: log,
        discovery: [{ name: "seed", start: async (ctx) => ctx.onPeer({ address: seed }), stop: async () => {} }],
      },
    );
    await net.settle(newcomer.start());
    const outcome = await net.settle(newcomer.ready().catch((e) => e));
    assert.ok(outcome instanceof MeshError && outcome.code === "MESH_ERR_NAME_CONFLICT", String(outcome));
    assert.equal(log.find("error", "name conflict").length, 1);
  });
});

test("a crashed member restarted at a new address is not a conflict: its join succeeds and it takes its name over", async () => {
  const net = new SimNetwork({ seed: testSeed() });
  await withSeed(net, async () => {
    const members = await cluster(net);
    const [a, holder, c] = members as [Member, Member, Member];
    holder.sim.crash(); // before anyone notices
    const fresh = await member(net, { name: "holder", capabilities: ["game", "more"] });
    const joined = await net.settle(fresh.gossip.join([a.gossip.localMember.address]));
    assert.equal(joined, 1);
    const where = fresh.gossip.localMember.address;
    const moved = () =>
      [a, c].every((o) => {
        const v = view(o, "holder");
        return v?.state === "alive" && v.address.host === where.host && v.address.port === where.port;
      });
    assert.ok(await net.runUntil(moved, 10 * T, 20), "every member took the new address");
    assert.deepEqual(view(a, "holder")?.capabilities, ["game", "more"]);
    assert.equal(fresh.log.find("error", "name conflict").length, 0);
    assert.ok(a.log.find("info", "member moved").length + c.log.find("info", "member moved").length >= 1);
  });
});
