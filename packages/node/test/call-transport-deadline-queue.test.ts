import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Clock, TimerHandle } from "@mesh/interface";
import { FakeClock } from "@mesh/testing";
import { type DeadlineEntry, DeadlineQueue } from "../src/call-transport/deadline-queue.js";

class Entry implements DeadlineEntry {
  done = false;
  constructor(
    readonly name: string,
    readonly deadline: number,
  ) {}
}

/** A FakeClock that counts the timers set on it. */
class CountingClock implements Clock {
  readonly fake = new FakeClock();
  timersSet = 0;
  now(): number {
    return this.fake.now();
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    this.timersSet++;
    return this.fake.setTimeout(callback, delayMs);
  }
  clearTimeout(handle: TimerHandle): void {
    this.fake.clearTimeout(handle);
  }
}

function setup() {
  const clock = new CountingClock();
  const expired: string[] = [];
  const queue = new DeadlineQueue<Entry>(clock, (e) => expired.push(e.name));
  const finish = (e: Entry) => {
    e.done = true;
    queue.finished();
  };
  return { clock, expired, queue, finish };
}

describe("DeadlineQueue", () => {
  it("expires entries in deadline order, each once, at their deadline", () => {
    const { clock, expired, queue } = setup();
    queue.add(new Entry("a", 10));
    queue.add(new Entry("b", 20));
    queue.add(new Entry("c", 20));
    clock.fake.advance(9);
    assert.deepEqual(expired, []);
    clock.fake.advance(1);
    assert.deepEqual(expired, ["a"]);
    clock.fake.advance(100);
    assert.deepEqual(expired, ["a", "b", "c"]);
    assert.equal(queue.size, 0);
  });

  it("never expires a finished entry", () => {
    const { clock, expired, queue, finish } = setup();
    const a = new Entry("a", 10);
    const b = new Entry("b", 20);
    queue.add(a);
    queue.add(b);
    finish(a);
    clock.fake.advance(50);
    assert.deepEqual(expired, ["b"]);
  });

  it("puts an earlier deadline in order and re-arms for it", () => {
    const { clock, expired, queue } = setup();
    queue.add(new Entry("late", 100));
    queue.add(new Entry("later", 200));
    queue.add(new Entry("early", 10));
    queue.add(new Entry("middle", 150));
    clock.fake.advance(10);
    assert.deepEqual(expired, ["early"]);
    clock.fake.advance(1000);
    assert.deepEqual(expired, ["early", "late", "middle", "later"]);
  });

  it("uses one timer per sweep, not one per entry, when deadlines come in order", () => {
    const { clock, queue, finish } = setup();
    // 10,000 calls over 1 s, each with a 5 s timeout, each answered within 1 ms.
    for (let i = 0; i < 10_000; i++) {
      const entry = new Entry(`c${i}`, clock.now() + 5000);
      queue.add(entry);
      clock.fake.advance(0.1);
      finish(entry);
    }
    assert.equal(clock.timersSet, 1);
    assert.equal(queue.retained, 0, "finished entries at the head are dropped at once");
  });

  it("keeps memory proportional to live entries when the head is slow", () => {
    const { queue, finish } = setup();
    const slow = new Entry("slow", 5000);
    queue.add(slow);
    for (let i = 0; i < 100_000; i++) {
      const entry = new Entry("fast", 5000 + i);
      queue.add(entry);
      finish(entry);
    }
    assert.equal(queue.size, 1);
    assert.ok(queue.retained <= 2 * 1 + 64 + 1, `retained ${queue.retained} slots for 1 live entry`);
  });

  it("clear() returns the live entries and cancels the timer", () => {
    const { clock, expired, queue, finish } = setup();
    const a = new Entry("a", 10);
    const b = new Entry("b", 20);
    queue.add(a);
    queue.add(b);
    finish(a);
    assert.deepEqual(
      queue.clear().map((e) => e.name),
      ["b"],
    );
    clock.fake.advance(100);
    assert.deepEqual(expired, []);
    assert.equal(clock.fake.pending, 0);
  });

  it("lets an expiry callback add entries", () => {
    const clock = new FakeClock();
    const expired: string[] = [];
    const queue: DeadlineQueue<Entry> = new DeadlineQueue<Entry>(clock, (e) => {
      expired.push(e.name);
      if (e.name === "a") queue.add(new Entry("retry", clock.now() + 10));
    });
    queue.add(new Entry("a", 10));
    clock.advance(30);
    assert.deepEqual(expired, ["a", "retry"]);
  });
});
