import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "@mesh/testing";
import { type ActorContext, createNode, isMeshError, type MeshError } from "../src/index.js";

class Counter {
  readonly id: string;
  count: number;
  constructor(id: string, initArg?: unknown) {
    this.id = id;
    this.count = typeof initArg === "number" ? initArg : 0;
  }
  handleCall(payload: unknown): unknown {
    if (payload === "boom") throw new Error("kaboom");
    this.count += typeof payload === "number" ? payload : 1;
    return this.count;
  }
  handleCast(payload: unknown): void {
    this.count += typeof payload === "number" ? payload : 1;
  }
}

/** Answers only when the test releases it, so stop() has nothing left running. */
let releaseForever: () => void = () => {};
let forever = new Promise<void>((resolve) => {
  releaseForever = resolve;
});
class Forever {
  async handleCall(): Promise<string> {
    await forever;
    return "released";
  }
}
function resetForever(): void {
  forever = new Promise<void>((resolve) => {
    releaseForever = resolve;
  });
}

class SelfCaller {
  async handleCall(payload: unknown, ctx: ActorContext): Promise<unknown> {
    const call = ctx.call({ module: "SelfCaller", id: ctx.id, capability: "game" });
    if (payload !== "catch") return call;
    return call.then(
      () => "answered",
      (error: MeshError) => error.code,
    );
  }
}

