/**
 * Hostile datagrams from an endpoint inside the simulated network (no cluster
 * secret, as on a network that trusts its hosts): one forged accusation must not
 * expel a member, and fake "alive" members must not blind failure detection.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SimNode } from "@mesh/testing";
import type { MemberView } from "../src/index.js";
import { packCompound } from "../src/wire/compound.js";
import { decodePacket } from "../src/wire/decode.js";
import { encodePacketMessage } from "../src/wire/encode.js";
import { MessageType } from "../src/wire/message-type.js";
import type { PacketMessage } from "../src/wire/messages.js";
import { allSee, type Cluster, type ClusterMember, createCluster, joinAll, names, withSeed } from "./sim-cluster.js";

const T = 1000;

async function converged(n: number): Promise<Cluster> {
  const cluster = await createCluster(n);
  await joinAll(cluster);
  const all = cluster.members;
  assert.ok(await cluster.net.runUntil(() => allSee(all, names(all), "alive"), 30_000, 100), "converges");
  return cluster;
}

/** An endpoint that is no member: it only sends, and records what it receives. */
async function attacker(cluster: Cluster): Promise<{ node: SimNode; received: PacketMessage[] }> {
  const node = cluster.net.addNode();
  const received: PacketMessage[] = [];
  node.transport.setHandlers({
    packet: (bytes) => {
      const d = decodePacket(bytes);
      if (d.ok) received.push(...d.value);
    },
    stream: () => new Uint8Array(),
  });
  await node.transport.start();
  return { node, received };
}

function watchDeaths(members: readonly ClusterMember[]): string[] {
  const died: string[] = [];
  for (const m of members) m.gossip.on("member:dead", (v: MemberView) => died.push(`${m.gossip.name} saw ${v.name}`));
  return died;
}

test("one 16-byte suspect at incarnation 2^53 - 1 neither raises nor expels its victim", async () => {
  const cluster = await converged(5);
  await withSeed(cluster.net, async () => {
    const victim = cluster.members[2] as ClusterMember;
    const died = watchDeaths(cluster.members);
    const { node } = await attacker(cluster);
    const before = victim.gossip.localMember.incarnation;
    const forged = encodePacketMessage({
      type: MessageType.suspect,
      name: victim.gossip.name,
      incarnation: Number.MAX_SAFE_INTEGER,
      from: "x",
    });
    assert.equal(forged.length, 16);
    // To the victim, and to every third party.
    for (const m of cluster.members) node.transport.sendPacket(m.sim.address, forged);
    await cluster.net.run(60 * T);
    assert.deepEqual(died, []);
    assert.ok(allSee(cluster.members, names(cluster.members), "alive"), "everyone alive everywhere");
    assert.equal(victim.gossip.localMember.incarnation, before, "a stranger did not raise its incarnation");
    for (const m of cluster.members) assert.equal(m.gossip.stats().dropped["implausible-incarnation"], 1);
  });
});

test("a plausible forged accusation is refuted just above it, and the refutation is accepted everywhere", async () => {
  const cluster = await converged(5);
  await withSeed(cluster.net, async () => {
    const victim = cluster.members[1] as ClusterMember;
    const died = watchDeaths(cluster.members);
    const { node } = await attacker(cluster);
    const accused = victim.gossip.localMember.incarnation + 1000;
    const forged = encodePacketMessage({
      type: MessageType.suspect,
      name: victim.gossip.name,
      incarnation: accused,
      from: "x",
    });
    node.transport.sendPacket((cluster.members[0] as ClusterMember).sim.address, forged);
    const others = cluster.members.filter((m) => m !== victim);
    const ok = await cluster.net.runUntil(
      () =>
        others.every((o) => {
          const v = o.gossip.members().find((m) => m.name === victim.gossip.name);
          return v?.state === "alive" && v.incarnation === accused + 1;
        }),
      10 * T,
      50,
    );
    assert.ok(ok, "alive again everywhere at accused + 1");
    await cluster.net.run(30 * T);
    assert.deepEqual(died, []);
  });
});

