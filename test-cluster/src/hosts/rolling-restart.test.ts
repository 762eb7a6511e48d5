/**
 * Scenario 8 (full run): rolling restart of every node of four under load. In turn,
 * each node's own load is stopped, the node stops gracefully (handing its actors
 * off), a new process starts under the same name on the same host, the cluster is
 * whole again, and the node starts a new load. Zero failed calls, and every counter
 * holds exactly the calls that succeeded on it.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { NodePlan } from "../../../scripts/dist/cluster-args.js";
import type { LoadReport } from "../../../scripts/dist/cluster-protocol.js";
import { report } from "../netns/figures.js";
import { HostCluster } from "../netns/host-cluster.js";
import {
  auditCounters,
  COUNTER_CAPABILITY,
  formatFailures,
  startLoads,
  stopLoads,
  totals,
  violationSamples,
} from "../netns/load.js";
import { fullRunSkip, scale } from "../netns/requirements.js";

const NODES: NodePlan[] = ["n1", "n2", "n3", "n4"].map((name) => ({ name, capabilities: [COUNTER_CAPABILITY] }));
const SETTLE_MS = scale(3_000, 15_000);
const LOAD = { idsPerCaller: 100, concurrency: 10, pauseMs: 2 } as const;

describe("scenario 8: rolling restart of every node under load", { skip: fullRunSkip(), timeout: 420_000 }, () => {
  let cluster: HostCluster | undefined;
  after(() => cluster?.destroy());

  test("zero failed calls, no lost effects", async (t) => {
    cluster = await HostCluster.start({ nodes: NODES, callTimeoutMs: 10_000 });
    const c = cluster;
    const reports = new Map<string, LoadReport>();
    const ids = new Map<string, string[]>();
    const generation = new Map(NODES.map((n) => [n.name, 0]));
    const loadOf = (name: string): string => `roll-${name}-${generation.get(name)}`;
    const begin = async (name: string): Promise<void> => {
      const mine = await startLoads([c.proc(name)], { ...LOAD, loadId: loadOf(name) });
      for (const [k, v] of mine) ids.set(`${k}/${loadOf(name)}`, v);
    };
    const end = async (name: string): Promise<void> => {
      const [r] = (await stopLoads([c.proc(name)], loadOf(name))).values();
      reports.set(`${name}/${loadOf(name)}`, r as LoadReport);
    };
    for (const n of NODES) await begin(n.name);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const restarts: string[] = [];
    for (const n of NODES) {
      const t0 = performance.now();
      await end(n.name);
      const { graceful } = await c.proc(n.name).stop(20_000);
      assert.ok(graceful, `${n.name} stopped by itself`);
      await c.startNode(n);
      const convergedMs = await c.converge(NODES, 30_000);
      restarts.push(`${n.name} ${Math.round(performance.now() - t0)} ms (converged ${Math.round(convergedMs)} ms)`);
      generation.set(n.name, (generation.get(n.name) ?? 0) + 1);
      await begin(n.name);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
    for (const n of NODES) await end(n.name);
    const sum = totals(reports.values());
    const audit = await auditCounters(c.proc("n1"), reports, ids);
    report(t, "8", "rolling restart of every node under load", {
      calls: `${sum.ok} ok, ${sum.failed} failed (${formatFailures(sum.failures)})`,
      "stop -> restarted and whole again": restarts.join(", "),
      "slowest call (ms)": Math.round(sum.maxLatencyMs),
      "lost or duplicated effects": audit.mismatches.length,
      "counter replies out of sequence":
        sum.violations === 0 ? 0 : `${sum.violations}: ${violationSamples(reports.values(), 3)}`,
    });
    assert.equal(sum.failed, 0, `no call fails (${formatFailures(sum.failures)})`);
    assert.equal(
      sum.violations,
      0,
      `every counter carries on from its last value (${violationSamples(reports.values())})`,
    );
    assert.deepEqual(audit.mismatches.slice(0, 10), [], "the counters hold exactly the successful calls");
  });
});
