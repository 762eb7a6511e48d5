/**
 * Scenario 9: hostile input from a host inside the net, which has the cluster's
 * network but not its secret: 100,000 garbage datagrams to a node's gossip port (and
 * some to the multicast group), 2,000 TCP connections each to its call and gossip
 * stream ports that announce big frames and trickle them, 20 fake members with no
 * secret joining through the nodes' gossip endpoints, and a node with the wrong
 * secret on the same multicast group. Meanwhile calls run on every node.
 *
 * No node crashes or is declared dead (suspicions are reported), the victim's RSS grows by at most 64 MiB,
 * every call succeeds, the intruders never appear in a member list or in
 * `nodesFor`, and neither the wrong-secret node nor a direct call to the call port
 * can get a call served.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import type { NodePlan } from "../../../scripts/dist/cluster-args.js";
import type { ClusterProcess } from "../../../scripts/dist/cluster-process.js";
import { type Figures, report } from "../netns/figures.js";
import { HostCluster } from "../netns/host-cluster.js";
import { Intruder } from "../netns/intruder-process.js";
import { COUNTER_CAPABILITY, formatFailures, startLoads, stopLoads, totals, violationSamples } from "../netns/load.js";
import { fullRun, hostLabSkip, scale } from "../netns/requirements.js";

/** A capability only the cluster's nodes have: the intruders can only get it served by them. */
const VAULT = "vault";
const NODES: NodePlan[] = ["n1", "n2", "n3"].map((name) => ({ name, capabilities: [COUNTER_CAPABILITY, VAULT] }));
const VICTIM = "n1";
const EVIL = "evil";
const DATAGRAMS = 100_000;
const CONNECTIONS = 2_000;
const HOLD_MS = scale(10_000, 30_000);
const RSS_BOUND_BYTES = 64 * 1024 * 1024;
const MiB = 1024 * 1024;

