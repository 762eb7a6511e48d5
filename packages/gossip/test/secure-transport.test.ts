import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { after, describe, test } from "node:test";
import { isMeshError } from "@mesh/interface";
import { waitFor } from "@mesh/testing";
import { SEAL_OVERHEAD } from "../src/security/envelope.js";
import { deriveKey } from "../src/security/key-derivation.js";
import { Keyring } from "../src/security/keyring.js";
import { type SecureTransportComponents, secureTransport } from "../src/security/secure-transport.js";
import { frameHeader } from "../src/transport/frame-reader.js";
import type { Address, Transport } from "../src/transport/transport.js";
import { LOOPBACK, loopbackTransport, sumDropped } from "./net-helpers.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

interface Node {
  readonly transport: Transport;
  readonly packets: string[];
  handled: number;
}

const running: Transport[] = [];
after(async () => {
  await Promise.all(running.map((t) => t.stop()));
});

async function node(keyring: Keyring | undefined, components: SecureTransportComponents = {}): Promise<Node> {
  const inner = loopbackTransport();
  const transport = keyring === undefined ? inner : secureTransport(inner, keyring, components);
  const n: Node = { transport, packets: [], handled: 0 };
  transport.setHandlers({
    packet: (data) => n.packets.push(text(data)),
    stream: (request) => {
      n.handled++;
      return bytes(`ok:${text(request)}`);
    },
  });
  await transport.start();
  running.push(transport);
  return n;
}

/** A raw UDP socket on loopback that records what it receives. */
async function sniffer(): Promise<{
  address: Address;
  captured: Uint8Array[];
  send(p: Uint8Array, to: Address): void;
}> {
  const socket = dgram.createSocket("udp4");
  const captured: Uint8Array[] = [];
  socket.on("message", (m) => captured.push(new Uint8Array(m)));
  await new Promise<void>((resolve) => socket.bind({ address: LOOPBACK, port: 0 }, resolve));
  after(() => socket.close());
  return {
    address: { host: LOOPBACK, port: socket.address().port },
    captured,
    send: (p, to) => socket.send(p, to.port, to.host),
  };
}

/** Sends raw bytes over a fresh TCP connection; resolves with everything the other side sent back. */
function rawExchange(to: Address, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: to.host, port: to.port }, () => socket.write(data));
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => resolve(new Uint8Array(Buffer.concat(chunks))));
  });
}

/** A TCP server that records the first frame of each connection and answers with `reply(frame)` (raw bytes). */
async function fakeServer(
  reply: (frame: Uint8Array) => Uint8Array,
): Promise<{ address: Address; frames: Uint8Array[] }> {
  const frames: Uint8Array[] = [];
  const server = net.createServer((socket) => {
    const chunks: Buffer[] = [];
    socket.on("error", () => {});
    socket.on("data", (c) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readUInt32BE(0)) {
        const frame = new Uint8Array(all.subarray(0, 4 + all.readUInt32BE(0)));
        frames.push(frame);
        socket.end(reply(frame));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: LOOPBACK, port: 0 }, resolve));
  after(() => server.close());
  return { address: { host: LOOPBACK, port: (server.address() as net.AddressInfo).port }, frames };
}

const secret = "secure transport test secret 1f9e77c2";

