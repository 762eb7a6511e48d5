import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, SeededRandom } from "@mesh/testing";
import {
  type Address,
  createGossip,
  emptyTransportStats,
  type Gossip,
  type GossipInit,
  type PacketHandler,
  type StreamHandler,
  type Transport,
} from "../src/index.js";
import { packCompound } from "../src/wire/compound.js";
import { decodePacket } from "../src/wire/decode.js";
import { encodePacketMessage } from "../src/wire/encode.js";
import { MessageType } from "../src/wire/message-type.js";
import type { PacketMessage } from "../src/wire/messages.js";

/** A transport that records what is sent and lets the test deliver packets by hand. */
class RecordingTransport implements Transport {
  readonly localAddress: Address = { host: "127.0.0.1", port: 1000 };
  readonly maxPacketSize = 1400;
  readonly sent: { to: Address; messages: PacketMessage[]; size: number }[] = [];
  packet: PacketHandler = () => {};
  stream: StreamHandler = () => new Uint8Array();
  sendPacket(to: Address, packet: Uint8Array): void {
    const d = decodePacket(packet);
    assert.ok(d.ok, "everything sent decodes");
    this.sent.push({ to, messages: d.value, size: packet.length });
  }
  request(): Promise<Uint8Array> {
    return Promise.reject(new Error("no streams here"));
  }
  setHandlers(h: { packet: PacketHandler; stream: StreamHandler }): void {
    this.packet = h.packet;
    this.stream = h.stream;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  stats() {
    return emptyTransportStats();
  }
  deliver(from: Address, ...messages: PacketMessage[]): void {
    this.packet(packCompound(messages.map(encodePacketMessage)), from);
  }
  take(): { to: Address; messages: PacketMessage[]; size: number }[] {
    return this.sent.splice(0);
  }
}

const B = { host: "127.0.0.2", port: 1000 };
const C = { host: "127.0.0.3", port: 1000 };
const D = { host: "127.0.0.4", port: 1000 };

async function member(init: GossipInit = {}) {
  const transport = new RecordingTransport();
  const clock = new FakeClock();
  const gossip: Gossip = createGossip(
    { name: "a", streamFallbackPing: false, pushPullIntervalMs: 0, reconnectIntervalMs: 0, ...init },
    { transport, clock, random: new SeededRandom(7) },
  );
  await gossip.start();
  return { transport, clock, gossip };
}

const aliveOf = (name: string, address: Address, incarnation = 1) =>
  ({
    type: MessageType.alive,
    name,
    incarnation,
    address,
    metadata: { version: 1, capabilities: [], tags: {} },
  }) as const;

test("a ping for this member is acked to its sender; a ping for another name is dropped and counted", async () => {
  const { transport, gossip } = await member();
  transport.deliver(B, { type: MessageType.ping, seq: 42, target: "a", source: "b" });
  const out = transport.take();
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]?.to, B);
  assert.deepEqual(out[0]?.messages[0], { type: MessageType.ack, seq: 42 });
  transport.deliver(B, { type: MessageType.ping, seq: 43, target: "someone-else", source: "b" });
  assert.equal(transport.take().length, 0);
  assert.equal(gossip.stats().dropped.misdirected, 1);
});

test("garbage is counted by reason, never thrown", async () => {
  const { transport, gossip } = await member();
  transport.packet(new Uint8Array([0x93, 0x01]), B);
  transport.packet(new Uint8Array([0x92, 0x63, 0x01]), B);
  const s = gossip.stats();
  assert.equal(s.dropped.malformed, 1);
  assert.equal(s.dropped["unknown-type"], 1);
  assert.equal(s.packetsReceived, 2);
});

test("an indirect ping is relayed: ping to the target, its ack forwarded, else a nack at the probe timeout", async () => {
  const { transport, clock, gossip } = await member();
  transport.deliver(B, { type: MessageType.indirectPing, seq: 9, target: "c", targetAddress: C, wantNack: true });
  const [ping] = transport.take();
  assert.deepEqual(ping?.to, C);
  const p = ping?.messages[0];
  assert.ok(p?.type === MessageType.ping && p.target === "c");
  transport.deliver(C, { type: MessageType.ack, seq: p.seq });
  const [relayed] = transport.take();
  assert.deepEqual(relayed?.to, B);
  assert.deepEqual(relayed?.messages[0], { type: MessageType.ack, seq: 9 });
  // No ack this time: a nack at 80% of what is left of the requester's period (400 ms in the LAN preset).
  transport.deliver(B, { type: MessageType.indirectPing, seq: 10, target: "c", targetAddress: C, wantNack: true });
  transport.take();
  clock.advance(399);
  assert.equal(transport.take().length, 0);
  clock.advance(1);
  const [nack] = transport.take();
  assert.deepEqual(nack?.messages[0], { type: MessageType.nack, seq: 10 });
  assert.equal(gossip.stats().nacksSent, 1);
});

