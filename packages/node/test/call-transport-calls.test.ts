import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { isMeshError, MeshError, shuffle, systemClock } from "@mesh/interface";
import { SeededRandom, testSeed, waitFor } from "@mesh/testing";
import { CallClient, CallServer } from "../src/call-transport/index.js";
import { callToWire, helloToWire } from "../src/call-transport/messages.js";
import { WireCodec } from "../src/call-transport/wire-codec.js";
import {
  echoHandler,
  HeldCalls,
  LOOPBACK,
  outcome,
  request,
  startClient,
  startServer,
} from "./call-transport-fixtures.js";

describe("call transport: calls over real TCP", () => {
  it("answers a call and delivers a cast with every field intact", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const client = await startClient(t);
    const reply = client.call(server.address, {
      module: "GameActor",
      id: "player_1",
      capability: "game",
      payload: { move: [1, 2] },
      initArg: { level: 3 },
      chain: ["node1"],
      hops: 1,
    });
    await waitFor("the call to arrive", () => held.calls.length === 1);
    const { call, resolve } = held.calls[0] as (typeof held.calls)[number];
    assert.equal(call.module, "GameActor");
    assert.equal(call.id, "player_1");
    assert.equal(call.capability, "game");
    assert.deepEqual(call.payload, { move: [1, 2] });
    assert.deepEqual(call.initArg, { level: 3 });
    assert.deepEqual(call.chain, ["node1"]);
    assert.equal(call.hops, 1);
    assert.equal(call.abandoned, false);
    assert.match(call.remoteAddress, /^127\.0\.0\.1:\d+$/);
    resolve({ ok: "moved" });
    assert.deepEqual(await reply, { ok: "moved" });

    client.cast(server.address, { module: "ChatActor", id: "room", capability: "chat", payload: "hi", hops: 0 });
    await waitFor("the cast to arrive", () => held.casts.length === 1);
    assert.deepEqual(
      { ...held.casts[0], remoteAddress: undefined },
      {
        module: "ChatActor",
        id: "room",
        capability: "chat",
        payload: "hi",
        initArg: undefined,
        chain: [],
        hops: 0,
        remoteAddress: undefined,
      },
    );
  });

  it("answers 10,000 concurrent calls on one connection exactly once, each with its own reply", async (t) => {
    const seed = testSeed();
    const held = new HeldCalls();
    const server = await startServer(t, held);
    // No keepalive ping while the calls are held: every frame in is a reply.
    const client = await startClient(t, { pingIntervalMs: 600_000 });
    const n = 10_000;
    const replies = Array.from({ length: n }, (_, i) => client.call(server.address, request({ i }, { id: `a${i}` })));
    await waitFor("every call to arrive", () => held.calls.length === n, { timeoutMs: 30_000 });
    // Answer in a random order, so a mix-up of request ids would show.
    for (const { call, resolve } of shuffle(new SeededRandom(seed), held.calls.splice(0))) {
      resolve({ i: (call.payload as { i: number }).i, id: call.id });
    }
    const results = await Promise.all(replies);
    for (const [i, result] of results.entries()) assert.deepEqual(result, { i, id: `a${i}` }, `seed ${seed}`);
    const stats = client.stats();
    assert.equal(stats.framesIn, n, "one reply per call");
    assert.equal(stats.dropped["unknown-rid"], 0);
    assert.equal(stats.callsInFlight, 0);
    assert.equal(server.stats().accepted, 1, "all on one connection");
  });

  it("carries a MeshError's code, message and details back; other throws become MESH_ERR_ACTOR_THREW", async (t) => {
    const server = await startServer(t, {
      onCall: async (call) => {
        if (call.payload === "unknown") {
          throw new MeshError("MESH_ERR_UNKNOWN_MODULE", "no actor class named Nope", { details: { module: "Nope" } });
        }
        if (call.payload === "busy") throw new MeshError("MESH_ERR_OVERLOADED", "mailbox full");
        throw new TypeError("boom");
      },
      onCast: () => {},
    });
    const client = await startClient(t);
    const unknown = await outcome(client.call(server.address, request("unknown")));
    assert.ok(isMeshError(unknown.error, "MESH_ERR_UNKNOWN_MODULE"));
    assert.equal(unknown.error.message, "no actor class named Nope");
    assert.deepEqual(unknown.error.details, { module: "Nope" });
    assert.equal(unknown.error.retryable, false);
    const busy = await outcome(client.call(server.address, request("busy")));
    assert.ok(isMeshError(busy.error, "MESH_ERR_OVERLOADED"));
    assert.equal(busy.error.retryable, true);
    const threw = await outcome(client.call(server.address, request("other")));
    assert.ok(isMeshError(threw.error, "MESH_ERR_ACTOR_THREW"));
    assert.equal(threw.error.message, "boom");
  });

  it("accepts a plain value, a foreign thenable or a synchronous throw from the handler", async (t) => {
    const server = await startServer(t, {
      onCall: ((call: { payload: unknown }) => {
        if (call.payload === "plain") return "plain reply";
        if (call.payload === "thenable") {
          // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise is what this test sends.
          return { then: (ok: (v: unknown) => void) => ok("thenable reply") };
        }
        throw new MeshError("MESH_ERR_UNKNOWN_MODULE", "thrown before any promise");
      }) as unknown as (call: unknown) => Promise<unknown>,
      onCast: () => {},
    });
    const client = await startClient(t);
    assert.equal(await client.call(server.address, request("plain")), "plain reply");
    assert.equal(await client.call(server.address, request("thenable")), "thenable reply");
    const thrown = await outcome(client.call(server.address, request("throw")));
    assert.ok(isMeshError(thrown.error, "MESH_ERR_UNKNOWN_MODULE"));
  });

  it("fails only the call whose payload cannot be encoded; the connection carries on", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const client = await startClient(t);
    const first = client.call(server.address, request("first"));
    await waitFor("the first call to arrive", () => held.calls.length === 1);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const bad of [() => 1, { deep: [Symbol("s")] }, cycle]) {
      const failed = await outcome(client.call(server.address, request(bad)));
      assert.ok(isMeshError(failed.error, "MESH_ERR_UNENCODABLE"), String(failed.error));
    }
    assert.throws(
      () =>
        client.cast(
          server.address,
          request(() => 1),
        ),
      (e: unknown) => isMeshError(e, "MESH_ERR_UNENCODABLE"),
    );
    const next = client.call(server.address, request("next"));
    await waitFor("the next call to arrive", () => held.calls.length === 2);
    held.echoAll();
    assert.equal(await first, "first");
    assert.equal(await next, "next");
    assert.equal(client.stats().dropped.unencodable, 4);
    assert.equal(server.stats().accepted, 1, "the same connection throughout");
  });

  it("turns a reply that cannot be encoded into a MESH_ERR_UNENCODABLE error for that call only", async (t) => {
    const server = await startServer(t, {
      onCall: async (call) => {
        if (call.payload === "function") return { f: () => 1 };
        if (call.payload === "details") {
          throw new MeshError("MESH_ERR_ACTOR_THREW", "bad state", { details: { handle: Symbol("x") } });
        }
        return "fine";
      },
      onCast: () => {},
    });
    const client = await startClient(t);
    const reply = await outcome(client.call(server.address, request("function")));
    assert.ok(isMeshError(reply.error, "MESH_ERR_UNENCODABLE"));
    assert.match(reply.error.message, /reply/);
    const details = await outcome(client.call(server.address, request("details")));
    assert.ok(isMeshError(details.error, "MESH_ERR_ACTOR_THREW"), "the code survives unencodable details");
    assert.equal(details.error.message, "bad state");
    assert.equal(details.error.details, undefined);
    assert.equal(await client.call(server.address, request("ok")), "fine");
    assert.equal(server.stats().dropped.unencodable, 1);
    assert.equal(server.stats().accepted, 1);
  });

  it("sends the remaining time with the call; the server's deadline counts from arrival", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const client = await startClient(t);
    const before = systemClock.now();
    const reply = client.call(server.address, request("x", { timeoutMs: 1234.2 }));
    await waitFor("the call to arrive", () => held.calls.length === 1);
    const { call } = held.calls[0] as (typeof held.calls)[number];
    assert.equal(call.timeoutMs, 1235, "whole ms, rounded up");
    assert.ok(call.deadline >= before + 1235 && call.deadline <= systemClock.now() + 1235);
    held.echoAll();
    assert.equal(await reply, "x");
  });

  it("marks queued work abandoned at the caller's deadline, with no cancel needed, and never replies late", async (t) => {
    // The handler keeps calls as a busy actor's mailbox would; the caller is a raw socket that never cancels.
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const codec = new WireCodec(1 << 20, undefined);
    const socket = connect({ host: LOOPBACK, port: server.port ?? 0 });
    t.after(() => socket.destroy());
    let received = 0;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.write(codec.encode(helloToWire(), "hello"));
    socket.write(codec.encode(callToWire(1, "M", "i", "c", "queued", undefined, 30, [], 0), "test"));
    await waitFor("the call to arrive", () => held.calls.length === 1);
    const { call } = held.calls[0] as (typeof held.calls)[number];
    assert.equal(call.abandoned, false);
    await waitFor("the deadline to pass on the server", () => call.abandoned);
    assert.ok(call.signal.aborted);
    assert.ok(isMeshError(call.signal.reason, "MESH_ERR_TIMEOUT"));
    assert.equal(server.stats().dropped.expired, 1);
    assert.equal(server.stats().callsInFlight, 0, "its in-flight slot is free again");
    held.echoAll();
    await waitFor("the late reply to be dropped", () => server.stats().dropped["late-reply"] === 1);
    assert.equal(received, 0, "nothing was sent back");
  });

  it("drops a request that arrives with no time left (a raw frame with timeoutMs 0)", async (t) => {
    let invoked = 0;
    const server = await startServer(t, { onCall: async () => ++invoked, onCast: () => {} });
    const codec = new WireCodec(1 << 20, undefined);
    const socket = connect({ host: LOOPBACK, port: server.port ?? 0 });
    t.after(() => socket.destroy());
    socket.write(codec.encode(helloToWire(), "hello"));
    socket.write(codec.encode(callToWire(1, "M", "i", "c", null, undefined, 0, [], 0), "test"));
    socket.write(codec.encode(callToWire(2, "M", "i", "c", null, undefined, -5, [], 0), "test"));
    await waitFor("both to be dropped", () => server.stats().dropped.expired === 2);
    assert.equal(invoked, 0);
    assert.equal(server.stats().connections, 1, "an expired request is not a protocol error");
  });

  it("times out a call, tells the callee, and drops the late reply", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const client = await startClient(t);
    const slow = outcome(client.call(server.address, request("slow", { timeoutMs: 50 })));
    await waitFor("the call to arrive", () => held.calls.length === 1);
    const { call } = held.calls[0] as (typeof held.calls)[number];
    const failed = await slow;
    assert.ok(isMeshError(failed.error, "MESH_ERR_TIMEOUT"));
    assert.equal(failed.error.retryable, true);
    await waitFor("the callee to see the call abandoned", () => call.abandoned);
    assert.ok(call.signal.aborted);
    held.echoAll();
    await waitFor("the late reply to be dropped", () => server.stats().dropped["late-reply"] === 1);
    assert.equal(client.stats().dropped.expired, 1);
    assert.equal(client.stats().callsInFlight, 0);
  });

  it("aborts a call by its AbortSignal and sends a cancel the callee sees", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const client = await startClient(t);
    const controller = new AbortController();
    const pending = outcome(
      client.call(server.address, request("work", { signal: controller.signal, timeoutMs: 60_000 })),
    );
    await waitFor("the call to arrive", () => held.calls.length === 1);
    const { call } = held.calls[0] as (typeof held.calls)[number];
    const signal = call.signal; // created before the cancel: it must fire
    controller.abort(new Error("user left"));
    const aborted = await pending;
    assert.ok(isMeshError(aborted.error, "MESH_ERR_ABORTED"));
    await waitFor("the cancel to reach the callee", () => signal.aborted);
    assert.ok(call.abandoned);
    assert.ok(isMeshError(signal.reason, "MESH_ERR_ABORTED"));
    assert.equal(server.stats().dropped.cancelled, 1);
    assert.equal(server.stats().callsInFlight, 0);

    const already = await outcome(client.call(server.address, request("never", { signal: AbortSignal.abort() })));
    assert.ok(isMeshError(already.error, "MESH_ERR_ABORTED"));
    assert.equal(held.calls.length, 1, "an already-aborted call is never sent");
  });

  it("refuses calls beyond the per-peer in-flight limit at once, and accepts again when replies come", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const client = await startClient(t, { maxInFlightPerPeer: 5 });
    const first = Array.from({ length: 5 }, (_, i) => client.call(server.address, request(i)));
    const over = await outcome(client.call(server.address, request("over")));
    assert.ok(isMeshError(over.error, "MESH_ERR_OVERLOADED"));
    assert.equal(over.error.retryable, true);
    assert.equal(client.stats().dropped.overloaded, 1);
    await waitFor("the five to arrive", () => held.calls.length === 5);
    held.echoAll();
    assert.deepEqual(await Promise.all(first), [0, 1, 2, 3, 4]);
    const again = client.call(server.address, request("again"));
    await waitFor("the next to arrive", () => held.calls.length === 1);
    held.echoAll();
    assert.equal(await again, "again");
  });

  it("answers MESH_ERR_OVERLOADED from the server beyond its per-connection limit", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held, { maxInFlightPerConnection: 3 });
    const client = await startClient(t);
    const calls = Array.from({ length: 4 }, (_, i) => client.call(server.address, request(i)));
    const fourth = await outcome(calls[3] as Promise<unknown>);
    assert.ok(isMeshError(fourth.error, "MESH_ERR_OVERLOADED"));
    assert.equal(server.stats().dropped.overloaded, 1);
    assert.equal(held.calls.length, 3);
    held.echoAll();
    assert.deepEqual(await Promise.all(calls.slice(0, 3)), [0, 1, 2]);
  });

  it("refuses invalid requests and addresses before anything is sent", async (t) => {
    const client = await startClient(t);
    const badModule = await outcome(client.call("127.0.0.1:1", { ...request(1), module: 5 as unknown as string }));
    assert.ok(isMeshError(badModule.error, "MESH_ERR_INVALID_ARGUMENT"));
    assert.equal(badModule.error.details?.property, "module");
    const badHops = await outcome(client.call("127.0.0.1:1", request(1, { hops: 1000 })));
    assert.ok(isMeshError(badHops.error, "MESH_ERR_INVALID_ARGUMENT"));
    for (const address of ["nohost", "127.0.0.1:0", "127.0.0.1:99999", "::1:80", ":80"]) {
      const bad = await outcome(client.call(address, request(1)));
      assert.ok(isMeshError(bad.error, "MESH_ERR_INVALID_ARGUMENT"), address);
    }
    const noTime = await outcome(client.call("127.0.0.1:1", request(1, { timeoutMs: 0 })));
    assert.ok(isMeshError(noTime.error, "MESH_ERR_TIMEOUT"));
    assert.equal(client.stats().peers, 0);
    assert.throws(
      () => new CallClient({ maxInFlightPerPeer: 0 }),
      (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
  });

  it("stops idempotently: calls in flight fail with MESH_ERR_NODE_STOPPED, the callee sees them abandoned", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const client = await startClient(t);
    await client.start();
    const inFlight = outcome(client.call(server.address, request("x", { timeoutMs: 60_000 })));
    await waitFor("the call to arrive", () => held.calls.length === 1);
    await Promise.all([client.stop(), client.stop()]);
    assert.ok(isMeshError((await inFlight).error, "MESH_ERR_NODE_STOPPED"));
    assert.ok(isMeshError((await outcome(client.call(server.address, request("y")))).error, "MESH_ERR_NODE_STOPPED"));
    assert.throws(
      () => client.cast(server.address, request("z")),
      (e: unknown) => isMeshError(e, "MESH_ERR_NODE_STOPPED"),
    );
    const { call } = held.calls[0] as (typeof held.calls)[number];
    await waitFor("the server to see the caller gone", () => call.abandoned);

    // A stopped client starts again.
    await client.start();
    const again = client.call(server.address, request("again"));
    await waitFor("the new call to arrive", () => held.calls.length === 2);
    (held.calls[1] as (typeof held.calls)[number]).resolve("again");
    assert.equal(await again, "again");

    const second = held.calls.length;
    const pending = outcome(client.call(server.address, request("during server stop", { timeoutMs: 60_000 })));
    await waitFor("it to arrive", () => held.calls.length === second + 1);
    const serverSide = (held.calls[second] as (typeof held.calls)[number]).call;
    await Promise.all([server.stop(), server.stop()]);
    assert.ok(serverSide.signal.aborted, "server stop abandons running calls");
    assert.ok(isMeshError((await pending).error, "MESH_ERR_NODE_UNREACHABLE"));
  });

  it("fails to start with MESH_ERR_BIND_FAILED on a port in use", async (t) => {
    const first = await startServer(t, echoHandler);
    const second = new CallServer(echoHandler, { host: LOOPBACK, port: first.port });
    const failed = await outcome(second.start());
    assert.ok(isMeshError(failed.error, "MESH_ERR_BIND_FAILED"));
    assert.equal(failed.error.details?.port, first.port);
    await second.stop();
  });
});
