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

test("200 members converge within seconds of simulated time, and of real time", async () => {
  const started = performance.now();
  const cluster = await createCluster(200);
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    const all = names(cluster.members);
    const ok = await cluster.net.runUntil(() => allSee(cluster.members, all, "alive"), 60_000, 250);
    assert.ok(ok, "every member sees all 200 alive within 60 simulated seconds");
    await cluster.net.run(30_000);
    const wallMs = performance.now() - started;
    console.log(`200 members: converged and ran 30 s more in ${wallMs.toFixed(0)} ms of real time`);
    assert.ok(wallMs < 30_000, "a few seconds of real time, not minutes");
  });
});
