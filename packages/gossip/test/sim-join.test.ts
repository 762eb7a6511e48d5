import assert from "node:assert/strict";
import { test } from "node:test";
import { allSee, createCluster, joinAll, names, withSeed } from "./sim-cluster.js";

test("50 members joining through one seed converge to all-alive everywhere", async () => {
  const cluster = await createCluster(50);
  await withSeed(cluster.net, async () => {
    const t0 = cluster.net.clock.now();
    await joinAll(cluster);
    const all = names(cluster.members);
    const ok = await cluster.net.runUntil(() => allSee(cluster.members, all, "alive"), 60_000, 100);
    assert.ok(ok, "every member should see all 50 alive within 60 s");
    console.log(`converged after ${cluster.net.clock.now() - t0} ms simulated`);
    // And it stays so: no suspicion turns into a death in a healthy cluster.
    await cluster.net.run(60_000);
    assert.ok(allSee(cluster.members, all, "alive"));
    for (const m of cluster.members) assert.equal(m.gossip.stats().deathsDeclared, 0);
  });
});
