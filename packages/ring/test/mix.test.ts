import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom, testSeed } from "@mesh/testing";
import { fmix32, lnUnit, nameHash32, weightedScore } from "../src/mix.js";

const seed = testSeed();

// These values are part of the cluster protocol: if one changes, nodes of different
// versions place shards differently. Change them only on purpose.
describe("mix", () => {
  it("fmix32 is MurmurHash3's finalizer", () => {
    assert.equal(fmix32(0), 0);
    assert.equal(fmix32(1), 0x514e28b7);
    assert.equal(fmix32(0xffffffff), 0x81f16f39);
  });

  it("nameHash32 gives fixed keys", () => {
    assert.equal(nameHash32(""), 0xab3e7c0b);
    assert.equal(nameHash32("node1"), 0x90b6cb9d);
    assert.equal(nameHash32("game"), 0x09d58ba4);
  });

  it("lnUnit matches Math.log within 1.2e-7 at the ends and the octave boundaries", () => {
    const draws = [0, 1, 2, 3, 1023, 1024, 2 ** 16, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1];
    for (const d of draws) {
      const exact = Math.log((d + 0.5) * 2 ** -32);
      assert.ok(Math.abs(lnUnit(d) - exact) < 1.2e-7, `draw ${d}: ${lnUnit(d)} vs ${exact}`);
    }
  });

  it(`lnUnit is accurate and never decreases with the draw (seed ${seed})`, () => {
    const random = new SeededRandom(seed);
    const draws = Array.from({ length: 100_000 }, () => Math.floor(random.next() * 2 ** 32)).sort((a, b) => a - b);
    let previous = Number.NEGATIVE_INFINITY;
    for (const d of draws) {
      const value = lnUnit(d);
      assert.ok(Math.abs(value - Math.log((d + 0.5) * 2 ** -32)) < 1.2e-7, `seed ${seed}: draw ${d}`);
      assert.ok(value >= previous, `seed ${seed}: lnUnit decreased at draw ${d}`);
      previous = value;
    }
  });

  it("weightedScore favours the heavier node for the same draw", () => {
    const d = 123456789;
    assert.ok(weightedScore(d, 1 / 2) > weightedScore(d, 1));
    assert.equal(weightedScore(d, 1), lnUnit(d));
  });
});
