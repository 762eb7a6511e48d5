import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actorKey, chainIncludes } from "../src/actor-key.js";

describe("actor keys", () => {
  it("joins module and id with a slash", () => {
    assert.equal(actorKey("Game", "player_1"), "Game/player_1");
    assert.equal(actorKey("Game", "a/b"), "Game/a/b");
  });

  it("finds exactly the key of (module, id) in a chain", () => {
    const chain = ["Game/p1", "Chat/room/7"];
    const cases: [string, string, boolean][] = [
      ["Game", "p1", true],
      ["Chat", "room/7", true],
      ["Game", "p", false],
      ["Game", "p11", false],
      ["Gam", "e/p1", false],
      ["Chat", "room", false],
      ["Other", "p1", false],
    ];
    for (const [module, id, expected] of cases) {
      assert.equal(chainIncludes(chain, module, id), expected, `${module} ${id}`);
    }
    assert.equal(chainIncludes([], "Game", "p1"), false);
    assert.equal(
      chainIncludes([42, null, "Game/p1"] as unknown as string[], "Game", "p1"),
      true,
      "non-strings are skipped",
    );
  });
});
