import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { after, describe, test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { isMeshError } from "@mesh/interface";
import { SeededRandom, testSeed, waitFor } from "@mesh/testing";
import { decodeAnnouncement, encodeAnnouncement } from "../src/discovery/announcement.js";
import { deriveKey } from "../src/security/key-derivation.js";
import { Keyring } from "../src/security/keyring.js";
import { secureTransport } from "../src/security/secure-transport.js";
import { frameHeader } from "../src/transport/frame-reader.js";
import { StreamRefusedError, type Transport } from "../src/transport/transport.js";
import { MUTATION_KINDS, mutate } from "./fuzz-mutator.js";
import { memoryPair } from "./memory-transport.js";
import { LOOPBACK, loopbackTransport, sumDropped } from "./net-helpers.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const seed = testSeed();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on("unhandledRejection", onUnhandled);
after(() => {
  process.off("unhandledRejection", onUnhandled);
});

const PACKETS = 150_000;
const REQUEST_FRAMES = 40_000;
const RESPONSE_FRAMES = 10_000;
const heapMb = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

describe(`fuzzing the secure layer and the UDP/TCP receive paths (MESH_SEED=${seed})`, () => {
  test(`${PACKETS} mutated packets: nothing thrown, every one counted, no forgery delivered, memory bounded`, async () => {
    const random = new SeededRandom(seed);
    const keyring = Keyring.fromSecret("fuzz secret");
    const [innerA, innerB] = memoryPair();
    const a = secureTransport(innerA, keyring);
    const b = secureTransport(innerB, keyring);
    let delivered = 0;
    a.setHandlers({ packet: () => {}, stream: (r) => r });
    b.setHandlers({ packet: () => delivered++, stream: (r) => r });
    for (let i = 0; i < 64; i++) a.sendPacket(b.localAddress, new Uint8Array(random.int(0, a.maxPacketSize)));
    await new Promise((resolve) => setImmediate(resolve)); // the memory transport delivers on microtasks
    assert.equal(delivered, 64, "genuine packets are delivered once");
    const corpus = innerA.sent;
    const from = innerA.localAddress;

    const before = heapMb();
    let copies = 0;
    for (let i = 0; i < PACKETS; i++) {
      const kind = MUTATION_KINDS[i % MUTATION_KINDS.length] ?? "flip";
      if (kind === "replay") copies++;
      innerB.deliver(mutate(random, corpus, kind, 1500), from);
    }
    const grown = heapMb() - before;
    const dropped = b.stats().dropped;
    assert.equal(delivered, 64, `no mutated packet was delivered (seed ${seed})`);
    assert.equal(sumDropped(dropped), PACKETS, `every packet counted: ${JSON.stringify(dropped)}`);
    assert.equal(dropped.replay, copies, "exact copies, and only they, are replays");
    assert.ok(grown < 16, `heap grew ${grown.toFixed(1)} MB`);
  });

  test(`${REQUEST_FRAMES} mutated request frames and ${RESPONSE_FRAMES} mutated responses are refused, never thrown otherwise`, async () => {
    const random = new SeededRandom(seed ^ 0x5bd1e995);
    const keyring = Keyring.fromSecret("fuzz secret");
    const [innerA, innerB] = memoryPair();
    const a = secureTransport(innerA, keyring);
    const b = secureTransport(innerB, keyring);
    let handled = 0;
    a.setHandlers({ packet: () => {}, stream: (r) => r });
    b.setHandlers({
      packet: () => {},
      stream: (r) => {
        handled++;
        return r;
      },
    });
    for (let i = 0; i < 32; i++)
      await a.request(b.localAddress, new Uint8Array(random.int(0, 300)), { timeoutMs: 1_000 });
    assert.equal(handled, 32);
    const requests = innerA.requests;
    const responses = innerA.responses;
    const handler = innerB.streamHandler;
    assert.ok(handler !== undefined);

    let refused = 0;
    for (let i = 0; i < REQUEST_FRAMES; i++) {
      const kind = MUTATION_KINDS[i % MUTATION_KINDS.length] ?? "flip";
      try {
        await handler(mutate(random, requests, kind, 4096), innerA.localAddress);
      } catch (error) {
        assert.ok(error instanceof StreamRefusedError, `only refusals, got ${String(error)}`);
        refused++;
      }
    }
    assert.equal(handled, 32, `no mutated request reached the handler (seed ${seed})`);
    assert.equal(refused, REQUEST_FRAMES);
    assert.equal(sumDropped(b.stats().dropped), REQUEST_FRAMES);

    // Responses: b's inner answers every request with a mutated recorded response.
    let rejected = 0;
    innerB.setHandlers({
      packet: () => {},
      stream: () => mutate(random, responses, MUTATION_KINDS[random.int(0, MUTATION_KINDS.length - 1)] ?? "flip", 4096),
    });
    for (let i = 0; i < RESPONSE_FRAMES; i++) {
      try {
        await a.request(b.localAddress, new Uint8Array(8), { timeoutMs: 1_000 });
      } catch (error) {
        assert.ok(isMeshError(error, "MESH_ERR_NODE_UNREACHABLE"), `got ${String(error)}`);
        rejected++;
      }
    }
    assert.equal(rejected, RESPONSE_FRAMES, "no recorded or mutated response answers a new request");
    assert.equal(sumDropped(a.stats().dropped), RESPONSE_FRAMES);
  });

  test("discovery announcements: 50000 mutations decode to a failure or a fully valid announcement", () => {
    const random = new SeededRandom(seed ^ 0x1b873593);
    const key = deriveKey("fuzz", "discovery");
    const corpus = [
      encodeAnnouncement({ name: "a", address: { host: "127.0.0.1", port: 1 } }, key),
      encodeAnnouncement({ name: "node-with-a-long-name", address: { host: "::1", port: 65535 } }, key),
      encodeAnnouncement({ name: "plain", address: { host: "10.0.0.1", port: 7946 } }, undefined),
    ];
    let valid = 0;
    for (let i = 0; i < 50_000; i++) {
      const kind = MUTATION_KINDS[i % MUTATION_KINDS.length] ?? "flip";
      const result = decodeAnnouncement(mutate(random, corpus, kind, 400), i % 2 === 0 ? key : undefined);
      if (typeof result === "string") continue;
      valid++;
      assert.ok(net.isIP(result.address.host) !== 0 && result.address.port > 0 && result.name.length > 0);
    }
    assert.ok(valid > 0, "replayed announcements decode (announcements carry no replay protection)");
  });
});

describe(`fuzzing over real sockets on 127.0.0.1 (MESH_SEED=${seed})`, () => {
  const running: Transport[] = [];
  after(async () => {
    await Promise.all(running.map((t) => t.stop()));
  });

  test("10000 datagrams (mutated, random, oversize) into secure(UDP): received = delivered + dropped", async () => {
    const random = new SeededRandom(seed ^ 0x27d4eb2f);
    const keyring = Keyring.fromSecret("fuzz secret");
    const sender = secureTransport(loopbackTransport(), keyring);
    const target = secureTransport(loopbackTransport(), keyring);
    running.push(sender, target);
    let delivered = 0;
    sender.setHandlers({ packet: () => {}, stream: (r) => r });
    target.setHandlers({ packet: () => delivered++, stream: (r) => r });
    await Promise.all([sender.start(), target.start()]);

    // Record genuine sealed datagrams with a raw socket.
    const raw = dgram.createSocket("udp4");
    const corpus: Uint8Array[] = [];
    raw.on("message", (m) => corpus.push(new Uint8Array(m)));
    await new Promise<void>((resolve) => raw.bind({ address: LOOPBACK, port: 0 }, resolve));
    const rawAddress = { host: LOOPBACK, port: raw.address().port };
    for (let i = 0; i < 32; i++) sender.sendPacket(rawAddress, new Uint8Array(random.int(0, sender.maxPacketSize)));
    await waitFor("the corpus", () => corpus.length === 32);
    // Deliver each genuine datagram once, so that every exact copy below is a replay.
    for (const packet of corpus) raw.send(packet, target.localAddress.port, LOOPBACK);
    await waitFor("the genuine datagrams", () => delivered === 32);

    const total = 10_000;
    const to = target.localAddress;
    try {
      for (let sent = 0; sent < total; ) {
        const batch = Math.min(50, total - sent);
        for (let i = 0; i < batch; i++) {
          const kind = MUTATION_KINDS[(sent + i) % MUTATION_KINDS.length] ?? "flip";
          const oversize = (sent + i) % 97 === 0;
          raw.send(
            oversize ? new Uint8Array(1401 + random.int(0, 2000)) : mutate(random, corpus, kind, 1400),
            to.port,
            to.host,
          );
        }
        sent += batch;
        // Paced so the kernel's receive buffer does not overflow. Should it drop some anyway, the
        // counters must still add up for what did arrive, so a lost datagram only ends the wait.
        await waitFor("the batch to arrive", () => target.stats().packetsReceived >= 32 + sent, {
          timeoutMs: 2_000,
        }).catch(() => {});
      }
    } finally {
      raw.close();
    }
    const stats = target.stats();
    assert.ok(stats.packetsReceived - 32 >= total * 0.99, `${stats.packetsReceived - 32} of ${total} arrived`);
    assert.equal(stats.packetsReceived, delivered + sumDropped(stats.dropped), JSON.stringify(stats.dropped));
    assert.equal(delivered, 32, "only replays and forgeries were sent: nothing more delivered");
    assert.ok((stats.dropped.oversize ?? 0) > 0 && (stats.dropped.replay ?? 0) > 0 && (stats.dropped.decrypt ?? 0) > 0);

    // Still healthy.
    sender.sendPacket(to, new Uint8Array([1]));
    await waitFor("a genuine packet after the storm", () => delivered === 33);
  });

  test("500 connections with garbage, truncated, oversize and mutated frames: the server survives and counts", async () => {
    const random = new SeededRandom(seed ^ 0x165667b1);
    const keyring = Keyring.fromSecret("fuzz secret");
    let handled = 0;
    const target = secureTransport(
      loopbackTransport({ maxFrameBytes: 64 * 1024, streamIdleTimeoutMs: 2_000 }),
      keyring,
    );
    const client = secureTransport(loopbackTransport(), keyring);
    running.push(target, client);
    target.setHandlers({
      packet: () => {},
      stream: (r) => {
        handled++;
        return r;
      },
    });
    client.setHandlers({ packet: () => {}, stream: (r) => r });
    await Promise.all([target.start(), client.start()]);
    // A genuine sealed request frame, recorded by a raw server, as the corpus.
    const frames: Uint8Array[] = [];
    const recorder = net.createServer((socket) => {
      socket.on("data", (c) => {
        frames.push(new Uint8Array(c));
        socket.destroy();
      });
    });
    await new Promise<void>((resolve) => recorder.listen({ host: LOOPBACK, port: 0 }, resolve));
    const recorderPort = (recorder.address() as net.AddressInfo).port;
    await client
      .request({ host: LOOPBACK, port: recorderPort }, new Uint8Array(100), { timeoutMs: 2_000 })
      .catch(() => {});
    recorder.close();
    const body = (frames[0] as Uint8Array).subarray(4);
    // Deliver the genuine frame once, so every exact copy below is a replay.
    const exchangeCount = 1;

    const exchange = (data: Uint8Array): Promise<void> =>
      new Promise((resolve) => {
        const socket = net.connect({ host: LOOPBACK, port: target.localAddress.port }, () => socket.end(data));
        socket.on("error", () => {});
        socket.on("data", () => {});
        socket.on("close", () => resolve());
      });
    await exchange(frames[0] as Uint8Array);
    assert.equal(handled, 1, "the genuine request is served");
    const connections = 500;
    for (let i = 0; i < connections; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) => {
          const n = i + j;
          if (n % 5 === 0) return exchange(mutate(random, [frames[0] as Uint8Array], "random", 200));
          if (n % 5 === 1) return exchange(frameHeader(64 * 1024 + 1 + random.int(0, 1e6)));
          const mutated = mutate(random, [body], MUTATION_KINDS[n % MUTATION_KINDS.length] ?? "flip", 300);
          const framed = Uint8Array.from([...frameHeader(mutated.length), ...mutated]);
          return exchange(n % 5 === 2 ? framed.subarray(0, random.int(0, framed.length - 1)) : framed);
        }),
      );
    }
    await waitFor(
      "every connection to be closed",
      () => target.stats().streamsAccepted === connections + exchangeCount,
    );
    assert.equal(handled, 1, "no garbage reached the handler");
    assert.ok((target.stats().dropped.oversize ?? 0) >= connections / 5);
    const reply = await client.request(target.localAddress, new Uint8Array([9]), { timeoutMs: 5_000 });
    assert.deepEqual([...reply], [9]);
    assert.equal(handled, 2);
  });

  test("no unhandled rejection happened during the fuzzing", () => {
    assert.deepEqual(unhandled, []);
  });
});
