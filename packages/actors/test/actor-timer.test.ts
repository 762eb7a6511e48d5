import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ActorContext } from "../src/index.js";
import { code, deferred, settle, testRuntime } from "./helpers.js";

describe("actor timers", () => {
  it("run as turns of the actor: a tick waits for the running turn and for messages queued before it", async () => {
    const log: string[] = [];
    const gate = deferred();
    class Ticker {
      async handleCall(payload: unknown, ctx: ActorContext) {
        if (payload === "arm") {
          ctx.setTimeout(() => log.push("tick"), 100);
          return "armed";
        }
        log.push(`start:${payload}`);
        await gate.promise;
        log.push(`end:${payload}`);
        return payload;
      }
    }
    const { runtime, clock } = testRuntime();
    runtime.register("Ticker", Ticker);
    await runtime.call("Ticker", "t", "arm");
    const slow = runtime.call("Ticker", "t", "slow");
    const queued = runtime.call("Ticker", "t", "queued");
    clock.advance(100);
    await settle();
    assert.deepEqual(log, ["start:slow"]);
    gate.resolve(undefined);
    await Promise.all([slow, queued]);
    await settle();
    assert.deepEqual(log, ["start:slow", "end:slow", "start:queued", "end:queued", "tick"]);
  });

  it("setInterval repeats until cleared; clearTimer of an unknown id is ignored", async () => {
    let ticks = 0;
    let timer = 0;
    class Heart {
      handleCall(payload: unknown, ctx: ActorContext) {
        if (payload === "start") timer = ctx.setInterval(() => ticks++, 10);
        if (payload === "stop") ctx.clearTimer(timer);
        ctx.clearTimer(12345);
        return ticks;
      }
    }
    const { runtime, clock } = testRuntime();
    runtime.register("Heart", Heart);
    await runtime.call("Heart", "h", "start");
    clock.advance(35);
    assert.equal(ticks, 3);
    await runtime.call("Heart", "h", "stop");
    clock.advance(100);
    assert.equal(ticks, 3);
  });

  it("are cancelled when the actor is deactivated", async () => {
    let ticks = 0;
    class Heart {
      handleCall(_payload: unknown, ctx: ActorContext) {
        ctx.setInterval(() => ticks++, 10);
        ctx.setTimeout(() => ticks++, 1000);
      }
    }
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 0 });
    runtime.register("Heart", Heart);
    await runtime.call("Heart", "h", null);
    clock.advance(20);
    assert.equal(ticks, 2);
    await runtime.deactivate("Heart", "h", "rebalance");
    assert.equal(clock.pending, 0);
    clock.advance(5000);
    assert.equal(ticks, 2);
  });

  it("a throwing tick is counted and reported; the interval keeps going", async () => {
    let ticks = 0;
    class Flaky {
      handleCall(_payload: unknown, ctx: ActorContext) {
        ctx.setInterval(() => {
          ticks++;
          throw new Error("tick failed");
        }, 10);
      }
    }
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 0 });
    const stages: string[] = [];
    runtime.on("actor:failed", (e) => stages.push(e.stage));
    runtime.register("Flaky", Flaky);
    await runtime.call("Flaky", "f", null);
    clock.advance(30);
    assert.equal(ticks, 3);
    assert.deepEqual(stages, ["timer", "timer", "timer"]);
  });

  it("an async tick holds the actor's turn until it settles, and the next tick is armed after it", async () => {
    const gate = deferred();
    const log: string[] = [];
    class Poller {
      handleCall(payload: unknown, ctx: ActorContext) {
        if (payload === "start") {
          ctx.setInterval(async () => {
            log.push("poll:start");
            await gate.promise;
            log.push("poll:end");
          }, 10);
        }
        log.push(`call:${payload}`);
      }
    }
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 0 });
    runtime.register("Poller", Poller);
    await runtime.call("Poller", "p", "start");
    clock.advance(10);
    const during = runtime.call("Poller", "p", "during");
    clock.advance(100);
    assert.deepEqual(log, ["call:start", "poll:start"], "no second tick while the first runs");
    gate.resolve(undefined);
    await during;
    assert.deepEqual(log, ["call:start", "poll:start", "poll:end", "call:during"]);
  });

  it("validate their arguments", async () => {
    class Bad {
      handleCall(payload: unknown, ctx: ActorContext) {
        if (payload === "negative") ctx.setTimeout(() => {}, -1);
        if (payload === "zero-interval") ctx.setInterval(() => {}, 0);
        if (payload === "no-callback") ctx.setTimeout(undefined as unknown as () => void, 1);
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Bad", Bad);
    for (const payload of ["negative", "zero-interval", "no-callback"]) {
      await assert.rejects(runtime.call("Bad", "b", payload), (error: unknown) => {
        code("MESH_ERR_ACTOR_THREW")(error);
        return code("MESH_ERR_INVALID_ARGUMENT")((error as Error).cause);
      });
    }
  });
});
