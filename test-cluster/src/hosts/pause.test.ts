/**
 * Scenario 6 (full run): one node of five is SIGSTOPped for 3 s every 30 s (its
 * sockets stay open, it answers nothing). With Lifeguard (the default) none of the
 * other four is ever declared dead — by anyone, the frozen node included once it
 * runs again. The same scenario with Lifeguard off (gossip option lifeguard: false)
 * is measured for comparison.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NodePlan } from "../../../scripts/dist/cluster-args.js";
import { type Figures, report } from "../netns/figures.js";
import { HostCluster } from "../netns/host-cluster.js";
import { fullRunSkip, scale } from "../netns/requirements.js";
import { TEST_GOSSIP } from "../support/loopback.js";

const NODES: NodePlan[] = ["n1", "n2", "n3", "n4", "n5"].map((name) => ({ name, capabilities: ["game"] }));
const FROZEN = "n5";
const PAUSE_MS = 3_000;
const PERIOD_MS = scale(10_000, 30_000);
const CYCLES = scale(2, 6);

async function measure(lifeguard: boolean): Promise<{ figures: Figures; falseDeaths: string[] }> {
  const cluster = await HostCluster.start({ nodes: NODES, gossip: { ...TEST_GOSSIP, lifeguard } });
  try {
    const procs = cluster.running();
    const startAt = Date.now();
    for (let i = 0; i < CYCLES; i++) {
      await new Promise((resolve) => setTimeout(resolve, PERIOD_MS - PAUSE_MS));
      cluster.pause(FROZEN);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      cluster.resume(FROZEN);
    }
    // Let the last pause play out: views settle again.
    await cluster.converge(NODES, 30_000);
    const events = (event: string, ofFrozen: boolean): string[] =>
      procs.flatMap((p) =>
        p.memberEvents
          .filter((e) => e.event === event && e.at >= startAt && (e.member === FROZEN) === ofFrozen)
          .map((e) => `${p.name} saw ${e.member} ${e.state} at +${e.at - startAt} ms`),
      );
    const falseDeaths = events("member:dead", false);
    const label = lifeguard ? "Lifeguard on" : "Lifeguard off";
    return {
      falseDeaths,
      figures: {
        [`${label}: false deaths of the others`]: falseDeaths.length,
        [`${label}: false suspicions of the others`]: events("member:suspect", false).length,
        [`${label}: deaths of the frozen node (views)`]: events("member:dead", true).length,
        [`${label}: suspicions of the frozen node (views)`]: events("member:suspect", true).length,
      },
    };
  } finally {
    await cluster.destroy();
  }
}

describe(
  `scenario 6: one node SIGSTOPped ${PAUSE_MS / 1000} s every ${PERIOD_MS / 1000} s`,
  { skip: fullRunSkip(), timeout: 2 * CYCLES * PERIOD_MS + 240_000 },
  () => {
    test("zero false deaths of the others with Lifeguard; measured without it", async (t) => {
      const on = await measure(true);
      const off = await measure(false);
      report(t, "6", `one node of five SIGSTOPped ${PAUSE_MS / 1000} s every ${PERIOD_MS / 1000} s`, {
        cycles: CYCLES,
        ...on.figures,
        ...off.figures,
      });
      assert.deepEqual(on.falseDeaths, [], "with Lifeguard, no other node is ever declared dead");
    });
  },
);
