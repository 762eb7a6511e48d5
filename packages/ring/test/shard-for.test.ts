import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom, testSeed } from "@mesh/testing";
import { createHasher, DEFAULT_SHARD_COUNT, MAX_SHARD_COUNT, shardFor, validateShardCount } from "../src/index.js";

const seed = testSeed();

describe("shardFor", () => {
  it("maps ids to fixed shards (every process and version must agree)", async () => {
    const hasher = await createHasher();
    assert.equal(DEFAULT_SHARD_COUNT, 4096);
    const vectors: [string, number, number][] = [
      ["player_1", 4096, 1418686191 % 4096],
      ["player_1", 4096, 3823],
      ["", 4096, 0x02cc5d05 % 4096],
      ["abc", 4096, 0x32d153ff % 4096],
      ["abc", 1000, 0x32d153ff % 1000],
      ["abc", 1, 0],
    ];
    for (const [id, count, expected] of vectors)
      assert.equal(shardFor(hasher, id, count), expected, `${id} / ${count}`);
    assert.equal(shardFor(hasher, "player_1"), 3823, "the default shard count is 4096");
  });

  it(`stays in 0..shardCount-1 for random ids and counts (seed ${seed})`, async () => {
    const hasher = await createHasher();
    const random = new SeededRandom(seed);
    for (let i = 0; i < 2000; i++) {
      const count = random.next() < 0.5 ? random.int(1, 64) : random.int(1, MAX_SHARD_COUNT);
      const id = String.fromCharCode(...Array.from({ length: random.int(0, 24) }, () => random.int(32, 0x2fff)));
      const shard = shardFor(hasher, id, count);
      assert.ok(Number.isInteger(shard) && shard >= 0 && shard < count, `seed ${seed}: ${shard} of ${count}`);
      assert.equal(shardFor(hasher, id, count), shard, `seed ${seed}: stable`);
    }
  });

  it(`spreads ids evenly over the shards (seed ${seed})`, async () => {
    const hasher = await createHasher();
    const counts = new Uint32Array(64);
    const ids = 64 * 1000;
    for (let i = 0; i < ids; i++) {
      const shard = shardFor(hasher, `actor-${seed}-${i}`, 64);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    // Each count is ~Binomial(64000, 1/64): mean 1000, sd 31; 6 sd is a failure, not chance.
    for (const c of counts) assert.ok(Math.abs(c - 1000) < 190, `seed ${seed}: a shard got ${c} of ${ids}`);
  });

  it("rejects a non-string id", async () => {
    const hasher = await createHasher();
    assert.throws(() => shardFor(hasher, 42 as unknown as string, 16), {
      code: "MESH_ERR_INVALID_ARGUMENT",
      message: "id must be a string, got 42",
    });
  });
});

describe("validateShardCount", () => {
  it("accepts integers from 1 to 2^20", () => {
    for (const ok of [1, 2, 4096, 1000, MAX_SHARD_COUNT]) assert.equal(validateShardCount(ok), ok);
    assert.equal(MAX_SHARD_COUNT, 2 ** 20);
  });

  it("rejects anything else, naming the property", () => {
    for (const bad of [
      0,
      -1,
      1.5,
      MAX_SHARD_COUNT + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "4096",
      undefined,
      null,
    ]) {
      assert.throws(
        () => validateShardCount(bad, "init.shardCount"),
        (error: Error & { code?: string; details?: { property?: string } }) =>
          error.code === "MESH_ERR_INVALID_ARGUMENT" &&
          error.details?.property === "init.shardCount" &&
          error.message.startsWith("init.shardCount must be an integer from 1 to 1048576"),
        String(bad),
      );
    }
  });
});
