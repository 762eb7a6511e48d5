import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { idleTicks, isIdleExpired, scanPeriodTicks } from "../src/passivation-math.js";

describe("passivation math", () => {
  it("idleTicks is ceil(timeout / interval), at least 1", () => {
    const cases: [number, number, number][] = [
      [300_000, 1000, 300],
      [1000, 1000, 1],
      [1001, 1000, 2],
      [50, 1000, 1],
      [2500, 100, 25],
    ];
    for (const [timeout, interval, expected] of cases) {
      assert.equal(idleTicks(timeout, interval), expected, `${timeout}/${interval}`);
    }
  });

  it("an actor expires only after more than `ticks` ticks since its last use", () => {
    const cases: [number, number, number, boolean][] = [
      [10, 0, 10, false],
      [11, 0, 10, true],
      [5, 5, 1, false],
      [6, 5, 1, false],
      [7, 5, 1, true],
    ];
    for (const [now, last, ticks, expected] of cases) {
      assert.equal(isIdleExpired(now, last, ticks), expected, `now=${now} last=${last} ticks=${ticks}`);
    }
  });

  it("never expires early: last used anywhere in tick k, expiry at tick k+ticks+1 is >= timeout later", () => {
    const interval = 100;
    for (const timeout of [100, 150, 1000, 1234]) {
      const ticks = idleTicks(timeout, interval);
      for (const usedAt of [0, 1, 50, 99]) {
        // tick k began at 0; the first expiring tick fires at (k + ticks + 1) * interval.
        let tick = 0;
        while (!isIdleExpired(tick, 0, ticks)) tick++;
        assert.ok(
          tick * interval - usedAt >= timeout,
          `timeout=${timeout} usedAt=${usedAt} expired at ${tick * interval}`,
        );
        assert.ok(tick * interval - usedAt <= timeout + 2 * interval, "and late by at most two intervals");
      }
    }
  });

  it("scans a type every max(1, floor(ticks / 8)) ticks", () => {
    const cases: [number, number][] = [
      [300, 37],
      [8, 1],
      [7, 1],
      [1, 1],
      [16, 2],
    ];
    for (const [ticks, expected] of cases) assert.equal(scanPeriodTicks(ticks), expected, `ticks=${ticks}`);
  });
});
