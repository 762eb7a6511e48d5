import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type PlacementCandidate, perShardStrategy } from "../src/index.js";
import { rankingInput } from "../src/placement.js";

const nodes: PlacementCandidate[] = [
  { name: "node1", weight: 1 },
  { name: "node2", weight: 1 },
  { name: "node3", weight: 1 },
];

describe("perShardStrategy", () => {
  it("adapts an eigr/mesh-style per-shard function (here: modulo)", () => {
    const calls: [number, string, readonly PlacementCandidate[]][] = [];
    const modulo = perShardStrategy("modulo", (shard, capability, sorted) => {
      calls.push([shard, capability, sorted]);
      return (sorted[shard % sorted.length] as PlacementCandidate).name;
    });
    assert.equal(modulo.name, "modulo");
    const table = modulo.buildTable(8, "chat", nodes);
    assert.ok(table instanceof Uint32Array);
    assert.deepEqual(Array.from(table), [0, 1, 2, 0, 1, 2, 0, 1]);
    assert.equal(calls.length, 8);
    assert.deepEqual(
      calls.map(([shard, capability]) => `${shard}:${capability}`),
      ["0:chat", "1:chat", "2:chat", "3:chat", "4:chat", "5:chat", "6:chat", "7:chat"],
    );
    assert.equal(calls[0]?.[2], nodes, "the function sees the sorted candidates");
  });

  it("rejects a function that names a node that is not a candidate", () => {
    const broken = perShardStrategy("broken", (shard) => (shard === 3 ? "node9" : "node1"));
    assert.throws(() => broken.buildTable(8, "chat", nodes), {
      code: "MESH_ERR_INVALID_ARGUMENT",
      message: /strategy "broken" returned "node9" for shard 3 of "chat"/,
    });
  });

  it("validates its arguments", () => {
    assert.throws(() => perShardStrategy("", () => "x"), {
      code: "MESH_ERR_INVALID_ARGUMENT",
      message: /^name must be/,
    });
    assert.throws(() => perShardStrategy("x", "nope" as never), {
      code: "MESH_ERR_INVALID_ARGUMENT",
      message: /^place must be a function/,
    });
  });
});

describe("rankingInput", () => {
  it("precomputes keys, weights and whether all weights are equal", () => {
    const equal = rankingInput("game", nodes);
    assert.equal(equal.uniform, true);
    assert.equal(equal.totalWeight, 3);
    assert.equal(new Set(equal.keys).size, 3, "distinct keys");
    const weighted = rankingInput("game", [
      { name: "a", weight: 2 },
      { name: "b", weight: 0.5 },
    ]);
    assert.equal(weighted.uniform, false);
    assert.deepEqual(Array.from(weighted.inverseWeights), [0.5, 2]);
    assert.notDeepEqual(
      Array.from(rankingInput("chat", nodes).keys),
      Array.from(equal.keys),
      "keys depend on capability",
    );
  });

  it("rejects an empty candidate list and an infinite total weight", () => {
    assert.throws(() => rankingInput("game", []), { code: "MESH_ERR_INVALID_ARGUMENT", message: /^nodes must be/ });
    assert.throws(
      () =>
        rankingInput("game", [
          { name: "a", weight: Number.MAX_VALUE },
          { name: "b", weight: Number.MAX_VALUE },
        ]),
      { code: "MESH_ERR_INVALID_ARGUMENT", message: /^weights must be a finite sum/ },
    );
  });
});