describe("secureTransport over UDP on 127.0.0.1", () => {
  test("reports maxPacketSize 37 bytes below the inner transport, and sealed datagrams stay within 1400", async () => {
    const a = await node(Keyring.fromSecret(secret));
    const tap = await sniffer();
    assert.equal(a.transport.maxPacketSize, 1400 - SEAL_OVERHEAD);
    const payload = new Uint8Array(a.transport.maxPacketSize).fill(0x41);
    a.transport.sendPacket(tap.address, payload);
    a.transport.sendPacket(tap.address, new Uint8Array(a.transport.maxPacketSize + 1));
    await waitFor("the sealed datagram", () => tap.captured.length === 1);
    assert.equal(tap.captured[0]?.length, 1400);
    assert.equal(Buffer.from(tap.captured[0] as Uint8Array).includes(Buffer.from(payload.subarray(0, 64))), false);
    assert.equal(a.transport.stats().dropped["send-oversize"], 1);
  });

  test("a node with another secret exchanges nothing: packets dropped as decrypt, requests fail both ways", async () => {
    const b = await node(Keyring.fromSecret(secret));
    const c = await node(Keyring.fromSecret("some other cluster's secret"));
    c.transport.sendPacket(b.transport.localAddress, bytes("join me"));
    await waitFor("b to drop c's packet", () => (b.transport.stats().dropped.decrypt ?? 0) === 1);
    await assert.rejects(
      c.transport.request(b.transport.localAddress, bytes("push-pull"), { timeoutMs: 5_000 }),
      (e: unknown) => isMeshError(e, "MESH_ERR_NODE_UNREACHABLE"),
    );
    await assert.rejects(
      b.transport.request(c.transport.localAddress, bytes("push-pull"), { timeoutMs: 5_000 }),
      (e: unknown) => isMeshError(e, "MESH_ERR_NODE_UNREACHABLE"),
    );
    assert.equal(b.packets.length + c.packets.length, 0);
    assert.equal(b.handled + c.handled, 0);
    assert.equal(b.transport.stats().dropped.decrypt, 2);
    assert.equal(c.transport.stats().dropped.decrypt, 1);
  });

  test("a node without any secret cannot join a secured one", async () => {
    const secured = await node(Keyring.fromSecret(secret));
    const plain = await node(undefined);
    plain.transport.sendPacket(secured.transport.localAddress, bytes("alive"));
    await assert.rejects(
      plain.transport.request(secured.transport.localAddress, bytes("join"), { timeoutMs: 5_000 }),
      (e: unknown) => isMeshError(e, "MESH_ERR_NODE_UNREACHABLE"),
    );
    await waitFor("the plain packet to be dropped", () => sumDropped(secured.transport.stats().dropped) === 2);
    assert.equal(secured.packets.length + secured.handled, 0);
  });

  test("drops a tampered byte anywhere, a truncated packet, and a replay; delivers the original once", async () => {
    const tap = await sniffer();
    const a = await node(Keyring.fromSecret(secret));
    const b = await node(Keyring.fromSecret(secret));
    a.transport.sendPacket(tap.address, bytes("the original message"));
    await waitFor("a captured packet", () => tap.captured.length === 1);
    const original = tap.captured[0] as Uint8Array;
    const to = b.transport.localAddress;
    const forgeries: Uint8Array[] = [];
    for (const at of [0, 1, 4, 5, 12, 13, 16, 17, 20, 21, 30, original.length - 16, original.length - 1]) {
      const copy = new Uint8Array(original);
      copy[at] = (copy[at] as number) ^ 0x01;
      forgeries.push(copy);
    }
    for (const length of [0, 1, 20, 36, original.length - 1]) forgeries.push(original.subarray(0, length));
    for (const f of forgeries) tap.send(f, to);
    tap.send(original, to);
    tap.send(original, to); // the replay
    const total = forgeries.length + 2;
    await waitFor(
      "every datagram to be accounted for",
      () => b.packets.length + sumDropped(b.transport.stats().dropped) === total,
    );
    assert.deepEqual(b.packets, ["the original message"]);
    const dropped = b.transport.stats().dropped;
    assert.equal(dropped.replay, 1);
    assert.equal((dropped.decrypt ?? 0) + (dropped.malformed ?? 0), forgeries.length);
    assert.ok((dropped.malformed ?? 0) >= 5, "byte 0 flipped and short truncations are malformed");
  });

  test("drops packets from a sender whose clock is beyond maxClockSkewMs as stale", async () => {
    const now = Date.now();
    const b = await node(Keyring.fromSecret(secret), { wallClock: () => now });
    const skewed = await node(Keyring.fromSecret(secret), { wallClock: () => now - 6 * 60_000 });
    const fine = await node(Keyring.fromSecret(secret), { wallClock: () => now + 4 * 60_000 });
    skewed.transport.sendPacket(b.transport.localAddress, bytes("from the past"));
    fine.transport.sendPacket(b.transport.localAddress, bytes("within skew"));
    await waitFor("both datagrams handled", () => b.packets.length + (b.transport.stats().dropped.stale ?? 0) === 2);
    assert.deepEqual(b.packets, ["within skew"]);
    assert.equal(b.transport.stats().dropped.stale, 1);
  });

  test("rotates keys without downtime: install, switch primary, remove", async () => {
    const k1 = deriveKey("rotation key one");
    const k2 = deriveKey("rotation key two");
    const ringA = new Keyring(k1);
    const ringB = new Keyring(k1);
    const a = await node(ringA);
    const b = await node(ringB);
    const exchange = async (round: string): Promise<void> => {
      a.transport.sendPacket(b.transport.localAddress, bytes(`${round}:a->b`));
      b.transport.sendPacket(a.transport.localAddress, bytes(`${round}:b->a`));
      await waitFor(
        `${round} packets`,
        () => a.packets.includes(`${round}:b->a`) && b.packets.includes(`${round}:a->b`),
      );
      const r1 = await a.transport.request(b.transport.localAddress, bytes(round), { timeoutMs: 5_000 });
      const r2 = await b.transport.request(a.transport.localAddress, bytes(round), { timeoutMs: 5_000 });
      assert.equal(text(r1), `ok:${round}`);
      assert.equal(text(r2), `ok:${round}`);
    };
    await exchange("k1 only");
    ringA.addKey(k2);
    ringB.addKey(k2);
    await exchange("both installed");
    ringA.useKey(k2); // a sends with k2 while b still sends with k1: both accepted
    await exchange("mixed primaries");
    ringB.useKey(k2);
    ringA.removeKey(k1);
    ringB.removeKey(k1);
    await exchange("k2 only");
    assert.equal(sumDropped(a.transport.stats().dropped) + sumDropped(b.transport.stats().dropped), 0);

    const stale = await node(new Keyring(k1)); // a node that missed the rotation
    stale.transport.sendPacket(b.transport.localAddress, bytes("old key"));
    await waitFor("the old key to be refused", () => (b.transport.stats().dropped.decrypt ?? 0) === 1);
    assert.equal(b.packets.includes("old key"), false);
  });

  test("a stream request replayed on a new connection is rejected, and its handler does not run again", async () => {
    const b = await node(Keyring.fromSecret(secret));
    const a = await node(Keyring.fromSecret(secret));
    // Record a's sealed request (the recorder answers nothing), then deliver it to b twice.
    const proxy = await fakeServer(() => new Uint8Array(0));
    await a.transport.request(proxy.address, bytes("once"), { timeoutMs: 2_000 }).catch(() => undefined);
    const recorded = proxy.frames[0];
    assert.ok(recorded !== undefined);
    const first = await rawExchange(b.transport.localAddress, recorded);
    assert.ok(first.length > 4, "the first delivery is answered");
    assert.equal(b.handled, 1);
    const second = await rawExchange(b.transport.localAddress, recorded);
    assert.equal(second.length, 0, "the replay is not answered");
    assert.equal(b.handled, 1);
    assert.equal(b.transport.stats().dropped.replay, 1);
  });

  test("a recorded response cannot answer another request, nor can a request be reflected as a response", async () => {
    const a = await node(Keyring.fromSecret(secret));
    const b = await node(Keyring.fromSecret(secret));
    // Capture a genuine response of b by replaying a request frame we recorded.
    const recorder = await fakeServer(() => new Uint8Array(0));
    await a.transport.request(recorder.address, bytes("first"), { timeoutMs: 2_000 }).catch(() => undefined);
    const genuineResponse = await rawExchange(b.transport.localAddress, recorder.frames[0] as Uint8Array);
    assert.ok(genuineResponse.length > 4);

    const replayer = await fakeServer(() => genuineResponse);
    await assert.rejects(a.transport.request(replayer.address, bytes("second"), { timeoutMs: 5_000 }), (e: unknown) =>
      isMeshError(e, "MESH_ERR_NODE_UNREACHABLE"),
    );
    assert.equal(a.transport.stats().dropped.decrypt, 1);

    const mirror = await fakeServer((frame) => frame);
    await assert.rejects(a.transport.request(mirror.address, bytes("third"), { timeoutMs: 5_000 }), (e: unknown) =>
      isMeshError(e, "MESH_ERR_NODE_UNREACHABLE"),
    );
    assert.equal(a.transport.stats().dropped.malformed, 1);
  });

  test("an unsealed stream frame to a secured node is dropped and not answered", async () => {
    const b = await node(Keyring.fromSecret(secret));
    const payload = bytes("plain push-pull");
    const reply = await rawExchange(
      b.transport.localAddress,
      Uint8Array.from([...frameHeader(payload.length), ...payload]),
    );
    assert.equal(reply.length, 0);
    assert.equal(b.handled, 0);
    await waitFor("the drop to be counted", () => b.transport.stats().dropped.malformed === 1);
  });
});
