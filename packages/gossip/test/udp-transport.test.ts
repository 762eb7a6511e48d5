import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { describe, test } from "node:test";
import { isMeshError, MeshError } from "@mesh/interface";
import { FakeClock, waitFor } from "@mesh/testing";
import { FrameReader, frameHeader } from "../src/transport/frame-reader.js";
import type { StreamHandler, Transport } from "../src/transport/transport.js";
import { createUdpTransport, udpTransportConfig } from "../src/transport/udp-transport.js";
import { LOOPBACK, loopbackTransport } from "./net-helpers.js";

async function started(transport: Transport, stream: StreamHandler = (r) => r): Promise<Transport> {
  transport.setHandlers({ packet: () => {}, stream });
  await transport.start();
  return transport;
}

/** Opens a raw TCP connection to the transport and writes `bytes`; resolves when the server closes it. */
function rawStream(port: number, bytes: Uint8Array): Promise<{ received: number }> {
  return new Promise((resolve) => {
    let received = 0;
    const socket = net.connect({ host: LOOPBACK, port }, () => socket.write(bytes));
    socket.on("data", (chunk) => {
      received += chunk.length;
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve({ received }));
  });
}

describe("FrameReader", () => {
  const frame = (body: number[]): Uint8Array => Uint8Array.from([...frameHeader(body.length), ...body]);

  test("reassembles frames from chunks of every size", () => {
    const wire = Uint8Array.from([...frame([1, 2, 3]), ...frame([]), ...frame([9])]);
    for (let chunk = 1; chunk <= wire.length; chunk++) {
      const reader = new FrameReader(100);
      const frames: number[][] = [];
      for (let i = 0; i < wire.length; i += chunk) {
        assert.notEqual(reader.push(wire.subarray(i, i + chunk)), "oversize");
        for (let f = reader.next(); f !== undefined; f = reader.next()) frames.push([...f]);
      }
      assert.deepEqual(frames, [[1, 2, 3], [], [9]], `chunk size ${chunk}`);
      assert.equal(reader.partial, false);
    }
  });

  test("reports oversize from the prefix alone, including lengths >= 2^31", () => {
    const cases: [number[], number, "oversize" | "more"][] = [
      [[0, 0, 0, 101], 100, "oversize"],
      [[0, 0, 0, 100], 100, "more"],
      [[0x80, 0, 0, 0], 100, "oversize"],
      [[0xff, 0xff, 0xff, 0xff], 0xffff_fffe, "oversize"],
    ];
    for (const [prefix, max, expected] of cases) {
      assert.equal(new FrameReader(max).push(Uint8Array.from(prefix)), expected, `${prefix} max ${max}`);
    }
  });

  test("frameHeader writes big-endian lengths", () => {
    assert.deepEqual([...frameHeader(0)], [0, 0, 0, 0]);
    assert.deepEqual([...frameHeader(0x01020304)], [1, 2, 3, 4]);
    assert.deepEqual([...frameHeader(0xffff_ffff)], [255, 255, 255, 255]);
  });
});

describe("UDP transport configuration", () => {
  test("applies defaults and freezes the config", () => {
    const config = udpTransportConfig({ host: "127.0.0.1" });
    assert.equal(config.port, 7946);
    assert.equal(config.maxPacketSize, 1400);
    assert.equal(config.maxFrameBytes, 16 * 1024 * 1024);
    assert.equal(config.advertiseHost, "127.0.0.1");
    assert.ok(Object.isFrozen(config));
  });

  test("rejects invalid options, naming the property", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ host: "localhost" }, "host"],
      [{ port: -1 }, "port"],
      [{ port: 70_000 }, "port"],
      [{ maxPacketSize: 10 }, "maxPacketSize"],
      [{ maxFrameBytes: 0 }, "maxFrameBytes"],
      [{ streamIdleTimeoutMs: 0 }, "streamIdleTimeoutMs"],
      [{ bindAttempts: 0 }, "bindAttempts"],
    ];
    for (const [init, property] of cases) {
      assert.throws(
        () => createUdpTransport({ host: "127.0.0.1", ...init }),
        (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && e.details?.property === property,
        JSON.stringify(init),
      );
    }
  });
});

