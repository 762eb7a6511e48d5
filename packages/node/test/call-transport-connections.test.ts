import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { isMeshError } from "@mesh/interface";
import { waitFor } from "@mesh/testing";
import { CallServer } from "../src/call-transport/index.js";
import { callToWire, helloToWire, replyToWire } from "../src/call-transport/messages.js";
import { WireCodec } from "../src/call-transport/wire-codec.js";
import {
  aesGcmCipher,
  echoHandler,
  HeldCalls,
  LOOPBACK,
  outcome,
  request,
  startClient,
  startServer,
} from "./call-transport-fixtures.js";

/** A plain TCP server under the test's control, for peers that misbehave. */
async function rawServer(
  t: TestContext,
  onSocket: (socket: Socket) => void,
): Promise<{ server: Server; address: string }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  t.after(async () => {
    // A paused socket never reads the FIN, so close() would wait for it forever.
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as { port: number };
  return { server, address: `${LOOPBACK}:${port}` };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function rawFrame(body: Uint8Array): Buffer {
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, 4);
  return frame;
}

const codec = new WireCodec(16 * 1024 * 1024, undefined);
/** The first frame a caller must send. */
const hello = codec.encode(helloToWire(), "hello");

describe("call transport: connections", () => {
  it("fails calls in flight with MESH_ERR_NODE_UNREACHABLE when the peer goes, then reconnects to it on the same port", async (t) => {
    const held = new HeldCalls();
    const first = new CallServer(held, { host: LOOPBACK });
    await first.start();
    const port = first.port as number;
    const address = first.address as string;
    const client = await startClient(t, { reconnectBaseMs: 10, reconnectMaxMs: 40 });
    const inFlight = [1, 2, 3].map((i) => outcome(client.call(address, request(i, { timeoutMs: 60_000 }))));
    await waitFor("the calls to arrive", () => held.calls.length === 3);
    await first.stop();
    for (const result of await Promise.all(inFlight)) {
      assert.ok(isMeshError(result.error, "MESH_ERR_NODE_UNREACHABLE"), String(result.error));
      assert.equal(result.error.retryable, true);
    }
    const refused = await outcome(client.call(address, request("refused")));
    assert.ok(isMeshError(refused.error, "MESH_ERR_NODE_UNREACHABLE"));

    await startServer(t, echoHandler, { port });
    let reply: unknown;
    await waitFor("a call to the restarted peer to succeed", async () => {
      reply = (await outcome(client.call(address, request("back")))).value;
      return reply !== undefined;
    });
    assert.deepEqual(reply, { echo: "back" });
    assert.ok(client.stats().reconnects >= 1);
    assert.equal(client.stats().connections, 1);
  });

  it("backs off after a refused connect: sends fail at once without dialling again", async (t) => {
    const address = `${LOOPBACK}:${await closedPort()}`;
    const client = await startClient(t, { reconnectBaseMs: 60_000, reconnectMaxMs: 60_000 });
    const refused = await outcome(client.call(address, request(1)));
    assert.ok(isMeshError(refused.error, "MESH_ERR_NODE_UNREACHABLE"));
    const fast = await outcome(client.call(address, request(2)));
    assert.ok(isMeshError(fast.error, "MESH_ERR_NODE_UNREACHABLE"));
    assert.ok((fast.error.details?.retryInMs as number) > 59_000);
    assert.throws(
      () => client.cast(address, request(3)),
      (e: unknown) => isMeshError(e, "MESH_ERR_NODE_UNREACHABLE"),
    );
    assert.equal(client.stats().reconnects, 0, "no second connection attempt during backoff");
    assert.equal(client.stats().dropped.unreachable, 3);
  });

  it("closePeer fails the peer's calls now, and the callee sees them abandoned", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held);
    const client = await startClient(t);
    const pending = outcome(client.call(server.address, request("x", { timeoutMs: 60_000 })));
    await waitFor("the call to arrive", () => held.calls.length === 1);
    client.closePeer(server.address, "membership declared it dead");
    const result = await pending;
    assert.ok(isMeshError(result.error, "MESH_ERR_NODE_UNREACHABLE"));
    assert.match(result.error.message, /declared it dead/);
    const { call } = held.calls[0] as (typeof held.calls)[number];
    await waitFor("the callee to see the caller gone", () => call.abandoned);
    held.calls.length = 0;
    const again = client.call(server.address, request("again"));
    await waitFor("a new call on a new connection", () => held.calls.length === 1);
    held.echoAll();
    assert.equal(await again, "again");
  });

  it("keeps buffering bounded against a peer that stops reading, and resumes on drain", async (t) => {
    let peer: Socket | undefined;
    let received = 0;
    const { address } = await rawServer(t, (socket) => {
      socket.pause(); // accepts the connection, reads nothing
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
      });
      peer = socket;
    });
    const limit = 64;
    // A peer that reads nothing and answers no ping for a minute is dead to the keepalive; here it is only slow.
    const client = await startClient(t, { maxInFlightPerPeer: limit, pingTimeoutMs: 120_000 });
    const payload = Buffer.alloc(1024 * 1024, 7);
    const calls = Array.from({ length: limit }, (_, i) =>
      outcome(client.call(address, request(payload, { id: `big${i}`, timeoutMs: 60_000 }))),
    );
    const over = await outcome(client.call(address, request(payload)));
    assert.ok(isMeshError(over.error, "MESH_ERR_OVERLOADED"), "the 65th call is refused at once");

    await waitFor("the socket to push back", () => client.stats().writeStalls >= 1, { timeoutMs: 20_000 });
    const stalled = client.stats();
    let total = hello.length;
    for (let i = 0; i < limit; i++) {
      total += codec.encode(callToWire(i, "Echo", `big${i}`, "echo", payload, undefined, 60_000, [], 0), "x").length;
    }
    assert.equal(stalled.bytesOut + stalled.queuedBytes, total, "every frame written or held, once");
    assert.ok(stalled.queuedBytes > 0, "frames wait in our bounded queue, not in the socket's unbounded buffer");
    assert.ok(stalled.bytesOut < total);
    assert.equal(stalled.callsInFlight, limit);

    peer?.resume();
    await waitFor("everything to be written after drain", () => received === total, {
      timeoutMs: 20_000,
      describe: () => `received ${received} of ${total}`,
    });
    assert.equal(client.stats().queuedBytes, 0);
    await client.stop();
    for (const result of await Promise.all(calls)) assert.ok(isMeshError(result.error, "MESH_ERR_NODE_STOPPED"));
  });

  it("bounds queued casts to a peer that stops reading with MESH_ERR_OVERLOADED", async (t) => {
    const { address } = await rawServer(t, (socket) => socket.pause());
    const maxQueuedBytesPerPeer = 4 * 1024 * 1024;
    const client = await startClient(t, { maxQueuedBytesPerPeer });
    const payload = Buffer.alloc(512 * 1024, 1);
    let refused: unknown;
    for (let i = 0; i < 2000 && refused === undefined; i++) {
      try {
        client.cast(address, request(payload));
      } catch (error) {
        refused = error;
      }
      // Let the writer flush between casts, so the socket (not only our queue) fills up.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(isMeshError(refused, "MESH_ERR_OVERLOADED"), String(refused));
    const stats = client.stats();
    assert.ok(stats.writeStalls >= 1);
    assert.ok(stats.queuedBytes <= maxQueuedBytesPerPeer + payload.length + 64, `queued ${stats.queuedBytes}`);
  });

  it("stops reading requests from a caller that does not read its replies", async (t) => {
    let handled = 0;
    const server = await startServer(t, {
      onCall: async (call) => {
        handled++;
        return call.payload;
      },
      onCast: () => {},
    });
    const payload = Buffer.alloc(32 * 1024, 3);
    const n = 2000;
    const frames = Array.from({ length: n }, (_, i) =>
      codec.encode(callToWire(i, "Echo", "a", "echo", payload, undefined, 60_000, [], 0), "x"),
    );
    const socket = connect({ host: LOOPBACK, port: server.port as number });
    t.after(() => socket.destroy());
    socket.pause(); // never reads the replies
    socket.write(Buffer.concat([hello, ...frames]));
    await waitFor("the server to stall on writes", () => server.stats().writeStalls >= 1, { timeoutMs: 20_000 });
    const stalled = server.stats();
    assert.ok(handled < n, `the server stopped taking requests (handled ${handled} of ${n})`);
    assert.ok(stalled.queuedBytes <= 2 * 1024 * 1024, `queued ${stalled.queuedBytes} bytes of replies`);

    let received = 0;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.resume();
    const replyBytes = codec.encode(replyToWire(0, payload), "x").length;
    await waitFor("every request handled once the caller reads", () => handled === n, { timeoutMs: 30_000 });
    await waitFor("every reply to arrive", () => received >= n * replyBytes, { timeoutMs: 30_000 });
  });

  it("closes only the connection that sends garbage; other callers carry on", async (t) => {
    const held = new HeldCalls();
    const server = await startServer(t, held, { maxFrameBytes: 1024 });
    const client = await startClient(t);
    const good = client.call(server.address, request("survivor", { timeoutMs: 60_000 }));
    await waitFor("the good call to arrive", () => held.calls.length === 1);

    const garbage: [string, Buffer, string][] = [
      ["an oversize length prefix", Buffer.from([0, 0, 4, 1]), "oversize-frame"],
      ["a body that is not msgpack", rawFrame(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])), "undecodable-frame"],
      ["msgpack that is no message", rawFrame(codec.encode([9, 9], "x").subarray(4)), "invalid-message"],
      ["a reply sent to a server", codec.encode(replyToWire(1, "x"), "x") as Buffer, "invalid-message"],
      ["random bytes", Buffer.concat([Buffer.from([0, 0, 0, 40]), randomBytes(40)]), "undecodable-frame"],
    ];
    for (const [name, bytes, reason] of garbage) {
      const before = server.stats().dropped;
      const socket = connect({ host: LOOPBACK, port: server.port as number });
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.on("error", () => {});
      socket.write(Buffer.concat([hello, bytes]));
      await closed;
      const after = server.stats().dropped;
      const counted = (Object.keys(after) as (keyof typeof after)[]).filter((k) => after[k] !== before[k]);
      // Random bytes may also happen to decode to a non-message; either way it is counted and closed.
      if (name === "random bytes") assert.equal(counted.length, 1, name);
      else assert.deepEqual(counted, [reason], name);
    }
    assert.equal(held.calls.length, 1, "no garbage reached the handler");
    held.echoAll();
    assert.equal(await good, "survivor");
    assert.equal(server.stats().connections, 1, "the good caller's connection was never closed");
    assert.equal(server.stats().accepted, 1 + garbage.length);
  });

  it("closes a client connection whose peer answers garbage; its calls fail retryably, other peers are untouched", async (t) => {
    const { address: badAddress } = await rawServer(t, (socket) => {
      socket.once("data", () => socket.write(rawFrame(Buffer.from([0xc1, 0xc1]))));
    });
    const held = new HeldCalls();
    const good = await startServer(t, held);
    const client = await startClient(t);
    const toGood = client.call(good.address, request("fine", { timeoutMs: 60_000 }));
    await waitFor("the good call to arrive", () => held.calls.length === 1);
    const toBad = await outcome(client.call(badAddress, request("x", { timeoutMs: 60_000 })));
    assert.ok(isMeshError(toBad.error, "MESH_ERR_NODE_UNREACHABLE"));
    assert.match(toBad.error.message, /bad frame/);
    assert.equal(client.stats().dropped["undecodable-frame"], 1);
    held.echoAll();
    assert.equal(await toGood, "fine");
  });

  it("with a cipher: the same key calls, a wrong key or no key cannot, and the handler never sees them", async (t) => {
    const key = randomBytes(32);
    let invoked = 0;
    const server = await startServer(
      t,
      { onCall: async (call) => ++invoked && { echo: call.payload }, onCast: () => invoked++ },
      { cipher: aesGcmCipher(key) },
    );
    const friend = await startClient(t, { cipher: aesGcmCipher(key) });
    assert.deepEqual(await friend.call(server.address, request("secret")), { echo: "secret" });
    assert.equal(invoked, 1);

    for (const [name, stranger] of [
      ["a wrong key", await startClient(t, { cipher: aesGcmCipher(randomBytes(32)) })],
      ["no key", await startClient(t)],
    ] as const) {
      const result = await outcome(stranger.call(server.address, request("let me in")));
      assert.ok(isMeshError(result.error, "MESH_ERR_NODE_UNREACHABLE"), name);
      stranger.cast(server.address, request("cast"));
    }
    await waitFor("every stranger connection to be refused", () => server.stats().accepted === 5);
    await waitFor("...and closed", () => server.stats().connections === 1);
    assert.equal(invoked, 1, "nothing from a stranger reached the handler");
    assert.equal(server.stats().dropped["unopenable-frame"], 4, "two calls and two casts refused");
    assert.deepEqual(await friend.call(server.address, request("still")), { echo: "still" });
  });
});
