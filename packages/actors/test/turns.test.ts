import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ActorContext } from "../src/index.js";
import { code, type Deferred, deferred, settle, testRuntime, track } from "./helpers.js";

/** An actor whose calls wait on gates the test opens, recording overlap. */
class Gated {
  static gates = new Map<string, Deferred>();
  static log: string[] = [];
  static running = 0;
  static maxRunning = 0;
  readonly id: string;
  constructor(id: string) {
    this.id = id;
  }
  async handleCall(payload: unknown) {
    Gated.running++;
    Gated.maxRunning = Math.max(Gated.maxRunning, Gated.running);
    Gated.log.push(`${this.id}:start:${payload}`);
    const gate = Gated.gates.get(`${this.id}:${payload}`);
    if (gate !== undefined) await gate.promise;
    Gated.log.push(`${this.id}:end:${payload}`);
    Gated.running--;
    return payload;
  }
  static reset(): void {
    Gated.gates.clear();
    Gated.log = [];
    Gated.running = 0;
    Gated.maxRunning = 0;
  }
  static gate(key: string): Deferred {
    const d = deferred();
    Gated.gates.set(key, d);
    return d;
  }
}

describe("turns", () => {
  it("runs one message at a time per actor, in arrival order", async () => {
    Gated.reset();
    const { runtime } = testRuntime();
    runtime.register("Gated", Gated);
    const gates = [Gated.gate("a:1"), Gated.gate("a:2"), Gated.gate("a:3")];
    const replies = [1, 2, 3].map((n) => runtime.call("Gated", "a", n));
    await settle();
    assert.deepEqual(Gated.log, ["a:start:1"]);
    // Open the gates in reverse: the order of turns must not change.
    gates[2]?.resolve(undefined);
    gates[1]?.resolve(undefined);
    await settle();
    assert.deepEqual(Gated.log, ["a:start:1"]);
    gates[0]?.resolve(undefined);
    assert.deepEqual(await Promise.all(replies), [1, 2, 3]);
    assert.deepEqual(Gated.log, ["a:start:1", "a:end:1", "a:start:2", "a:end:2", "a:start:3", "a:end:3"]);
    assert.equal(Gated.maxRunning, 1);
  });

  it("runs different actors concurrently: a blocked actor does not hold up another", async () => {
    Gated.reset();
    const { runtime } = testRuntime();
    runtime.register("Gated", Gated);
    const gate = Gated.gate("a:1");
    const blocked = track(runtime.call("Gated", "a", 1));
    assert.equal(await runtime.call("Gated", "b", 1), 1);
    assert.equal(blocked.state, "pending");
    gate.resolve(undefined);
    assert.equal(await runtime.call("Gated", "a", 2), 2);
    assert.equal(blocked.state, "fulfilled");
  });

  it("keeps casts and calls in one arrival order", async () => {
    const seen: unknown[] = [];
    class Recorder {
      handleCall(payload: unknown) {
        seen.push(payload);
        return seen.length;
      }
      async handleCast(payload: unknown) {
        await Promise.resolve();
        seen.push(payload);
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Recorder", Recorder);
    runtime.cast("Recorder", "r", "c1");
    const call = runtime.call("Recorder", "r", "k2");
    runtime.cast("Recorder", "r", "c3");
    assert.equal(await call, 2);
    await settle();
    assert.deepEqual(seen, ["c1", "k2", "c3"]);
  });
});

describe("a throwing handler", () => {
  class Wallet {
    balance = 0;
    async handleCall(payload: unknown) {
      const { add, fail, async } = payload as { add: number; fail?: boolean; async?: boolean };
      this.balance += add;
      if (async === true) await Promise.resolve();
      if (fail === true) throw new Error(`refused at ${this.balance}`);
      return this.balance;
    }
    handleCast() {
      throw new TypeError("casts not allowed");
    }
  }

  it("rejects that call with ACTOR_THREW carrying the cause; the actor stays, state as left", async () => {
    const { runtime } = testRuntime();
    const failed: unknown[] = [];
    runtime.on("actor:failed", (e) => failed.push(e.stage));
    runtime.register("Wallet", Wallet);
    assert.equal(await runtime.call("Wallet", "w", { add: 10 }), 10);
    await assert.rejects(runtime.call("Wallet", "w", { add: 5, fail: true }), (error: unknown) => {
      code("MESH_ERR_ACTOR_THREW")(error);
      assert.equal(((error as Error).cause as Error).message, "refused at 15");
      return true;
    });
    await assert.rejects(
      runtime.call("Wallet", "w", { add: 1, fail: true, async: true }),
      code("MESH_ERR_ACTOR_THREW"),
    );
    assert.equal(await runtime.call("Wallet", "w", { add: 0 }), 16, "the state the handler left stays");
    assert.equal(runtime.activeCount, 1);
    assert.deepEqual(failed, ["handleCall", "handleCall"]);
    assert.equal(runtime.stats().failures, 2);
  });

  it("never disturbs another actor, even one queued behind the failure", async () => {
    const { runtime } = testRuntime();
    runtime.register("Wallet", Wallet);
    const failing = runtime.call("Wallet", "w1", { add: 1, fail: true, async: true });
    const behind = runtime.call("Wallet", "w1", { add: 1 });
    const other = runtime.call("Wallet", "w2", { add: 7 });
    await assert.rejects(failing, code("MESH_ERR_ACTOR_THREW"));
    assert.equal(await behind, 2);
    assert.equal(await other, 7);
  });

  it("in a cast is logged, counted and reported, and the sender is not told", async () => {
    const { runtime, logger } = testRuntime();
    const failed: string[] = [];
    runtime.on("actor:failed", (e) => failed.push(`${e.id}:${e.stage}:${(e.error as Error).message}`));
    runtime.register("Wallet", Wallet);
    runtime.cast("Wallet", "w", null);
    assert.deepEqual(failed, ["w:handleCast:casts not allowed"]);
    assert.equal(runtime.stats().failures, 1);
    assert.ok(logger.lines.some((l) => l.level === "warn" && l.fields?.stage === "handleCast"));
    assert.equal(await runtime.call("Wallet", "w", { add: 3 }), 3);
  });

  it("a missing handler is the actor's failure, not a hang", async () => {
    class CallOnly {
      handleCall() {
        return 1;
      }
    }
    class CastOnly {
      handleCast() {}
    }
    const { runtime } = testRuntime();
    runtime.register("CallOnly", CallOnly);
    runtime.register("CastOnly", CastOnly);
    await assert.rejects(runtime.call("CastOnly", "x", null), code("MESH_ERR_ACTOR_THREW"));
    runtime.cast("CallOnly", "x", null);
    assert.equal(runtime.stats().failures, 2);
  });
});

describe("reentrancy", () => {
  class Echo {
    async handleCall(payload: unknown, ctx: ActorContext) {
      const { target } = (payload ?? {}) as { target?: [string, string]; reply?: unknown };
      if (target === undefined) return `${ctx.module}/${ctx.id}`;
      try {
        const result = await ctx.call({ module: target[0], id: target[1], payload: null, capability: "c" });
        return result.response;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    }
  }
  class Forward {
    async handleCall(payload: unknown, ctx: ActorContext) {
      const next = payload as { module: string; id: string; payload: unknown };
      return (await ctx.call({ ...next, capability: "c" })).response;
    }
  }

  it("refuses a direct call to itself at once with REENTRANT_CALL", async () => {
    const { runtime } = testRuntime();
    runtime.register("Echo", Echo);
    assert.equal(await runtime.call("Echo", "a", { target: ["Echo", "a"] }), "MESH_ERR_REENTRANT_CALL");
    assert.equal(await runtime.call("Echo", "a", { target: ["Echo", "b"] }), "Echo/b", "other actors are fine");
  });

  it("refuses A -> B -> A, carrying the chain as plain strings", async () => {
    const { runtime, router } = testRuntime();
    runtime.register("Echo", Echo);
    runtime.register("Forward", Forward);
    const reply = await runtime.call("Forward", "A", {
      module: "Echo",
      id: "B",
      payload: { target: ["Forward", "A"] },
    });
    assert.equal(reply, "MESH_ERR_REENTRANT_CALL");
    assert.deepEqual(router.chains, [["Forward/A"], ["Forward/A", "Echo/B"]]);
    await assert.rejects(
      runtime.call("Echo", "B", null, { chain: ["Echo/B"] }),
      code("MESH_ERR_REENTRANT_CALL"),
      "a chain from another node is honoured too",
    );
  });

  it("lets an actor cast to itself: the cast runs after the current turn", async () => {
    const seen: string[] = [];
    class SelfCast {
      async handleCall(_payload: unknown, ctx: ActorContext) {
        await ctx.cast({ module: "SelfCast", id: ctx.id, payload: "later", capability: "c" });
        seen.push("call");
        return "done";
      }
      handleCast(payload: unknown) {
        seen.push(String(payload));
      }
    }
    const { runtime } = testRuntime();
    runtime.register("SelfCast", SelfCast);
    assert.equal(await runtime.call("SelfCast", "s", null), "done");
    await settle();
    assert.deepEqual(seen, ["call", "later"]);
  });
});

describe("bounded mailbox", () => {
  it("rejects beyond the per-type capacity at once with OVERLOADED, and drains the rest", async () => {
    Gated.reset();
    const { runtime } = testRuntime({ mailboxCapacity: 100 });
    runtime.register("Gated", Gated, { mailboxCapacity: 2 });
    const gate = Gated.gate("a:0");
    const running = runtime.call("Gated", "a", 0);
    const queued = [runtime.call("Gated", "a", 1), runtime.call("Gated", "a", 2)];
    await assert.rejects(runtime.call("Gated", "a", 3), code("MESH_ERR_OVERLOADED"));
    assert.throws(() => runtime.cast("Gated", "a", 4), code("MESH_ERR_OVERLOADED"));
    assert.equal(runtime.stats().overloaded, 2);
    assert.equal(await runtime.call("Gated", "b", 9), 9, "another actor has its own mailbox");
    gate.resolve(undefined);
    assert.deepEqual(await Promise.all([running, ...queued]), [0, 1, 2]);
    assert.equal(await runtime.call("Gated", "a", 5), 5, "room again once drained");
  });

  it("uses the runtime's capacity when the type sets none; 0 means nothing may wait", async () => {
    Gated.reset();
    const { runtime } = testRuntime({ mailboxCapacity: 0 });
    runtime.register("Gated", Gated);
    const gate = Gated.gate("a:0");
    const running = runtime.call("Gated", "a", 0);
    await assert.rejects(runtime.call("Gated", "a", 1), code("MESH_ERR_OVERLOADED"));
    gate.resolve(undefined);
    assert.equal(await running, 0);
  });
});

describe("abort", () => {
  it("rejects a queued call at once when its signal fires, and skips its turn", async () => {
    Gated.reset();
    const { runtime } = testRuntime();
    runtime.register("Gated", Gated);
    const gate = Gated.gate("a:0");
    const running = runtime.call("Gated", "a", 0);
    const controller = new AbortController();
    const aborted = runtime.call("Gated", "a", 1, { signal: controller.signal });
    const after = runtime.call("Gated", "a", 2);
    controller.abort(new Error("user left"));
    await assert.rejects(aborted, (error: unknown) => {
      code("MESH_ERR_ABORTED")(error);
      assert.equal(((error as Error).cause as Error).message, "user left");
      return true;
    });
    gate.resolve(undefined);
    assert.deepEqual(await Promise.all([running, after]), [0, 2]);
    assert.ok(!Gated.log.some((line) => line.endsWith(":1")), "the aborted message never ran");
  });

  it("rejects at once if the signal has already fired, without activating", async () => {
    Gated.reset();
    const { runtime } = testRuntime();
    runtime.register("Gated", Gated);
    await assert.rejects(runtime.call("Gated", "a", 1, { signal: AbortSignal.abort() }), code("MESH_ERR_ABORTED"));
    assert.throws(() => runtime.cast("Gated", "a", 1, { signal: AbortSignal.abort() }), code("MESH_ERR_ABORTED"));
    assert.equal(runtime.activeCount, 0);
  });

  it("rejects a running call when its signal fires; the turn still finishes before the next", async () => {
    Gated.reset();
    const { runtime } = testRuntime();
    runtime.register("Gated", Gated);
    const gate = Gated.gate("a:0");
    const controller = new AbortController();
    const running = runtime.call("Gated", "a", 0, { signal: controller.signal });
    const next = track(runtime.call("Gated", "a", 1));
    controller.abort();
    await assert.rejects(running, code("MESH_ERR_ABORTED"));
    await settle();
    assert.equal(next.state, "pending", "still behind the running turn");
    gate.resolve(undefined);
    await settle();
    assert.equal(next.value, 1);
    assert.deepEqual(Gated.log, ["a:start:0", "a:end:0", "a:start:1", "a:end:1"]);
  });

  it("drops a queued cast whose signal fired", async () => {
    const seen: unknown[] = [];
    const gate = deferred();
    class Sink {
      async handleCall() {
        await gate.promise;
      }
      handleCast(payload: unknown) {
        seen.push(payload);
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Sink", Sink);
    const running = runtime.call("Sink", "s", null);
    const controller = new AbortController();
    runtime.cast("Sink", "s", "dropped", { signal: controller.signal });
    runtime.cast("Sink", "s", "kept");
    controller.abort();
    gate.resolve(undefined);
    await running;
    await settle();
    assert.deepEqual(seen, ["kept"]);
  });
});
