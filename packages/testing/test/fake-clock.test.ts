import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../src/index.js";

describe("FakeClock", () => {
  it("fires timers in deadline order, ties in creation order", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b"), 20);
    clock.setTimeout(() => fired.push("a"), 10);
    clock.setTimeout(() => fired.push("c"), 20);
    clock.advance(15);
    assert.deepEqual(fired, ["a"]);
    assert.equal(clock.now(), 15);
    clock.advance(5);
    assert.deepEqual(fired, ["a", "b", "c"]);
  });

  it("fires a timer set by a callback within the same advance", () => {
    const clock = new FakeClock();
    const times: number[] = [];
    clock.setTimeout(() => {
      times.push(clock.now());
      clock.setTimeout(() => times.push(clock.now()), 5);
    }, 10);
    clock.advance(100);
    assert.deepEqual(times, [10, 15]);
  });

  it("does not fire cancelled timers", () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 10);
    clock.clearTimeout(handle);
    clock.advance(20);
    assert.equal(fired, false);
    assert.equal(clock.pending, 0);
  });
});
