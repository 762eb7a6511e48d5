import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shuffle } from "@mesh/interface";
import { SeededRandom, testSeed } from "@mesh/testing";
import {
  boundedRendezvous,
  type CapabilityChange,
  createHasher,
  type Hasher,
  type PlacementStrategy,
  perShardStrategy,
  type RingMember,
  rendezvous,
  ShardTables,
} from "../src/index.js";

const seed = testSeed();
const hasher: Hasher = await createHasher();

const seedExample: RingMember[] = [
  { name: "node1", capabilities: ["game"] },
  { name: "node2", capabilities: ["chat"] },
  { name: "node3", capabilities: ["game", "chat", "payment"] },
];

/** A strategy that counts rebuilds per capability. */
function counting(inner: PlacementStrategy): PlacementStrategy & { builds: string[] } {
  const builds: string[] = [];
  return {
    name: inner.name,
    builds,
    buildTable(shardCount, capability, nodes) {
      builds.push(capability);
      return inner.buildTable(shardCount, capability, nodes);
    },
  };
}

const CAPABILITIES = ["game", "chat", "payment", "search", "media"];

function randomMembers(random: SeededRandom, count: number): RingMember[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `n${i}-${random.int(0, 999)}`,
    weight: random.next() < 0.3 ? random.int(1, 3) : 1,
    capabilities: CAPABILITIES.filter(() => random.next() < 0.5),
  }));
}

function snapshot(tables: ShardTables): Map<string, readonly string[]> {
  return new Map(tables.capabilities().map((capability) => [capability, tables.ownersOf(capability) ?? []]));
}

