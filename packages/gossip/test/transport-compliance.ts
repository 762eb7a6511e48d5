/**
 * One compliance suite for every Transport: the UDP transport, the secure wrapper
 * around it, and the simulated network. Import it and call it with a factory:
 *
 *   transportCompliance("udp", async () => ({ a, b, unreachable }));
 *
 * The factory returns two transports, not started and without handlers (the suite
 * installs them), that can reach each other, plus an address nothing answers at.
 * Transports on a fake clock pass `advance`; the suite then moves time itself.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isMeshError } from "@mesh/interface";
import { waitFor } from "@mesh/testing";
import {
  type Address,
  addressKey,
  type PacketHandler,
  type StreamHandler,
  type Transport,
} from "../src/transport/transport.js";

export interface TransportPair {
  readonly a: Transport;
  readonly b: Transport;
  /** An address nothing listens on. */
  readonly unreachable: Address;
  /** For transports on a fake clock: moves time forward by `ms`. Omit for real time. */
  readonly advance?: (ms: number) => void;
  /** Releases anything the factory made besides the two transports (stopped by the suite). */
  readonly close?: () => Promise<void>;
}

interface Received {
  readonly data: Uint8Array;
  readonly from: Address;
}

class Endpoint {
  readonly packets: Received[] = [];
  onPacket: PacketHandler = () => {};
  onStream: StreamHandler = (request) => request;

  constructor(readonly transport: Transport) {
    transport.setHandlers({
      packet: (data, from) => {
        this.packets.push({ data: new Uint8Array(data), from });
        this.onPacket(data, from);
      },
      stream: (request, from) => this.onStream(request, from),
    });
  }
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);
const totalDropped = (t: Transport): number => Object.values(t.stats().dropped).reduce((a, b) => a + b, 0);

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

