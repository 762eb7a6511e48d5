import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { code, deferred, settle, testRuntime, track } from "./helpers.js";

describe("deactivate()", () => {
  it("waits for the running turn, snapshots before onDeactivate, rejects queued messages with DEACTIVATED", async () => {
    const log: string[] = [];
    const gate = deferred();
    class Cart {
      items: string[] = [];
      async handleCall(payload: unknown) {
        if (payload === "slow") await gate.promise;
        this.items.push(String(payload));
        log.push(`call:${payload}`);
        return this.items.length;
      }
      snapshot() {
        log.push("snapshot");
        return { items: [...this.items] };
      }
      onDeactivate(reason: string) {
        log.push(`deactivate:${reason}`);
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Cart", Cart);
    await runtime.call("Cart", "c", "apple");
    const running = runtime.call("Cart", "c", "slow");
    const queued = runtime.call("Cart", "c", "never");
    const snapshot = track(runtime.deactivate("Cart", "c", "rebalance"));
    await assert.rejects(
      runtime.call("Cart", "c", "late"),
      code("MESH_ERR_DEACTIVATED"),
      "refused once a deactivation is pending",
    );
    await settle();
    assert.equal(snapshot.state, "pending");
    gate.resolve(undefined);
    assert.equal(await running, 2);
    await assert.rejects(queued, (error: unknown) => {
      code("MESH_ERR_DEACTIVATED")(error);
      assert.match((error as Error).message, /rebalance/);
      return true;
    });
    await settle();
    assert.deepEqual(snapshot.value, { items: ["apple", "slow"] });
    assert.deepEqual(log, ["call:apple", "call:slow", "snapshot", "deactivate:rebalance"]);
    assert.equal(runtime.activeCount, 0);
  });

  it("resolves undefined for an actor that is not active or has no snapshot()", async () => {
    class Plain {
      handleCall() {
        return 1;
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Plain", Plain);
    assert.equal(await runtime.deactivate("Plain", "nobody", "rebalance"), undefined);
    await runtime.call("Plain", "p", null);
    assert.equal(await runtime.deactivate("Plain", "p", "rebalance"), undefined);
    assert.equal(runtime.activeCount, 0);
  });

  it("refuses messages during an async onDeactivate, and twice-asked resolves both", async () => {
    const gate = deferred();
    class Closing {
      handleCall() {
        return 1;
      }
      snapshot() {
        return "state";
      }
      async onDeactivate() {
        await gate.promise;
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Closing", Closing);
    await runtime.call("Closing", "c", null);
    const first = runtime.deactivate("Closing", "c", "rebalance");
    const second = runtime.deactivate("Closing", "c", "again");
    await assert.rejects(runtime.call("Closing", "c", null), code("MESH_ERR_DEACTIVATED"));
    assert.throws(() => runtime.cast("Closing", "c", null), code("MESH_ERR_DEACTIVATED"));
    gate.resolve(undefined);
    assert.deepEqual(await Promise.all([first, second]), ["state", "state"]);
    assert.equal(await runtime.call("Closing", "c", null), 1, "a later message activates afresh");
  });

  it("a throwing snapshot rejects deactivate with ACTOR_THREW, yet the actor is gone; a throwing onDeactivate is reported only", async () => {
    class Broken {
      handleCall() {
        return 1;
      }
      snapshot() {
        throw new Error("cannot serialise");
      }
      onDeactivate() {
        throw new Error("cleanup failed");
      }
    }
    const { runtime } = testRuntime();
    const stages: string[] = [];
    runtime.on("actor:failed", (e) => stages.push(e.stage));
    runtime.register("Broken", Broken);
    await runtime.call("Broken", "b", null);
    await assert.rejects(runtime.deactivate("Broken", "b", "rebalance"), code("MESH_ERR_ACTOR_THREW"));
    assert.equal(runtime.activeCount, 0);
    assert.deepEqual(stages, ["snapshot", "onDeactivate"]);
  });

  it("an explicit deactivate overrides a pending requested one and takes its snapshot", async () => {
    const gate = deferred();
    const reasons: string[] = [];
    class Quitter {
      async handleCall(_payload: unknown, ctx: { deactivate(): void }) {
        ctx.deactivate();
        await gate.promise;
        return "bye";
      }
      snapshot() {
        return "snap";
      }
      onDeactivate(reason: string) {
        reasons.push(reason);
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Quitter", Quitter);
    const call = runtime.call("Quitter", "q", null);
    const queued = runtime.call("Quitter", "q", null);
    const snapshot = runtime.deactivate("Quitter", "q", "rebalance");
    gate.resolve(undefined);
    assert.equal(await call, "bye");
    assert.equal(await snapshot, "snap");
    await assert.rejects(queued, code("MESH_ERR_DEACTIVATED"));
    assert.deepEqual(reasons, ["rebalance"]);
  });
});
