import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMeshError } from "@mesh/interface";
import { FakeClock } from "@mesh/testing";
import { ActorRuntime } from "../src/index.js";

describe("abandoned calls", () => {
  it("drops a queued call whose caller gave up before its turn, and runs the others", async () => {
    let release: () => void = () => {};
    const ran: unknown[] = [];
    class Slow {
      async handleCall(payload: unknown): Promise<unknown> {
        ran.push(payload);
        if (payload === "first") {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        return payload;
      }
    }
    const runtime = new ActorRuntime({}, { clock: new FakeClock() });
    runtime.register("Slow", Slow);
    const gaveUp = { abandoned: false };
    const first = runtime.call("Slow", "a", "first");
    const dropped = runtime.call("Slow", "a", "dropped", { abandoned: gaveUp });
    const kept = runtime.call("Slow", "a", "kept", { abandoned: { abandoned: false } });
    gaveUp.abandoned = true;
    release();
    assert.equal(await first, "first");
    await assert.rejects(dropped, (e) => isMeshError(e, "MESH_ERR_TIMEOUT") && /not run/.test(e.message));
    assert.equal(await kept, "kept");
    assert.deepEqual(ran, ["first", "kept"], "the abandoned call's handler never ran");
    await runtime.stop();
  });

  it("runs an idle actor's call at once, whatever the flag says later", async () => {
    class Echo {
      handleCall(payload: unknown): unknown {
        return payload;
      }
    }
    const runtime = new ActorRuntime({}, { clock: new FakeClock() });
    runtime.register("Echo", Echo);
    const flag = { abandoned: false };
    const reply = runtime.call("Echo", "a", 1, { abandoned: flag });
    flag.abandoned = true;
    assert.equal(await reply, 1);
    await runtime.stop();
  });
});
