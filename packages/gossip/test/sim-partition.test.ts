import assert from "node:assert/strict";
import { test } from "node:test";
import { allSee, type ClusterMember, createCluster, joinAll, names, withSeed } from "./sim-cluster.js";

test("a long partition splits the cluster into two; after healing it merges back", async () => {
  const cluster = await createCluster(20);
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    const left = cluster.members.slice(0, 10);
    const right = cluster.members.slice(10);
    cluster.net.partition([left.map((m) => m.sim.address), right.map((m) => m.sim.address)]);
    const split = () => allSee(left, names(right), "dead") && allSee(right, names(left), "dead");
    assert.ok(await cluster.net.runUntil(split, 120_000, 100), "each side declares the other dead");
    assert.ok(allSee(left, names(left), "alive") && allSee(right, names(right), "alive"), "each side stays whole");
    cluster.net.heal();
    // The reconnect round (30 s in the LAN preset) push-pulls with a dead member; refutations follow.
    const merged = await cluster.net.runUntil(
      () => allSee(cluster.members, names(cluster.members), "alive"),
      180_000,
      100,
    );
    assert.ok(merged, "one cluster again");
  });
});

test("a short partition heals by refutation alone: nobody is declared dead", async () => {
  const cluster = await createCluster(20);
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    let deaths = 0;
    for (const m of cluster.members) m.gossip.on("member:dead", () => deaths++);
    const a = cluster.members.slice(0, 5) as ClusterMember[];
    cluster.net.partition([a.map((m) => m.sim.address), cluster.members.slice(5).map((m) => m.sim.address)]);
    await cluster.net.run(2_000); // well under the suspicion timeout 4 * log10(20) s = 5.2 s
    cluster.net.heal();
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    await cluster.net.run(30_000);
    assert.equal(deaths, 0);
  });
});
