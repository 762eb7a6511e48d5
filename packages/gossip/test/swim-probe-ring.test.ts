/**
 * The ring successor (swim/ring-successor.ts): every member is the successor of
 * exactly one other, so each member has one predecessor probing it every other
 * period, and a crash is found within about two periods, not after an
 * exponentially distributed wait for the shuffled rounds of the others.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LAN_PRESET } from "../src/index.js";
import { RingSuccessor, ringHash } from "../src/swim/ring-successor.js";
import { allSee, type ClusterMember, createCluster, joinAll, names, withSeed } from "./sim-cluster.js";

const T = LAN_PRESET.probeIntervalMs;

test("the successors form one cycle through all members, whatever the names", () => {
  for (const n of [2, 3, 5, 50, 200]) {
    const all = Array.from({ length: n }, (_, i) => `member-${i}`);
    const next = new Map(all.map((name) => [name, new RingSuccessor(name).successor(all)]));
    const seen = new Set<string>();
    let at = all[0] as string;
    for (let i = 0; i < n; i++) {
      assert.ok(!seen.has(at), `n = ${n}: ${at} reached twice before closing the cycle`);
      seen.add(at);
      at = next.get(at) as string;
      assert.ok(at !== undefined);
    }
    assert.equal(at, all[0], `n = ${n}: the cycle closes after n steps`);
    assert.equal(seen.size, n);
  }
});

test("a member with no other candidate has no successor; the hash is stable", () => {
  assert.equal(new RingSuccessor("a").successor(["a"]), undefined);
  assert.equal(new RingSuccessor("a").successor([]), undefined);
  // FNV-1a 32-bit reference values.
  assert.equal(ringHash(""), 0x811c9dc5);
  assert.equal(ringHash("a"), 0xe40c292c);
});

test("N = 30: every crash is suspected within 3 periods (the predecessor's slot plus the probe)", async () => {
  const cluster = await createCluster(30);
  await withSeed(cluster.net, async () => {
    const { net } = cluster;
    await joinAll(cluster);
    assert.ok(await net.runUntil(() => allSee(cluster.members, names(cluster.members), "alive"), 30_000, 100));
    await net.run(10 * T);
    const times: number[] = [];
    for (let k = 0; k < 20; k++) {
      await net.run(Math.floor(net.random.next() * T));
      const alive = cluster.members.filter((m) => !m.sim.crashed);
      const victim = alive[1 + Math.floor(net.random.next() * (alive.length - 1))] as ClusterMember;
      let suspectedAt: number | undefined;
      const t0 = net.clock.now();
      const listeners = alive.map((o) => {
        const l = (v: { name: string }) => {
          if (v.name === victim.gossip.name && suspectedAt === undefined) suspectedAt = net.clock.now() - t0;
        };
        o.gossip.on("member:suspect", l);
        return () => o.gossip.off("member:suspect", l);
      });
      victim.sim.crash();
      // Two periods for the predecessor's turn, one for its probe to fail, a little slack.
      const ok = await net.runUntil(() => suspectedAt !== undefined, 3.2 * T, 10);
      for (const off of listeners) off();
      assert.ok(ok, `crash ${k}: suspected within 3.2 T`);
      times.push((suspectedAt as number) / T);
      const others = alive.filter((m) => m !== victim);
      assert.ok(await net.runUntil(() => allSee(others, [victim.gossip.name], "dead"), 30 * T, 50));
    }
    console.log(`first suspicion after a crash: max ${Math.max(...times).toFixed(2)} T over ${times.length} crashes`);
  });
});
