import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHasher } from "../src/index.js";

describe("createHasher", () => {
  it("is XXH32 with seed 0 over UTF-8 (reference vectors)", async () => {
    const hasher = await createHasher();
    // From the xxHash reference implementation; every process must produce these.
    assert.equal(hasher.hash32(""), 0x02cc5d05);
    assert.equal(hasher.hash32("a"), 0x550d7456);
    assert.equal(hasher.hash32("abc"), 0x32d153ff);
    assert.equal(hasher.hash32("player_1"), 1418686191);
    assert.equal(hasher.hash32("héllo"), 1644681334); // non-ASCII: hashed as UTF-8 bytes
  });

  it("returns unsigned 32-bit integers and shares one module between hashers", async () => {
    const [a, b] = await Promise.all([createHasher(), createHasher()]);
    for (const id of ["x", "room_1", "🦀", "a".repeat(1000)]) {
      const h = a.hash32(id);
      assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32, `${id}: ${h}`);
      assert.equal(b.hash32(id), h);
    }
  });
});
