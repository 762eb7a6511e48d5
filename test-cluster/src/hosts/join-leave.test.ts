/**
 * Scenario 7 (full run): a planned join and a graceful leave under load. Three nodes
 * serve counters (actors with snapshot/restore, so a move carries their state) while
 * two of them call; a fourth host joins, then a serving node that makes no calls
 * leaves gracefully. Zero failed calls, no counter loses or doubles an effect, and
 * every counter ends on its owner in the final cluster.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { waitFor } from "@mesh/testing";
import type { NodePlan } from "../../../scripts/dist/cluster-args.js";
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
import { eventAt } from "../support/loopback.js";

const plan = (name: string): NodePlan => ({ name, capabilities: [COUNTER_CAPABILITY] });
const NODES = ["n1", "n2", "n3"].map(plan);
const JOINER = plan("n4");
const LEAVER = "n3";
const SETTLE_MS = scale(5_000, 20_000);

describe("scenario 7: planned join and graceful leave under load", { skip: fullRunSkip(), timeout: 240_000 }, () => {
  let cluster: HostCluster | undefined;
  after(() => cluster?.destroy());

  test("zero failed calls for actors with handoff", async (t) => {
    cluster = await HostCluster.start({ nodes: NODES, spareHosts: [JOINER.name], callTimeoutMs: 10_000 });
    const c = cluster;
    const callers = ["n1", "n2"].map((n) => c.proc(n));
    const ids = await startLoads(callers, { loadId: "move", idsPerCaller: 200, concurrency: 20, pauseMs: 2 });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

    await c.startNode(JOINER);
    const joinMs = await c.converge([...NODES, JOINER], 30_000);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const joinServed = await Promise.all(callers.map((p) => p.loadPeek("move")));
    const servedByJoiner = joinServed.reduce((n, r) => n + (r.servedBy[JOINER.name]?.count ?? 0), 0);

    const leaveAt = Date.now();
    const { graceful } = await c.proc(LEAVER).stop(20_000);
    assert.ok(graceful, `${LEAVER} stopped by itself`);
    const left = NODES.filter((n) => n.name !== LEAVER);
    await waitFor(
      "every node to see the leaver left",
      () => c.running().every((p) => eventAt(p, "member:left", LEAVER, leaveAt) !== undefined),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    await c.converge([...left, JOINER], 30_000);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

    const reports = await stopLoads(callers, "move");
    const sum = totals(reports.values());
    const audit = await auditCounters(callers[0] as (typeof callers)[number], reports, ids);
    const stats = await c.proc(JOINER.name).request({ op: "stats" });
    report(t, "7", "planned join and graceful leave under load", {
      calls: `${sum.ok} ok, ${sum.failed} failed (${formatFailures(sum.failures)})`,
      "join -> one cluster (ms)": Math.round(joinMs),
      "calls served by the joiner after it joined": servedByJoiner,
      "handoffs received by the joiner": Number(stats.handoffsReceived),
      "leave -> all see it left (ms)": Math.max(
        ...c.running().map((p) => (eventAt(p, "member:left", LEAVER, leaveAt) ?? Number.NaN) - leaveAt),
      ),
      "slowest call (ms)": Math.round(sum.maxLatencyMs),
      "lost or duplicated effects": audit.mismatches.length,
      "counter replies out of sequence":
        sum.violations === 0 ? 0 : `${sum.violations}: ${violationSamples(reports.values(), 3)}`,
    });
    assert.ok(servedByJoiner > 0, "the joiner takes its share");
    assert.equal(sum.failed, 0, `no call fails (${formatFailures(sum.failures)})`);
    assert.equal(
      sum.violations,
      0,
      `every counter carries on from its last value (${violationSamples(reports.values())})`,
    );
    assert.deepEqual(audit.mismatches.slice(0, 10), [], "the counters hold exactly the successful calls");
  });
});
