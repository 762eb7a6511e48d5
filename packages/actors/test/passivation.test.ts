import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACTORS_SCANNED_PER_SWEEP, type ActorContext, PASSIVATIONS_PER_SWEEP } from "../src/index.js";
import { deferred, settle, testRuntime } from "./helpers.js";

class Session {
  static constructed = 0;
  static deactivated: string[] = [];
  hits = 0;
  constructor() {
    Session.constructed++;
  }
  handleCall() {
    return ++this.hits;
  }
  onDeactivate(reason: string, ctx?: ActorContext) {
    Session.deactivated.push(`${ctx?.id}:${reason}`);
  }
  static reset(): void {
    Session.constructed = 0;
    Session.deactivated = [];
  }
}

describe("idle passivation", () => {
  it("deactivates an actor idle for idleTimeoutMs with reason idle, and the next message re-activates it", async () => {
    Session.reset();
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 1000, sweepIntervalMs: 100 });
    const events: string[] = [];
    runtime.on("actor:deactivated", (e) => events.push(`${e.module}/${e.id}:${e.reason}`));
    runtime.register("Session", Session);
    assert.equal(await runtime.call("Session", "s", null), 1);
    assert.equal(await runtime.call("Session", "s", null), 2);
    clock.advance(1000);
    assert.equal(runtime.activeCount, 1, "not before the timeout");
    clock.advance(250);
    assert.equal(runtime.activeCount, 0, "within the timeout plus two sweep intervals");
    assert.deepEqual(Session.deactivated, ["s:idle"]);
    assert.deepEqual(events, ["Session/s:idle"]);
    assert.equal(clock.pending, 0, "the sweep stops when nothing is left to passivate");
    assert.equal(await runtime.call("Session", "s", null), 1, "a fresh activation");
    assert.equal(Session.constructed, 2);
  });

  it("a message resets the idle clock; only the idle actor goes", async () => {
    Session.reset();
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 1000, sweepIntervalMs: 100 });
    runtime.register("Session", Session);
    await runtime.call("Session", "busy", null);
    await runtime.call("Session", "quiet", null);
    for (let t = 0; t < 20; t++) {
      clock.advance(100);
      await runtime.call("Session", "busy", null);
    }
    assert.deepEqual(
      [...runtime.activations()].map((a) => a.id),
      ["busy"],
    );
    assert.deepEqual(Session.deactivated, ["quiet:idle"]);
  });

  it("never passivates an actor in the middle of a turn", async () => {
    const gate = deferred();
    class Long {
      async handleCall() {
        await gate.promise;
        return "done";
      }
    }
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 100, sweepIntervalMs: 50 });
    runtime.register("Long", Long);
    const reply = runtime.call("Long", "l", null);
    clock.advance(1000);
    assert.equal(runtime.activeCount, 1);
    gate.resolve(undefined);
    assert.equal(await reply, "done");
    clock.advance(1000);
    assert.equal(runtime.activeCount, 0);
  });

  it("is configured per type; 0 or Infinity disables it (and no sweep timer runs)", async () => {
    Session.reset();
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 0, sweepIntervalMs: 100 });
    runtime.register("Forever", Session);
    runtime.register("Short", Session, { idleTimeoutMs: 500 });
    await runtime.call("Forever", "f", null);
    assert.equal(clock.pending, 0, "no sweep for types that never passivate");
    await runtime.call("Short", "s", null);
    clock.advance(10_000);
    assert.deepEqual([...runtime.activations()], [{ module: "Forever", id: "f" }]);
  });

  it("passivates at most PASSIVATIONS_PER_SWEEP actors a tick, and in the end releases them all", () => {
    class Tiny {
      handleCast() {}
    }
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 1000, sweepIntervalMs: 1000 });
    runtime.register("Tiny", Tiny);
    const total = 2 * PASSIVATIONS_PER_SWEEP + 1000;
    for (let i = 0; i < total; i++) runtime.cast("Tiny", `t${i}`, null);
    assert.equal(runtime.activeCount, total);
    clock.advance(2000); // tick 2 is the first where the actors are expired
    assert.equal(runtime.activeCount, total - PASSIVATIONS_PER_SWEEP);
    clock.advance(1000);
    assert.equal(runtime.activeCount, 1000);
    clock.advance(1000);
    assert.equal(runtime.activeCount, 0);
    assert.equal(runtime.stats().deactivations, total);
    assert.equal(clock.pending, 0);
  });

  it("a scan cut short by ACTORS_SCANNED_PER_SWEEP resumes next tick where it stopped", async () => {
    const gate = deferred();
    class Worker {
      async handleCall(payload: unknown) {
        if (payload === "hold") await gate.promise;
        return payload;
      }
    }
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 1000, sweepIntervalMs: 1000 });
    runtime.register("Worker", Worker);
    // Busy actors first in the map: examined, never passivated mid-turn.
    const held: Promise<unknown>[] = [];
    for (let i = 0; i < ACTORS_SCANNED_PER_SWEEP + 10; i++) held.push(runtime.call("Worker", `busy${i}`, "hold"));
    await runtime.call("Worker", "idle", "ping");
    clock.advance(1000); // tick 1: the scan starts and stops after the budget, before "idle"
    assert.ok([...runtime.activations()].some((a) => a.id === "idle"));
    // Tick 2: "idle" has expired. A scan restarting from the top would spend the
    // budget on the busy actors again and never reach it; a resumed one does.
    clock.advance(1000);
    assert.ok(![...runtime.activations()].some((a) => a.id === "idle"));
    assert.equal(runtime.activeCount, ACTORS_SCANNED_PER_SWEEP + 10);
    gate.resolve(undefined);
    await Promise.all(held);
  });

  it("a message arriving during an async onDeactivate(idle) goes to a fresh activation, not lost", async () => {
    const gate = deferred();
    const log: string[] = [];
    let n = 0;
    class Saver {
      readonly generation = ++n;
      handleCall(payload: unknown) {
        log.push(`gen${this.generation}:${payload}`);
        return this.generation;
      }
      async onDeactivate(reason: string) {
        log.push(`gen${this.generation}:deactivate:${reason}`);
        await gate.promise;
      }
    }
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 100, sweepIntervalMs: 100 });
    runtime.register("Saver", Saver);
    await runtime.call("Saver", "x", "first");
    clock.advance(300);
    const reply = runtime.call("Saver", "x", "second");
    gate.resolve(undefined);
    assert.equal(await reply, 2);
    await settle();
    assert.deepEqual(log, ["gen1:first", "gen1:deactivate:idle", "gen2:second"]);
  });
});