describe("UDP transport over 127.0.0.1", () => {
  test("binds UDP and TCP to the same ephemeral port", async () => {
    const t = await started(loopbackTransport());
    try {
      const { host, port } = t.localAddress;
      assert.equal(host, LOOPBACK);
      assert.ok(port > 0);
      // Both protocols answer on it: TCP accepts a connection, UDP is bound (a second exclusive bind fails).
      await new Promise<void>((resolve, reject) =>
        net
          .connect({ host, port })
          .on("connect", function (this: net.Socket) {
            this.destroy();
            resolve();
          })
          .on("error", reject),
      );
      const clash = dgram.createSocket("udp4");
      await assert.rejects(
        new Promise<void>((resolve, reject) => {
          clash.once("error", reject);
          clash.bind({ address: host, port, exclusive: true }, resolve);
        }),
      );
      clash.close();
    } finally {
      await t.stop();
    }
  });

  test("fails with MESH_ERR_BIND_FAILED when the port is taken (UDP or TCP)", async () => {
    const holder = await started(loopbackTransport());
    try {
      const taken = holder.localAddress.port;
      const t = loopbackTransport({ port: taken });
      t.setHandlers({ packet: () => {}, stream: (r) => r });
      await assert.rejects(
        t.start(),
        (e: unknown) => isMeshError(e, "MESH_ERR_BIND_FAILED") && e.details?.protocol === "udp",
      );
      await t.stop();

      // UDP free but TCP taken: the TCP bind fails, and the UDP socket is released again.
      const tcpOnly = net.createServer();
      await new Promise<void>((resolve) => tcpOnly.listen({ host: LOOPBACK, port: 0 }, resolve));
      const tcpPort = (tcpOnly.address() as net.AddressInfo).port;
      const u = loopbackTransport({ port: tcpPort });
      u.setHandlers({ packet: () => {}, stream: (r) => r });
      await assert.rejects(
        u.start(),
        (e: unknown) => isMeshError(e, "MESH_ERR_BIND_FAILED") && e.details?.protocol === "tcp",
      );
      const probe = dgram.createSocket("udp4");
      await new Promise<void>((resolve) => probe.bind({ address: LOOPBACK, port: tcpPort, exclusive: true }, resolve));
      probe.close();
      await new Promise<void>((resolve) => tcpOnly.close(() => resolve()));
    } finally {
      await holder.stop();
    }
  });

  test("counts datagrams above maxPacketSize as oversize, not delivering them", async () => {
    let delivered = 0;
    const t = loopbackTransport({ maxPacketSize: 100 });
    t.setHandlers({ packet: () => delivered++, stream: (r) => r });
    await t.start();
    const raw = dgram.createSocket("udp4");
    try {
      raw.send(new Uint8Array(101), t.localAddress.port, LOOPBACK);
      raw.send(new Uint8Array(100), t.localAddress.port, LOOPBACK);
      await waitFor("two datagrams", () => t.stats().packetsReceived === 2);
      assert.equal(delivered, 1);
      assert.equal(t.stats().dropped.oversize, 1);
    } finally {
      raw.close();
      await t.stop();
    }
  });

  test("drops a connection whose frame prefix is above maxFrameBytes, before reading the body", async () => {
    let handled = 0;
    const t = await started(loopbackTransport({ maxFrameBytes: 1024 }), (r) => {
      handled++;
      return r;
    });
    try {
      const { received } = await rawStream(t.localAddress.port, frameHeader(1025));
      assert.equal(received, 0);
      assert.equal(handled, 0);
      assert.equal(t.stats().dropped.oversize, 1);
    } finally {
      await t.stop();
    }
  });

  test("rejects a response above maxFrameBytes on the requesting side with NODE_UNREACHABLE", async () => {
    const server = await started(loopbackTransport(), () => new Uint8Array(2048));
    const client = await started(loopbackTransport({ maxFrameBytes: 1024 }));
    try {
      await assert.rejects(client.request(server.localAddress, new Uint8Array(1), { timeoutMs: 5_000 }), (e: unknown) =>
        isMeshError(e, "MESH_ERR_NODE_UNREACHABLE"),
      );
      assert.equal(client.stats().dropped.oversize, 1);
    } finally {
      await Promise.all([server.stop(), client.stop()]);
    }
  });

  test("drops a connection that sends bytes after its one request frame", async () => {
    const t = await started(loopbackTransport(), async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return r;
    });
    try {
      await rawStream(t.localAddress.port, Uint8Array.from([...frameHeader(1), 7, 1, 2]));
      await waitFor("the malformed drop", () => t.stats().dropped.malformed === 1);
    } finally {
      await t.stop();
    }
  });

  test("closes an inbound connection that stays silent past streamIdleTimeoutMs (fake clock)", async () => {
    const clock = new FakeClock();
    const t = createUdpTransport({ host: LOOPBACK, port: 0, streamIdleTimeoutMs: 1_000 }, { clock });
    await started(t);
    try {
      const socket = net.connect({ host: LOOPBACK, port: t.localAddress.port });
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.on("error", () => {});
      await waitFor("the connection to be accepted", () => t.stats().streamsAccepted === 1);
      clock.advance(999);
      assert.equal(t.stats().dropped["stream-idle"], undefined);
      clock.advance(1);
      await closed;
      assert.equal(t.stats().dropped["stream-idle"], 1);
    } finally {
      await t.stop();
    }
  });

  test("refuses inbound connections beyond maxInboundStreams and counts them", async () => {
    const t = await started(loopbackTransport({ maxInboundStreams: 2 }));
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = net.connect({ host: LOOPBACK, port: t.localAddress.port });
        s.on("error", () => {});
        sockets.push(s);
      }
      await waitFor("two accepted", () => t.stats().streamsAccepted === 2);
      const { received } = await rawStream(t.localAddress.port, frameHeader(0));
      assert.equal(received, 0);
      assert.equal(t.stats().dropped["stream-limit"], 1);
    } finally {
      for (const s of sockets) s.destroy();
      await t.stop();
    }
  });

  test("fails requests in flight with NODE_STOPPED when stopped", async () => {
    let arrived = false;
    const server = await started(loopbackTransport(), () => {
      arrived = true;
      return new Promise<Uint8Array>(() => {});
    });
    const client = await started(loopbackTransport());
    try {
      const pending = client.request(server.localAddress, new Uint8Array(1), { timeoutMs: 10_000 });
      pending.catch(() => {});
      await waitFor("the request to arrive", () => arrived);
      await client.stop();
      await assert.rejects(pending, (e: unknown) => e instanceof MeshError && e.code === "MESH_ERR_NODE_STOPPED");
    } finally {
      await Promise.all([server.stop(), client.stop()]);
    }
  });

  test("uses the clock component for request timeouts (fake clock)", async () => {
    const clock = new FakeClock();
    let arrived = false;
    const server = await started(loopbackTransport(), () => {
      arrived = true;
      return new Promise<Uint8Array>(() => {});
    });
    const client = createUdpTransport({ host: LOOPBACK, port: 0 }, { clock });
    await started(client);
    try {
      const pending = client.request(server.localAddress, new Uint8Array(1), { timeoutMs: 60_000 });
      pending.catch(() => {});
      await waitFor("the request to arrive", () => arrived);
      clock.advance(60_000);
      await assert.rejects(pending, (e: unknown) => isMeshError(e, "MESH_ERR_TIMEOUT"));
    } finally {
      await Promise.all([server.stop(), client.stop()]);
    }
  });

  test("works over IPv6 loopback (::1)", async (t) => {
    const probe = net.createServer();
    const hasV6 = await new Promise<boolean>((resolve) => {
      probe.once("error", () => resolve(false));
      probe.listen({ host: "::1", port: 0 }, () => probe.close(() => resolve(true)));
    });
    if (!hasV6) return t.skip("no ::1 on this machine");
    const a = await started(createUdpTransport({ host: "::1", port: 0 }));
    const b = createUdpTransport({ host: "::1", port: 0 });
    const got: string[] = [];
    b.setHandlers({ packet: (_d, from) => got.push(from.host), stream: (r) => r });
    await b.start();
    try {
      a.sendPacket(b.localAddress, new Uint8Array([1]));
      await waitFor("a packet over ::1", () => got.length === 1);
      assert.equal(got[0], "::1");
      const echoed = await a.request(b.localAddress, new Uint8Array([5, 6]), { timeoutMs: 5_000 });
      assert.deepEqual([...echoed], [5, 6]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
