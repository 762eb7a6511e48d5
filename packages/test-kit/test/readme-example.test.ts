import assert from "node:assert/strict";
import { test } from "node:test";
import { withTestCluster } from "@mesh/test-kit";

class Counter {
  count = 0;
  handleCall(by: number): number {
    this.count += by;
    return this.count;
  }
}

const nodes = [
  { name: "a", capabilities: ["game"] },
  { name: "b", capabilities: ["game"] },
  { name: "c", capabilities: ["game"] },
];

test("a counter comes back on another node when its node dies", () =>
  withTestCluster({ nodes, actors: { Counter } }, async (cluster) => {
    const call = (from: string) =>
      cluster.node(from).call<number>({ module: "Counter", id: "p1", capability: "game", payload: 1 });

    const first = await call("a");
    assert.equal(first.response, 1);

    cluster.kill(first.pid.node); // a crash: no goodbye, no handoff
    await cluster.waitUntil(() => cluster.converged(), { timeoutMs: 10_000 });

    const survivor = cluster.running()[0] as string;
    const again = await call(survivor);
    assert.notEqual(again.pid.node, first.pid.node);
    assert.equal(again.response, 1); // a fresh activation: the state died with its node
  }));