describe("ShardTables", () => {
  it("places the seed's example: game on node1/node3, chat on node2/node3, payment on node3", () => {
    const tables = new ShardTables({ hasher });
    assert.equal(tables.shardCount, 4096);
    assert.equal(tables.strategy, boundedRendezvous);
    tables.update(seedExample);
    assert.deepEqual(tables.capabilities(), ["chat", "game", "payment"]);
    assert.deepEqual(tables.nodesFor("game"), ["node1", "node3"]);
    assert.deepEqual(tables.nodesFor("chat"), ["node2", "node3"]);
    assert.deepEqual(tables.nodesFor("payment"), ["node3"]);
    assert.deepEqual(tables.nodesFor("video"), []);
    const ownersOf = (capability: string) => new Set(tables.ownersOf(capability));
    assert.deepEqual(ownersOf("game"), new Set(["node1", "node3"]));
    assert.deepEqual(ownersOf("chat"), new Set(["node2", "node3"]));
    assert.deepEqual(ownersOf("payment"), new Set(["node3"]));
    const shard = tables.shardFor("player_1");
    assert.equal(shard, 3823);
    assert.ok(["node1", "node3"].includes(tables.ownerOf(shard, "game") ?? ""));
    assert.equal(tables.ownerOf(shard, "payment"), "node3");
    assert.equal(tables.ownerOf(shard, "video"), undefined);
    const node1 = tables.ownedShards("node1", "game");
    const node3 = tables.ownedShards("node3", "game");
    assert.equal(node1.length + node3.length, 4096);
    assert.ok(node1.every((s) => tables.ownerOf(s, "game") === "node1"));
    assert.deepEqual(tables.ownedShards("node2", "game"), []);
    assert.deepEqual(tables.ownedShards("node1", "video"), []);
  });

  it(`depends only on the set of members, not their order or history (seed ${seed})`, () => {
    const random = new SeededRandom(seed);
    for (let trial = 0; trial < 20; trial++) {
      const members = randomMembers(random, random.int(1, 30));
      const reference = new ShardTables({ hasher, shardCount: 512 });
      reference.update(members);
      // Shuffled members, shuffled and duplicated capabilities.
      const shuffled = shuffle(
        random,
        members.map((m) => ({ ...m, capabilities: shuffle(random, [...m.capabilities, ...m.capabilities]) })),
      );
      // A different history ending at the same set.
      const other = new ShardTables({ hasher, shardCount: 512 });
      other.update(randomMembers(random, random.int(1, 30)));
      other.update(shuffled.slice(0, random.int(0, shuffled.length)));
      other.update(shuffled);
      assert.deepEqual(other.capabilities(), reference.capabilities(), `seed ${seed} trial ${trial}`);
      for (const capability of reference.capabilities()) {
        assert.deepEqual(other.nodesFor(capability), reference.nodesFor(capability), `seed ${seed} trial ${trial}`);
        assert.deepEqual(other.ownersOf(capability), reference.ownersOf(capability), `seed ${seed} trial ${trial}`);
      }
    }
  });

  it(`update rebuilds only changed capabilities and reports exactly the moved shards (seed ${seed})`, () => {
    const random = new SeededRandom(seed);
    for (const inner of [boundedRendezvous, rendezvous]) {
      const strategy = counting(inner);
      const tables = new ShardTables({ hasher, shardCount: 1024, strategy });
      let members: RingMember[] = randomMembers(random, 8);
      tables.update(members);
      for (let step = 0; step < 60; step++) {
        const previous = members;
        members = mutate(random, members);
        const before = snapshot(tables);
        strategy.builds.length = 0;
        const changes = tables.update(members);
        const after = snapshot(tables);
        const context = `seed ${seed} ${inner.name} step ${step}`;
        // Which capabilities should have changed: candidates (names, weights) differ.
        const expected = [...new Set([...before.keys(), ...after.keys()])]
          .filter((c) => JSON.stringify(candidatesOf(previous, c)) !== JSON.stringify(candidatesOf(members, c)))
          .sort();
        assert.deepEqual(
          changes.map((c) => c.capability),
          expected,
          context,
        );
        assert.deepEqual(
          strategy.builds.sort(),
          expected.filter((c) => after.has(c)),
          `${context}: rebuilt`,
        );
        for (const capability of after.keys()) {
          if (!expected.includes(capability)) {
            assert.equal(after.get(capability), before.get(capability), `${context}: ${capability} untouched`);
          }
        }
        for (const change of changes) checkChange(change, before, after, tables, context);
      }
    }
  });

  it("reports nothing and rebuilds nothing when the members did not change", () => {
    const strategy = counting(boundedRendezvous);
    const tables = new ShardTables({ hasher, strategy });
    assert.equal(tables.update(seedExample).length, 3);
    strategy.builds.length = 0;
    const reordered = [...seedExample].reverse().map((m) => ({ ...m, weight: 1 }));
    assert.deepEqual(tables.update(reordered), []);
    assert.deepEqual(strategy.builds, []);
  });

  it("reports appearing and vanishing capabilities with every shard", () => {
    const tables = new ShardTables({ hasher, shardCount: 8 });
    const [added] = tables.update([{ name: "a", capabilities: ["x"] }]);
    assert.deepEqual(added?.nodesBefore, []);
    assert.deepEqual(added?.nodesAfter, ["a"]);
    assert.deepEqual(
      added?.moves,
      Array.from({ length: 8 }, (_, shard) => ({ shard, from: undefined, to: "a" })),
    );
    const [removed] = tables.update([{ name: "a", capabilities: [] }]);
    assert.equal(removed?.capability, "x");
    assert.deepEqual(removed?.nodesAfter, []);
    assert.deepEqual(
      removed?.moves,
      Array.from({ length: 8 }, (_, shard) => ({ shard, from: "a", to: undefined })),
    );
    assert.deepEqual(tables.capabilities(), []);
    assert.equal(tables.ownerOf(0, "x"), undefined);
  });

  it("reports a weight change even when no shard moves", () => {
    const tables = new ShardTables({
      hasher,
      shardCount: 16,
      strategy: perShardStrategy("first", (_, __, n) => n[0]?.name ?? ""),
    });
    tables.update([
      { name: "a", capabilities: ["x"] },
      { name: "b", capabilities: ["x"] },
    ]);
    const changes = tables.update([
      { name: "a", weight: 3, capabilities: ["x"] },
      { name: "b", capabilities: ["x"] },
    ]);
    assert.deepEqual(changes, [{ capability: "x", nodesBefore: ["a", "b"], nodesAfter: ["a", "b"], moves: [] }]);
  });

  it("plugs in a per-shard strategy", () => {
    const modulo = perShardStrategy("modulo", (shard, _capability, nodes) => nodes[shard % nodes.length]?.name ?? "");
    const tables = new ShardTables({ hasher, shardCount: 6, strategy: modulo });
    tables.update(seedExample);
    assert.deepEqual(tables.ownersOf("game"), ["node1", "node3", "node1", "node3", "node1", "node3"]);
  });

  it("validates ownerOf's shard", () => {
    const tables = new ShardTables({ hasher, shardCount: 16 });
    tables.update(seedExample);
    for (const bad of [-1, 16, 1.5, Number.NaN, "3"]) {
      assert.throws(() => tables.ownerOf(bad as number, "game"), {
        code: "MESH_ERR_INVALID_ARGUMENT",
        message: /^shard must be an integer from 0 to 15/,
      });
    }
    assert.equal(typeof tables.ownerOf(15, "game"), "string");
  });

  it("validates members at the boundary and keeps its state on error", () => {
    const tables = new ShardTables({ hasher, shardCount: 16 });
    tables.update(seedExample);
    const before = snapshot(tables);
    const cases: [unknown, string][] = [
      [null, "members"],
      [[null], "members[0]"],
      [[{ capabilities: [] }], "members[0].name"],
      [[{ name: "", capabilities: [] }], "members[0].name"],
      [[{ name: 7, capabilities: [] }], "members[0].name"],
      [
        [
          { name: "a", capabilities: [] },
          { name: "a", capabilities: [] },
        ],
        "members[1].name",
      ],
      [[{ name: "a", weight: 0, capabilities: [] }], "members[0].weight"],
      [[{ name: "a", weight: -1, capabilities: [] }], "members[0].weight"],
      [[{ name: "a", weight: Number.NaN, capabilities: [] }], "members[0].weight"],
      [[{ name: "a", weight: Number.POSITIVE_INFINITY, capabilities: [] }], "members[0].weight"],
      [[{ name: "a", weight: "2", capabilities: [] }], "members[0].weight"],
      [[{ name: "a" }], "members[0].capabilities"],
      [[{ name: "a", capabilities: "game" }], "members[0].capabilities"],
      [[{ name: "a", capabilities: ["game", ""] }], "members[0].capabilities[1]"],
      [[{ name: "a", capabilities: [3] }], "members[0].capabilities[0]"],
    ];
    for (const [members, property] of cases) {
      assert.throws(
        () => tables.update(members as RingMember[]),
        (error: Error & { code?: string; details?: { property?: string } }) =>
          error.code === "MESH_ERR_INVALID_ARGUMENT" &&
          error.details?.property === property &&
          error.message.startsWith(`${property} must be`),
        property,
      );
    }
    assert.deepEqual(snapshot(tables), before);
  });

  it("rejects a strategy's malformed table and keeps its state", () => {
    const short: PlacementStrategy = { name: "short", buildTable: () => new Uint32Array(3) };
    const wild: PlacementStrategy = { name: "wild", buildTable: (count) => new Uint32Array(count).fill(5) };
    for (const strategy of [short, wild]) {
      const tables = new ShardTables({ hasher, shardCount: 8, strategy });
      assert.throws(() => tables.update(seedExample), {
        code: "MESH_ERR_INVALID_ARGUMENT",
        message: new RegExp(`strategy "${strategy.name}"`),
      });
      assert.deepEqual(tables.capabilities(), []);
    }
  });

  it("validates its init", () => {
    const bad: [unknown, RegExp][] = [
      [undefined, /^init must be an object/],
      [{}, /^hasher must be a Hasher/],
      [{ hasher, shardCount: 0 }, /^shardCount must be an integer from 1 to 1048576/],
      [{ hasher, shardCount: 2 ** 21 }, /^shardCount must be/],
      [{ hasher, strategy: {} }, /^strategy must be a PlacementStrategy/],
    ];
    for (const [init, message] of bad) {
      assert.throws(() => new ShardTables(init as never), { code: "MESH_ERR_INVALID_ARGUMENT", message });
    }
  });
});

