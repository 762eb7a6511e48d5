import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "@mesh/testing";
import { DeadlineQueue } from "../src/deadlines.js";

describe("DeadlineQueue", () => {
  it("fires deadlines in time order behind one timer, skipping cancelled ones", () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const fired: string[] = [];
    queue.add(30, () => fired.push("c"));
    const b = queue.add(20, () => fired.push("b"));
    queue.add(10, () => fired.push("a"));
    queue.add(30, () => fired.push("d"));
    assert.equal(clock.pending, 1, "one clock timer for every deadline");
    b.cancel();
    clock.advance(10);
    assert.deepEqual(fired, ["a"]);
    clock.advance(25);
    assert.deepEqual(fired, ["a", "c", "d"]);
    assert.equal(queue.size, 0);
  });

  it("re-arms earlier when a sooner deadline arrives, and clear() drops everything", () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const fired: number[] = [];
    queue.add(1000, () => fired.push(1000));
    queue.add(5, () => fired.push(5));
    clock.advance(5);
    assert.deepEqual(fired, [5]);
    queue.clear();
    clock.advance(2000);
    assert.deepEqual(fired, [5]);
  });

  it("keeps order over many random deadlines", () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const fired: number[] = [];
    for (let i = 0; i < 500; i++) {
      const delay = (i * 7919) % 1000;
      queue.add(delay, () => fired.push(clock.now()));
    }
    clock.advance(1000);
    assert.equal(fired.length, 500);
    assert.deepEqual(
      fired,
      [...fired].sort((x, y) => x - y),
    );
  });
});
