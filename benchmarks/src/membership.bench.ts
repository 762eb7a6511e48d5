/**
 * Membership benchmark (issue 3, MISSION "Membership" goals), run on the seeded
 * simulated network with the LAN preset (T = probe interval = 1 s):
 *   kill -> dead at every member (p50/p99) at N = 5, 50, 200;
 *   correlated failures: the lone survivor of 2 and of 5, and 7 of 10 crashing
 *   together (goal: within 2x the single-failure p99 at N = 10);
 *   false deaths at N = 50 with 10% loss; with one member stalled 3 s every 30 s,
 *   with and without Lifeguard; rounds for a capability change to reach everyone;
 *   packets and bytes per member per second from N = 5 to 200; largest datagram.
 * Simulated time, so figures do not depend on the machine's load.
 *
 *   node benchmarks/dist/membership.bench.js [--quick] [--only=kill,correlated,loss,stall,caps,traffic]
 *     [--kill-sizes=5,50,200] [--stall-periods=10000]
 *   MESH_SEED=<n> replays a run.
 */
import { createGossip, type Gossip, type GossipInit, LAN_PRESET } from "@mesh/gossip";
import { SimNetwork, type SimNetworkInit, type SimNode } from "@mesh/testing";

interface Member {
  readonly sim: SimNode;
  readonly gossip: Gossip;
}

interface Cluster {
  readonly net: SimNetwork;
  readonly members: Member[];
  add(): Promise<Member>;
}

const T = LAN_PRESET.probeIntervalMs;
const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const only = [...args]
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const seed = process.env.MESH_SEED === undefined ? 1 : Number(process.env.MESH_SEED) >>> 0;
const wanted = (name: string) => only === undefined || only.includes(name);
const killSizes = ([...args].find((a) => a.startsWith("--kill-sizes="))?.slice("--kill-sizes=".length) ?? "5,50,200")
  .split(",")
  .map(Number);

let maxDatagram = 0;

async function cluster(
  n: number,
  init: GossipInit = {},
  net: Omit<SimNetworkInit, "seed"> = {},
  s = seed,
): Promise<Cluster> {
  const sim = new SimNetwork({ seed: s, ...net });
  const members: Member[] = [];
  let next = 0;
  const add = async (): Promise<Member> => {
    const node = sim.addNode();
    const gossip = createGossip(
      // Fixed-width names, so message sizes do not grow with the member count.
      { name: `member-${String(next++).padStart(4, "0")}`, preset: "lan", ...init },
      { transport: node.transport, clock: node.clock, random: node.random },
    );
    await gossip.start();
    const m = { sim: node, gossip };
    members.push(m);
    return m;
  };
  for (let i = 0; i < n; i++) await add();
  const seedAddress = (members[0] as Member).gossip.localMember.address;
  await sim.settle(Promise.all(members.slice(1).map((m) => m.gossip.join([seedAddress]))));
  const ok = await sim.runUntil(() => allAlive(members), 120_000, 100);
  if (!ok) throw new Error(`cluster of ${n} did not converge (seed ${s})`);
  return { net: sim, members, add };
}

function live(members: readonly Member[]): Member[] {
  return members.filter((m) => !m.sim.crashed);
}

