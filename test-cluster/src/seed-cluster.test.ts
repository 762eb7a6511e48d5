/**
 * Issue 4 over real processes, on the seed's example: node1 [game], node2 [chat],
 * node3 [game, chat, payment], each its own OS process on loopback, found by multicast.
 *
 * - Exact placement: every actor lives where every node computes its owner, and only
 *   on nodes that have its capability.
 * - A graceful stop of node1 while calls run: zero failed calls, and every counter
 *   carries on from its last value on the node it moved to.
 * - A SIGKILLed owner: calls fail fast with a retryable code while the death is being
 *   detected, then succeed on the new owner within detection time + 1 s.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { waitFor } from "@mesh/testing";
import type { NodePlan } from "../../scripts/dist/cluster-args.js";
import {
  checkRouting,
  collectActors,
  driveCalls,
  killAll,
  startNodes,
  waitConverged,
} from "../../scripts/dist/cluster-harness.js";
import type { ClusterProcess } from "../../scripts/dist/cluster-process.js";
import type { LoadReport, WireRequest } from "../../scripts/dist/cluster-protocol.js";
import { idsFor } from "../../scripts/dist/cluster-report.js";
import { detectionBoundMs, eventAt, lastState, listMs, privateNetwork } from "./support/loopback.js";

const SEED: NodePlan[] = [
  { name: "node1", capabilities: ["game"] },
  { name: "node2", capabilities: ["chat"] },
  { name: "node3", capabilities: ["game", "chat", "payment"] },
];
const ALLOWED: Record<string, string[]> = { game: ["node1", "node3"], chat: ["node2", "node3"], payment: ["node3"] };
const MODULES: Record<string, string> = { game: "GameActor", chat: "ChatActor", payment: "PaymentActor" };
const IDS = 300;
const CONVERGE_TIMEOUT_MS = 15_000;
/** Calls that hang show up as MESH_ERR_TIMEOUT well inside the test's deadlines. */
const CALL_TIMEOUT_MS = 3_000;

/** Seed cluster of three processes, started before and SIGKILLed after a describe block. */
function seedCluster(): { procs: () => ClusterProcess[]; get: (name: string) => ClusterProcess } {
  let procs: ClusterProcess[] = [];
  before(async () => {
    procs = await startNodes({ nodes: SEED, network: privateNetwork(), callTimeoutMs: CALL_TIMEOUT_MS });
    await waitConverged(procs, SEED, CONVERGE_TIMEOUT_MS);
  });
  after(() => killAll(procs));
  return {
    procs: () => procs,
    get: (name) => {
      const p = procs.find((q) => q.name === name);
      assert.ok(p, `no process ${name}`);
      return p;
    },
  };
}

function counterRequests(ids: readonly string[]): WireRequest[] {
  return ids.map((id) => ({ module: "CounterActor", id, capability: "game" }));
}