function candidatesOf(members: readonly RingMember[], capability: string): [string, number][] {
  return members
    .filter((m) => m.capabilities.includes(capability))
    .map((m): [string, number] => [m.name, m.weight ?? 1])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** One random membership event: join, leave, weight change, capability added or dropped, or nothing. */
function mutate(random: SeededRandom, members: RingMember[]): RingMember[] {
  const next = members.map((m) => ({ ...m, capabilities: [...m.capabilities] }));
  const victim = next.length > 0 ? random.int(0, next.length - 1) : -1;
  const target = next[victim];
  switch (random.int(0, 5)) {
    case 0:
      next.push({
        name: `j${random.int(0, 1e9)}`,
        weight: 1,
        capabilities: CAPABILITIES.filter(() => random.next() < 0.5),
      });
      break;
    case 1:
      if (target !== undefined) next.splice(victim, 1);
      break;
    case 2:
      if (target !== undefined) next[victim] = { ...target, weight: random.int(1, 3) };
      break;
    case 3:
      if (target !== undefined) target.capabilities.push(random.pick(CAPABILITIES));
      break;
    case 4:
      if (target !== undefined)
        target.capabilities = target.capabilities.filter((c) => c !== random.pick(CAPABILITIES));
      break;
    default:
      break;
  }
  return next;
}

function checkChange(
  change: CapabilityChange,
  before: Map<string, readonly string[]>,
  after: Map<string, readonly string[]>,
  tables: ShardTables,
  context: string,
): void {
  const from = before.get(change.capability);
  const to = after.get(change.capability);
  const expected = [];
  for (let shard = 0; shard < tables.shardCount; shard++) {
    if (from?.[shard] !== to?.[shard]) expected.push({ shard, from: from?.[shard], to: to?.[shard] });
  }
  assert.deepEqual(change.moves, expected, `${context}: ${change.capability} moves`);
  assert.deepEqual(change.nodesAfter, tables.nodesFor(change.capability), `${context}: nodesAfter`);
}
