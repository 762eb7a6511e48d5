import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import type { LogFields, Logger } from "@mesh/interface";
import { FakeClock, waitFor } from "@mesh/testing";
import { secretFrameCipher } from "../src/call-cipher.js";
import type { CallServer, CallServerInit } from "../src/call-transport/index.js";
import { callToWire, helloToWire } from "../src/call-transport/messages.js";
import { WireCodec } from "../src/call-transport/wire-codec.js";
import { echoHandler, LOOPBACK, outcome, request, startClient, startServer } from "./call-transport-fixtures.js";

const MiB = 1024 * 1024;
const plain = new WireCodec(16 * MiB, undefined);
const hello = Buffer.from(plain.encode(helloToWire(), "hello"));

/** A header announcing a body of `length`, followed by `sent` bytes of it. */
function announce(length: number, sent: number): Buffer {
  const out = Buffer.alloc(4 + sent, 0x41);
  out.writeUInt32BE(length, 0);
  return out;
}

/** Raw sockets to `server` under the test's control; destroyed when the test ends. */
function rawSockets(t: TestContext) {
  const sockets: Socket[] = [];
  t.after(() => {
    for (const socket of sockets) socket.destroy();
  });
  return {
    sockets,
    async open(server: CallServer, first: Buffer): Promise<Socket> {
      const socket = connect({ host: LOOPBACK, port: server.port as number });
      socket.on("error", () => {});
      sockets.push(socket);
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(first);
      return socket;
    },
    closed: () => sockets.filter((s) => s.destroyed || s.readableEnded).length,
  };
}

/** Waits until the server has closed `socket` (its FIN or RST reached us). */
function closedBy(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once("close", () => resolve());
    socket.resume();
  });
}

/** A logger that keeps what it is given. */
function recordingLogger(): Logger & { lines: { level: string; message: string; fields?: LogFields }[] } {
  const lines: { level: string; message: string; fields?: LogFields }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, ...(fields === undefined ? {} : { fields }) });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * The attack of the report: `count` connections each announce a 16 MiB frame,
 * send `sentBytes` of it and trickle 1 KiB per 100 ms. Meanwhile a real caller
 * makes calls; every one must succeed, and the bytes the server holds for
 * incomplete frames must stay within 64 MiB the whole time.
 */
