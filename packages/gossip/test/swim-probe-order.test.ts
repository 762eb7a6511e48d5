/**
 * The round-robin probe order: every member once per round, and a new round never
 * starts with the member that closed the last one (it was probed a period ago).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "@mesh/testing";
import { ProbeOrder } from "../src/swim/probe-order.js";

test("each round holds every member once, and no member is probed twice in a row", () => {
  for (const n of [2, 3, 5, 10]) {
    for (let seed = 1; seed <= 200; seed++) {
      const order = new ProbeOrder(new SeededRandom(seed));
      const members = Array.from({ length: n }, (_, i) => `m${i}`);
      const picked: string[] = [];
      for (let i = 0; i < 6 * n; i++) {
        const name = order.next(
          () => true,
          () => [...members],
        );
        assert.ok(name !== undefined);
        picked.push(name);
      }
      for (let r = 0; r < 6; r++) {
        const round = picked.slice(r * n, (r + 1) * n);
        assert.deepEqual([...round].sort(), members, `n = ${n}, seed ${seed}: round ${r} is ${round}`);
      }
      for (let i = 1; i < picked.length; i++)
        assert.notEqual(picked[i], picked[i - 1], `n = ${n}, seed ${seed}: ${picked[i]} twice in a row at ${i}`);
    }
  }
});

test("a lone candidate is still probed every period", () => {
  const order = new ProbeOrder(new SeededRandom(7));
  for (let i = 0; i < 5; i++)
    assert.equal(
      order.next(
        () => true,
        () => ["only"],
      ),
      "only",
    );
});
