import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ActorContext } from "../src/index.js";
import { code, deferred, settle, testRuntime, track } from "./helpers.js";

describe("activation", () => {
  it("constructs the class once, with (id, initArg) of the first message only", async () => {
    const constructed: [string, unknown][] = [];
    class Counter {
      n: number;
      constructor(id: string, initArg?: unknown) {
        constructed.push([id, initArg]);
        this.n = (initArg as number | undefined) ?? 0;
      }
      handleCall(payload: unknown) {
        this.n += payload as number;
        return this.n;
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Counter", Counter);
    assert.equal(await runtime.call("Counter", "a", 1, { initArg: 100 }), 101);
    assert.equal(await runtime.call("Counter", "a", 1, { initArg: 999 }), 102);
    assert.equal(await runtime.call("Counter", "b", 5), 5);
    assert.deepEqual(constructed, [
      ["a", 100],
      ["b", undefined],
    ]);
    assert.equal(runtime.activeCount, 2);
    assert.equal(runtime.stats().activations, 2);
  });

  it("runs onActivate with the context before the first message, and messages wait for an async one", async () => {
    const log: string[] = [];
    const ready = deferred();
    let seen: { id: string; module: string; node: string } | undefined;
    class Slow {
      async onActivate(ctx: ActorContext) {
        seen = { id: ctx.id, module: ctx.module, node: ctx.node };
        log.push("activate:start");
        await ready.promise;
        log.push("activate:end");
      }
      handleCall(payload: unknown) {
        log.push(`call:${payload}`);
        return payload;
      }
      handleCast(payload: unknown) {
        log.push(`cast:${payload}`);
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Slow", Slow);
    const first = track(runtime.call("Slow", "s", 1));
    runtime.cast("Slow", "s", 2);
    const third = track(runtime.call("Slow", "s", 3));
    await settle();
    assert.deepEqual(log, ["activate:start"]);
    assert.equal(first.state, "pending");
    ready.resolve(undefined);
    await settle();
    assert.deepEqual(log, ["activate:start", "activate:end", "call:1", "cast:2", "call:3"]);
    assert.equal(first.value, 1);
    assert.equal(third.value, 3);
    assert.deepEqual(seen, { id: "s", module: "Slow", node: "n1" });
  });

  it("a throwing constructor rejects with ACTIVATION_FAILED, leaves nothing active, and the next message tries again", async () => {
    let fail = true;
    class Fragile {
      constructor() {
        if (fail) throw new Error("no database");
      }
      handleCall() {
        return "ok";
      }
    }
    const { runtime } = testRuntime();
    const failures: string[] = [];
    runtime.on("actor:failed", (e) => failures.push(`${e.module}/${e.id}:${e.stage}`));
    runtime.register("Fragile", Fragile);
    await assert.rejects(runtime.call("Fragile", "f", null), (error: unknown) => {
      code("MESH_ERR_ACTIVATION_FAILED")(error);
      assert.ok((error as Error).cause instanceof Error);
      assert.match((error as Error).message, /Fragile\/f.*no database/);
      return true;
    });
    assert.throws(() => runtime.cast("Fragile", "f", null), code("MESH_ERR_ACTIVATION_FAILED"));
    assert.equal(runtime.activeCount, 0);
    assert.deepEqual([...runtime.activations()], []);
    assert.deepEqual(failures, ["Fragile/f:constructor", "Fragile/f:constructor"]);
    fail = false;
    assert.equal(await runtime.call("Fragile", "f", null), "ok");
    assert.equal(runtime.activeCount, 1);
  });

  it("a throwing onActivate fails every message queued behind it and cancels the timers it set", async () => {
    const gate = deferred();
    let handled = 0;
    class Broken {
      async onActivate(ctx: ActorContext) {
        ctx.setInterval(() => handled++, 10);
        await gate.promise;
        throw new Error("bad config");
      }
      handleCall() {
        handled++;
      }
    }
    const { runtime, clock } = testRuntime();
    runtime.register("Broken", Broken);
    const calls = [runtime.call("Broken", "b", 1), runtime.call("Broken", "b", 2)];
    runtime.cast("Broken", "b", 3);
    gate.resolve(undefined);
    for (const call of calls) await assert.rejects(call, code("MESH_ERR_ACTIVATION_FAILED"));
    clock.advance(100);
    await settle();
    assert.equal(handled, 0);
    assert.equal(runtime.activeCount, 0);
    assert.equal(clock.pending, 0, "no timer left behind");
    assert.equal(runtime.stats().failures, 1);
  });

  it("a synchronously throwing onActivate rejects the call that activated", async () => {
    class Broken {
      onActivate() {
        throw new RangeError("nope");
      }
      handleCall() {
        return 1;
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Broken", Broken);
    await assert.rejects(runtime.call("Broken", "b", 1), code("MESH_ERR_ACTIVATION_FAILED"));
    assert.throws(() => runtime.cast("Broken", "b", 1), code("MESH_ERR_ACTIVATION_FAILED"));
    assert.equal(runtime.activeCount, 0);
  });
});

describe("restore (handoff target)", () => {
  class Account {
    balance = 0;
    readonly log: string[] = [];
    static last: Account | undefined;
    constructor() {
      Account.last = this;
    }
    restore(state: unknown) {
      this.log.push("restore");
      this.balance = (state as { balance: number }).balance;
    }
    onActivate() {
      this.log.push("activate");
    }
    handleCall(payload: unknown) {
      this.log.push("call");
      this.balance += payload as number;
      return this.balance;
    }
    snapshot() {
      return { balance: this.balance };
    }
  }

  it("activates with restore(state) then onActivate, before any message", async () => {
    const { runtime } = testRuntime();
    runtime.register("Account", Account);
    const restored = runtime.restore("Account", "acc", { balance: 40 }, "init");
    const reply = runtime.call("Account", "acc", 2);
    await restored;
    assert.equal(await reply, 42);
    assert.deepEqual(Account.last?.log, ["restore", "activate", "call"]);
  });

  it("waits for an async restore, and a failing one rejects with ACTIVATION_FAILED", async () => {
    class Remote {
      value = 0;
      async restore(state: unknown) {
        await Promise.resolve();
        if (state === "corrupt") throw new Error("corrupt state");
        this.value = state as number;
      }
      handleCall() {
        return this.value;
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Remote", Remote);
    await runtime.restore("Remote", "r", 7);
    assert.equal(await runtime.call("Remote", "r", null), 7);
    await assert.rejects(runtime.restore("Remote", "bad", "corrupt"), code("MESH_ERR_ACTIVATION_FAILED"));
    assert.equal(runtime.activeCount, 1);
  });

  it("on an active actor, restore runs as its next turn, ahead of queued messages", async () => {
    const gate = deferred();
    class Box {
      value: unknown = "fresh";
      async handleCall(payload: unknown) {
        if (payload === "hold") await gate.promise;
        return this.value;
      }
      restore(state: unknown) {
        this.value = state;
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Box", Box);
    const held = runtime.call("Box", "x", "hold");
    const queued = runtime.call("Box", "x", "read");
    const restored = runtime.restore("Box", "x", "moved");
    gate.resolve(undefined);
    assert.equal(await held, "fresh");
    await restored;
    assert.equal(await queued, "moved");
  });

  it("refuses a class without restore()", async () => {
    class Plain {
      handleCall() {
        return 1;
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Plain", Plain);
    await assert.rejects(runtime.restore("Plain", "p", {}), code("MESH_ERR_INVALID_ARGUMENT"));
    await assert.rejects(runtime.restore("Nope", "p", {}), code("MESH_ERR_UNKNOWN_MODULE"));
  });
});
