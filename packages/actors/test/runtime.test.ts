import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "@mesh/testing";
import { type ActorContext, ActorRuntime } from "../src/index.js";
import { code, deferred, RecordingLogger, testRuntime } from "./helpers.js";

class Counter {
  n = 0;
  handleCall() {
    return ++this.n;
  }
  handleCast() {
    this.n++;
  }
}

describe("register and resolveModule", () => {
  it("validates the name, the class and the options", () => {
    const { runtime } = testRuntime();
    const bad: [unknown, unknown, unknown][] = [
      ["", Counter, undefined],
      ["a/b", Counter, undefined],
      [42, Counter, undefined],
      ["Counter", "not a class", undefined],
      ["Counter", Counter, { mailboxCapacity: -1 }],
      ["Counter", Counter, { idleTimeoutMs: Number.NaN }],
      ["Counter", Counter, "fast"],
    ];
    for (const [name, actorClass, options] of bad) {
      assert.throws(
        () => runtime.register(name as string, actorClass as typeof Counter, options as undefined),
        code("MESH_ERR_INVALID_ARGUMENT"),
        `register(${String(name)}, ${typeof actorClass}, ${JSON.stringify(options)})`,
      );
    }
    runtime.register("Counter", Counter);
    assert.throws(() => runtime.register("Counter", Counter), code("MESH_ERR_INVALID_ARGUMENT"), "duplicate name");
  });

  it("resolves a name or a class to the registered name", () => {
    class Unregistered {}
    const { runtime } = testRuntime();
    runtime.register("Counter", Counter);
    runtime.register("AlsoCounter", Counter);
    assert.equal(runtime.resolveModule("Counter"), "Counter");
    assert.equal(runtime.resolveModule(Counter), "Counter", "a class registered twice resolves to the first name");
    assert.equal(runtime.resolveModule("Nope"), undefined);
    assert.equal(runtime.resolveModule(Unregistered), undefined);
  });
});

describe("refusals", () => {
  it("an unknown module rejects with UNKNOWN_MODULE naming it; a bad id with INVALID_ARGUMENT", async () => {
    const { runtime } = testRuntime();
    runtime.register("Counter", Counter);
    await assert.rejects(runtime.call("Ghost", "g", null), (error: unknown) => {
      code("MESH_ERR_UNKNOWN_MODULE")(error);
      assert.match((error as Error).message, /Ghost/);
      return true;
    });
    assert.throws(() => runtime.cast("Ghost", "g", null), code("MESH_ERR_UNKNOWN_MODULE"));
    await assert.rejects(runtime.call("Counter", 7 as unknown as string, null), code("MESH_ERR_INVALID_ARGUMENT"));
    await assert.rejects(
      runtime.call("Counter", "c", null, { chain: "Counter/c" as unknown as string[] }),
      code("MESH_ERR_INVALID_ARGUMENT"),
    );
    await assert.rejects(runtime.deactivate("Ghost", "g", "x"), code("MESH_ERR_UNKNOWN_MODULE"));
    await assert.rejects(runtime.deactivate("Counter", "g", ""), code("MESH_ERR_INVALID_ARGUMENT"));
  });
});

describe("stop", () => {
  it("deactivates every actor with reason shutdown, is idempotent, and refuses work afterwards", async () => {
    const reasons: string[] = [];
    const gate = deferred();
    class Worker {
      async handleCall(payload: unknown) {
        if (payload === "slow") await gate.promise;
        return payload;
      }
      onDeactivate(reason: string, ctx?: ActorContext) {
        reasons.push(`${ctx?.id}:${reason}`);
      }
    }
    const { runtime, clock } = testRuntime({ idleTimeoutMs: 1000 });
    runtime.register("Worker", Worker);
    await runtime.call("Worker", "a", null);
    const slow = runtime.call("Worker", "b", "slow");
    const queued = runtime.call("Worker", "b", "queued");
    const first = runtime.stop();
    const second = runtime.stop();
    assert.equal(first, second);
    await assert.rejects(runtime.call("Worker", "a", null), code("MESH_ERR_NODE_STOPPED"));
    gate.resolve(undefined);
    await first;
    assert.equal(await slow, "slow", "the running turn finishes");
    await assert.rejects(queued, code("MESH_ERR_DEACTIVATED"));
    assert.deepEqual(reasons.sort(), ["a:shutdown", "b:shutdown"]);
    assert.equal(runtime.activeCount, 0);
    assert.equal(clock.pending, 0, "the passivation sweep is gone");
    await runtime.stop();
    assert.throws(() => runtime.cast("Worker", "a", null), code("MESH_ERR_NODE_STOPPED"));
    assert.throws(() => runtime.register("Other", Worker), code("MESH_ERR_NODE_STOPPED"));
    await assert.rejects(runtime.restore("Worker", "a", {}), code("MESH_ERR_NODE_STOPPED"));
    await assert.rejects(runtime.call("Ghost", "a", null), code("MESH_ERR_NODE_STOPPED"));
  });
});

describe("events and stats", () => {
  it("emits activated, deactivated and failed, and counts", async () => {
    const { runtime } = testRuntime();
    const events: string[] = [];
    runtime.on("actor:activated", (e) => events.push(`activated ${e.module}/${e.id}`));
    runtime.on("actor:deactivated", (e) => events.push(`deactivated ${e.module}/${e.id} ${e.reason}`));
    runtime.register("Counter", Counter);
    await runtime.call("Counter", "a", null);
    runtime.cast("Counter", "a", null);
    runtime.cast("Counter", "b", null);
    await runtime.deactivate("Counter", "a", "test");
    assert.deepEqual(events, ["activated Counter/a", "activated Counter/b", "deactivated Counter/a test"]);
    assert.deepEqual(runtime.stats(), {
      active: 1,
      activations: 2,
      deactivations: 1,
      calls: 1,
      casts: 2,
      failures: 0,
      overloaded: 0,
    });
    assert.deepEqual([...runtime.activations()], [{ module: "Counter", id: "b" }]);
  });

  it("a throwing listener is logged and does not break the runtime", async () => {
    const logger = new RecordingLogger();
    const runtime = new ActorRuntime({}, { clock: new FakeClock(), logger });
    runtime.on("actor:activated", () => {
      throw new Error("listener bug");
    });
    runtime.register("Counter", Counter);
    assert.equal(await runtime.call("Counter", "a", null), 1);
    assert.ok(logger.lines.some((l) => l.level === "error"));
  });

  it("validates its init, components and router", () => {
    assert.throws(() => new ActorRuntime({ mailboxCapacity: -1 }), code("MESH_ERR_INVALID_ARGUMENT"));
    assert.throws(() => new ActorRuntime({}, { nodeName: "" }), code("MESH_ERR_INVALID_ARGUMENT"));
    const runtime = new ActorRuntime();
    assert.equal(runtime.nodeName, "local");
    assert.throws(() => runtime.setRouter({} as never), code("MESH_ERR_INVALID_ARGUMENT"));
  });
});
