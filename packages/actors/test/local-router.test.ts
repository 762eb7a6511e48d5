import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ErrorCode } from "@mesh/interface";
import { FakeClock } from "@mesh/testing";
import { type ActorContext, ActorRuntime } from "../src/index.js";
import { code, deferred, settle, track } from "./helpers.js";

/** The caller actor re-throws what ctx.call rejected with, so its caller sees ACTOR_THREW caused by it. */
function causedBy(expected: ErrorCode): (error: unknown) => boolean {
  return (error: unknown) => code("MESH_ERR_ACTOR_THREW")(error) && code(expected)((error as Error).cause);
}

describe("the default (local) router", () => {
  it("routes ctx.call to the same runtime, by name or class, and returns the pid", async () => {
    class Greeter {
      handleCall(payload: unknown) {
        return `hello ${payload}`;
      }
    }
    class Caller {
      async handleCall(payload: unknown, ctx: ActorContext) {
        return ctx.call({
          module: payload === "class" ? Greeter : "Greeter",
          id: "g",
          payload: ctx.id,
          capability: "any",
        });
      }
    }
    const runtime = new ActorRuntime({}, { clock: new FakeClock(), nodeName: "solo" });
    runtime.register("Greeter", Greeter);
    runtime.register("Caller", Caller);
    assert.deepEqual(await runtime.call("Caller", "c1", "name"), {
      pid: { node: "solo", module: "Greeter", id: "g" },
      response: "hello c1",
    });
    assert.deepEqual(await runtime.call("Caller", "c2", "class"), {
      pid: { node: "solo", module: "Greeter", id: "g" },
      response: "hello c2",
    });
  });

  it("rejects an unknown module, a bad request, and times out on the runtime's clock", async () => {
    const gate = deferred();
    class Slow {
      async handleCall() {
        await gate.promise;
        return "late";
      }
    }
    class Caller {
      handleCall(payload: unknown, ctx: ActorContext) {
        return ctx.call(payload as never);
      }
    }
    const clock = new FakeClock();
    const runtime = new ActorRuntime({}, { clock });
    runtime.register("Slow", Slow);
    runtime.register("Caller", Caller);
    const ask = (request: unknown) => runtime.call("Caller", "c", request);
    await assert.rejects(ask({ module: "Nope", id: "x", capability: "c" }), causedBy("MESH_ERR_UNKNOWN_MODULE"));
    await assert.rejects(ask({ module: "Slow", id: 5, capability: "c" }), causedBy("MESH_ERR_INVALID_ARGUMENT"));
    await assert.rejects(
      ask({ module: "Slow", id: "s", capability: "c", timeoutMs: -1 }),
      causedBy("MESH_ERR_INVALID_ARGUMENT"),
    );
    const timed = track(ask({ module: "Slow", id: "s", capability: "c", timeoutMs: 50 }));
    await settle();
    clock.advance(49);
    await settle();
    assert.equal(timed.state, "pending");
    clock.advance(1);
    await settle();
    assert.equal(timed.state, "rejected");
    assert.ok(causedBy("MESH_ERR_TIMEOUT")(timed.error));
    gate.resolve(undefined);
  });

  it("ctx.cast reaches the other actor", async () => {
    const seen: unknown[] = [];
    class Sink {
      handleCast(payload: unknown) {
        seen.push(payload);
      }
    }
    class Source {
      async handleCall(_payload: unknown, ctx: ActorContext) {
        await ctx.cast({ module: "Sink", id: "s", payload: "ping", capability: "c" });
      }
    }
    const runtime = new ActorRuntime({}, { clock: new FakeClock() });
    runtime.register("Sink", Sink);
    runtime.register("Source", Source);
    await runtime.call("Source", "x", null);
    assert.deepEqual(seen, ["ping"]);
  });
});
