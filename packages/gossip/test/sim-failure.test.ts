import assert from "node:assert/strict";
import { test } from "node:test";
import type { MemberView } from "../src/index.js";
import { allSee, type ClusterMember, createCluster, joinAll, names, stateOf, withSeed } from "./sim-cluster.js";

const T = 1000; // LAN probe interval

test("a killed member is declared dead by every other member within the bound", async () => {
  const cluster = await createCluster(20);
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    const victim = cluster.members[7] as ClusterMember;
    const others = cluster.members.filter((m) => m !== victim);
    victim.sim.crash();
    const t0 = cluster.net.clock.now();
    // Bound: a probe round to find it, plus the dogpile minimum suspicion 4 * log10(20) T = 5.2 T,
    // plus the slack of confirmations and gossip; the benchmark measures the distribution.
    const ok = await cluster.net.runUntil(() => allSee(others, [victim.gossip.name], "dead"), 15 * T, 50);
    assert.ok(ok, "dead everywhere within 15 T");
    console.log(`dead everywhere after ${((cluster.net.clock.now() - t0) / T).toFixed(1)} T`);
    assert.ok(allSee(others, names(others), "alive"), "nobody else was harmed");
  });
});

test("a falsely suspected member refutes: seen alive again with a higher incarnation, never dead", async () => {
  const cluster = await createCluster(12);
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    const target = cluster.members[3] as ClusterMember;
    const others = cluster.members.filter((m) => m !== target);
    const before = target.gossip.localMember.incarnation;
    const suspected = new Set<string>();
    const died: string[] = [];
    for (const o of others) {
      o.gossip.on("member:suspect", (m: MemberView) => m.name === target.gossip.name && suspected.add(o.gossip.name));
      o.gossip.on("member:dead", (m: MemberView) => died.push(`${o.gossip.name} saw ${m.name}`));
    }
    // Cut it off for 2.5 s: long enough to be suspected, far shorter than the suspicion timeout.
    cluster.net.partition([[target.sim.address], others.map((o) => o.sim.address)]);
    assert.ok(await cluster.net.runUntil(() => suspected.size > 0, 10 * T, 50), "it gets suspected");
    cluster.net.heal();
    const ok = await cluster.net.runUntil(() => allSee(others, [target.gossip.name], "alive"), 20 * T, 50);
    assert.ok(ok, "alive again everywhere");
    assert.ok(target.gossip.localMember.incarnation > before, "it refuted with a new incarnation");
    assert.ok(target.gossip.stats().refutations >= 1);
    await cluster.net.run(30 * T);
    assert.deepEqual(died, []);
  });
});

test("a graceful leave is seen as left (not dead) by everyone, and the leaver stops", async () => {
  const cluster = await createCluster(15);
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    const leaver = cluster.members[5] as ClusterMember;
    const others = cluster.members.filter((m) => m !== leaver);
    const dead: string[] = [];
    for (const o of others) o.gossip.on("member:dead", (m: MemberView) => dead.push(m.name));
    await cluster.net.settle(leaver.gossip.stop());
    assert.ok(
      await cluster.net.runUntil(() => allSee(others, [leaver.gossip.name], "left"), 5 * T, 20),
      "left everywhere",
    );
    await cluster.net.run(60 * T);
    assert.ok(allSee(others, [leaver.gossip.name], "left"), "still left, not dead, a minute later");
    assert.deepEqual(dead, []);
    await cluster.net.settle(leaver.gossip.stop()); // idempotent
  });
});

test("a member restarted under the same name at a new address is accepted (after and before its death is detected)", async () => {
  const cluster = await createCluster(10);
  await withSeed(cluster.net, async () => {
    await joinAll(cluster);
    assert.ok(await cluster.net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    for (const [index, waitForDeath] of [
      [4, true],
      [6, false],
    ] as const) {
      const old = cluster.members[index] as ClusterMember;
      const name = old.gossip.name;
      const oldIncarnation = old.gossip.localMember.incarnation;
      const others = cluster.members.filter((m) => m !== old && !m.sim.crashed);
      old.sim.crash();
      if (waitForDeath) assert.ok(await cluster.net.runUntil(() => allSee(others, [name], "dead"), 20 * T, 50));
      const fresh = await cluster.add({ name });
      await cluster.net.settle(fresh.gossip.join([(others[0] as ClusterMember).gossip.localMember.address]));
      const where = fresh.gossip.localMember.address;
      const ok = await cluster.net.runUntil(
        () =>
          others.every((o) => {
            const v = o.gossip.members().find((m) => m.name === name);
            return v?.state === "alive" && v.address.host === where.host;
          }),
        20 * T,
        50,
      );
      assert.ok(ok, `${name} alive at its new address everywhere (waited for death: ${waitForDeath})`);
      assert.ok(
        fresh.gossip.localMember.incarnation > oldIncarnation,
        "the new life took over with a newer incarnation",
      );
      assert.equal(stateOf(fresh, (others[1] as ClusterMember).gossip.name), "alive");
    }
  });
});
