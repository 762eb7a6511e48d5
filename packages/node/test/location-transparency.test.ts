import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { waitFor } from "@mesh/testing";
import { createNode, isMeshError, type MeshNode, type NodeInit } from "../src/index.js";

/** Keeps what it was sent, and replies with the object it keeps. */
class Keeper {
  kept: { items: number[] } = { items: [] };
  handleCall(payload: unknown): unknown {
    if (payload === "get") return this.kept;
    this.kept = payload as { items: number[] };
    return this.kept;
  }
  handleCast(payload: unknown): void {
    this.kept = payload as { items: number[] };
  }
}
class SharedKeeper extends Keeper {
  static localCalls = "reference";
}
const actors = { Keeper, SharedKeeper };

const started: MeshNode[] = [];
after(async () => {
  await Promise.all(started.map((n) => n.stop()));
});

async function node(init: NodeInit = {}): Promise<MeshNode> {
  const n = await createNode({ capabilities: ["game"], actors, ...init });
  started.push(n);
  return n;
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isMeshError(error), String(error));
    return error.code;
  }
  return "resolved";
}

const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;
const UNENCODABLE_PAYLOADS: readonly [string, unknown][] = [
  ["a function", { f: () => 1 }],
  ["a cycle", cycle],
  ["a function at the top", () => 1],
];

/** Two nodes over loopback: `caller` hosts nothing, so every call goes to `owner`. */
async function pair(init: NodeInit = {}): Promise<{ caller: MeshNode; owner: MeshNode }> {
  const secret = randomBytes(16).toString("hex");
  const net = { host: "127.0.0.1", multicast: false, secret, gossip: { preset: "local" as const }, ...init };
  const owner = await node({ ...net, name: `owner-${secret.slice(0, 6)}` });
  const self = owner.members().find((m) => m.name === owner.name);
  assert.ok(self !== undefined);
  const caller = await node({
    ...net,
    name: `caller-${secret.slice(0, 6)}`,
    capabilities: [],
    seeds: [`127.0.0.1:${self.address.port}`],
  });
  await waitFor("the caller to see the owner", () => caller.nodesFor("game").length === 1, { timeoutMs: 10_000 });
  return { caller, owner };
}

describe("local calls behave like remote ones", () => {
  it("passes copies of payload and reply by default", async () => {
    const n = await node();
    const payload = { items: [1, 2] };
    const { response } = await n.call<{ items: number[] }>({ module: "Keeper", id: "a", capability: "game", payload });
    payload.items.push(3);
    response.items.push(4);
    assert.deepEqual((await n.call({ module: "Keeper", id: "a", capability: "game", payload: "get" })).response, {
      items: [1, 2],
    });
    assert.notEqual(response, payload);
  });

  it("shares objects when the node or the class opts in to by-reference", async () => {
    for (const [n, module] of [
      [await node({ localCalls: "reference" }), "Keeper"],
      [await node(), "SharedKeeper"],
    ] as const) {
      const payload = { items: [1] };
      const { response } = await n.call({ module, id: "r", capability: "game", payload });
      assert.equal(response, payload, `${module}: the actor's reply is the caller's object`);
      payload.items.push(2);
      assert.deepEqual((await n.call({ module, id: "r", capability: "game", payload: "get" })).response, {
        items: [1, 2],
      });
    }
  });

  it("validates the by-reference choice of the node and of a class", async () => {
    class Odd extends Keeper {
      static localCalls = "sometimes";
    }
    await assert.rejects(
      createNode({ actors: { Odd } }),
      (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && /actors\.Odd\.localCalls/.test(e.message),
    );
    await assert.rejects(
      createNode({ localCalls: "share" as never }),
      (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && /localCalls/.test(e.message),
    );
    // A class may also insist on copies on a by-reference node.
    class Copied extends Keeper {
      static localCalls = "copy";
    }
    const n = await node({ localCalls: "reference", actors: { Copied } });
    const payload = { items: [1] };
    const { response } = await n.call({ module: "Copied", id: "c", capability: "game", payload });
    assert.notEqual(response, payload);
  });

  it("refuses a function or a cycle locally with the error a remote call gives", async () => {
    const { caller, owner } = await pair();
    for (const [what, payload] of UNENCODABLE_PAYLOADS) {
      const local = await code(owner.call({ module: "Keeper", id: "u", capability: "game", payload }));
      const remote = await code(caller.call({ module: "Keeper", id: "u", capability: "game", payload }));
      assert.equal(local, "MESH_ERR_UNENCODABLE", `local, ${what}`);
      assert.equal(remote, local, `remote, ${what}`);
    }
    // A reply the codec cannot carry fails the same way.
    class Leaky {
      handleCall(): unknown {
        return { f: () => 1 };
      }
    }
    const alone = await node({ actors: { Leaky } });
    assert.equal(await code(alone.call({ module: "Leaky", id: "x", capability: "game" })), "MESH_ERR_UNENCODABLE");
  });

  it("refuses a payload over the frame limit before encoding it, locally and remotely", async () => {
    const { caller, owner } = await pair({ maxFrameBytes: 4096 });
    const big = { text: "x".repeat(5000) };
    for (const [where, n] of [
      ["local", owner],
      ["remote", caller],
    ] as const) {
      const error = await n.call({ module: "Keeper", id: "big", capability: "game", payload: big }).catch((e) => e);
      assert.ok(isMeshError(error, "MESH_ERR_PAYLOAD_TOO_LARGE"), `${where}: ${String(error)}`);
      assert.equal(error.details?.maxFrameBytes, 4096);
      // Under the limit it goes through.
      const ok = await n.call({ module: "Keeper", id: "big", capability: "game", payload: { text: "x".repeat(100) } });
      assert.deepEqual(ok.response, { text: "x".repeat(100) });
    }
    await assert.rejects(createNode({ maxFrameBytes: 0 }), (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"));
  });

  it("rejects a cast to an unknown module on this node and on another", async () => {
    const { caller, owner } = await pair();
    assert.equal(await code(owner.cast({ module: "Nope", id: "c", capability: "game" })), "MESH_ERR_UNKNOWN_MODULE");
    assert.equal(await code(caller.cast({ module: "Nope", id: "c", capability: "game" })), "MESH_ERR_UNKNOWN_MODULE");
    // A cast to a known module resolves once the owner has it, with a copy.
    const payload = { items: [7] };
    await caller.cast({ module: "Keeper", id: "c", capability: "game", payload });
    await owner.cast({ module: "Keeper", id: "d", capability: "game", payload });
    payload.items.push(8);
    assert.deepEqual((await owner.call({ module: "Keeper", id: "c", capability: "game", payload: "get" })).response, {
      items: [7],
    });
    assert.deepEqual((await owner.call({ module: "Keeper", id: "d", capability: "game", payload: "get" })).response, {
      items: [7],
    });
  });
});
