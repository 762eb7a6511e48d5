import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import net from "node:net";
import { test } from "node:test";
import { SimNetwork, testSeed, waitFor } from "@mesh/testing";
import { type Address, createGossip, createUdpTransport, type Gossip, type GossipInit } from "../src/index.js";
import { encodePacketMessage } from "../src/wire/encode.js";
import { MessageType } from "../src/wire/message-type.js";
import { LOOPBACK } from "./net-helpers.js";
import { withSeed } from "./sim-cluster.js";

/** An alive message for a member that does not exist, "at" someone else's address, with metadata by digest. */
function fakeDigest(name: string, address: Address, version: number): Uint8Array {
  const metadata = { version, digest: "0123456789abcdef0123456789abcdef", size: 9000 };
  return encodePacketMessage({ type: MessageType.alive, name, incarnation: version, address, metadata });
}

const bigCapabilities = Array.from({ length: 300 }, (_, i) => `capability-number-${i}`); // ~7 KB: a digest

test("simulated: digests naming bystanders' addresses cause no stream to them; a real member's big metadata is fetched", async () => {
  const net = new SimNetwork({ seed: testSeed() });
  await withSeed(net, async () => {
    // Push-pull on: it too must never go to a forged member's address.
    const init: GossipInit = { pushPullIntervalMs: 5_000 };
    const members: Gossip[] = [];
    for (let i = 0; i < 4; i++) {
      const sim = net.addNode();
      const g = createGossip(
        { name: `m${i}`, ...init },
        { transport: sim.transport, clock: sim.clock, random: sim.random },
      );
      await g.start();
      members.push(g);
    }
    const seed = (members[0] as Gossip).localMember.address;
    await net.settle(Promise.all(members.slice(1).map((g) => g.join([seed]))));
    // Bystanders: hosts that run no gossip at all, only count what reaches them.
    const bystanders = Array.from({ length: 5 }, () => net.addNode());
    let streams = 0;
    for (const b of bystanders) {
      b.transport.setHandlers({
        packet: () => {},
        stream: async () => {
          streams++;
          throw new Error("not a gossip member");
        },
      });
      await b.transport.start();
    }
    const attacker = net.addNode();
    await attacker.transport.start();
    let version = 1;
    for (let round = 0; round < 60; round++) {
      version++;
      // Each forged member "moves" to another bystander every round: a claim of a held name
      // at a new address, which must not make anyone connect to the address held either.
      for (let i = 0; i < bystanders.length; i++) {
        const at = (bystanders[(i + round) % bystanders.length] as (typeof bystanders)[0]).address;
        for (const target of members)
          attacker.transport.sendPacket(target.localMember.address, fakeDigest(`fake-${i}`, at, version));
      }
      await net.run(500);
    }
    assert.equal(streams, 0, "no stream to an address that never answered a probe");
    const deferred = members.reduce((s, g) => s + g.stats().metadataFetchesDeferred, 0);
    assert.ok(deferred > 0, "the fake members' fetches were put off");
    const owner = members[2] as Gossip;
    owner.updateMetadata({ capabilities: bigCapabilities });
    const everywhere = () =>
      members.every((g) => g.members().find((m) => m.name === owner.name)?.capabilities.length === 300);
    assert.ok(
      await net.runUntil(everywhere, 20_000, 20),
      `every member fetched the real member's metadata: ${members
        .map((g) => {
          const s = g.stats();
          const v = g.members().find((m) => m.name === owner.name);
          return `${g.name} caps=${v?.capabilities.length} v=${v?.metadataVersion} fetches=${s.metadataFetches} failed=${s.metadataFetchFailures} deferred=${s.metadataFetchesDeferred}`;
        })
        .join("; ")}`,
    );
    const fetches = members.reduce((s, g) => s + g.stats().metadataFetches, 0);
    assert.ok(fetches >= 1, `fetched by digest over a stream (${fetches})`);
    assert.equal(streams, 0);
  });
});

test(
  "over loopback: digests naming a TCP listener's port open no connection to it; real big metadata still arrives",
  {
    timeout: 30_000,
  },
  async () => {
    let connections = 0;
    const bystander = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => bystander.listen({ host: LOOPBACK, port: 0 }, resolve));
    const bystanderAddress = { host: LOOPBACK, port: (bystander.address() as net.AddressInfo).port };
    const attacker = createSocket("udp4");
    await new Promise<void>((resolve) => attacker.bind(0, LOOPBACK, resolve));
    const members: Gossip[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const g = createGossip(
          { name: `fetch-guard-${process.pid}-${i}`, preset: "local", probeIntervalMs: 200, pushPullIntervalMs: 0 },
          { transport: createUdpTransport({ host: LOOPBACK, port: 0 }) },
        );
        await g.start();
        members.push(g);
      }
      const [a, b] = members as [Gossip, Gossip];
      await b.join([a.localMember.address]);
      for (let round = 0; round < 20; round++) {
        for (const target of members) {
          for (let i = 0; i < 2; i++) {
            const packet = fakeDigest(`fake-${i}`, bystanderAddress, round + 2);
            attacker.send(packet, target.localMember.address.port, LOOPBACK);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Forged members are probed and declared dead; until then they share the fan-out.
      const fakesGone = () =>
        members.every((g) => g.members().every((m) => !m.name.startsWith("fake-") || m.state === "dead"));
      await waitFor("the forged members declared dead", fakesGone, { timeoutMs: 15_000 });
      b.updateMetadata({ capabilities: bigCapabilities });
      await waitFor(
        "a fetched b's big metadata",
        () => a.members().find((m) => m.name === b.name)?.capabilities.length === 300,
        {
          timeoutMs: 10_000,
          describe: () => JSON.stringify({ ...a.stats(), transport: undefined }),
        },
      );
      assert.ok(a.stats().metadataFetches >= 1, "over a stream");
      assert.equal(connections, 0, "no connection to the address the attacker named");
    } finally {
      for (const g of members) await g.stop();
      attacker.close();
      await new Promise<void>((resolve) => bystander.close(() => resolve()));
    }
  },
);