function allAlive(members: readonly Member[]): boolean {
  const l = live(members);
  const names = l.map((m) => m.gossip.name);
  for (const o of l) {
    const states = new Map(o.gossip.members().map((v) => [v.name, v.state]));
    for (const n of names) if (states.get(n) !== "alive") return false;
  }
  return true;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function track(net: SimNetwork): void {
  maxDatagram = Math.max(maxDatagram, net.stats().maxPacketBytes);
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const rows: string[][] = [];
function row(metric: string, figure: string, goal: string, met: boolean | undefined): void {
  rows.push([metric, figure, goal, met === undefined ? "-" : met ? "met" : "NOT MET"]);
  console.log(`  ${metric}: ${figure} (goal ${goal})${met === false ? "  <- NOT MET" : ""}`);
}

/** Kill one member, time until every survivor marks it dead; replace it; repeat. Returns the p99 in T. */
async function killToDead(n: number, trials: number, goalP50?: number, goalP99?: number): Promise<number> {
  const started = performance.now();
  const c = await cluster(n);
  const { net } = c;
  const allTimes: number[] = [];
  const eachTimes: number[] = [];
  for (let t = 0; t < trials; t++) {
    await net.run(Math.floor(net.random.next() * T));
    const alive = live(c.members);
    const victim = alive[1 + Math.floor(net.random.next() * (alive.length - 1))] as Member;
    const observers = alive.filter((m) => m !== victim);
    const deadAt = new Map<Member, number>();
    const t0 = net.clock.now();
    const offs = observers.map((o) => {
      const listener = (v: { name: string }) => {
        if (v.name === victim.gossip.name && !deadAt.has(o)) deadAt.set(o, net.clock.now() - t0);
      };
      o.gossip.on("member:dead", listener);
      return () => o.gossip.off("member:dead", listener);
    });
    victim.sim.crash();
    const ok = await net.runUntil(() => deadAt.size === observers.length, 120 * T, 50);
    for (const off of offs) off();
    if (!ok) throw new Error(`kill at N=${n}: not all members saw the death (seed ${seed}, trial ${t})`);
    const times = [...deadAt.values()];
    allTimes.push(Math.max(...times) / T);
    for (const x of times) eachTimes.push(x / T);
    // Keep N constant: a fresh member joins in the victim's place.
    const fresh = await c.add();
    const via = observers[Math.floor(net.random.next() * observers.length)] as Member;
    await net.settle(fresh.gossip.join([via.gossip.localMember.address]));
    await net.runUntil(() => allAlive(c.members), 60_000, 100);
  }
  track(net);
  const p50 = percentile(allTimes, 50);
  const p99 = percentile(allTimes, 99);
  row(
    `kill -> dead at every member, N=${n} (${trials} kills)`,
    `p50 ${fmt(p50)}T / p99 ${fmt(p99)}T (per member p50 ${fmt(percentile(eachTimes, 50))}T, p99 ${fmt(percentile(eachTimes, 99))}T)`,
    goalP50 === undefined || goalP99 === undefined ? "(reference)" : `${goalP50}T / ${goalP99}T`,
    goalP50 === undefined || goalP99 === undefined ? undefined : p50 <= goalP50 && p99 <= goalP99,
  );
  console.log(`    (${fmt((performance.now() - started) / 1000)} s wall)`);
  return p99;
}

/**
 * Correlated failure: `k` of `n` members crash at once; time until every survivor
 * sees all k dead, over `trials` clusters (seeds seed, seed + 1, …).
 */
async function correlatedFailure(n: number, k: number, trials: number, goalT?: number): Promise<void> {
  const started = performance.now();
  const times: number[] = [];
  for (let t = 0; t < trials; t++) {
    const c = await cluster(n, {}, {}, (seed + t) >>> 0);
    const { net } = c;
    await net.run(5 * T + Math.floor(net.random.next() * T));
    const victims = c.members.slice(n - k);
    const survivors = c.members.slice(0, n - k);
    const t0 = net.clock.now();
    for (const v of victims) v.sim.crash();
    const names = victims.map((v) => v.gossip.name);
    const allDead = () =>
      survivors.every((o) => {
        const states = new Map(o.gossip.members().map((v) => [v.name, v.state]));
        return names.every((x) => states.get(x) === "dead");
      });
    const ok = await net.runUntil(allDead, 600 * T, 50);
    if (!ok) throw new Error(`${k} of ${n} crashed: not all dead within 600 T (seed ${(seed + t) >>> 0})`);
    times.push((net.clock.now() - t0) / T);
    track(net);
  }
  const p99 = percentile(times, 99);
  row(
    `${k} of ${n} crash together -> all dead at every survivor (${trials} clusters)`,
    `p50 ${fmt(percentile(times, 50))}T / p99 ${fmt(p99)}T / max ${fmt(Math.max(...times))}T`,
    goalT === undefined ? "(reference)" : `p99 <= ${fmt(goalT)}T`,
    goalT === undefined ? undefined : p99 <= goalT,
  );
  console.log(`    (${fmt((performance.now() - started) / 1000)} s wall)`);
}

interface DeathCount {
  deadEvents: number;
  declared: number;
  suspicions: number;
}

function countFalseDeaths(c: Cluster): () => DeathCount {
  const count: DeathCount = { deadEvents: 0, declared: 0, suspicions: 0 };
  for (const m of c.members) m.gossip.on("member:dead", () => count.deadEvents++);
  const before = c.members.map((m) => m.gossip.stats());
  return () => {
    c.members.forEach((m, i) => {
      const s = m.gossip.stats();
      const b = before[i];
      count.declared += s.deathsDeclared - (b?.deathsDeclared ?? 0);
      count.suspicions += s.suspicions - (b?.suspicions ?? 0);
    });
    return count;
  };
}

/** N=50, 10% loss on every link, `periods` probe periods: no member is ever dead, so every death is false. */
async function lossyFalseDeaths(periods: number, streamFallbackPing: boolean): Promise<void> {
  const started = performance.now();
  const c = await cluster(50, { streamFallbackPing });
  c.net.setDefaultLink({ loss: 0.1 });
  const finish = countFalseDeaths(c);
  await c.net.run(periods * T);
  const r = finish();
  track(c.net);
  row(
    `false deaths, N=50, 10% datagram loss, ${periods} periods, stream fallback ping ${streamFallbackPing ? "on" : "off"}`,
    `${r.deadEvents} dead events (${r.declared} declared by a timer; ${r.suspicions} suspicions)`,
    "0",
    r.deadEvents === 0,
  );
  console.log(`    (${fmt((performance.now() - started) / 1000)} s wall for ${periods} simulated periods)`);
}

/**
 * False positives against healthy members, as the Lifeguard paper counts them:
 * suspicions and deaths raised against members that are not the slow one. A
 * suspicion is one (member, incarnation) seen suspect by anyone; a refutation
 * raises the incarnation, so the next suspicion is a new one.
 */
interface FalsePositives {
  /** Suspicions of healthy members, and of the slow member itself (not false: it was slow). */
  healthySuspicions: number;
  slowSuspicions: number;
  /** Healthy members declared dead (distinct lives), and dead events at all members. */
  healthyDeaths: number;
  deadEvents: number;
  /** Suspicions started by the slow member's own failed probes (its accusations, all false). */
  raisedBySlow: number;
}

function countFalsePositives(c: Cluster, slow: Member): () => FalsePositives {
  const suspected = new Set<string>();
  const died = new Set<string>();
  const r: FalsePositives = {
    healthySuspicions: 0,
    slowSuspicions: 0,
    healthyDeaths: 0,
    deadEvents: 0,
    raisedBySlow: 0,
  };
  for (const m of c.members) {
    m.gossip.on("member:suspect", (v) => {
      const key = `${v.name}@${v.incarnation}`;
      if (suspected.has(key)) return;
      suspected.add(key);
      if (v.name === slow.gossip.name) r.slowSuspicions++;
      else r.healthySuspicions++;
    });
    m.gossip.on("member:dead", (v) => {
      r.deadEvents++;
      const key = `${v.name}@${v.incarnation}`;
      if (v.name !== slow.gossip.name && !died.has(key)) r.healthyDeaths++;
      died.add(key);
    });
  }
  const before = slow.gossip.stats().probesFailed;
  return () => ({ ...r, raisedBySlow: slow.gossip.stats().probesFailed - before });
}

/** N=50, one member's event loop stalled 3 s every 30 s. */
async function stallFalsePositives(periods: number, lifeguard: boolean): Promise<FalsePositives> {
  const started = performance.now();
  const c = await cluster(50, { lifeguard });
  const slow = c.members[1] as Member;
  const finish = countFalsePositives(c, slow);
  const stallEvery = () => {
    c.net.stall(slow.sim.address, 3000);
    c.net.clock.setTimeout(stallEvery, 30_000);
  };
  c.net.clock.setTimeout(stallEvery, Math.floor(c.net.random.next() * 30_000));
  await c.net.run(periods * T);
  const r = finish();
  track(c.net);
  row(
    `false positives, N=50, one member stalled 3 s / 30 s, Lifeguard ${lifeguard ? "on" : "off"}, ${periods} periods`,
    `${r.healthySuspicions} suspicions and ${r.healthyDeaths} deaths of healthy members (${r.deadEvents} dead events; ` +
      `the slow member's failed probes ${r.raisedBySlow}; suspicions of the slow member ${r.slowSuspicions})`,
    lifeguard ? "0 deaths" : ">= 10x the Lifeguard run",
    lifeguard ? r.deadEvents === 0 : undefined,
  );
  console.log(`    (${fmt((performance.now() - started) / 1000)} s wall)`);
  return r;
}

/**
 * Supplementary: one member cut off from the network (not stalled: its timers run)
 * 3 s every 30 s. It suspects whoever it probes meanwhile, and those suspicions
 * outlive the cut unless the suspects hear of them in time. This is the Lifeguard
 * paper's slow member: its timers run while its messages do not get through.
 */
async function isolationFalsePositives(periods: number, lifeguard: boolean): Promise<FalsePositives> {
  const c = await cluster(50, { lifeguard });
  const cut = c.members[1] as Member;
  const rest = c.members.filter((m) => m !== cut).map((m) => m.sim.address);
  const finish = countFalsePositives(c, cut);
  const isolate = () => {
    c.net.partition([[cut.sim.address], rest]);
    c.net.clock.setTimeout(() => c.net.heal(), 3000);
    c.net.clock.setTimeout(isolate, 30_000);
  };
  c.net.clock.setTimeout(isolate, Math.floor(c.net.random.next() * 30_000));
  await c.net.run(periods * T);
  const r = finish();
  track(c.net);
  row(
    `(supplementary) false positives, N=50, one member cut off 3 s / 30 s, Lifeguard ${lifeguard ? "on" : "off"}, ${periods} periods`,
    `${r.healthySuspicions} suspicions and ${r.healthyDeaths} deaths of healthy members (${r.deadEvents} dead events; ` +
      `the cut member's failed probes ${r.raisedBySlow}; suspicions of the cut member ${r.slowSuspicions})`,
    lifeguard ? "0 deaths" : ">= 10x the Lifeguard run",
    lifeguard ? r.deadEvents === 0 : undefined,
  );
  return r;
}

/** A capability change by one member: gossip rounds until every member has it. */
async function capabilityRounds(n: number, trials: number): Promise<void> {
  const c = await cluster(n);
  const { net } = c;
  const interval = LAN_PRESET.gossipIntervalMs;
  const rounds: number[] = [];
  for (let t = 0; t < trials; t++) {
    await net.run(Math.floor(net.random.next() * T));
    const who = c.members[Math.floor(net.random.next() * c.members.length)] as Member;
    const cap = `cap-${t}`;
    const seen = new Set<Member>();
    const t0 = net.clock.now();
    let last = t0;
    const offs = c.members
      .filter((m) => m !== who)
      .map((o) => {
        const listener = (ch: { name: string; capabilities: readonly string[] }) => {
          if (ch.name === who.gossip.name && ch.capabilities.includes(cap) && !seen.has(o)) {
            seen.add(o);
            last = net.clock.now();
          }
        };
        o.gossip.on("capabilities:changed", listener);
        return () => o.gossip.off("capabilities:changed", listener);
      });
    who.gossip.updateMetadata({ capabilities: [cap] });
    const ok = await net.runUntil(() => seen.size === n - 1, 60_000, 10);
    for (const off of offs) off();
    if (!ok) throw new Error(`capability change did not reach all ${n} (seed ${seed})`);
    rounds.push((last - t0) / interval);
  }
  track(net);
  const goal = Math.ceil(Math.log2(n)) + 4;
  const p99 = percentile(rounds, 99);
  row(
    `capability change reaches every member, N=${n} (${trials} changes)`,
    `p50 ${fmt(percentile(rounds, 50))} / p99 ${fmt(p99)} rounds of ${interval} ms`,
    `p99 <= ${goal} rounds`,
    p99 <= goal,
  );
}

/** Steady-state traffic per member per second. */
async function traffic(sizes: readonly number[], windowMs: number): Promise<void> {
  const results: { n: number; packets: number; bytes: number; streamBytes: number }[] = [];
  for (const n of sizes) {
    const c = await cluster(n);
    await c.net.run(30_000); // let the join broadcasts die out
    const a = c.net.stats();
    await c.net.run(windowMs);
    const b = c.net.stats();
    track(c.net);
    const perMemberSecond = (x: number) => x / n / (windowMs / 1000);
    results.push({
      n,
      packets: perMemberSecond(b.packetsSent - a.packetsSent),
      bytes: perMemberSecond(b.bytesSent - a.bytesSent),
      streamBytes: perMemberSecond(b.streamBytes - a.streamBytes),
    });
  }
  const spread = (xs: number[]) => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    return Math.max(...xs.map((x) => Math.abs(x - mean) / mean)) * 100;
  };
  console.log("    N     packets/s  bytes/s  stream bytes/s (push-pull)   per member");
  for (const r of results)
    console.log(
      `    ${String(r.n).padEnd(5)} ${fmt(r.packets, 2).padStart(9)} ${fmt(r.bytes, 0).padStart(8)} ${fmt(r.streamBytes, 0).padStart(10)}`,
    );
  const sp = spread(results.map((r) => r.packets));
  const sb = spread(results.map((r) => r.bytes));
  row(
    `datagrams per member per second, N=${sizes.join("..")}`,
    `max deviation from mean ${fmt(sp)}%`,
    "±10%",
    sp <= 10,
  );
  row(
    `datagram bytes per member per second, N=${sizes.join("..")}`,
    `max deviation from mean ${fmt(sb)}%`,
    "±10%",
    sb <= 10,
  );
  const ss = spread(results.map((r) => r.streamBytes));
  row(
    "push-pull stream bytes per member per second",
    `max deviation from mean ${fmt(ss)}%`,
    "(no goal; grows with N)",
    undefined,
  );
}

async function main(): Promise<void> {
  console.log(`membership benchmark (simulation, LAN preset, T = ${T} ms, seed ${seed}${quick ? ", quick" : ""})`);
  if (wanted("kill")) {
    if (killSizes.includes(5)) await killToDead(5, quick ? 20 : 100, 6, 9);
    if (killSizes.includes(50)) await killToDead(50, quick ? 20 : 100, 9, 13);
    if (killSizes.includes(200)) await killToDead(200, quick ? 5 : 30, 12, 16);
  }
  if (wanted("correlated")) {
    const trials = quick ? 20 : 100;
    // The lone survivor: no peer left to confirm or to nack.
    await correlatedFailure(2, 1, trials, LAN_PRESET.suspicionMult + 2);
    // Four probes to find them (two periods each with the buddy, at most doubled by
    // the health score), then one unconfirmed suspicion: 16 + 24 T.
    await correlatedFailure(5, 4, trials, 16 + LAN_PRESET.suspicionMult * LAN_PRESET.suspicionMaxTimeoutMult);
    const single = await killToDead(10, quick ? 20 : 100);
    await correlatedFailure(10, 7, trials, 2 * single);
  }
  if (wanted("loss")) {
    await lossyFalseDeaths(quick ? 1000 : 10_000, true);
    await lossyFalseDeaths(quick ? 1000 : 10_000, false);
  }
  if (wanted("stall")) {
    // 10,000 periods, as for the loss: with Lifeguard off the false deaths here are
    // rare (a member that missed every copy of the refutation), so 3,000 periods
    // gave too few of them to compare.
    const stallArg = [...args].find((a) => a.startsWith("--stall-periods="))?.slice("--stall-periods=".length);
    const periods = stallArg !== undefined ? Number(stallArg) : quick ? 600 : 10_000;
    const on = await stallFalsePositives(periods, true);
    const off = await stallFalsePositives(periods, false);
    const fp = (x: FalsePositives) => x.healthySuspicions + x.healthyDeaths;
    row(
      "Lifeguard off vs on (stall): false positives against healthy members (suspicions + deaths)",
      `${fp(off)} vs ${fp(on)}`,
      ">= 10x more without",
      fp(off) >= 10 * Math.max(fp(on), 1),
    );
    row(
      "Lifeguard off vs on (stall): false deaths (dead events, the stalled member's included)",
      `${off.deadEvents} vs ${on.deadEvents}`,
      ">= 10x more without",
      off.deadEvents >= 10 * Math.max(on.deadEvents, 1),
    );
    const cutPeriods = quick ? 600 : 3000;
    const cutOn = await isolationFalsePositives(cutPeriods, true);
    const cutOff = await isolationFalsePositives(cutPeriods, false);
    row(
      "(supplementary) Lifeguard off vs on (cut off): false positives against healthy members",
      `${fp(cutOff)} vs ${fp(cutOn)} (dead events ${cutOff.deadEvents} vs ${cutOn.deadEvents})`,
      ">= 10x more without",
      fp(cutOff) >= 10 * Math.max(fp(cutOn), 1),
    );
  }
  if (wanted("caps")) {
    for (const n of [5, 50, 200]) await capabilityRounds(n, quick ? 20 : n === 200 ? 50 : 100);
  }
  if (wanted("traffic")) await traffic([5, 10, 25, 50, 100, 200], quick ? 60_000 : 240_000);
  row("largest datagram sent", `${maxDatagram} bytes`, "<= 1400", maxDatagram <= 1400);
  console.log("\n| metric | figure | goal | status |\n| --- | --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

await main();