/** Game ids whose owner (as node2 computes it) is `owner`. */
async function idsOwnedBy(via: ClusterProcess, owner: string, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}_${i + 1}`);
  const owners = await via.request({ op: "owners", capability: "game", ids });
  return ids.filter((id) => owners[id]?.owner === owner);
}

function failureSummary(report: LoadReport): string {
  const parts = Object.entries(report.failures).map(
    ([code, f]) => `${code} x${f.count} (slowest ${Math.round(f.maxLatencyMs)} ms)`,
  );
  return parts.length === 0 ? "none" : parts.join(", ");
}

describe("the seed's cluster: placement and a graceful stop under load", { timeout: 90_000 }, () => {
  const cluster = seedCluster();

  test("every actor lives on its owner, and only on nodes with its capability", async (t) => {
    const procs = cluster.procs();
    const capabilities = ["game", "chat", "payment"];
    const capabilityOf = new Map(capabilities.flatMap((c) => idsFor(c, IDS).map((id) => [id, c] as const)));
    const outcomes = await driveCalls(procs, capabilities, IDS);
    let calls = 0;
    for (const [caller, list] of outcomes) {
      calls += list.length;
      for (const o of list) {
        assert.ok(o.ok, `${caller} -> ${o.id}: ${o.ok ? "" : `${o.error.code} ${o.error.message}`}`);
        const capability = capabilityOf.get(o.id) as string;
        assert.ok(ALLOWED[capability]?.includes(o.node), `${capability} actor ${o.id} answered by ${o.node}`);
      }
    }
    assert.equal(calls, 3 * IDS);
    assert.deepEqual([...outcomes.keys()].sort(), ["node1", "node2", "node3"], "every node called");

    const routing = await checkRouting(procs, capabilities, IDS, outcomes);
    assert.deepEqual(routing.disagreements, [], "every node computes the same owner for every id");
    assert.deepEqual(routing.wrongReplies, [], "every reply's pid.node is ownerNode(shardFor(id), capability)");

    const actors = await collectActors(procs);
    const counts: string[] = [];
    for (const capability of capabilities) {
      const module = MODULES[capability] as string;
      const all = new Set(idsFor(capability, IDS));
      const placed = new Map<string, string>();
      for (const p of procs) {
        const ids = actors[p.name]?.[module] ?? [];
        counts.push(`${capability}@${p.name} ${ids.length}`);
        if (!ALLOWED[capability]?.includes(p.name)) assert.equal(ids.length, 0, `${capability} actors on ${p.name}`);
        for (const id of ids) {
          assert.ok(all.has(id), `unexpected ${module}/${id}`);
          assert.equal(placed.get(id), undefined, `${module}/${id} active on ${placed.get(id)} and ${p.name}`);
          placed.set(id, p.name);
          assert.equal(routing.owners.get(`${capability}/${id}`), p.name, `${module}/${id} lives on its owner`);
        }
      }
      assert.equal(placed.size, IDS, `all ${IDS} ${capability} actors are active`);
      for (const node of ALLOWED[capability] ?? []) {
        assert.ok([...placed.values()].includes(node), `${node} hosts some ${capability} actors`);
      }
    }
    t.diagnostic(`actors per capability and node: ${counts.filter((c) => !c.endsWith(" 0")).join(", ")}`);
  });

  test("node1 stops gracefully while calls run: zero failed calls, no lost counter state", async (t) => {
    const node1 = cluster.get("node1");
    const node2 = cluster.get("node2");
    const node3 = cluster.get("node3");
    const ids = Array.from({ length: 200 }, (_, i) => `counter_${i + 1}`);
    const onNode1 = new Set(await idsOwnedBy(node2, "node1", "counter", ids.length));
    assert.ok(onNode1.size > 0 && onNode1.size < ids.length, "the counters are spread over node1 and node3");
    // Each id has one caller, so its replies must count up by one with no gap or reset.
    const even = ids.filter((_, i) => i % 2 === 0);
    const odd = ids.filter((_, i) => i % 2 === 1);
    const loads = [
      { proc: node2, ids: even },
      { proc: node3, ids: odd },
    ];
    for (const { proc, ids: mine } of loads) {
      await proc.loadStart({ loadId: "stop", requests: counterRequests(mine), concurrency: 8, checkCounter: true });
    }
    // Every counter has answered at least once before the stop, so every one is checked across the move.
    await waitFor(
      "every counter to answer once",
      async () => {
        const peeks = await Promise.all(loads.map((l) => l.proc.loadPeek("stop")));
        return peeks.every((r, i) => Object.keys(r.counters).length === loads[i]?.ids.length);
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );

    const stopAt = Date.now();
    const { graceful } = await node1.stop(15_000);
    const stopMs = Date.now() - stopAt;
    assert.ok(graceful, "node1 stopped by itself with exit code 0");
    await waitFor(
      "node2 and node3 to see node1 left",
      () => [node2, node3].every((p) => eventAt(p, "member:left", "node1", stopAt) !== undefined),
      {
        timeoutMs: 5_000,
        describe: () => `${lastState(node2, "node1")}, ${lastState(node3, "node1")}`,
      },
    );
    // Let every counter answer again after the stop, from its new home.
    const after = await Promise.all(loads.map((l) => l.proc.loadPeek("stop")));
    await waitFor(
      "every counter to answer again after the stop",
      async () => {
        const peeks = await Promise.all(loads.map((l) => l.proc.loadPeek("stop")));
        return peeks.every((r, i) =>
          Object.entries(r.counters).every(([id, n]) => n > (after[i]?.counters[id] ?? Number.POSITIVE_INFINITY)),
        );
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    const reports = await Promise.all(loads.map((l) => l.proc.loadStop("stop")));

    const ok = reports.reduce((a, r) => a + r.ok, 0);
    const failed = reports.reduce((a, r) => a + r.failed, 0);
    const maxLatency = Math.max(...reports.map((r) => r.maxLatencyMs));
    const stats = await node3.request({ op: "stats" });
    t.diagnostic(
      `${onNode1.size} of ${ids.length} counters owned by node1; node1 stop -> exit ${stopMs} ms; ` +
        `${ok} calls ok, ${failed} failed (${reports.map(failureSummary).join("; ")}); ` +
        `slowest call ${Math.round(maxLatency)} ms; node3 handoffsReceived ${String(stats.handoffsReceived)}`,
    );
    for (const r of reports) {
      assert.equal(r.failed, 0, `failed calls: ${failureSummary(r)} ${JSON.stringify(r.failureSamples.slice(0, 3))}`);
      assert.equal(r.counterViolationCount, 0, `counter state lost: ${JSON.stringify(r.counterViolations)}`);
      for (const [id, owner] of Object.entries(r.lastOwner)) {
        assert.equal(owner.node, "node3", `${id} is served by node3 after node1 left`);
      }
    }
    assert.ok(Number(stats.handoffsReceived) >= onNode1.size, "node3 received node1's counters with their state");
  });
});

describe("the seed's cluster: a SIGKILLed owner", { timeout: 90_000 }, () => {
  const cluster = seedCluster();

  test("calls fail fast and retryable during detection, then succeed on the survivor", async (t) => {
    const node1 = cluster.get("node1");
    const node2 = cluster.get("node2");
    const node3 = cluster.get("node3");
    const victims = await idsOwnedBy(node2, "node1", "player", 120);
    const bystanders = (await idsOwnedBy(node2, "node3", "player", 120)).slice(0, 40);
    assert.ok(victims.length >= 20, "node1 owns some of the players");
    const half = Math.ceil(victims.length / 2);
    const callers = [
      { proc: node2, ids: victims.slice(0, half) },
      { proc: node3, ids: victims.slice(half) },
    ];
    for (const { proc, ids } of callers) {
      await proc.loadStart({ loadId: "kill", requests: counterRequests(ids), concurrency: 8, backoffMs: 20 });
    }
    await node2.loadStart({ loadId: "bystanders", requests: counterRequests(bystanders), concurrency: 4 });
    await waitFor(
      "node1 to serve calls",
      async () => {
        const peeks = await Promise.all(callers.map((c) => c.proc.loadPeek("kill")));
        return peeks.every((r) => (r.servedBy.node1?.count ?? 0) > r.ok / 4 && r.ok > 50);
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );

    const boundMs = detectionBoundMs(SEED.length);
    const killedAt = Date.now();
    await node1.kill("SIGKILL");
    const backOnNode3 = async (): Promise<boolean> => {
      const peeks = await Promise.all(callers.map((c) => c.proc.loadPeek("kill")));
      return peeks.every((r, i) =>
        (callers[i]?.ids ?? []).every(
          (id) => r.lastOwner[id]?.node === "node3" && (r.lastOwner[id]?.since ?? 0) > killedAt,
        ),
      );
    };
    await waitFor("every player of node1 to answer from node3", backOnNode3, {
      timeoutMs: boundMs + 5_000,
      intervalMs: 20,
      describe: () => `node2 sees node1 ${lastState(node2, "node1")}, node3 sees ${lastState(node3, "node1")}`,
    });
    const reports = await Promise.all(callers.map((c) => c.proc.loadStop("kill")));
    const bystanderReport = await node2.loadStop("bystanders");

    const lines: string[] = [];
    for (const [i, r] of reports.entries()) {
      const caller = callers[i] as (typeof callers)[number];
      const deadAt = eventAt(caller.proc, "member:dead", "node1", killedAt);
      assert.ok(deadAt !== undefined, `${caller.proc.name} marked node1 dead`);
      const detectionMs = deadAt - killedAt;
      const recoveredMs = Math.round(
        Math.max(...caller.ids.map((id) => (r.lastOwner[id]?.since ?? Number.NaN) - killedAt)),
      );
      const lastFailureMs = Math.round(Math.max(0, ...Object.values(r.failures).map((f) => f.lastAt - killedAt)));
      lines.push(
        `${caller.proc.name} (${caller.ids.length} players): kill -> dead ${detectionMs} ms, ` +
          `-> last failure ${lastFailureMs} ms, -> every player back on node3 ${recoveredMs} ms; failures ${failureSummary(r)}`,
      );
      assert.ok(detectionMs <= boundMs, `${caller.proc.name} detected the death after ${detectionMs} ms > ${boundMs}`);
      assert.ok(
        recoveredMs <= detectionMs + 1_000,
        `${caller.proc.name}: players back after ${recoveredMs} ms, more than detection ${detectionMs} ms + 1 s`,
      );
      for (const [code, f] of Object.entries(r.failures)) {
        assert.ok(f.retryable, `${code} is retryable`);
        assert.notEqual(code, "MESH_ERR_TIMEOUT", "calls to the dead owner fail fast, they do not time out");
        assert.ok(f.maxLatencyMs < CALL_TIMEOUT_MS / 2, `${code} took up to ${f.maxLatencyMs} ms`);
      }
    }
    for (const line of lines) t.diagnostic(line);
    t.diagnostic(
      `detection bound ${boundMs} ms; bystanders (owned by node3): ${bystanderReport.ok} ok, ${failureSummary(bystanderReport)}`,
    );
    assert.equal(bystanderReport.failed, 0, "calls to actors node1 did not own never fail");
    const detected = [node2, node3].map(
      (p) => [p.name, (eventAt(p, "member:dead", "node1", killedAt) as number) - killedAt] as const,
    );
    t.diagnostic(`kill -> dead: ${listMs(detected)}`);
  });
});
