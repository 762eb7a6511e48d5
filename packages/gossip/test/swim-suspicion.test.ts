import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, SimNetwork } from "@mesh/testing";
import { Awareness } from "../src/swim/awareness.js";
import { Suspicion } from "../src/swim/suspicion.js";

function suspicion(clock: FakeClock, expected: number) {
  const fired: number[] = [];
  const s = new Suspicion({
    clock,
    from: "a",
    expected,
    minMs: 1000,
    maxMs: 6000,
    onTimeout: () => fired.push(clock.now()),
  });
  return { s, fired };
}

test("an unconfirmed suspicion lasts the maximum", () => {
  const clock = new FakeClock();
  const { fired } = suspicion(clock, 3);
  clock.advance(5999);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, [6000]);
});

test("independent confirmations shrink the timeout, to the minimum after k", () => {
  const clock = new FakeClock();
  const { s, fired } = suspicion(clock, 3);
  assert.equal(s.confirm("b"), true);
  assert.equal(s.confirm("b"), false, "the same member confirms once");
  assert.equal(s.confirm("a"), false, "the member that started it does not count");
  assert.equal(s.confirm("c"), true);
  assert.equal(s.confirm("d"), true);
  assert.equal(s.confirm("e"), false, "no more than k confirmations count");
  assert.equal(s.confirmations, 3);
  clock.advance(999);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, [1000]);
});

test("a confirmation after the new deadline fires at once", () => {
  const clock = new FakeClock();
  const { s, fired } = suspicion(clock, 1);
  clock.advance(2000);
  s.confirm("b"); // remaining = max(1000, 6000 - 5000) - 2000 < 0
  clock.advance(0);
  assert.deepEqual(fired, [2000]);
});

test("without dogpile (k = 0) the minimum applies from the start; cancel stops it", () => {
  const clock = new FakeClock();
  const { s, fired } = suspicion(clock, 0);
  assert.equal(s.confirm("b"), false);
  clock.advance(1000);
  assert.deepEqual(fired, [1000]);
  const other = suspicion(clock, 0);
  other.s.cancel();
  clock.advance(10_000);
  assert.deepEqual(other.fired, []);
});

for (const stallMs of [3000, 1050]) {
  test(`after a stall (timer ${stallMs - 1000} ms late) a suspicion yields one turn to pending input before it kills`, async () => {
    const net = new SimNetwork({ seed: 1 });
    const node = net.addNode();
    const fired: number[] = [];
    const make = (yieldFirst: boolean) =>
      new Suspicion({
        clock: node.clock,
        from: "a",
        expected: 0,
        minMs: 1000,
        maxMs: 1000,
        onTimeout: () => fired.push(net.clock.now()),
        yieldFirst,
      });
    const graceful = make(true);
    const plain = make(false);
    net.stall(node.address, stallMs);
    await net.run(stallMs - 100);
    // A refutation arrives during the stall and is read only after the overdue timers ran.
    node.arrive(() => {
      graceful.cancel();
      plain.cancel();
    });
    await net.run(2000);
    assert.deepEqual(fired, [stallMs], "only the suspicion without grace killed before reading the refutation");
  });
}

test("an unconfirmed suspicion kills at its timeout, whatever the local health (nothing holds it)", () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  new Suspicion({ clock, from: "a", expected: 2, minMs: 1000, maxMs: 6000, onTimeout: () => fired.push(clock.now()) });
  clock.advance(5999);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, [6000]);
});

test("awareness rises with failures and falls with successes, and is inert when disabled", () => {
  const a = new Awareness(8);
  a.applyDelta(3);
  assert.equal(a.score, 3);
  assert.equal(a.scale(1000), 4000);
  a.applyDelta(10);
  assert.equal(a.score, 7);
  a.applyDelta(-100);
  assert.equal(a.score, 0);
  const off = new Awareness(8, false);
  off.applyDelta(5);
  assert.equal(off.score, 0);
  assert.equal(off.scale(1000), 1000);
});
