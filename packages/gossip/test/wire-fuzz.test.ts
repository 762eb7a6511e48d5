import assert from "node:assert/strict";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SeededRandom, testSeed } from "@mesh/testing";
import { packCompound } from "../src/wire/compound.js";
import { decodePacket, decodeStreamMessage } from "../src/wire/decode.js";
import { encodePacketMessage, encodeStreamMessage } from "../src/wire/encode.js";
import { MessageType } from "../src/wire/message-type.js";

const address = { host: "10.1.2.3", port: 7946 };
const metadata = { version: 3, capabilities: ["chat", "game", "payment"], tags: { zone: "eu-1", rack: "r7" } };

/** Realistic packets to mutate: the shapes the decoder sees in production. */
export function corpus(): Uint8Array[] {
  const messages = [
    encodePacketMessage({ type: MessageType.ping, seq: 123456, target: "node-b", source: "node-a" }),
    encodePacketMessage({
      type: MessageType.indirectPing,
      seq: 9,
      target: "node-c",
      targetAddress: address,
      wantNack: true,
    }),
    encodePacketMessage({ type: MessageType.ack, seq: 77 }),
    encodePacketMessage({ type: MessageType.suspect, name: "node-c", incarnation: 12, from: "node-a" }),
    encodePacketMessage({ type: MessageType.alive, name: "node-d", incarnation: 4, address, metadata }),
    encodePacketMessage({
      type: MessageType.alive,
      name: "node-d",
      incarnation: 5,
      address,
      metadata: { version: 4, digest: "f".repeat(32), size: 3000 },
    }),
    encodePacketMessage({ type: MessageType.dead, name: "node-e", incarnation: 2, from: "node-a" }),
  ];
  return [
    ...messages,
    packCompound(messages),
    encodeStreamMessage({
      type: MessageType.pushPull,
      join: false,
      from: "node-a",
      members: [{ name: "node-a", address, incarnation: 1, state: "alive", metadata }],
    }),
  ];
}

/** One mutation: bit flips, byte overwrites, truncation, splices or duplication. */
export function mutate(random: SeededRandom, input: Uint8Array): Uint8Array {
  let out = input.slice();
  const rounds = 1 + random.int(0, 3);
  for (let r = 0; r < rounds; r++) {
    switch (random.int(0, 5)) {
      case 0: {
        const i = random.int(0, out.length - 1);
        out[i] = (out[i] as number) ^ (1 << random.int(0, 7));
        break;
      }
      case 1:
        out[random.int(0, out.length - 1)] = random.int(0, 255);
        break;
      case 2:
        out = out.subarray(0, random.int(0, out.length));
        break;
      case 3: {
        // Interesting msgpack headers: huge lengths, ext types, "never used".
        const magic = [0xc1, 0xdc, 0xdd, 0xde, 0xdf, 0xc4, 0xc5, 0xc6, 0xc7, 0xd4, 0xd9, 0xda, 0xdb, 0xcf, 0xff];
        out[random.int(0, out.length - 1)] = random.pick(magic);
        break;
      }
      case 4: {
        const at = random.int(0, out.length);
        const extra = new Uint8Array(random.int(1, 16)).map(() => random.int(0, 255));
        const joined = new Uint8Array(out.length + extra.length);
        joined.set(out.subarray(0, at));
        joined.set(extra, at);
        joined.set(out.subarray(at), at + extra.length);
        out = joined;
        break;
      }
      default: {
        const joined = new Uint8Array(out.length * 2);
        joined.set(out);
        joined.set(out, out.length);
        out = joined;
      }
    }
    if (out.length === 0) break;
  }
  return out;
}

// MESH_FUZZ_PACKETS=1000000 runs the full million (about a minute).
const PACKETS = Number(process.env.MESH_FUZZ_PACKETS ?? 200_000);

test(`${PACKETS.toLocaleString("en")} mutated packets: the decoders never throw and memory stays bounded`, () => {
  const seed = testSeed();
  const random = new SeededRandom(seed);
  const inputs = corpus();
  const failures: Record<string, number> = {};
  let accepted = 0;
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  try {
    for (let i = 0; i < PACKETS; i++) {
      const packet = mutate(random, random.pick(inputs));
      const d = i % 2 === 0 ? decodePacket(packet) : decodeStreamMessage(packet);
      if (d.ok) accepted++;
      else failures[d.reason] = (failures[d.reason] ?? 0) + 1;
      if (i % 50_000 === 49_999) {
        gc();
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
    }
  } catch (error) {
    assert.fail(`decoder threw (replay with MESH_SEED=${seed}): ${String(error)}`);
  }
  const growthMb = (heapPeak - heapBefore) / 2 ** 20;
  console.log(
    `accepted ${accepted}, rejected ${JSON.stringify(failures)}, retained heap growth ${growthMb.toFixed(1)} MB`,
  );
  assert.ok(growthMb < 32, `heap grew ${growthMb.toFixed(1)} MB (seed ${seed})`);
  assert.ok((failures.malformed ?? 0) > 0 && (failures.invalid ?? 0) > 0, "the mutations exercise the rejection paths");
});
