import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Clock, systemClock, TickClock, type TimerHandle, tickClockOf } from "../src/index.js";

/** A clock set by hand that counts its reads. */
class CountingClock implements Clock {
  reads = 0;
  constructor(public time: number) {}
  now(): number {
    this.reads++;
    return this.time;
  }
  setTimeout(): TimerHandle {
    throw new Error("not used");
  }
  clearTimeout(): void {}
}

describe("TickClock", () => {
  it("reads the clock once per tick", async () => {
    const counting = new CountingClock(100);
    const clock = new TickClock(counting);
    assert.equal(clock.now(), 100);
    counting.time = 105;
    assert.equal(clock.now(), 100, "the same tick sees the same time");
    assert.equal(counting.reads, 1);
    await Promise.resolve();
    assert.equal(clock.now(), 105, "a later tick reads again");
    assert.equal(counting.reads, 2);
  });

  it("is never older than the current run of microtasks", async () => {
    const counting = new CountingClock(1);
    const clock = new TickClock(counting);
    clock.now();
    counting.time = 2;
    // A microtask queued after the first read runs after the one that drops the value.
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    assert.equal(clock.now(), 2);
  });
});

describe("tickClockOf", () => {
  it("shares one tick clock over the system clock, and reads any other clock exactly", () => {
    const shared = tickClockOf(systemClock);
    assert.ok(shared instanceof TickClock);
    assert.equal(tickClockOf(systemClock), shared, "every node in the process shares it");
    const fake = new CountingClock(7);
    assert.equal(tickClockOf(fake), fake);
    const before = systemClock.now();
    const read = shared.now();
    assert.ok(read >= before - 1 && read <= systemClock.now(), "on the system clock's scale");
  });
});