test("an invalid part of a compound datagram drops only itself: the ping packed with it is answered", async () => {
  const cluster = await converged(3);
  await withSeed(cluster.net, async () => {
    const target = cluster.members[1] as ClusterMember;
    const { node, received } = await attacker(cluster);
    const ping = encodePacketMessage({ type: MessageType.ping, seq: 77, target: target.gossip.name, source: "x" });
    // [5, "n1", 2^53, "x"]: a suspect at an incarnation that is not a safe integer, which no decoder accepts.
    const unsafe = Uint8Array.from([0x94, 0x05, 0xa2, 0x6e, 0x31, 0xcf, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0xa1, 0x78]);
    node.transport.sendPacket(target.sim.address, packCompound([unsafe, ping]));
    await cluster.net.run(T);
    assert.ok(
      received.some((m) => m.type === MessageType.ack && m.seq === 77),
      "the ping was answered",
    );
    assert.equal(target.gossip.stats().dropped.invalid, 1, "the invalid part was counted");
  });
});

test("fake alive members that never answer do not blind failure detection: a real crash is still found in time", async () => {
  const real = 8;
  const fakes = 40;
  const cluster = await converged(real);
  await withSeed(cluster.net, async () => {
    const { node } = await attacker(cluster);
    // Fake members at addresses where nothing listens, re-announced every 5 s at a
    // new incarnation so their suspicions are "refuted" and they stay in the tables.
    let incarnation = 1;
    const inject = (): void => {
      const alives = Array.from({ length: fakes }, (_, i) =>
        encodePacketMessage({
          type: MessageType.alive,
          name: `fake-${i}`,
          incarnation,
          address: { host: `127.0.200.${i + 1}`, port: 7946 },
          metadata: { version: 1, capabilities: [], tags: {} },
        }),
      );
      for (let i = 0; i < alives.length; i += 20)
        for (const m of cluster.members)
          node.transport.sendPacket(m.sim.address, packCompound(alives.slice(i, i + 20)));
      incarnation++;
      cluster.net.clock.setTimeout(inject, 5 * T);
    };
    inject();
    await cluster.net.run(30 * T);
    const sample = cluster.members[0] as ClusterMember;
    assert.ok(sample.gossip.members().length >= real + fakes / 2, "the fakes are in the tables");
    const scores = cluster.members.map((m) => m.gossip.stats().awarenessScore);
    assert.ok(
      scores.every((s) => s <= 1),
      `health scores stay low: ${scores.join(",")}`,
    );
    const victim = cluster.members[5] as ClusterMember;
    const survivors = cluster.members.filter((m) => m !== victim);
    victim.sim.crash();
    const t0 = cluster.net.clock.now();
    // Before relays and probes were kept for members that answer, this took about
    // 1,200 T (20 minutes). The fakes still take a share of the probes (one in four
    // goes to an unproven member), but the ring successor is always a real member,
    // so the victim's predecessor probes it every other of its round probes: over
    // seeds 1-30 the survivors saw the death after p50 9.4 T, p90 12.2 T, max
    // 16.1 T (with the round-robin alone: p50 12.6 T, p90 19.5 T, max 33.4 T).
    // The bound is that maximum with room; a seed past it is a regression to look at.
    const bound = 20 * T;
    const ok = await cluster.net.runUntil(() => allSee(survivors, [victim.gossip.name], "dead"), bound, 50);
    assert.ok(ok, `dead everywhere within ${bound / T} T`);
    console.log(
      `with ${fakes} fake members: dead everywhere after ${((cluster.net.clock.now() - t0) / T).toFixed(1)} T`,
    );
    assert.ok(allSee(survivors, names(survivors), "alive"), "no real member was harmed");
  });
});
