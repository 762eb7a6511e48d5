import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { isMeshError } from "@mesh/interface";
import { FakeClock, waitFor } from "@mesh/testing";
import { FrameDecoder } from "../src/call-transport/frame-decoder.js";
import { CallClient, type CallClientInit } from "../src/call-transport/index.js";
import { decodeMessage, MessageType, pongToWire } from "../src/call-transport/messages.js";
import { WireCodec } from "../src/call-transport/wire-codec.js";
import { BlackHoleProxy } from "./black-hole-proxy.js";
import { echoHandler, LOOPBACK, outcome, request, startClient, startServer } from "./call-transport-fixtures.js";

const codec = new WireCodec(1024 * 1024, undefined);

/**
 * A callee under the test's control: it records the message types it receives
 * and answers pings while `answering` is true; it never answers a call.
 */
async function rawCallee(t: TestContext) {
  const state = { received: [] as number[], answering: true, sockets: [] as Socket[], closed: 0 };
  const server = createServer((socket) => {
    state.sockets.push(socket);
    socket.on("error", () => {});
    socket.on("close", () => state.closed++);
    const decoder = new FrameDecoder(1024 * 1024);
    socket.on("data", (chunk: Buffer) => {
      decoder.push(chunk, (buffer, start, end) => {
        const message = decodeMessage(codec.decode(buffer, start, end));
        if (message === undefined) return true;
        state.received.push(message.type);
        if (message.type === MessageType.Ping && state.answering) socket.write(codec.encode(pongToWire(), "pong"));
        return true;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  t.after(async () => {
    for (const socket of state.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as { port: number };
  return { ...state, state, address: `${LOOPBACK}:${port}` };
}

const count = (list: number[], type: number) => list.filter((t) => t === type).length;

/**
 * Calls until one succeeds, each with a short deadline (a caller retrying a
 * retryable failure); returns the time of the first success.
 */
async function firstSuccess(client: CallClient, address: string, withinMs: number): Promise<number> {
  const deadline = performance.now() + withinMs;
  for (let i = 0; performance.now() < deadline; i++) {
    const result = await outcome(client.call(address, request(`try${i}`, { timeoutMs: 200 })));
    if (result.error === undefined) return performance.now();
    assert.ok(
      isMeshError(result.error, "MESH_ERR_TIMEOUT") || isMeshError(result.error, "MESH_ERR_NODE_UNREACHABLE"),
      String(result.error),
    );
    if (isMeshError(result.error, "MESH_ERR_NODE_UNREACHABLE")) await new Promise((r) => setTimeout(r, 10));
  }
  return Number.POSITIVE_INFINITY;
}

/** client → proxy → echo server; one call proves the path. */
async function proxiedPath(t: TestContext, init: CallClientInit) {
  const server = await startServer(t, echoHandler);
  const proxy = await BlackHoleProxy.start(t, server.port as number);
  const client = await startClient(t, init);
  assert.deepEqual(await client.call(proxy.address, request("up")), { echo: "up" });
  return { server, proxy, client };
}

/** Black-holes the link for `ms` with calls timing out meanwhile, then heals it and returns the heal time. */
async function partition(client: CallClient, proxy: BlackHoleProxy, ms: number): Promise<number> {
  proxy.blackHole();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const result = await outcome(client.call(proxy.address, request("lost", { timeoutMs: 200 })));
    assert.ok(result.error !== undefined, "nothing crosses a black hole");
  }
  proxy.heal();
  return performance.now();
}

describe("call transport: dead connections", () => {
  it("pings a quiet connection and replaces it when the ping goes unanswered (fake clock)", async (t) => {
    const clock = new FakeClock();
    const callee = await rawCallee(t);
    const client = await startClient(t, { pingIntervalMs: 1000, pingTimeoutMs: 2000 }, { clock });
    client.cast(callee.address, request("open"));
    await waitFor("the hello and the cast", () => callee.state.received.length === 2);
    assert.deepEqual(callee.state.received, [MessageType.Hello, MessageType.Cast]);

    clock.advance(999);
    clock.advance(1);
    await waitFor("a ping after 1 s of silence", () => count(callee.state.received, MessageType.Ping) === 1);
    await waitFor("its pong to arrive", () => client.stats().bytesIn > 0);
    clock.advance(999);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(
      count(callee.state.received, MessageType.Ping),
      1,
      "the pong was a sign of life: no ping before 1 s more",
    );
    clock.advance(1);
    await waitFor("the second ping", () => count(callee.state.received, MessageType.Ping) === 2);

    callee.state.answering = false;
    clock.advance(1000);
    await waitFor("the third ping, unanswered", () => count(callee.state.received, MessageType.Ping) === 3);
    clock.advance(1999);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(client.stats().dropped["ping-timeout"], 0, "not before the ping timeout");
    assert.equal(callee.state.closed, 0);
    clock.advance(1);
    assert.equal(client.stats().dropped["ping-timeout"], 1);
    await waitFor("the callee to see the connection closed", () => callee.state.closed === 1);
    assert.equal(client.stats().peers, 1, "the peer is kept: the next send dials again at once");
    client.cast(callee.address, request("again"));
    await waitFor("a new connection", () => count(callee.state.received, MessageType.Hello) === 2);
  });

  it("keeps a silent connection while membership says the peer answers probes, up to maxStallMs (fake clock)", async (t) => {
    // A link retransmitting into loss: probes get through, this connection's bytes do not yet.
    const clock = new FakeClock();
    const callee = await rawCallee(t);
    let answering = true;
    const client = await startClient(
      t,
      { pingIntervalMs: 1000, pingTimeoutMs: 2000, maxStallMs: 6000 },
      { clock, peerAnswering: (address) => answering && address === callee.address },
    );
    const call = outcome(client.call(callee.address, request("slow", { timeoutMs: 60_000 })));
    await waitFor("the call to arrive", () => count(callee.state.received, MessageType.Call) === 1);
    callee.state.answering = false;
    clock.advance(1000);
    await waitFor("a ping after 1 s of silence", () => count(callee.state.received, MessageType.Ping) === 1);
    clock.advance(2000);
    clock.advance(2000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(client.stats().dropped["ping-timeout"], 0, "5 s of silence: kept, the peer answers probes");
    assert.equal(callee.state.closed, 0);
    client.resetPeer(callee.address); // a false suspicion refuted meanwhile: the same rule
    assert.equal(client.stats().dropped.reset, 0, "a refuted suspicion does not replace it either");
    clock.advance(999);
    assert.equal(client.stats().dropped["ping-timeout"], 0, "not before 6 s of silence");
    clock.advance(1);
    assert.equal(client.stats().dropped["ping-timeout"], 1, "6 s of silence: replaced even so");
    const result = await call;
    assert.ok(isMeshError(result.error, "MESH_ERR_NODE_UNREACHABLE"), String(result.error));

    // A new connection, silent again; membership now says the peer stopped answering.
    client.cast(callee.address, request("again"));
    await waitFor("a new connection", () => count(callee.state.received, MessageType.Hello) === 2);
    answering = false;
    clock.advance(1000);
    await waitFor("its ping", () => count(callee.state.received, MessageType.Ping) === 2);
    clock.advance(2000);
    assert.equal(client.stats().dropped["ping-timeout"], 2, "suspected by membership: replaced at the ping timeout");
  });

  it("rejects a maxStallMs shorter than the ping timeout", () => {
    assert.throws(
      () => new CallClient({ pingTimeoutMs: 5000, maxStallMs: 1000 }),
      (error: unknown) => isMeshError(error, "MESH_ERR_INVALID_ARGUMENT") && /maxStallMs/.test(String(error)),
    );
  });

  it("replaces a connection after a streak of timeouts with nothing received (fake clock)", async (t) => {
    const clock = new FakeClock();
    const callee = await rawCallee(t);
    const client = await startClient(t, { pingIntervalMs: 60_000, maxTimeoutStreak: 3 }, { clock });
    const calls = [0, 1, 2].map((i) => outcome(client.call(callee.address, request(i, { timeoutMs: 100 }))));
    await waitFor("the calls to arrive", () => count(callee.state.received, MessageType.Call) === 3);
    clock.advance(100);
    for (const result of await Promise.all(calls)) assert.ok(isMeshError(result.error, "MESH_ERR_TIMEOUT"));
    assert.equal(client.stats().dropped["timeout-streak"], 1);
    await waitFor("the callee to see the connection closed", () => callee.state.closed === 1);
  });

  it("keeps the connection after a streak of timeouts while membership says the peer answers (fake clock)", async (t) => {
    const clock = new FakeClock();
    const callee = await rawCallee(t);
    const client = await startClient(
      t,
      { pingIntervalMs: 60_000, maxTimeoutStreak: 3 },
      { clock, peerAnswering: () => true },
    );
    const calls = [0, 1, 2].map((i) => outcome(client.call(callee.address, request(i, { timeoutMs: 100 }))));
    await waitFor("the calls to arrive", () => count(callee.state.received, MessageType.Call) === 3);
    clock.advance(100);
    for (const result of await Promise.all(calls)) assert.ok(isMeshError(result.error, "MESH_ERR_TIMEOUT"));
    assert.equal(client.stats().dropped["timeout-streak"], 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(callee.state.closed, 0, "the connection is kept");
  });

  it("after a black hole heals, calls succeed within 1 s by the keepalive alone", async (t) => {
    const { proxy, client } = await proxiedPath(t, { pingIntervalMs: 100, pingTimeoutMs: 300 });
    const healedAt = await partition(client, proxy, 1500);
    const succeededAt = await firstSuccess(client, proxy.address, 5000);
    assert.ok(succeededAt - healedAt <= 1000, `first success ${Math.round(succeededAt - healedAt)} ms after the heal`);
    const dropped = client.stats().dropped;
    assert.ok(dropped["ping-timeout"] + dropped["timeout-streak"] >= 1, "the stuck connection was replaced");
  });

  it("after a black hole heals, resetPeer makes the next call succeed at once", async (t) => {
    // No pings and no streak: only the reset can replace the stuck connection, silent longer
    // than a ping may go unanswered (pingTimeoutMs).
    const { proxy, client } = await proxiedPath(t, {
      pingIntervalMs: 60_000,
      pingTimeoutMs: 500,
      maxTimeoutStreak: 1e6,
    });
    const healedAt = await partition(client, proxy, 1000);
    client.resetPeer(proxy.address);
    const succeededAt = await firstSuccess(client, proxy.address, 5000);
    assert.ok(succeededAt - healedAt <= 1000, `first success ${Math.round(succeededAt - healedAt)} ms after the heal`);
    assert.equal(client.stats().dropped.reset, 1);
  });

  it("without any of it, the stuck connection keeps failing calls long after the heal (the bug)", async (t) => {
    const { proxy, client } = await proxiedPath(t, {
      pingIntervalMs: 60_000,
      pingTimeoutMs: 60_000,
      maxTimeoutStreak: 1e6,
    });
    const healedAt = await partition(client, proxy, 500);
    const succeededAt = await firstSuccess(client, proxy.address, 1500);
    assert.equal(
      succeededAt,
      Number.POSITIVE_INFINITY,
      `succeeded ${Math.round(succeededAt - healedAt)} ms after heal`,
    );
  });

  it("resetPeer during a fresh connect keeps it and the calls queued on it", async (t) => {
    // A member refuting a false suspicion at start-up resets its peers' connections while
    // the first ones are still connecting; a connect that young is not a stuck one.
    const server = await startServer(t, echoHandler);
    const client = await startClient(t, {});
    const calls = [0, 1, 2, 3].map((i) => outcome(client.call(server.address, request(`q${i}`))));
    client.resetPeer(server.address); // the connect has not completed: it cannot before this turn ends
    for (const [i, result] of (await Promise.all(calls)).entries()) {
      assert.deepEqual(result, { value: { echo: `q${i}` } });
    }
    assert.equal(client.stats().dropped.reset, 0);
  });

  it("resetPeer keeps a connection that is carrying bytes", async (t) => {
    const { proxy, client } = await proxiedPath(t, {});
    client.resetPeer(proxy.address);
    assert.deepEqual(await client.call(proxy.address, request("same")), { echo: "same" });
    assert.equal(client.stats().reconnects, 0);
    assert.equal(client.stats().dropped.reset, 0);
    assert.equal(proxy.accepted, 1);
    client.resetPeer("127.0.0.1:1"); // an unknown peer: nothing to do
  });
});
