/**
 * Scenario 2: stable load across four hosts — 100,000 calls in the normal run,
 * 1,000,000 in the full one (MESH_HOSTS_FULL=1). Every caller drives its own counter
 * actors from inside its node process. Zero lost calls, zero duplicated effects (each
 * counter holds exactly the calls that succeeded on it), and each id answered by one
 * node only: the owner every node computes.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { NodePlan } from "../../../scripts/dist/cluster-args.js";
import { percentile, report } from "../netns/figures.js";
import { HostCluster } from "../netns/host-cluster.js";
import {
  auditCounters,
  COUNTER_CAPABILITY,
  finishLoads,
  formatFailures,
  startLoads,
  totals,
  violationSamples,
} from "../netns/load.js";
import { fullRun, hostLabSkip, scale } from "../netns/requirements.js";

const NODES: NodePlan[] = ["n1", "n2", "n3", "n4"].map((name) => ({ name, capabilities: [COUNTER_CAPABILITY] }));
const TOTAL_CALLS = scale(100_000, 1_000_000);
const IDS_PER_CALLER = 250;
const CONCURRENCY = 50;

describe(
  `scenario 2: stable load, ${TOTAL_CALLS.toLocaleString("en")} calls across four hosts`,
  { skip: hostLabSkip(), timeout: fullRun() ? 1_800_000 : 300_000 },
  () => {
    let cluster: HostCluster | undefined;
    after(() => cluster?.destroy());

    test("zero lost, zero duplicated effects, each id answered by exactly one node", async (t) => {
      cluster = await HostCluster.start({ nodes: NODES, callTimeoutMs: 10_000 });
      const callers = cluster.running();
      const t0 = performance.now();
      const ids = await startLoads(callers, {
        loadId: "stable",
        idsPerCaller: IDS_PER_CALLER,
        concurrency: CONCURRENCY,
        maxCallsPerCaller: TOTAL_CALLS / callers.length,
        pauseMs: 1,
      });
      const loadAt = Date.now();
      const reports = await finishLoads(callers, "stable", fullRun() ? 1_700_000 : 270_000);
      const seconds = (performance.now() - t0) / 1000;
      const sum = totals(reports.values());
      const audit = await auditCounters(callers[0] as (typeof callers)[number], reports, ids);
      const list = [...ids.values()].flat();
      const owners = new Map<string, string | null>();
      const disagreements: string[] = [];
      for (const p of callers) {
        const seen = await p.request({ op: "owners", capability: COUNTER_CAPABILITY, ids: list }, 60_000);
        for (const id of list) {
          const owner = seen[id]?.owner ?? null;
          if (!owners.has(id)) owners.set(id, owner);
          if (owner !== owners.get(id)) disagreements.push(`${p.name}: ${id} -> ${owner}, not ${owners.get(id)}`);
        }
      }
      const answered: string[] = [];
      const perNode = new Map<string, number>();
      for (const r of reports.values()) {
        for (const [id, nodes] of Object.entries(r.answeredBy)) {
          if (nodes.length !== 1 || nodes[0] !== owners.get(id)) answered.push(`${id}: [${nodes.join(", ")}]`);
          for (const n of nodes) perNode.set(n, (perNode.get(n) ?? 0) + 1);
        }
      }
      // A stable cluster sees no suspicion; any is reported with the figures.
      const membership = callers.flatMap((p) =>
        p.memberEvents
          .filter((e) => e.at >= loadAt && (e.event === "member:suspect" || e.event === "member:dead"))
          .map((e) => `${p.name} saw ${e.member} ${e.state} at +${e.at - loadAt} ms`),
      );
      const latencies = [...reports.values()].map((r) => r.maxLatencyMs);
      report(t, "2", "stable load across four hosts", {
        calls: TOTAL_CALLS,
        "calls/s": Math.round(TOTAL_CALLS / seconds),
        "duration (s)": Math.round(seconds * 10) / 10,
        lost: sum.failed,
        "duplicated or lost effects": audit.mismatches.length,
        "counter replies out of sequence":
          sum.violations === 0 ? 0 : `${sum.violations}: ${violationSamples(reports.values(), 3)}`,
        "effects held": audit.sum,
        "ids (one caller each)": owners.size,
        "ids answered by more than their owner":
          answered.length === 0 ? 0 : `${answered.length}, e.g. ${answered.slice(0, 3).join("; ")}`,
        "ids per owner": [...perNode].map(([n, c]) => `${n} ${c}`).join(", "),
        "suspicions and deaths during the load":
          membership.length === 0 ? 0 : `${membership.length}, first: ${membership.slice(0, 3).join("; ")}`,
        "slowest call (ms)": Math.round(percentile(latencies, 100)),
      });
      assert.equal(sum.ok + sum.failed, TOTAL_CALLS, "every call was made");
      assert.equal(sum.failed, 0, `no call fails (${formatFailures(sum.failures)})`);
      assert.equal(
        sum.violations,
        0,
        `every reply is its counter's previous value + 1 (${violationSamples(reports.values())})`,
      );
      assert.deepEqual(audit.mismatches.slice(0, 10), [], "the counters hold exactly the successful calls");
      assert.deepEqual(disagreements.slice(0, 10), [], "every node computes the same owner for every id");
      assert.deepEqual(answered.slice(0, 10), [], "each id is answered by its owner alone");
    });
  },
);
