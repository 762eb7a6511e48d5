import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom, testSeed } from "@mesh/testing";
import { type PlacementCandidate, rendezvous } from "../src/index.js";
import {
  countDifferent,
  joinAllowance,
  loads,
  maxLoadRatio,
  owners,
  randomName,
  randomNodes,
  SHARDS,
  sorted,
} from "./fixtures.js";
import { referenceTable } from "./reference.js";

const seed = testSeed();
const three: PlacementCandidate[] = [
  { name: "node1", weight: 1 },
  { name: "node2", weight: 1 },
  { name: "node3", weight: 1 },
];

describe("rendezvous", () => {
  it("places shards on fixed owners (every process and version must agree)", () => {
    assert.deepEqual(
      Array.from(rendezvous.buildTable(16, "game", three)),
      [2, 1, 2, 2, 0, 2, 2, 1, 1, 1, 2, 1, 2, 0, 1, 0],
    );
    const weighted = three.map((node, i) => ({ ...node, weight: i + 1 }));
    assert.deepEqual(
      Array.from(rendezvous.buildTable(16, "game", weighted)),
      [2, 1, 2, 2, 2, 2, 2, 1, 1, 1, 2, 1, 2, 0, 1, 0],
    );
  });

  it(`equals the plain reference rules, with and without weights (seed ${seed})`, () => {
    const random = new SeededRandom(seed);
    for (let trial = 0; trial < 30; trial++) {
      const spread = random.pick([1, 4, 1000]);
      const nodes = randomNodes(random, random.int(1, 60), () => (spread === 1 ? 1 : 1 + random.next() * (spread - 1)));
      const shardCount = random.int(1, 600);
      assert.deepEqual(
        Array.from(rendezvous.buildTable(shardCount, `cap-${trial}`, nodes)),
        referenceTable(shardCount, `cap-${trial}`, nodes),
        `seed ${seed} trial ${trial}`,
      );
    }
  });

  it(`a leaving node moves only its own shards (seed ${seed})`, () => {
    const random = new SeededRandom(seed);
    for (let trial = 0; trial < 40; trial++) {
      const nodes = randomNodes(random, random.int(2, 100), () => (random.next() < 0.3 ? random.int(1, 4) : 1));
      const leaver = random.pick(nodes).name;
      const before = owners(rendezvous, nodes);
      const after = owners(
        rendezvous,
        nodes.filter((node) => node.name !== leaver),
      );
      for (let shard = 0; shard < SHARDS; shard++) {
        if (before[shard] !== leaver) {
          assert.equal(
            after[shard],
            before[shard],
            `seed ${seed} trial ${trial}: shard ${shard} moved off a staying node`,
          );
        }
      }
    }
  });

  it(`a joining node takes shards only for itself, about 1/(N+1) of them (seed ${seed})`, () => {
    const random = new SeededRandom(seed);
    for (let trial = 0; trial < 40; trial++) {
      const n = random.int(1, 100);
      const nodes = randomNodes(random, n);
      const newcomer = { name: randomName(random), weight: 1 };
      const before = owners(rendezvous, nodes);
      const after = owners(rendezvous, sorted([...nodes, newcomer]));
      for (let shard = 0; shard < SHARDS; shard++) {
        if (after[shard] !== before[shard]) assert.equal(after[shard], newcomer.name, `seed ${seed} trial ${trial}`);
      }
      const moved = countDifferent(before, after) / SHARDS;
      assert.ok(moved <= joinAllowance(n), `seed ${seed} trial ${trial}: N=${n}, ${moved} moved`);
    }
  });

  it("F4: the joining node N+1 moves at most 1/(N+1) + 2% for every N in 3..100 (fixed corpus)", () => {
    let nodes: PlacementCandidate[] = [1, 2, 3].map((i) => ({ name: `node-${i}`, weight: 1 }));
    let before = owners(rendezvous, nodes);
    for (let n = 3; n <= 100; n++) {
      nodes = sorted([...nodes, { name: `node-${n + 1}`, weight: 1 }]);
      const after = owners(rendezvous, nodes);
      const moved = countDifferent(before, after) / SHARDS;
      assert.ok(moved <= 1 / (n + 1) + 0.02, `N=${n}: ${moved}`);
      before = after;
    }
  });

  it(`balance is binomial: load sd ~ sqrt(S p (1-p)), max reported (seed ${seed})`, (t) => {
    const random = new SeededRandom(seed);
    for (const n of [3, 10, 30, 100]) {
      let variance = 0;
      let worst = 0;
      // ~400 node loads per N: the sd estimate is then within ~4.5% of the truth (1 sigma).
      const trials = Math.ceil(400 / (n - 1));
      for (let trial = 0; trial < trials; trial++) {
        const nodes = randomNodes(random, n);
        const table = owners(rendezvous, nodes, `cap-${trial}`);
        const byNode = loads(table);
        for (const node of nodes) variance += ((byNode.get(node.name) ?? 0) - SHARDS / n) ** 2 / (n * trials);
        worst = Math.max(worst, maxLoadRatio(table, nodes));
      }
      const expected = Math.sqrt((SHARDS / n) * (1 - 1 / n));
      const sd = Math.sqrt(variance);
      t.diagnostic(
        `rendezvous N=${n}: load sd ${sd.toFixed(1)} (binomial ${expected.toFixed(1)}), max ${worst.toFixed(3)}x fair`,
      );
      assert.ok(sd > 0.75 * expected && sd < 1.25 * expected, `seed ${seed}: N=${n} sd ${sd} vs ${expected}`);
    }
  });

  it(`a node of weight 2 gets about twice the shards (seed ${seed})`, () => {
    const random = new SeededRandom(seed);
    const perWeight = new Map<number, { shards: number; nodes: number }>();
    for (let trial = 0; trial < 10; trial++) {
      const nodes = randomNodes(random, 10, () => random.int(1, 2));
      const total = nodes.reduce((sum, node) => sum + node.weight, 0);
      const byNode = loads(owners(rendezvous, nodes, `cap-${trial}`));
      for (const node of nodes) {
        const p = node.weight / total;
        const sd = Math.sqrt(SHARDS * p * (1 - p));
        const got = byNode.get(node.name) ?? 0;
        assert.ok(Math.abs(got - SHARDS * p) < 5 * sd, `seed ${seed}: ${node.name} weight ${node.weight} got ${got}`);
      }
      for (const node of nodes) {
        const sum = perWeight.get(node.weight) ?? { shards: 0, nodes: 0 };
        // Shards in units of this cluster's per-unit-weight share, S / totalWeight.
        const units = ((byNode.get(node.name) ?? 0) * total) / SHARDS;
        perWeight.set(node.weight, { shards: sum.shards + units, nodes: sum.nodes + 1 });
      }
    }
    // Averaged over ~50 nodes per weight, the ratio's sd is ~1.5%; 2 +- 0.15 is > 5 sd.
    const average = (w: number) => {
      const sum = perWeight.get(w) ?? { shards: 0, nodes: 1 };
      return sum.shards / sum.nodes;
    };
    const ratio = average(2) / average(1);
    assert.ok(ratio > 1.85 && ratio < 2.15, `seed ${seed}: weight-2 / weight-1 = ${ratio}`);
  });

  it("places each capability independently", () => {
    const game = owners(rendezvous, three, "game");
    const chat = owners(rendezvous, three, "chat");
    // Independent tables agree on ~1/3 of shards; identical ones would agree on all.
    const same = SHARDS - countDifferent(game, chat);
    assert.ok(same > SHARDS * 0.28 && same < SHARDS * 0.39, `${same} shards agree`);
  });
});