test("a probe with no ack goes indirect after the timeout, then suspects at the end of the period", async () => {
  const { transport, clock, gossip } = await member();
  transport.deliver(B, aliveOf("b", B), aliveOf("c", C), aliveOf("d", D));
  transport.take();
  // Run to the first probe.
  let probe: { to: Address; messages: PacketMessage[] } | undefined;
  for (let i = 0; i < 2000 && probe === undefined; i++) {
    clock.advance(1);
    probe = transport.take().find((s) => s.messages[0]?.type === MessageType.ping);
  }
  assert.ok(probe, "a probe within one interval");
  const ping = probe.messages[0];
  assert.ok(ping?.type === MessageType.ping);
  const target = ping.target;
  clock.advance(500);
  const indirect = transport.take().filter((s) => s.messages[0]?.type === MessageType.indirectPing);
  assert.equal(indirect.length, 2, "through the two other members (indirectChecks 3, only 2 available)");
  for (const s of indirect) assert.equal((s.messages[0] as { target: string }).target, target);
  // One nack comes back, the other indirect prober stays silent.
  transport.deliver(indirect[0]?.to as Address, { type: MessageType.nack, seq: ping.seq });
  clock.advance(500);
  const view = gossip.members().find((m) => m.name === target);
  assert.equal(view?.state, "suspect");
  const s = gossip.stats();
  assert.equal(s.probesFailed, 1);
  assert.equal(s.nacksReceived, 1);
  assert.equal(s.awarenessScore, 1, "one missing nack counts against our own health");
});

test("buddy: a probe of a suspect member carries the suspicion to it", async () => {
  const { transport, clock, gossip } = await member();
  transport.deliver(B, aliveOf("b", B), { type: MessageType.suspect, name: "b", incarnation: 1, from: "c" });
  transport.take();
  let probe: { to: Address; messages: PacketMessage[] } | undefined;
  for (let i = 0; i < 2000 && probe === undefined; i++) {
    clock.advance(1);
    probe = transport.take().find((s) => s.messages[0]?.type === MessageType.ping);
  }
  assert.ok(probe);
  assert.deepEqual(probe.messages[1], { type: MessageType.suspect, name: "b", incarnation: 1, from: "a" });
  assert.equal(gossip.stats().suspicions, 1);
});

test("with Lifeguard off, the probe of a suspect member is a bare ping", async () => {
  const { transport, clock } = await member({ lifeguard: false });
  transport.deliver(B, aliveOf("b", B), { type: MessageType.suspect, name: "b", incarnation: 1, from: "c" });
  transport.take();
  let probe: { to: Address; messages: PacketMessage[] } | undefined;
  for (let i = 0; i < 2000 && probe === undefined; i++) {
    clock.advance(1);
    probe = transport.take().find((s) => s.messages[0]?.type === MessageType.ping);
  }
  assert.ok(probe);
  assert.ok(probe.messages.every((m) => m.type !== MessageType.suspect || m.from !== "a"));
});

test("updates ride on outgoing packets, never past maxPacketSize", async () => {
  const { transport, gossip } = await member();
  // 60 joins to gossip about: far more than one datagram holds.
  const joins = Array.from({ length: 60 }, (_, i) =>
    aliveOf(`member-with-a-long-name-${i}`, { host: "127.0.1.1", port: 2000 + i }),
  );
  for (const j of joins) transport.deliver(B, j);
  transport.take();
  transport.deliver(B, { type: MessageType.ping, seq: 1, target: "a", source: "b" });
  const [ack] = transport.take();
  assert.ok(ack !== undefined);
  assert.equal(ack.messages[0]?.type, MessageType.ack);
  assert.ok(ack.messages.length > 5, "piggybacked alive messages");
  assert.ok(ack.size <= 1400 && ack.size > 1000, `a full but legal datagram (${ack.size} bytes)`);
  assert.ok(gossip.stats().maxPacketBytes <= 1400);
});
