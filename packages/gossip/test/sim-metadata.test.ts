import assert from "node:assert/strict";
import { test } from "node:test";
import type { CapabilitiesChange } from "../src/index.js";
import { allSee, type ClusterMember, createCluster, joinAll, names, withSeed } from "./sim-cluster.js";

test("a capability change spreads to every member in a few gossip rounds, with events", async () => {
  const cluster = await createCluster(40);
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    const who = cluster.members[11] as ClusterMember;
    const changes: CapabilitiesChange[] = [];
    for (const m of cluster.members)
      m.gossip.on("capabilities:changed", (c) => c.name === who.gossip.name && changes.push(c));
    const t0 = cluster.net.clock.now();
    who.gossip.updateMetadata({ capabilities: ["payment", "game"], tags: { zone: "eu" } });
    const spread = () =>
      cluster.members.every((m) => {
        const v = m.gossip.members().find((x) => x.name === who.gossip.name);
        return v?.capabilities.join() === "game,payment" && v.tags.zone === "eu";
      });
    // ceil(log2 40) + 4 = 10 rounds of 200 ms.
    assert.ok(await cluster.net.runUntil(spread, 10 * 200, 10), "everywhere within 10 gossip rounds");
    console.log(`spread in ${((cluster.net.clock.now() - t0) / 200).toFixed(1)} rounds`);
    assert.equal(changes.length, 40, "one capabilities:changed per member, the changer included");
    assert.deepEqual(changes[0]?.previous, []);
    assert.equal(who.gossip.localMember.metadataVersion, 2);
  });
});

test("metadata too big for a datagram travels as a digest and is fetched over a stream", async () => {
  // Periodic push-pull carries full metadata too, and on some seeds it reached a member before
  // the digest did; with it off, the digest-and-fetch path is the only one, as this test means.
  const cluster = await createCluster(12, { init: () => ({ pushPullIntervalMs: 0 }) });
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    const who = cluster.members[2] as ClusterMember;
    const capabilities = Array.from({ length: 300 }, (_, i) => `capability-number-${i}`); // ~7 KB
    who.gossip.updateMetadata({ capabilities });
    const everywhere = () =>
      cluster.members.every(
        (m) => m.gossip.members().find((x) => x.name === who.gossip.name)?.capabilities.length === 300,
      );
    assert.ok(await cluster.net.runUntil(everywhere, 10_000, 20), "every member fetched the full set");
    const fetches = cluster.members.reduce((s, m) => s + m.gossip.stats().metadataFetches, 0);
    assert.ok(fetches >= 11, `fetched over streams (${fetches})`);
    assert.ok(cluster.net.stats().maxPacketBytes <= 1400, "no datagram over 1400 bytes");
    // A member joining later gets it in the push-pull, without a fetch.
    const late = await cluster.add();
    await cluster.net.settle(late.gossip.join([who.gossip.localMember.address]));
    assert.equal(late.gossip.members().find((x) => x.name === who.gossip.name)?.capabilities.length, 300);
  });
});
