import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RidTable } from "../src/call-transport/rid-table.js";

const entry = (rid: number) => ({ rid });

describe("RidTable", () => {
  const cases: { name: string; rids: number[] }[] = [
    { name: "consecutive ids", rids: Array.from({ length: 100 }, (_, i) => i) },
    { name: "ids that share a slot (64 apart)", rids: [0, 64, 128, 1, 65, 4096] },
    { name: "ids near the uint32 top", rids: [0xffff_fffe, 0xffff_ffff, 0, 1] },
    { name: "scattered ids", rids: [7, 1_000_003, 42, 99_999, 3, 65_536] },
  ];
  for (const c of cases) {
    it(`finds, lists and deletes ${c.name}`, () => {
      const table = new RidTable<{ rid: number }>();
      for (const rid of c.rids) table.add(entry(rid));
      assert.equal(table.size, c.rids.length);
      for (const rid of c.rids) assert.equal(table.get(rid)?.rid, rid);
      assert.equal(table.get(123_456_789), undefined);
      assert.deepEqual(
        table
          .values()
          .map((e) => e.rid)
          .sort((a, b) => a - b),
        [...c.rids].sort((a, b) => a - b),
      );
      for (const rid of c.rids) assert.ok(table.delete(rid), `delete ${rid}`);
      assert.equal(table.size, 0);
      for (const rid of c.rids) assert.ok(!table.has(rid));
      assert.ok(!table.delete(c.rids[0] as number), "a second delete finds nothing");
    });
  }

  it("grows past 10,000 entries and shrinks back after the burst, keeping every entry", () => {
    const table = new RidTable<{ rid: number }>();
    for (let rid = 0; rid < 10_000; rid++) table.add(entry(rid * 3));
    for (let rid = 0; rid < 10_000; rid++) assert.equal(table.get(rid * 3)?.rid, rid * 3);
    for (let rid = 0; rid < 9_990; rid++) table.delete(rid * 3);
    assert.equal(table.size, 10);
    for (let rid = 9_990; rid < 10_000; rid++) assert.equal(table.get(rid * 3)?.rid, rid * 3);
  });
});
