import assert from "node:assert/strict";
import { test } from "node:test";
import { Packr } from "msgpackr";
import { compoundOverhead, packCompound } from "../src/wire/compound.js";
import { decodePacket, decodeStreamMessage } from "../src/wire/decode.js";
import { encodePacketMessage, encodeStreamMessage } from "../src/wire/encode.js";
import { MessageType } from "../src/wire/message-type.js";
import type { PacketMessage, StreamMessage } from "../src/wire/messages.js";

const address = { host: "127.0.0.1", port: 7946 };
const metadata = { version: 3, capabilities: ["chat", "game"], tags: { zone: "a", empty: "" } };

const packetMessages: PacketMessage[] = [
  { type: MessageType.ping, seq: 1, target: "b", source: "a" },
  {
    type: MessageType.indirectPing,
    seq: 2 ** 32 - 1,
    target: "c",
    targetAddress: { host: "::1", port: 1 },
    wantNack: true,
  },
  { type: MessageType.ack, seq: 0 },
  { type: MessageType.nack, seq: 7 },
  { type: MessageType.suspect, name: "c", incarnation: Number.MAX_SAFE_INTEGER, from: "a" },
  { type: MessageType.alive, name: "d", incarnation: 4, address, metadata },
  {
    type: MessageType.alive,
    name: "d",
    incarnation: 5,
    address,
    metadata: { version: 9, digest: "ab".repeat(16), size: 4000 },
  },
  { type: MessageType.dead, name: "e", incarnation: 2, from: "e" },
];

test("every datagram message round-trips", () => {
  for (const m of packetMessages) {
    const d = decodePacket(encodePacketMessage(m));
    assert.ok(d.ok, `type ${m.type}`);
    assert.deepEqual(d.value, [m]);
  }
});

test("a compound packet carries several messages and its size is exactly predicted", () => {
  const parts = packetMessages.map(encodePacketMessage);
  const packet = packCompound(parts);
  const payload = parts.reduce((s, p) => s + p.length, 0);
  assert.equal(packet.length, payload + compoundOverhead(parts.length));
  const d = decodePacket(packet);
  assert.ok(d.ok);
  assert.deepEqual(d.value, packetMessages);
  // 16+ elements switch to the 3-byte array header.
  const many = Array.from({ length: 20 }, () => parts[2] as Uint8Array);
  const big = packCompound(many);
  assert.equal(big.length, 20 * (parts[2] as Uint8Array).length + compoundOverhead(20));
  const dm = decodePacket(big);
  assert.ok(dm.ok);
  assert.equal(dm.value.length, 20);
});

test("every stream message round-trips", () => {
  const messages: StreamMessage[] = [
    {
      type: MessageType.pushPull,
      join: true,
      from: "a",
      members: [
        { name: "a", address, incarnation: 1, state: "alive", metadata },
        { name: "b", address, incarnation: 2, state: "left", metadata: { version: 0, capabilities: [], tags: {} } },
      ],
    },
    { type: MessageType.pushPullReply, join: false, from: "b", members: [] },
    { type: MessageType.metadataFetch, name: "a" },
    { type: MessageType.metadataReply, name: "a", incarnation: 3, metadata },
    { type: MessageType.streamPing, seq: 5, target: "a" },
    { type: MessageType.ack, seq: 5 },
  ];
  for (const m of messages) {
    const d = decodeStreamMessage(encodeStreamMessage(m));
    assert.ok(d.ok, `type ${m.type}`);
    assert.deepEqual(d.value, m);
  }
});

