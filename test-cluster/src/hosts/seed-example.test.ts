/**
 * Scenario 1 on separate network stacks: the seed's example — node1 [game], node2
 * [chat], node3 [game, chat, payment] — one process per host namespace, found by
 * multicast across the lab's bridge. Every call succeeds, every node agrees on every
 * owner, every reply comes from that owner, and every actor lives exactly there.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { moduleFor } from "../../../scripts/dist/cluster-actors.js";
import type { NodePlan } from "../../../scripts/dist/cluster-args.js";
import { checkRouting, collectActors, driveCalls } from "../../../scripts/dist/cluster-harness.js";
import { countPlacement, judge } from "../../../scripts/dist/cluster-report.js";
import { report } from "../netns/figures.js";
import { HostCluster } from "../netns/host-cluster.js";
import { hostLabSkip } from "../netns/requirements.js";

const SEED: NodePlan[] = [
  { name: "node1", capabilities: ["game"] },
  { name: "node2", capabilities: ["chat"] },
  { name: "node3", capabilities: ["game", "chat", "payment"] },
];
const CAPABILITIES = ["game", "chat", "payment"];
const IDS = 300;

describe("scenario 1: the seed's example across three hosts", { skip: hostLabSkip(), timeout: 120_000 }, () => {
  let cluster: HostCluster | undefined;
  after(() => cluster?.destroy());

  test("exact placement: every actor on its owner, only on nodes with its capability", async (t) => {
    const t0 = performance.now();
    cluster = await HostCluster.start({ nodes: SEED });
    const upMs = performance.now() - t0;
    const procs = cluster.running();
    for (const p of procs) {
      const members = await p.request({ op: "members" });
      for (const m of members) {
        assert.equal(m.address.host, cluster.lab.host(m.name).ip, `${p.name} reaches ${m.name} at its own host`);
      }
    }
    const t1 = performance.now();
    const outcomes = await driveCalls(procs, CAPABILITIES, IDS);
    const driveMs = performance.now() - t1;
    const failed = [...outcomes.values()].flat().filter((o) => !o.ok);
    assert.deepEqual(failed, [], "every call succeeds");
    const { disagreements, wrongReplies, owners } = await checkRouting(procs, CAPABILITIES, IDS, outcomes);
    assert.deepEqual(disagreements, [], "every node computes the same owner for every id");
    assert.deepEqual(wrongReplies, [], "every reply comes from the owner");
    const actors = await collectActors(procs);
    const rows = countPlacement(SEED, actors, moduleFor);
    for (const row of rows) {
      const verdict = judge(row, SEED, IDS);
      assert.ok(verdict.ok, verdict.line);
    }
    const misplaced: string[] = [];
    for (const [node, byModule] of Object.entries(actors)) {
      for (const capability of CAPABILITIES) {
        for (const id of byModule?.[moduleFor(capability)] ?? []) {
          if (owners.get(`${capability}/${id}`) !== node) misplaced.push(`${capability}/${id} on ${node}`);
        }
      }
    }
    assert.deepEqual(misplaced, [], "each actor lives on the node every node computes as its owner");
    const spread = rows.map((r) => `${r.capability} ${SEED.map((n) => `${n.name}=${r.byNode[n.name]}`).join(" ")}`);
    report(t, "1", "the seed's example across three hosts", {
      hosts: SEED.map((n) => `${n.name}@${cluster?.lab.host(n.name).ip}`).join(", "),
      "lab up and converged (ms)": Math.round(upMs),
      calls: IDS * CAPABILITIES.length,
      "calls (ms)": Math.round(driveMs),
      failed: failed.length,
      placement: spread.join("; "),
    });
  });
});