async function attack(
  t: TestContext,
  options: { secret: boolean; count: number; sentBytes: number; init?: CallServerInit },
): Promise<CallServer> {
  const secret = randomBytes(32);
  const cipher = () => (options.secret ? { cipher: secretFrameCipher(secret) } : {});
  const server = await startServer(t, echoHandler, { ...cipher(), ...options.init });
  const client = await startClient(t, cipher());
  assert.deepEqual(await client.call(server.address, request("before")), { echo: "before" });

  const raw = rawSockets(t);
  // Without a secret anyone can say hello; with one, the attacker cannot, so it announces at once.
  const first = Buffer.concat([options.secret ? Buffer.alloc(0) : hello, announce(16 * MiB, options.sentBytes)]);
  await Promise.all(Array.from({ length: options.count }, () => raw.open(server, first)));
  const trickle = setInterval(() => {
    for (const socket of raw.sockets) if (!socket.destroyed) socket.write(Buffer.alloc(1024, 0x42));
  }, 100);
  t.after(() => clearInterval(trickle));

  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, server.stats().bufferedBytes);
  }, 5);
  t.after(() => clearInterval(sampler));
  for (let round = 0; round < 20; round++) {
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => outcome(client.call(server.address, request(`r${round}.${i}`)))),
    );
    for (const [i, reply] of replies.entries()) {
      assert.deepEqual(reply.value, { echo: `r${round}.${i}` }, `call ${round}.${i}: ${String(reply.error)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  clearInterval(sampler);
  const stats = server.stats();
  assert.ok(peak <= 64 * MiB, `buffered ${peak} bytes at the sampled peak`);
  assert.ok(stats.peakBufferedBytes <= 64 * MiB, `buffered ${stats.peakBufferedBytes} bytes at the counted peak`);
  assert.ok(stats.peakBufferedBytes <= server.config.maxBufferedBytes, "never above the configured total");
  assert.equal(client.stats().reconnects, 0, "the real caller's connection was never closed");
  return server;
}

describe("call transport: hostile callers", () => {
  it("with a secret: 400 connections announcing 16 MiB pin nothing, and real calls succeed", async (t) => {
    const server = await attack(t, { secret: true, count: 400, sentBytes: 100 });
    await waitFor("every attacker to be closed", () => server.stats().connections === 1, { timeoutMs: 30_000 });
    const { dropped } = server.stats();
    // Each is closed at its first header (over the 1 KiB limit before the hello), or gave way first,
    // or (on a loaded machine, read late) ran out of time for its hello.
    const closed = ["oversize-frame", "preauth-limit", "connection-limit", "auth-timeout"] as const;
    assert.equal(
      closed.reduce((sum, reason) => sum + dropped[reason], 0),
      400,
      JSON.stringify(dropped),
    );
    assert.ok(server.stats().peakBufferedBytes < MiB, `peak ${server.stats().peakBufferedBytes}`);
    assert.equal(server.stats().connections, 1, "only the real caller is left");
  });

  it("without a secret: 400 connections that say hello then trickle 16 MiB frames stay under the buffer cap", async (t) => {
    // 200 KiB sent each: 80 MiB wanted in all, against a 16 MiB cap. The waiting-connection caps
    // are lifted so that every attacker gets to say hello however late the server reads it: here
    // it is the buffer cap under test.
    const server = await attack(t, {
      secret: false,
      count: 400,
      sentBytes: 200 * 1024,
      init: {
        maxBufferedBytes: 16 * MiB,
        maxUnauthenticated: 400,
        maxUnauthenticatedPerAddress: 400,
        authTimeoutMs: 60_000,
      },
    });
    const stats = server.stats();
    assert.ok(stats.dropped["buffer-limit"] > 0, "the oldest trickles were closed to make room");
    assert.ok(stats.connections <= server.config.maxConnectionsPerAddress);
  });

  it("closes a frame that does not complete within frameTimeoutMs (fake clock), and gives its buffer back", async (t) => {
    const clock = new FakeClock();
    const server = await startServer(t, echoHandler, { frameTimeoutMs: 10_000 }, { clock });
    const raw = rawSockets(t);
    const socket = await raw.open(server, Buffer.concat([hello, announce(MiB, 10)]));
    await waitFor("the frame to start", () => server.stats().bufferedBytes > 0);
    for (let i = 0; i < 19; i++) {
      // Bytes keep coming (the connection is not idle), but the frame never completes.
      socket.write(Buffer.alloc(10));
      await waitFor("the bytes to arrive", () => server.stats().bytesIn >= hello.length + 14 + 10 * (i + 1));
      clock.advance(500);
    }
    assert.equal(server.stats().dropped["slow-frame"], 0, "9.5 s: not yet");
    clock.advance(500);
    await closedBy(socket);
    assert.equal(server.stats().dropped["slow-frame"], 1);
    assert.equal(server.stats().bufferedBytes, 0, "its buffer was given back");
  });

  it("closes a connection that sends no hello within authTimeoutMs (fake clock), or something else first", async (t) => {
    const clock = new FakeClock();
    const server = await startServer(t, echoHandler, { authTimeoutMs: 2_000 }, { clock });
    const raw = rawSockets(t);
    const silent = await raw.open(server, Buffer.alloc(0));
    const halfHello = await raw.open(server, hello.subarray(0, 3));
    const call = await raw.open(
      server,
      Buffer.from(plain.encode(callToWire(1, "M", "i", "c", 1, undefined, 1000, [], 0), "x")),
    );
    await closedBy(call);
    assert.equal(server.stats().dropped.unauthenticated, 1, "a call before the hello is refused at once");
    await waitFor("the half hello to arrive", () => server.stats().bytesIn >= 3 + 4);
    clock.advance(1_999);
    assert.equal(server.stats().unauthenticated, 2, "1.999 s: both still waiting");
    clock.advance(1);
    await Promise.all([closedBy(silent), closedBy(halfHello)]);
    const { dropped, unauthenticated, connections } = server.stats();
    assert.equal(dropped["auth-timeout"], 2);
    assert.equal(unauthenticated, 0);
    assert.equal(connections, 0);
  });

  it("closes idle connections on the injected clock", async (t) => {
    const clock = new FakeClock();
    const server = await startServer(t, echoHandler, { idleTimeoutMs: 30_000 }, { clock });
    const raw = rawSockets(t);
    const socket = await raw.open(server, hello);
    await waitFor(
      "the hello to be read",
      () => server.stats().connections === 1 && server.stats().unauthenticated === 0,
    );
    clock.advance(29_000);
    assert.equal(server.stats().connections, 1, "29 s of silence is not yet idle");
    clock.advance(1_000);
    await closedBy(socket);
    assert.equal(server.stats().dropped["idle-timeout"], 1);
  });

  it("lets a real caller in while waiting connections fill their cap: the oldest gives way", async (t) => {
    const secret = randomBytes(32);
    const server = await startServer(t, echoHandler, {
      cipher: secretFrameCipher(secret),
      maxUnauthenticatedPerAddress: 8,
      authTimeoutMs: 60_000,
    });
    const raw = rawSockets(t);
    for (let i = 0; i < 20; i++) await raw.open(server, Buffer.alloc(0));
    await waitFor("the cap to hold", () => server.stats().unauthenticated === 8);
    assert.equal(server.stats().dropped["preauth-limit"], 12);
    const client = await startClient(t, { cipher: secretFrameCipher(secret) });
    assert.deepEqual(await client.call(server.address, request("in")), { echo: "in" });
    assert.equal(server.stats().dropped["preauth-limit"], 13, "one more waiting connection gave way");
  });

  it("refuses connections beyond the per-address cap once everyone has said hello", async (t) => {
    const server = await startServer(t, echoHandler, { maxConnectionsPerAddress: 5 });
    const raw = rawSockets(t);
    for (let i = 0; i < 5; i++) await raw.open(server, hello);
    await waitFor("five authenticated", () => server.stats().connections === 5 && server.stats().unauthenticated === 0);
    const refused = await raw.open(server, hello);
    await closedBy(refused);
    assert.equal(server.stats().dropped["connection-limit"], 1);
    assert.equal(server.stats().connections, 5);
  });

  it("logs security drops through the logger, once per reason per window, with the count left out", async (t) => {
    const clock = new FakeClock();
    const logger = recordingLogger();
    const server = await startServer(t, echoHandler, { maxFrameBytes: 1024 }, { clock, logger });
    const raw = rawSockets(t);
    const flood = async (n: number) => {
      const sockets = await Promise.all(Array.from({ length: n }, () => raw.open(server, announce(MiB, 0))));
      await Promise.all(sockets.map(closedBy));
    };
    await flood(50);
    const warnings = () => logger.lines.filter((l) => l.message.startsWith("call port dropped"));
    assert.equal(server.stats().dropped["oversize-frame"], 50);
    assert.equal(warnings().length, 1, "50 drops, one line");
    assert.equal(warnings()[0]?.level, "warn");
    assert.equal(warnings()[0]?.fields?.reason, "oversize-frame");
    clock.advance(10_000);
    await flood(1);
    assert.equal(warnings().length, 2);
    assert.equal(warnings()[1]?.fields?.suppressed, 49, "the next line says how many went unlogged");
  });
});