describe(
  "scenario 9: hostile input from a host inside the net",
  { skip: hostLabSkip(), timeout: fullRun() ? 600_000 : 240_000 },
  () => {
    let cluster: HostCluster | undefined;
    after(() => cluster?.destroy());

    test("no crash, RSS bounded, calls keep succeeding, intruders never seen and cannot call", async (t) => {
      cluster = await HostCluster.start({ nodes: NODES, spareHosts: [EVIL], callTimeoutMs: 5_000 });
      const c = cluster;
      const nodes = c.running();
      const victim = c.proc(VICTIM);
      const members = await victim.request({ op: "members" });
      const self = members.find((m) => m.name === VICTIM);
      assert.ok(self, "the victim is in its own member list");
      const gossipPort = self.address.port;
      const callAddress = self.tags.call;
      assert.ok(callAddress !== undefined, "the victim announces its call endpoint");
      const callPort = Number(callAddress.split(":").pop());
      const seeds = members.map((m) => `${m.address.host}:${m.address.port}`);

      // Warm up, then take the baseline.
      await startLoads(nodes, {
        loadId: "warm",
        idsPerCaller: 100,
        concurrency: 10,
        maxCallsPerCaller: 2_000,
        pauseMs: 2,
      });
      await stopLoads(nodes, "warm").catch(() => undefined);
      const baseline = new Map(nodes.map((p) => [p.name, c.rss(p.name)]));
      const peak = new Map(baseline);
      const intruderNames = new Set<string>();
      const sightings: string[] = [];
      const watch = async (): Promise<void> => {
        for (const p of nodes) {
          peak.set(p.name, Math.max(peak.get(p.name) ?? 0, c.rss(p.name)));
          const view = await p
            .request({ op: "view", capabilities: [COUNTER_CAPABILITY, VAULT] }, 10_000)
            .catch(() => undefined);
          if (view === undefined) continue;
          for (const m of view.members)
            if (!NODES.some((n) => n.name === m.name)) sightings.push(`${p.name} lists ${m.name}`);
          for (const [cap, list] of Object.entries(view.nodesFor)) {
            for (const n of list)
              if (!NODES.some((x) => x.name === n)) sightings.push(`${p.name} routes ${cap} to ${n}`);
          }
        }
      };
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          await watch();
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();

      const attackAt = Date.now();
      await startLoads(nodes, { loadId: "attack", idsPerCaller: 100, concurrency: 10, pauseMs: 2, backoffMs: 20 });
      const intruder = await Intruder.start(c, EVIL);
      const wrongSecret = randomBytes(16).toString("hex");
      const stranger: ClusterProcess = await c.startStranger(
        { name: "intruder", capabilities: [COUNTER_CAPABILITY] },
        EVIL,
        {
          secret: wrongSecret,
        },
      );
      intruderNames.add("intruder");
      const phase = (t0: number): number => Math.round(performance.now() - t0);
      let t0 = performance.now();
      const fakes = await intruder.fakes(seeds, 20, COUNTER_CAPABILITY);
      const fakesMs = phase(t0);
      t0 = performance.now();
      for (let i = 1; i <= fakes; i++) intruderNames.add(`fake-${i}`);
      // The flood and the connections at once.
      const timed = async <T>(work: Promise<T>): Promise<[T, number]> => [await work, phase(t0)];
      const [[flood, floodMs], [garbage, garbageMs]] = await Promise.all([
        timed(
          intruder.flood({
            host: c.lab.host(VICTIM).ip,
            port: gossipPort,
            count: DATAGRAMS,
            multicast: { group: "230.1.1.251", port: c.port, count: 10_000 },
          }),
        ),
        timed(
          intruder.garbage({
            host: c.lab.host(VICTIM).ip,
            ports: [callPort, gossipPort],
            perPort: CONNECTIONS,
            frameBytes: 8 * MiB,
            sendBytes: 32 * 1024,
          }),
        ),
      ]);
      await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
      await watch();
      const released = await intruder.release();

      // The wrong-secret node and direct calls get nothing served.
      const wrongKey = await intruder.directCall({
        address: callAddress,
        secret: wrongSecret,
        capability: VAULT,
        module: "VaultActor",
        id: "v1",
      });
      const plain = await intruder.directCall({
        address: callAddress,
        secret: null,
        capability: VAULT,
        module: "VaultActor",
        id: "v1",
      });
      const strangerView = await stranger.request({ op: "view", capabilities: [COUNTER_CAPABILITY, VAULT] });
      const strangerCall = await stranger.call({ module: "VaultActor", id: "v1", capability: VAULT, timeoutMs: 2_000 });

      await new Promise((resolve) => setTimeout(resolve, 2_000));
      watching = false;
      await watcher;
      const loads = await stopLoads(nodes, "attack");
      const sum = totals(loads.values());
      const seen = (event: string): string[] =>
        nodes.flatMap((p) =>
          p.memberEvents
            .filter((e) => e.at >= attackAt && e.event === event)
            .map((e) => `${p.name} saw ${e.member} ${e.state} at +${e.at - attackAt} ms`),
        );
      const deaths = seen("member:dead");
      const suspicions = seen("member:suspect");
      const growth = new Map(nodes.map((p) => [p.name, (peak.get(p.name) ?? 0) - (baseline.get(p.name) ?? 0)]));

      const figures: Figures = {
        "garbage datagrams to the gossip port": `${flood.sent} sent (${flood.errors} send errors) + 10000 to the multicast group`,
        "garbage TCP connections": `${garbage.opened} opened (${garbage.failed} refused), ${released.closedByServer} closed by the victim before the release, ${released.open} still open`,
        "bytes sent on them (MiB)": Math.round(released.bytesSent / MiB),
        "fake members started": `${fakes} (in ${fakesMs} ms)`,
        "flood sent in (ms)": floodMs,
        "connections opened in (ms)": garbageMs,
        "connections held open (ms)": HOLD_MS,
        "victim RSS before -> peak (MiB)": `${Math.round((baseline.get(VICTIM) ?? 0) / MiB)} -> ${Math.round((peak.get(VICTIM) ?? 0) / MiB)}`,
        "RSS growth by node (MiB)": [...growth].map(([n, b]) => `${n} ${Math.round(b / MiB)}`).join(", "),
        "calls during the attack": `${sum.ok} ok, ${sum.failed} failed (${formatFailures(sum.failures)})`,
        "false deaths during the attack": deaths.length,
        "false suspicions during the attack (refuted)": suspicions.length === 0 ? "none" : suspicions.join("; "),
        "intruders seen in member lists or nodesFor": sightings.length,
        "direct call, wrong secret": wrongKey.ok ? "served" : wrongKey.code,
        "direct call, no secret": plain.ok ? "served" : plain.code,
        "wrong-secret node's call": strangerCall.ok ? `served by ${strangerCall.node}` : strangerCall.error.code,
      };
      report(t, "9", "hostile input from a host inside the net", figures);

      for (const p of nodes) assert.ok(p.running, `${p.name} is still running`);
      assert.deepEqual(deaths, [], "no node is declared dead during the attack");
      assert.deepEqual(sightings.slice(0, 10), [], "the intruders never appear in a member list or in nodesFor");
      assert.deepEqual(
        strangerView.members.map((m) => m.name).filter((n) => NODES.some((x) => x.name === n)),
        [],
        "the wrong-secret node never learns of the cluster's nodes",
      );
      assert.equal(wrongKey.ok, false, "a call sealed with the wrong secret is not served");
      assert.equal(plain.ok, false, "a call with no secret is not served");
      assert.equal(strangerCall.ok, false, "the wrong-secret node cannot get a call served");
      assert.equal(sum.failed, 0, `calls keep succeeding (${formatFailures(sum.failures)})`);
      assert.equal(sum.violations, 0, `no counter loses or doubles an effect (${violationSamples(loads.values())})`);
      for (const [name, bytes] of growth) {
        assert.ok(bytes <= RSS_BOUND_BYTES, `${name}'s RSS grew by ${Math.round(bytes / MiB)} MiB > 64 MiB`);
      }
    });
  },
);