export function transportCompliance(name: string, makePair: () => Promise<TransportPair> | TransportPair): void {
  const withPair = async (body: (pair: TransportPair, a: Endpoint, b: Endpoint) => Promise<void>): Promise<void> => {
    const pair = await makePair();
    const a = new Endpoint(pair.a);
    const b = new Endpoint(pair.b);
    await Promise.all([pair.a.start(), pair.b.start()]);
    try {
      await body(pair, a, b);
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop()]);
      await pair.close?.();
    }
  };

  /** Waits for a condition: by moving a fake clock, or by polling in real time with a deadline. */
  const until = async (pair: TransportPair, what: string, condition: () => boolean): Promise<void> => {
    const advance = pair.advance;
    if (advance === undefined) return waitFor(what, condition, { timeoutMs: 5_000 });
    for (let step = 0; step < 2_000; step++) {
      if (condition()) return;
      advance(5);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.fail(`condition never held: ${what}`);
  };

  /** Awaits a promise that may need time to pass to settle. */
  const settle = async <T>(pair: TransportPair, promise: Promise<T>): Promise<T> => {
    let done = false;
    const tracked = promise.finally(() => {
      done = true;
    });
    tracked.catch(() => {});
    await until(pair, "the request to settle", () => done);
    return tracked;
  };

  const rejection = async (pair: TransportPair, promise: Promise<unknown>): Promise<unknown> => {
    try {
      await settle(pair, promise);
    } catch (error) {
      return error;
    }
    return assert.fail("expected the request to reject");
  };

  describe(`Transport compliance: ${name}`, () => {
    test("starts with a usable local address; start and stop are idempotent", async () => {
      const pair = await makePair();
      new Endpoint(pair.a);
      new Endpoint(pair.b);
      await pair.a.start();
      await pair.a.start();
      assert.ok(pair.a.localAddress.port > 0, "a bound port");
      assert.ok(pair.a.localAddress.host.length > 0, "a host");
      assert.ok(pair.a.maxPacketSize > 0 && pair.a.maxPacketSize <= 1400, "maxPacketSize within 1400");
      await pair.a.stop();
      await pair.a.stop();
      await pair.b.stop(); // never started: still fine
      await pair.close?.();
    });

    test("delivers packets both ways, naming the sender's address", async () => {
      await withPair(async (pair, a, b) => {
        pair.a.sendPacket(pair.b.localAddress, bytes("ping"));
        await until(pair, "b to receive ping", () => b.packets.length === 1);
        pair.b.sendPacket(pair.a.localAddress, bytes("pong"));
        await until(pair, "a to receive pong", () => a.packets.length === 1);
        assert.equal(text(b.packets[0]?.data ?? new Uint8Array()), "ping");
        assert.equal(text(a.packets[0]?.data ?? new Uint8Array()), "pong");
        assert.equal(addressKey(b.packets[0]?.from as Address), addressKey(pair.a.localAddress));
        assert.equal(addressKey(a.packets[0]?.from as Address), addressKey(pair.b.localAddress));
      });
    });

    test("delivers a packet of exactly maxPacketSize; a larger one is dropped and counted, not thrown", async () => {
      await withPair(async (pair, _a, b) => {
        const max = pair.a.maxPacketSize;
        const before = totalDropped(pair.a);
        pair.a.sendPacket(pair.b.localAddress, pattern(max, 1));
        pair.a.sendPacket(pair.b.localAddress, pattern(max + 1, 2));
        assert.equal(totalDropped(pair.a), before + 1, "the oversize send is counted");
        pair.a.sendPacket(pair.b.localAddress, bytes("marker"));
        await until(pair, "both deliverable packets", () => b.packets.length >= 2);
        assert.deepEqual(
          b.packets.map((p) => p.data.length).sort((x, y) => x - y),
          [6, max],
        );
        assert.deepEqual(new Uint8Array(b.packets.find((p) => p.data.length === max)?.data ?? []), pattern(max, 1));
      });
    });

    test("keeps delivering after a packet handler throws", async () => {
      await withPair(async (pair, _a, b) => {
        b.onPacket = () => {
          throw new Error("handler bug");
        };
        pair.a.sendPacket(pair.b.localAddress, bytes("first"));
        await until(pair, "the first packet", () => b.packets.length === 1);
        b.onPacket = () => {};
        pair.a.sendPacket(pair.b.localAddress, bytes("second"));
        await until(pair, "the second packet", () => b.packets.length === 2);
        assert.equal(text(b.packets[1]?.data ?? new Uint8Array()), "second");
      });
    });

    test("answers stream requests both ways, payloads of 0 B to 1 MiB intact", async () => {
      await withPair(async (pair, a, b) => {
        b.onStream = (request) => Uint8Array.from(request, (x) => x ^ 0xff);
        a.onStream = (request) => request;
        for (const [i, size] of [0, 1, 1400, 65_536, 1 << 20].entries()) {
          const payload = pattern(size, i);
          const response = await settle(pair, pair.a.request(pair.b.localAddress, payload, { timeoutMs: 5_000 }));
          assert.deepEqual(
            new Uint8Array(response),
            Uint8Array.from(payload, (x) => x ^ 0xff),
            `size ${size}`,
          );
        }
        const back = await settle(pair, pair.b.request(pair.a.localAddress, bytes("echo"), { timeoutMs: 5_000 }));
        assert.equal(text(back), "echo");
      });
    });

    test("matches each of 50 concurrent responses to its request", async () => {
      await withPair(async (pair, _a, b) => {
        b.onStream = async (request) => {
          await new Promise((resolve) => setImmediate(resolve));
          return bytes(`re:${text(request)}`);
        };
        const replies = await settle(
          pair,
          Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              pair.a.request(pair.b.localAddress, bytes(`q${i}`), { timeoutMs: 5_000 }),
            ),
          ),
        );
        assert.deepEqual(
          replies.map(text),
          Array.from({ length: 50 }, (_, i) => `re:q${i}`),
        );
      });
    });

    test("rejects with NODE_UNREACHABLE when the remote handler throws, and keeps serving", async () => {
      await withPair(async (pair, _a, b) => {
        b.onStream = () => {
          throw new Error("handler bug");
        };
        const error = await rejection(pair, pair.a.request(pair.b.localAddress, bytes("x"), { timeoutMs: 5_000 }));
        assert.ok(isMeshError(error, "MESH_ERR_NODE_UNREACHABLE"), `got ${String(error)}`);
        b.onStream = (request) => request;
        const ok = await settle(pair, pair.a.request(pair.b.localAddress, bytes("again"), { timeoutMs: 5_000 }));
        assert.equal(text(ok), "again");
      });
    });

    test("rejects with TIMEOUT when no response comes in time", async () => {
      await withPair(async (pair, _a, b) => {
        let release = (): void => {};
        b.onStream = () =>
          new Promise<Uint8Array>((resolve) => {
            release = () => resolve(bytes("late"));
          });
        const error = await rejection(pair, pair.a.request(pair.b.localAddress, bytes("x"), { timeoutMs: 150 }));
        assert.ok(isMeshError(error, "MESH_ERR_TIMEOUT"), `got ${String(error)}`);
        release();
      });
    });

    test("rejects with ABORTED when the signal fires, before or during the request", async () => {
      await withPair(async (pair, _a, b) => {
        const pre = new AbortController();
        pre.abort();
        const early = await rejection(
          pair,
          pair.a.request(pair.b.localAddress, bytes("x"), { timeoutMs: 5_000, signal: pre.signal }),
        );
        assert.ok(isMeshError(early, "MESH_ERR_ABORTED"), `got ${String(early)}`);

        let release = (): void => {};
        let arrived = false;
        b.onStream = () =>
          new Promise<Uint8Array>((resolve) => {
            arrived = true;
            release = () => resolve(bytes("late"));
          });
        const during = new AbortController();
        const pending = pair.a.request(pair.b.localAddress, bytes("x"), { timeoutMs: 5_000, signal: during.signal });
        pending.catch(() => {});
        await until(pair, "the request to reach b", () => arrived);
        during.abort();
        const late = await rejection(pair, pending);
        assert.ok(isMeshError(late, "MESH_ERR_ABORTED"), `got ${String(late)}`);
        release();
      });
    });

    test("rejects with NODE_UNREACHABLE or TIMEOUT for an address nothing listens on", async () => {
      await withPair(async (pair) => {
        const error = await rejection(pair, pair.a.request(pair.unreachable, bytes("x"), { timeoutMs: 1_000 }));
        assert.ok(
          isMeshError(error, "MESH_ERR_NODE_UNREACHABLE") || isMeshError(error, "MESH_ERR_TIMEOUT"),
          `got ${String(error)}`,
        );
        pair.a.sendPacket(pair.unreachable, bytes("into the void")); // must not throw
      });
    });

    test("counts packets and streams in stats()", async () => {
      await withPair(async (pair, _a, b) => {
        const sentBefore = pair.a.stats().packetsSent;
        for (let i = 0; i < 5; i++) pair.a.sendPacket(pair.b.localAddress, bytes(`p${i}`));
        await until(pair, "five packets", () => b.packets.length === 5);
        await settle(pair, pair.a.request(pair.b.localAddress, bytes("s"), { timeoutMs: 5_000 }));
        const sa = pair.a.stats();
        const sb = pair.b.stats();
        assert.equal(sa.packetsSent - sentBefore, 5);
        assert.ok(sb.packetsReceived >= 5);
        assert.ok(sa.bytesSent > 0 && sb.bytesReceived > 0);
        assert.ok(sa.streamsOpened >= 1, "a opened a stream");
        assert.ok(sb.streamsAccepted >= 1, "b accepted a stream");
        // stats() is a snapshot: changing it does not change the transport.
        sa.dropped.bogus = 1;
        assert.equal(pair.a.stats().dropped.bogus, undefined);
      });
    });

    test("after stop, sendPacket does not throw and request rejects with a MeshError", async () => {
      const pair = await makePair();
      new Endpoint(pair.a);
      new Endpoint(pair.b);
      await Promise.all([pair.a.start(), pair.b.start()]);
      const target = pair.b.localAddress;
      await pair.a.stop();
      pair.a.sendPacket(target, bytes("after stop"));
      const error = await rejection(pair, pair.a.request(target, bytes("x"), { timeoutMs: 1_000 }));
      assert.ok(isMeshError(error), `got ${String(error)}`);
      await pair.b.stop();
      await pair.close?.();
    });
  });
}
