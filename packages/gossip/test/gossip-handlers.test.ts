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

/**
 * Runs probes, acking each from its target, until every one of `who` has answered
 * at least once (a member probed twice meanwhile, as the ring successor is, answers
 * each time: an unanswered probe would cost it our trust as a relay).
 */
function answerProbes(transport: RecordingTransport, clock: FakeClock, who: Map<string, Address>): void {
  const pending = new Set(who.keys());
  for (let i = 0; i < 20_000 && pending.size > 0; i++) {
    clock.advance(1);
    for (const s of transport.take()) {
      const m = s.messages[0];
      if (m?.type === MessageType.ping && who.has(m.target)) {
        pending.delete(m.target);
        transport.deliver(who.get(m.target) as Address, { type: MessageType.ack, seq: m.seq });
      }
    }
  }
  assert.equal(pending.size, 0, "every member answered a probe");
}

/** Runs to the next probe and returns its ping (everything sent before it is discarded). */
function nextPing(transport: RecordingTransport, clock: FakeClock) {
  for (let i = 0; i < 20_000; i++) {
    clock.advance(1);
    const ping = transport.take().find((s) => s.messages[0]?.type === MessageType.ping)?.messages[0];
    if (ping?.type === MessageType.ping) return ping;
  }
  assert.fail("no probe within 20 s");
}

for (const nacks of [1, 0]) {
  test(`a probe with no ack goes indirect through members that answered us, then suspects (${nacks} of 2 relays nack)`, async () => {
    const { transport, clock, gossip } = await member();
    transport.deliver(B, aliveOf("b", B), aliveOf("c", C), aliveOf("d", D));
    transport.take();
    answerProbes(
      transport,
      clock,
      new Map([
        ["b", B],
        ["c", C],
        ["d", D],
      ]),
    );
    const ping = nextPing(transport, clock);
    const target = ping.target;
    clock.advance(500);
    const indirect = transport.take().filter((s) => s.messages[0]?.type === MessageType.indirectPing);
    assert.equal(indirect.length, 2, "through the two other members (indirectChecks 3, only 2 available)");
    for (const s of indirect) assert.equal((s.messages[0] as { target: string }).target, target);
    if (nacks > 0) transport.deliver(indirect[0]?.to as Address, { type: MessageType.nack, seq: ping.seq });
    const before = gossip.stats().awarenessScore;
    clock.advance(500);
    const view = gossip.members().find((m) => m.name === target);
    assert.equal(view?.state, "suspect");
    const s = gossip.stats();
    assert.equal(s.nacksReceived, nacks);
    // One nack shows that our messages get through: the silent relay is the suspect, not us.
    // Only when every relay is silent does the probe count against our health, once.
    assert.equal(s.awarenessScore - before, nacks > 0 ? 0 : 1);
  });
}

test("members that never answered a probe are not asked to relay, and their silence does not raise the health score", async () => {
  const { transport, clock, gossip } = await member();
  // Three members announced by gossip, none of which ever answers.
  transport.deliver(B, aliveOf("b", B), aliveOf("c", C), aliveOf("d", D));
  transport.take();
  for (let probe = 0; probe < 6; probe++) {
    const ping = nextPing(transport, clock);
    assert.ok(ping.seq > 0);
    clock.advance(600);
    const indirect = transport.take().filter((s) => s.messages[0]?.type === MessageType.indirectPing);
    assert.deepEqual(indirect, [], "no indirect probe through a member that never answered");
  }
  assert.equal(gossip.stats().awarenessScore, 0);
  assert.ok(gossip.stats().probesFailed >= 3);
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
