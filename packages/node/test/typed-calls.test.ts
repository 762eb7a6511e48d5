/**
 * Typed calls: this file must compile (`pnpm build` type-checks it), and each
 * `@ts-expect-error` line must be an error, or the build fails. It also runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CallReplyOf, createNode } from "../src/index.js";

interface Move {
  readonly dx: number;
  readonly dy: number;
}
class GameActor {
  x = 0;
  y = 0;
  handleCall(move: Move): { x: number; y: number } {
    this.x += move.dx;
    this.y += move.dy;
    return { x: this.x, y: this.y };
  }
}
class AsyncActor {
  async handleCall(payload: string): Promise<number> {
    return payload.length;
  }
  handleCast(_note: string): void {}
}

describe("typed calls", () => {
  it("infers the reply type from handleCall and checks the payload type", async () => {
    const node = await createNode({ capabilities: ["game"], actors: { GameActor, AsyncActor } });
    const player = node.ref(GameActor, "player_1", "game");
    const position = await player.call({ dx: 1, dy: 2 });
    const x: number = position.x;
    assert.equal(x, 1);
    const length: number = await node.ref(AsyncActor, "a", "game").call("four");
    assert.equal(length, 4);
    const { response } = await node.call<{ x: number }>({
      module: GameActor,
      id: "player_1",
      capability: "game",
      payload: { dx: 0, dy: 0 },
    });
    assert.equal(response.x, 1);
    const withPid = await player.callWithPid({ dx: 0, dy: 1 });
    assert.equal(withPid.pid.id, "player_1");
    assert.equal(withPid.response.y, 3);
    await node.ref(AsyncActor, "a", "game").cast("note");
    const reply: CallReplyOf<typeof AsyncActor> = 1;
    assert.equal(reply, 1);

    if (Date.now() < 0) {
      // Compile-time checks only (never run).
      // @ts-expect-error the payload must be a Move
      await player.call("north");
      // @ts-expect-error the reply has no z
      (await player.call({ dx: 1, dy: 1 })).z;
      // @ts-expect-error the reply of AsyncActor is a number, not a string
      const s: string = await node.ref(AsyncActor, "a", "game").call("x");
      // @ts-expect-error GameActor has no handleCast: nothing may be cast to it
      await player.cast({ dx: 1, dy: 1 });
      assert.ok(s);
    }
    await node.stop();
  });
});