const deactivations: string[] = [];
class Tracked {
  handleCall(): string {
    return "ok";
  }
  onDeactivate(reason: string): void {
    deactivations.push(reason);
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<MeshError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isMeshError(error), `expected a MeshError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

describe("createNode on one node", () => {
  it("activates an actor on first call, passes initArg once, and answers with the pid", async () => {
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Counter } });
    const first = await node.call({ module: "Counter", id: "player_1", payload: 5, capability: "game", initArg: 100 });
    assert.deepEqual(first.pid, { node: "n1", module: "Counter", id: "player_1", shard: node.shardFor("player_1") });
    assert.equal(first.response, 105);
    const second = await node.call({ module: Counter, id: "player_1", payload: 1, capability: "game", initArg: 0 });
    assert.equal(second.response, 106, "initArg is used on first activation only; a class works as module");
    await node.cast({ module: "Counter", id: "player_1", payload: 10, capability: "game" });
    assert.equal(
      (await node.call({ module: "Counter", id: "player_1", payload: 0, capability: "game" })).response,
      116,
    );
    await node.stop();
  });

  it("gives a name when none is set and validates every option, naming it", async () => {
    const node = await createNode();
    assert.match(node.name, /.+-\d+-[0-9a-f]{8}$/);
    await node.stop();
    const bad: [Record<string, unknown>, string][] = [
      [{ name: "" }, "name"],
      [{ capabilities: "game" }, "capabilities"],
      [{ capabilities: ["game", 3] }, "capabilities[1]"],
      [{ actors: { A: 1 } }, "actors.A"],
      [{ shardCount: 0 }, "shardCount"],
      [{ shardCount: 1.5 }, "shardCount"],
      [{ weight: -1 }, "weight"],
      [{ callTimeoutMs: Number.NaN }, "callTimeoutMs"],
      [{ mailboxCapacity: 0 }, "mailboxCapacity"],
      [{ idleTimeoutMs: -5 }, "idleTimeoutMs"],
      [{ placement: {} }, "placement"],
    ];
    for (const [init, property] of bad) {
      const error = await rejectsWith(createNode(init as never), "MESH_ERR_INVALID_ARGUMENT");
      assert.equal(error.details?.property, property, `${JSON.stringify(init)}: ${error.message}`);
      assert.ok(error.message.startsWith(`${property} must be`), error.message);
    }
  });

  it("rejects malformed requests with the property that is wrong", async () => {
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Counter } });
    const cases: [unknown, string][] = [
      [null, "request"],
      [{ id: "a", capability: "game" }, "request.module"],
      [{ module: "Counter", capability: "game" }, "request.id"],
      [{ module: "Counter", id: "", capability: "game" }, "request.id"],
      [{ module: "Counter", id: "a" }, "request.capability"],
      [{ module: "Counter", id: "a", capability: "game", timeoutMs: -1 }, "request.timeoutMs"],
      [{ module: "Counter", id: "a", capability: "game", signal: {} }, "request.signal"],
    ];
    for (const [request, property] of cases) {
      const error = await rejectsWith(node.call(request as never), "MESH_ERR_INVALID_ARGUMENT");
      assert.equal(error.details?.property, property);
      await rejectsWith(node.cast(request as never), "MESH_ERR_INVALID_ARGUMENT");
    }
    assert.equal(node.stats().failures.MESH_ERR_INVALID_ARGUMENT, cases.length * 2);
    await node.stop();
  });

  it("rejects a capability no node has, and an unknown module", async () => {
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Counter } });
    await rejectsWith(node.call({ module: "Counter", id: "a", capability: "chat" }), "MESH_ERR_NO_NODES", /"chat"/);
    await rejectsWith(node.call({ module: "Nope", id: "a", capability: "game" }), "MESH_ERR_UNKNOWN_MODULE", /Nope/);
    await rejectsWith(node.cast({ module: "Nope", id: "a", capability: "game" }), "MESH_ERR_UNKNOWN_MODULE");
    await node.stop();
  });

  it("adds and removes capabilities, with events, and routes accordingly", async () => {
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Counter } });
    const events: unknown[] = [];
    node.on("capabilities:changed", (e) => events.push(e));
    await node.registerCapabilities(["payment", "chat", "game"]);
    assert.deepEqual(node.capabilities, ["chat", "game", "payment"]);
    assert.deepEqual(node.allCapabilities(), ["chat", "game", "payment"]);
    assert.deepEqual(node.nodesFor("payment"), ["n1"]);
    assert.equal(node.ownerNode(node.shardFor("w"), "payment"), "n1");
    assert.equal((await node.call({ module: "Counter", id: "w", capability: "payment" })).pid.node, "n1");
    await node.unregisterCapabilities(["payment", "video"]);
    assert.deepEqual(node.allCapabilities(), ["chat", "game"]);
    assert.deepEqual(node.nodesFor("payment"), []);
    assert.equal(node.ownerNode(0, "payment"), undefined);
    await rejectsWith(node.call({ module: "Counter", id: "w", capability: "payment" }), "MESH_ERR_NO_NODES");
    await node.registerCapabilities(["game"]);
    assert.deepEqual(events, [
      { node: "n1", capabilities: ["chat", "game", "payment"], added: ["chat", "payment"], removed: [] },
      { node: "n1", capabilities: ["chat", "game"], added: [], removed: ["payment"] },
    ]);
    await rejectsWith(node.registerCapabilities(["ok", ""]), "MESH_ERR_INVALID_ARGUMENT", /capabilities\[1\]/);
    await node.stop();
  });

  it("waits for a node with the capability when asked to, until the deadline", async () => {
    const clock = new FakeClock();
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Counter }, clock });
    const arrives = node.call({ module: "Counter", id: "w", capability: "payment", payload: 5, waitForNodes: true });
    const neverArrives = rejectsWith(
      node.call({ module: "Counter", id: "v", capability: "video", timeoutMs: 100, waitForNodes: true }),
      "MESH_ERR_TIMEOUT",
      /no node with the capability "video" appeared within 100 ms/,
    );
    await rejectsWith(node.call({ module: "Counter", id: "w", capability: "payment" }), "MESH_ERR_NO_NODES");
    await node.registerCapabilities(["payment"]);
    assert.deepEqual(await arrives, {
      pid: { node: "n1", module: "Counter", id: "w", shard: node.shardFor("w") },
      response: 5,
    });
    clock.advance(100);
    await neverArrives;
    await rejectsWith(
      node.call({ module: "Counter", id: "v", capability: "video", waitForNodes: "yes" } as never),
      "MESH_ERR_INVALID_ARGUMENT",
      /request.waitForNodes/,
    );
    const waiting = rejectsWith(
      node.call({ module: "Counter", id: "v", capability: "video", waitForNodes: true }),
      "MESH_ERR_NODE_STOPPED",
    );
    await node.stop();
    await waiting;
  });

  it("shards ids identically and validates shard and capability", async () => {
    const node = await createNode({ name: "n1", shardCount: 64 });
    const shard = node.shardFor("player_1");
    assert.ok(Number.isInteger(shard) && shard >= 0 && shard < 64);
    assert.equal(node.shardFor("player_1"), shard);
    assert.throws(
      () => node.ownerNode(64, "game"),
      (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
    assert.throws(
      () => node.ownerNode(0, ""),
      (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
    assert.throws(
      () => node.shardFor(""),
      (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
    await node.stop();
  });

  it("times a call out at its deadline on the node's clock", async () => {
    const clock = new FakeClock();
    const node = await createNode({
      name: "n1",
      capabilities: ["game"],
      actors: { Forever },
      clock,
      callTimeoutMs: 1000,
    });
    const byDefault = rejectsWith(node.call({ module: "Forever", id: "a", capability: "game" }), "MESH_ERR_TIMEOUT");
    const short = rejectsWith(
      node.call({ module: "Forever", id: "b", capability: "game", timeoutMs: 50 }),
      "MESH_ERR_TIMEOUT",
      /50 ms/,
    );
    let settled = false;
    void byDefault.then(() => {
      settled = true;
    });
    clock.advance(50);
    await short;
    await Promise.resolve();
    assert.equal(settled, false, "the default 1000 ms deadline has not passed yet");
    clock.advance(950);
    await byDefault;
    releaseForever();
    await node.stop();
    resetForever();
  });

  it("cancels a call with an AbortSignal", async () => {
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Forever, Counter } });
    const controller = new AbortController();
    const pending = rejectsWith(
      node.call({ module: "Forever", id: "a", capability: "game", signal: controller.signal }),
      "MESH_ERR_ABORTED",
    );
    controller.abort(new Error("user went away"));
    await pending;
    await rejectsWith(
      node.call({ module: "Counter", id: "a", capability: "game", signal: controller.signal }),
      "MESH_ERR_ABORTED",
    );
    releaseForever();
    await node.stop();
    resetForever();
  });

  it("stops within stopTimeoutMs even when a handler never settles", async () => {
    const clock = new FakeClock();
    class Stuck {
      handleCall(): Promise<never> {
        return new Promise(() => {});
      }
    }
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Stuck }, clock, stopTimeoutMs: 200 });
    void node.call({ module: "Stuck", id: "a", capability: "game", timeoutMs: 100 }).catch(() => {});
    await new Promise<void>((resolve) => setImmediate(resolve));
    let stopped = false;
    const stopping = node.stop().then(() => {
      stopped = true;
    });
    clock.advance(199);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, "still draining before the timeout");
    clock.advance(1);
    await stopping;
    assert.equal(stopped, true);
  });

  it("isolates a throwing actor and refuses a call to itself", async () => {
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Counter, SelfCaller } });
    const error = await rejectsWith(
      node.call({ module: "Counter", id: "a", capability: "game", payload: "boom" }),
      "MESH_ERR_ACTOR_THREW",
    );
    assert.equal((error.cause as Error).message, "kaboom");
    assert.equal((await node.call({ module: "Counter", id: "a", capability: "game", payload: 2 })).response, 2);
    assert.equal((await node.call({ module: "Counter", id: "b", capability: "game", payload: 3 })).response, 3);
    const inner = await node.call({ module: "SelfCaller", id: "s", capability: "game", payload: "catch" });
    assert.equal(inner.response, "MESH_ERR_REENTRANT_CALL", "the actor's own call to itself is refused at once");
    const outer = await rejectsWith(
      node.call({ module: "SelfCaller", id: "s", capability: "game" }),
      "MESH_ERR_ACTOR_THREW",
    );
    assert.ok(isMeshError(outer.cause, "MESH_ERR_REENTRANT_CALL"), "a handler that lets it escape has thrown it");
    await node.stop();
  });

  it("stops once, deactivates every actor, then refuses work", async () => {
    deactivations.length = 0;
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Tracked } });
    await node.call({ module: "Tracked", id: "a", capability: "game" });
    await node.call({ module: "Tracked", id: "b", capability: "game" });
    let stoppedEvents = 0;
    node.on("node:stopped", () => stoppedEvents++);
    await Promise.all([node.stop(), node.stop()]);
    await node.stop();
    assert.deepEqual(deactivations, ["shutdown", "shutdown"]);
    assert.equal(stoppedEvents, 1);
    await rejectsWith(node.call({ module: "Tracked", id: "a", capability: "game" }), "MESH_ERR_NODE_STOPPED");
    await rejectsWith(node.registerCapabilities(["chat"]), "MESH_ERR_NODE_STOPPED");
  });

  it("emits actor lifecycle events with the pid", async () => {
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Tracked } });
    const seen: string[] = [];
    node.on("actor:activated", ({ pid }) => seen.push(`activated ${pid.module}/${pid.id}@${pid.node}`));
    node.on("actor:deactivated", ({ pid, reason }) => seen.push(`deactivated ${pid.module}/${pid.id} ${reason}`));
    await node.call({ module: "Tracked", id: "a", capability: "game" });
    await node.stop();
    assert.deepEqual(seen, ["activated Tracked/a@n1", "deactivated Tracked/a shutdown"]);
  });

  it("rejects at once with overloaded when an actor's mailbox is full", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    class Gated {
      async handleCall(): Promise<string> {
        await gate;
        return "done";
      }
    }
    const node = await createNode({ name: "n1", capabilities: ["game"], actors: { Gated }, mailboxCapacity: 2 });
    const calls = Array.from({ length: 6 }, () =>
      node.call({ module: "Gated", id: "a", capability: "game" }).then(
        () => "ok",
        (e: MeshError) => e.code,
      ),
    );
    release();
    const outcomes = await Promise.all(calls);
    const ok = outcomes.filter((o) => o === "ok").length;
    assert.ok(ok >= 2 && ok <= 3, `one running plus at most two queued are accepted: ${outcomes.join(",")}`);
    assert.deepEqual(
      outcomes.filter((o) => o !== "ok"),
      Array(6 - ok).fill("MESH_ERR_OVERLOADED"),
    );
    assert.deepEqual(outcomes.slice(0, ok), Array(ok).fill("ok"), "the first ones in are the ones served");
    await node.stop();
  });
});