test("bad input is a decode failure with a reason, never a throw", () => {
  const packr = new Packr({ useRecords: false });
  const cases: [bytes: Uint8Array, reason: string][] = [
    [new Uint8Array([]), "malformed"],
    [new Uint8Array([0xc1]), "invalid"], // msgpack "never used" byte decodes to an object: not a message
    [new Uint8Array([0x93, 0x01]), "malformed"], // truncated
    [packr.pack([99, 1]), "unknown-type"],
    [packr.pack([MessageType.ping, -1, "b", "a"]), "invalid"], // negative seq
    [packr.pack([MessageType.ping, 1.5, "b", "a"]), "invalid"],
    [packr.pack([MessageType.ping, 1, "", "a"]), "invalid"], // empty name
    [packr.pack([MessageType.ping, 1, "x".repeat(257), "a"]), "invalid"],
    [packr.pack([MessageType.ping, 1, "b"]), "invalid"], // missing field
    [packr.pack([MessageType.ping, 1, "b", "a", "extra"]), "invalid"],
    [packr.pack([MessageType.suspect, "c", 2 ** 60, "a"]), "invalid"], // not a safe integer
    [packr.pack([MessageType.indirectPing, 1, "c", "h", 70000, 1]), "invalid"], // port out of range
    [packr.pack([MessageType.indirectPing, 1, "c", "h", 1, 2]), "invalid"], // flag not 0/1
    [packr.pack([MessageType.alive, "d", 1, "h", 1, 0, 1, ["ok"], ["__proto__", "x"]]), "invalid"],
    [packr.pack([MessageType.alive, "d", 1, "h", 1, 0, 1, ["ok"], ["odd"]]), "invalid"],
    [packr.pack([MessageType.alive, "d", 1, "h", 1, 0, 1, [7], []]), "invalid"],
    [packr.pack([MessageType.alive, "d", 1, "h", 1, 5, 1, [], []]), "invalid"], // unknown metadata kind
    [packr.pack([MessageType.compound]), "invalid"], // empty compound
    [packr.pack([MessageType.compound, [MessageType.compound, [3, 1]]]), "unknown-type"], // no nesting
    [packr.pack({ type: 1 }), "invalid"],
    [new Uint8Array(70_000), "oversize"],
  ];
  for (const [bytes, reason] of cases) {
    const d = decodePacket(bytes);
    assert.equal(d.ok, false, `${Buffer.from(bytes.subarray(0, 16)).toString("hex")} should fail`);
    if (!d.ok) assert.equal(d.reason, reason, Buffer.from(bytes.subarray(0, 16)).toString("hex"));
  }
  const streamCases: [bytes: Uint8Array, reason: string][] = [
    [packr.pack([MessageType.pushPull, 1, "a", [["n", "h", 1, 0, 9, 0, [], []]]]), "invalid"], // state 9
    [packr.pack([MessageType.pushPull, 1, "a", "not a list"]), "invalid"],
    [packr.pack([MessageType.ping, 1, "b", "a"]), "unknown-type"], // a datagram message on a stream
    [packr.pack("hello"), "invalid"],
  ];
  for (const [bytes, reason] of streamCases) {
    const d = decodeStreamMessage(bytes);
    assert.equal(d.ok, false);
    if (!d.ok) assert.equal(d.reason, reason);
  }
});

test("each part of a compound is decoded on its own: invalid parts are dropped and reported, valid ones kept", () => {
  const packr = new Packr({ useRecords: false, variableMapSize: true });
  const ack = encodePacketMessage({ type: MessageType.ack, seq: 9 });
  const ping = encodePacketMessage({ type: MessageType.ping, seq: 3, target: "b", source: "a" });
  const badIncarnation = packr.pack([MessageType.alive, "d", 2 ** 53, "h", 1, 0, 1, [], []]);
  const negative = packr.pack([MessageType.suspect, "c", -1, "a"]);
  const unknown = packr.pack([99, 1]);
  const cases: [parts: Uint8Array[], kept: number[], dropped: string[]][] = [
    [[ack, badIncarnation], [MessageType.ack], ["invalid"]],
    [
      [badIncarnation, ping, negative, ack],
      [MessageType.ping, MessageType.ack],
      ["invalid", "invalid"],
    ],
    [[unknown, ack], [MessageType.ack], ["unknown-type"]],
    [[ping, ack], [MessageType.ping, MessageType.ack], []],
  ];
  for (const [parts, kept, dropped] of cases) {
    const d = decodePacket(packCompound(parts));
    assert.ok(d.ok);
    assert.deepEqual(
      d.value.map((m) => m.type),
      kept,
    );
    assert.deepEqual(d.dropped, dropped);
  }
  // With no valid part, the datagram fails with the first part's reason.
  const none = decodePacket(packCompound([unknown, badIncarnation]));
  assert.equal(none.ok, false);
  if (!none.ok) assert.equal(none.reason, "unknown-type");
});

test("deeply nested input is rejected, not a stack overflow", () => {
  const deep = new Uint8Array(60_000).fill(0x91); // [[[[…
  const d = decodePacket(deep);
  assert.equal(d.ok, false);
});
