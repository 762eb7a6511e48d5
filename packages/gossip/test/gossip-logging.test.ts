import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, SeededRandom, SimNetwork, testSeed } from "@mesh/testing";
import { createGossip, deriveKey, type Gossip, Keyring, secureTransport } from "../src/index.js";
import { encodePacketMessage } from "../src/wire/encode.js";
import { MessageType } from "../src/wire/message-type.js";
import { type CaptureLogger, captureLogger } from "./capture-logger.js";
import { memoryPair } from "./memory-transport.js";
import { withSeed } from "./sim-cluster.js";

test("joins, suspicions, deaths, leaves and refutations are logged and counted", async () => {
  const net = new SimNetwork({ seed: testSeed() });
  await withSeed(net, async () => {
    const members: { gossip: Gossip; log: CaptureLogger; sim: ReturnType<SimNetwork["addNode"]> }[] = [];
    for (const name of ["a", "b", "c", "d"]) {
      const sim = net.addNode();
      const log = captureLogger();
      const gossip = createGossip(
        { name },
        { transport: sim.transport, clock: sim.clock, random: sim.random, logger: log },
      );
      await gossip.start();
      members.push({ gossip, log, sim });
    }
    const [a, b, c, d] = members as [
      (typeof members)[0],
      (typeof members)[0],
      (typeof members)[0],
      (typeof members)[0],
    ];
    await net.settle(Promise.all([b, c, d].map((m) => m.gossip.join([a.gossip.localMember.address]))));
    const sees = (m: typeof a, name: string, state: string) =>
      m.gossip.members().find((x) => x.name === name)?.state === state;
    assert.ok(
      await net.runUntil(
        () => [a, b, c, d].every((m) => ["a", "b", "c", "d"].every((n) => sees(m, n, "alive"))),
        30_000,
        50,
      ),
    );
    assert.equal(a.log.find("info", "member joined").length, 3);
    assert.equal(a.gossip.stats().membersJoined, 3);
    assert.deepEqual(
      a.log
        .find("info", "member joined")
        .map((l) => l.fields.name)
        .sort(),
      ["b", "c", "d"],
      "with the member's name",
    );

    // A (forged) suspicion of b reaches b: it refutes, and says so.
    const outsider = net.addNode();
    await outsider.transport.start();
    const forged = encodePacketMessage({ type: MessageType.suspect, name: "b", incarnation: 0, from: "x" });
    outsider.transport.sendPacket(b.gossip.localMember.address, forged);
    await net.run(100);
    assert.equal(b.log.find("warn", "refuting").length, 1);
    assert.ok(b.gossip.stats().refutations >= 1);

    d.sim.crash();
    assert.ok(await net.runUntil(() => [a, b, c].every((m) => sees(m, "d", "dead")), 60_000, 50));
    for (const m of [a, b, c]) {
      assert.ok(
        m.log.find("info", "member suspected").some((l) => l.fields.name === "d") || m.gossip.stats().suspicions === 0,
      );
      assert.ok(
        m.log.find("warn", "member declared dead").some((l) => l.fields.name === "d"),
        `${m.gossip.name} logs the death`,
      );
      assert.equal(m.gossip.stats().membersDied, 1);
    }
    assert.ok(
      [a, b, c].some((m) => m.log.find("info", "member suspected").some((l) => l.fields.name === "d")),
      "someone logged the suspicion",
    );

    await net.settle(c.gossip.stop());
    assert.ok(await net.runUntil(() => [a, b].every((m) => sees(m, "c", "left")), 10_000, 50));
    assert.ok(a.log.find("info", "member left").some((l) => l.fields.name === "c"));
    assert.equal(a.gossip.stats().membersLeft, 1);
  });
});

test("a flood of undecodable datagrams is counted one by one and logged once per interval", async () => {
  const [mine, theirs] = memoryPair();
  const log = captureLogger();
  const clock = new FakeClock();
  const gossip = createGossip({ name: "victim" }, { transport: mine, clock, random: new SeededRandom(3), logger: log });
  await gossip.start();
  for (let i = 0; i < 1000; i++) mine.deliver(new Uint8Array([0xc1, i & 0xff]), theirs.localAddress);
  assert.equal(gossip.stats().dropped.malformed, 1000, "every one counted");
  assert.equal(log.find("warn", "gossip dropped input").length, 1, "one line, not a thousand");
  clock.advance(10_000);
  mine.deliver(new Uint8Array([0xc1, 0]), theirs.localAddress);
  const lines = log.find("warn", "gossip dropped input");
  assert.equal(lines.length, 2, "the next interval gets a summary");
  assert.equal(lines[1]?.fields.count, 1000, "with the count since the last line");
  assert.equal(lines[1]?.fields.reason, "malformed");
});

test("packets sealed with another secret are counted in stats().transport and logged (rate-limited), with a hint", async () => {
  const [mine, theirs] = memoryPair();
  const log = captureLogger();
  let now = 1_700_000_000_000;
  const wallClock = () => now;
  const ours = secureTransport(mine, new Keyring(deriveKey("our secret, long enough: 0123456789", "transport")), {
    logger: log,
    wallClock,
  });
  const other = secureTransport(theirs, new Keyring(deriveKey("another secret, long too: 987654321", "transport")), {
    wallClock,
  });
  const gossip = createGossip(
    { name: "victim" },
    { transport: ours, clock: new FakeClock(), random: new SeededRandom(4) },
  );
  await gossip.start();
  other.setHandlers({ packet: () => {}, stream: async () => new Uint8Array() });
  const ping = encodePacketMessage({ type: MessageType.ping, seq: 1, target: "victim", source: "x" });
  for (let i = 0; i < 200; i++) other.sendPacket(mine.localAddress, ping);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(gossip.stats().transport.dropped.decrypt, 200);
  const lines = log.find("warn", "secure transport dropped input");
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.fields.reason, "decrypt");
  assert.match(String(lines[0]?.fields.hint), /secret/);
  now += 10_000;
  other.sendPacket(mine.localAddress, ping);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(log.find("warn", "secure transport dropped input").length, 2);
  assert.equal(gossip.stats().packetsReceived, 0, "nothing reached the gossip layer");
});
