import assert from "node:assert/strict";
import { test } from "node:test";
import { isMeshError } from "@mesh/interface";
import { SimNetwork, testSeed } from "@mesh/testing";
import { createGossip, type Discovery, type DiscoveryContext, type MemberView } from "../src/index.js";

function setup() {
  const net = new SimNetwork({ seed: testSeed() });
  const make = (name: string, discovery?: Discovery[]) => {
    const node = net.addNode();
    return createGossip(
      { name, capabilities: ["a"] },
      { transport: node.transport, clock: node.clock, random: node.random, discovery },
    );
  };
  return { net, make };
}

test("start and stop are idempotent; a stopped member cannot start again", async () => {
  const { net, make } = setup();
  const g = make("x");
  assert.deepEqual(g.members(), []);
  assert.throws(
    () => g.localMember,
    (e: unknown) => isMeshError(e, "MESH_ERR_NODE_STOPPED"),
  );
  await Promise.all([g.start(), g.start()]);
  assert.equal(g.localMember.name, "x");
  assert.deepEqual(g.localMember.capabilities, ["a"]);
  await net.settle(Promise.all([g.stop(), g.stop()]));
  await assert.rejects(g.start(), (e: unknown) => isMeshError(e, "MESH_ERR_NODE_STOPPED"));
});

test("join rejects with MESH_ERR_NODE_UNREACHABLE when no address answers", async () => {
  const { net, make } = setup();
  const g = make("x");
  await g.start();
  await assert.rejects(net.settle(g.join([{ host: "127.0.9.9", port: 7946 }])), (e: unknown) =>
    isMeshError(e, "MESH_ERR_NODE_UNREACHABLE"),
  );
  assert.equal(await net.settle(g.join([g.localMember.address])), 0, "joining oneself is a no-op");
  assert.throws(
    () => g.updateMetadata({ capabilities: [""] }),
    (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
  );
});

test("updateMetadata emits member:updated and capabilities:changed locally; an unchanged set emits nothing", async () => {
  const { make } = setup();
  const g = make("x");
  await g.start();
  const updated: [MemberView, MemberView][] = [];
  const caps: string[][] = [];
  g.on("member:updated", (m, prev) => updated.push([m, prev]));
  g.on("capabilities:changed", (c) => caps.push([...c.capabilities]));
  g.updateMetadata({ capabilities: ["b", "a"] });
  g.updateMetadata({ capabilities: ["a", "b"] });
  g.updateMetadata({ tags: { zone: "z" } });
  assert.equal(updated.length, 2);
  assert.deepEqual(updated[0]?.[1].capabilities, ["a"]);
  assert.deepEqual(updated[0]?.[0].capabilities, ["a", "b"]);
  assert.deepEqual(caps, [["a", "b"]]);
  assert.equal(g.localMember.metadataVersion, 3);
  assert.equal(g.localMember.incarnation, 2);
});

test("discovery: a peer reported by a strategy is joined once; known peers are skipped", async () => {
  const { net, make } = setup();
  let context: DiscoveryContext | undefined;
  let stopped = false;
  const discovery: Discovery = {
    name: "fake",
    async start(c) {
      context = c;
    },
    async stop() {
      stopped = true;
    },
  };
  const seed = make("seed");
  await seed.start();
  const g = make("x", [discovery]);
  await g.start();
  assert.equal(context?.name, "x");
  assert.deepEqual(context?.address, g.localMember.address);
  context?.onPeer({ address: seed.localMember.address, name: "seed" });
  context?.onPeer({ address: seed.localMember.address }); // in flight already: ignored
  await net.run(1000);
  assert.equal(g.members().find((m) => m.name === "seed")?.state, "alive");
  assert.equal(seed.members().find((m) => m.name === "x")?.state, "alive");
  const before = g.stats().pushPulls;
  context?.onPeer({ address: seed.localMember.address, name: "seed" });
  context?.onPeer({ address: g.localMember.address, name: "x" });
  await net.run(100);
  assert.equal(g.stats().pushPulls, before, "known members are not joined again");
  await net.settle(g.stop());
  assert.equal(stopped, true);
});
