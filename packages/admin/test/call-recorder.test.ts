import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CALL_DURATION_BUCKETS,
  CallRecorder,
  isLoopbackHost,
  LOCAL,
  MAX_RECORDED_CAPABILITIES,
  OVERFLOW_CAPABILITY,
  REMOTE,
} from "../src/index.js";

describe("CallRecorder", () => {
  it("puts each duration in the first bucket whose bound is not below it", () => {
    const recorder = new CallRecorder();
    const now = recorder.now();
    // Starts in the past stand for calls that took that long, on the same tick's clock.
    recorder.record("game", LOCAL, "ok", now - 0.05); // 50 µs: first bucket (<= 100 µs)
    recorder.record("game", LOCAL, "ok", now - 3); // 3 ms: bucket <= 5 ms
    recorder.record("game", REMOTE, "MESH_ERR_TIMEOUT", now - 20_000); // 20 s: +Inf
    const [slot] = [...recorder.slots()];
    assert.ok(slot);
    const local = Array.from(slot.buckets[LOCAL]);
    assert.equal(local[0], 1);
    assert.equal(local[CALL_DURATION_BUCKETS.indexOf(0.005)], 1);
    assert.equal(
      local.reduce((a, b) => a + b, 0),
      2,
    );
    assert.equal(slot.buckets[REMOTE][CALL_DURATION_BUCKETS.length], 1, "beyond the last bound: +Inf");
    assert.equal(slot.ok, 2);
    assert.deepEqual([...slot.failed], [["MESH_ERR_TIMEOUT", 1]]);
    assert.equal(recorder.total(), 3);
    assert.ok(Math.abs((slot.sumMs[LOCAL] as number) - 3.05) < 1e-6);
  });

  it("keeps memory bounded: capabilities beyond the limit share one slot", () => {
    const recorder = new CallRecorder();
    for (let i = 0; i < MAX_RECORDED_CAPABILITIES + 500; i++) recorder.record(`cap-${i}`, LOCAL, "ok", recorder.now());
    recorder.record(undefined as unknown as string, LOCAL, "MESH_ERR_INVALID_ARGUMENT", recorder.now());
    const slots = [...recorder.slots()];
    assert.equal(slots.length, MAX_RECORDED_CAPABILITIES + 1);
    const overflow = slots.find((s) => s.capability === OVERFLOW_CAPABILITY);
    assert.equal(overflow?.ok, 500);
    assert.equal(overflow?.failed.get("MESH_ERR_INVALID_ARGUMENT"), 1);
    assert.equal(recorder.total(), MAX_RECORDED_CAPABILITIES + 501);
    recorder.record(OVERFLOW_CAPABILITY, LOCAL, "ok", recorder.now());
    assert.equal(overflow?.ok, 501, "a capability named like the overflow slot shares it");
    assert.equal([...recorder.slots()].length, MAX_RECORDED_CAPABILITIES + 1);
  });

  it("gives a capability named like the overflow slot no series of its own, so no label set repeats", () => {
    const recorder = new CallRecorder();
    recorder.record(undefined as unknown as string, LOCAL, "MESH_ERR_INVALID_ARGUMENT", recorder.now()); // the overflow slot
    recorder.record(OVERFLOW_CAPABILITY, LOCAL, "ok", recorder.now());
    recorder.record("game", LOCAL, "ok", recorder.now());
    recorder.record(OVERFLOW_CAPABILITY, REMOTE, "ok", recorder.now());
    const names = [...recorder.slots()].map((s) => s.capability);
    assert.deepEqual(names.sort(), ["_other", "game"]);
    assert.equal(recorder.total(), 4);
  });

  it("reads the clock once per tick: calls within one synchronous run share a time", async () => {
    const recorder = new CallRecorder();
    const first = recorder.now();
    const spin = performance.now() + 2;
    while (performance.now() < spin) {
      // the same run of synchronous code: the cached time holds
    }
    assert.equal(recorder.now(), first);
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(recorder.now() > first, "a later tick reads the clock again");
  });

  it("measures durations on the clock it is given (a node's, fake in simulations)", () => {
    let time = 1_000;
    const recorder = new CallRecorder({ now: () => time });
    const started = recorder.now();
    time += 7; // 7 ms pass on that clock
    recorder.record("game", REMOTE, "ok", started);
    const [slot] = [...recorder.slots()];
    assert.equal(slot?.sumMs[REMOTE], 7);
    assert.equal(slot?.buckets[REMOTE][CALL_DURATION_BUCKETS.indexOf(0.01)], 1, "7 ms: bucket <= 10 ms");
  });
});

describe("isLoopbackHost", () => {
  it("accepts 127.0.0.0/8, ::1 and localhost, nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "127.example.com", "128.0.0.1", "example.org"]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});
