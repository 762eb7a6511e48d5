import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMeshError } from "@mesh/interface";
import { SimCallNetwork, type SimIncomingCall, SimNetwork, testSeed } from "../src/index.js";

function pair(seed: number) {
  const net = new SimNetwork({ seed });
  const calls = new SimCallNetwork(net);
  const a = net.addNode();
  const b = net.addNode();
  const from = calls.endpoint(a);
  const to = calls.endpoint(b);
  let served = 0;
  void to.start({
    onCall: async (call: SimIncomingCall) => {
      served++;
      return call.payload;
    },
    onCast: () => {
      served++;
    },
  });
  return { net, a, b, from, to, served: () => served };
}

const request = (payload: unknown, timeoutMs = 1_000) => ({
  module: "M",
  id: "x",
  capability: "c",
  payload,
  timeoutMs,
});

describe("SimCallNetwork on the network's links", () => {
  it("carries a call's trace context to the callee, as the TCP transport does", async () => {
    const seed = testSeed();
    const net = new SimNetwork({ seed });
    const calls = new SimCallNetwork(net);
    const from = calls.endpoint(net.addNode());
    const to = calls.endpoint(net.addNode());
    const seen: [string | undefined, string | undefined][] = [];
    void to.start({
      onCall: async (call: SimIncomingCall) => seen.push([call.traceparent, call.tracestate]),
      onCast: () => {},
    });
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await net.settle(from.call(to.address, { ...request(1), traceparent, tracestate: "a=1" }));
    await net.settle(from.call(to.address, request(2)));
    assert.deepEqual(seen, [
      [traceparent, "a=1"],
      [undefined, undefined],
    ]);
  });

  it("swallows a call across a partition until its timeout, and a cast; after heal both go through", async () => {
    const seed = testSeed();
    const { net, a, b, from, to, served } = pair(seed);
    net.partition([[a.address], [b.address]]);
    const started = net.clock.now();
    const error = await net.settle(from.call(to.address, request(1)).catch((e: unknown) => e));
    assert.ok(isMeshError(error, "MESH_ERR_TIMEOUT"), `seed ${seed}: ${String(error)}`);
    assert.equal(net.clock.now() - started, 1_000, "it ended at its deadline");
    from.cast(to.address, request(2));
    await net.run(50);
    assert.equal(served(), 0, "nothing crossed the partition");
    assert.ok((net.stats().dropped.partition ?? 0) >= 2);
    net.heal();
    assert.equal(await net.settle(from.call(to.address, request(3))), 3);
    assert.equal(served(), 1);
  });

  it("slows calls on a lossy link as retransmissions would, but delivers them", async () => {
    const seed = testSeed();
    const { net, from, to } = pair(seed);
    const lossless: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = net.clock.now();
      await net.settle(from.call(to.address, request(i, 10_000)));
      lossless.push(net.clock.now() - t);
    }
    net.setDefaultLink({ loss: 0.3 });
    let slowed = 0;
    for (let i = 0; i < 50; i++) {
      const t = net.clock.now();
      // Simulated time: a deadline far past TCP's backoff (six losses in a row at 30%, about
      // 1 in 1,400 segments, already wait 12.6 s), so every call must be delivered.
      assert.equal(await net.settle(from.call(to.address, request(i, 120_000))), i, `seed ${seed}`);
      if (net.clock.now() - t >= 200) slowed++;
    }
    assert.ok(Math.max(...lossless) < 10, `lossless round trips take a few ms (${Math.max(...lossless)})`);
    assert.ok(slowed > 5, `seed ${seed}: ${slowed} of 50 calls paid a retransmission`);
  });
});