describe("ctx.deactivate()", () => {
  it("deactivates after the current turn with reason requested; later messages reach a fresh activation", async () => {
    const log: string[] = [];
    let n = 0;
    class Once {
      readonly generation = ++n;
      async handleCall(payload: unknown, ctx: ActorContext) {
        await Promise.resolve();
        if (payload === "quit") ctx.deactivate();
        log.push(`gen${this.generation}:${payload}`);
        return this.generation;
      }
      onDeactivate(reason: string) {
        log.push(`gen${this.generation}:deactivate:${reason}`);
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Once", Once);
    const replies = [runtime.call("Once", "o", "quit"), runtime.call("Once", "o", "next")];
    assert.deepEqual(await Promise.all(replies), [1, 2]);
    assert.deepEqual(log, ["gen1:quit", "gen1:deactivate:requested", "gen2:next"]);
  });
  it("asked for during onActivate, it waits until the queued messages are done (no activate/deactivate loop)", async () => {
    const gate = deferred();
    const log: string[] = [];
    class Reloader {
      async onActivate(ctx: ActorContext) {
        await gate.promise;
        ctx.deactivate();
      }
      handleCall(payload: unknown) {
        log.push(String(payload));
        return payload;
      }
      onDeactivate(reason: string) {
        log.push(`deactivate:${reason}`);
      }
    }
    const { runtime } = testRuntime();
    runtime.register("Reloader", Reloader);
    const replies = [runtime.call("Reloader", "r", "a"), runtime.call("Reloader", "r", "b")];
    gate.resolve(undefined);
    assert.deepEqual(await Promise.all(replies), ["a", "b"]);
    await settle();
    assert.deepEqual(log, ["a", "b", "deactivate:requested"]);
    assert.equal(runtime.activeCount, 0);
  });

  it("20,000 queued messages that each ask to be deactivated run in 20,000 activations, without deep recursion", async () => {
    const gate = deferred();
    let generations = 0;
    class OneShot {
      constructor() {
        generations++;
      }
      handleCall(payload: unknown, ctx: ActorContext) {
        ctx.deactivate();
        // Synchronous turns, so nothing but the runtime itself could break a recursion.
        return payload === 0 ? gate.promise.then(() => payload) : payload;
      }
    }
    const { runtime } = testRuntime({ mailboxCapacity: 20_000 });
    runtime.register("OneShot", OneShot);
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i <= 20_000; i++) replies.push(runtime.call("OneShot", "o", i));
    gate.resolve(undefined);
    const values = await Promise.all(replies);
    assert.deepEqual(
      values,
      Array.from({ length: 20_001 }, (_, i) => i),
    );
    assert.equal(generations, 20_001);
    await settle();
    assert.equal(runtime.activeCount, 0);
  });
});
