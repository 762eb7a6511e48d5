import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FrameBudget, FrameDecoder } from "../src/call-transport/frame-decoder.js";

/** A budget that records what it was charged and refuses beyond `limit`. */
function budget(limit = Number.POSITIVE_INFINITY): FrameBudget & { held: number } {
  return {
    held: 0,
    acquire(bytes) {
      if (this.held + bytes > limit) return false;
      this.held += bytes;
      return true;
    },
    release(bytes) {
      this.held -= bytes;
    },
  };
}

/** A header announcing `length`, then the first `sent` body bytes. */
function announce(length: number, sent: number): Buffer {
  const out = Buffer.alloc(4 + sent, 9);
  out.writeUInt32BE(length, 0);
  return out;
}

function frame(body: number[]): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  Buffer.from(body).copy(out, 4);
  return out;
}

/** Feeds the stream cut at the given offsets and returns every body seen, as arrays. */
function feed(stream: Buffer, cuts: number[], maxFrameBytes = 1024): { bodies: number[][]; results: string[] } {
  const decoder = new FrameDecoder(maxFrameBytes);
  const bodies: number[][] = [];
  const results: string[] = [];
  let start = 0;
  for (const cut of [...cuts, stream.length]) {
    results.push(
      decoder.push(stream.subarray(start, cut), (buffer, from, to) => {
        bodies.push([...buffer.subarray(from, to)]);
        return true;
      }),
    );
    start = cut;
  }
  return { bodies, results };
}

describe("FrameDecoder", () => {
  const two = Buffer.concat([frame([1, 2, 3]), frame([4, 5])]);
  const cases: { name: string; stream: Buffer; cuts: number[]; bodies: number[][] }[] = [
    {
      name: "two frames in one chunk",
      stream: two,
      cuts: [],
      bodies: [
        [1, 2, 3],
        [4, 5],
      ],
    },
    {
      name: "cut inside the first header",
      stream: two,
      cuts: [2],
      bodies: [
        [1, 2, 3],
        [4, 5],
      ],
    },
    {
      name: "cut inside the first body",
      stream: two,
      cuts: [5],
      bodies: [
        [1, 2, 3],
        [4, 5],
      ],
    },
    {
      name: "cut between frames",
      stream: two,
      cuts: [7],
      bodies: [
        [1, 2, 3],
        [4, 5],
      ],
    },
    {
      name: "cut inside the second header",
      stream: two,
      cuts: [9],
      bodies: [
        [1, 2, 3],
        [4, 5],
      ],
    },
    {
      name: "one byte at a time",
      stream: two,
      cuts: Array.from({ length: two.length - 1 }, (_, i) => i + 1),
      bodies: [
        [1, 2, 3],
        [4, 5],
      ],
    },
    { name: "an empty body", stream: Buffer.concat([frame([]), frame([9])]), cuts: [2], bodies: [[], [9]] },
    { name: "an incomplete frame is held back", stream: frame([1, 2, 3]).subarray(0, 6), cuts: [], bodies: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { bodies, results } = feed(c.stream, c.cuts);
      assert.deepEqual(bodies, c.bodies);
      assert.ok(results.every((r) => r === "ok"));
    });
  }

  it("reports how many bytes of an incomplete frame it holds", () => {
    const decoder = new FrameDecoder(1024);
    decoder.push(frame([1, 2, 3]).subarray(0, 2), () => true);
    assert.equal(decoder.pendingBytes, 2);
    decoder.push(frame([1, 2, 3]).subarray(2, 5), () => true);
    assert.equal(decoder.pendingBytes, 5);
  });

  it("refuses a length prefix over the limit, whole or split", () => {
    const big = Buffer.alloc(4);
    big.writeUInt32BE(1025, 0);
    assert.deepEqual(feed(big, [], 1024).results, ["oversize"]);
    assert.deepEqual(feed(big, [3], 1024).results, ["ok", "oversize"]);
    // Exactly at the limit is fine.
    assert.deepEqual(feed(frame(new Array(16).fill(7)), [], 16).results, ["ok"]);
  });

  it("stops when the sink returns false", () => {
    const decoder = new FrameDecoder(1024);
    let seen = 0;
    const result = decoder.push(Buffer.concat([frame([1]), frame([2]), frame([3])]), () => {
      seen++;
      return false;
    });
    assert.equal(result, "stopped");
    assert.equal(seen, 1);
  });

  it("hands out bodies that later chunks never overwrite", () => {
    const decoder = new FrameDecoder(1024);
    const bodies: Buffer[] = [];
    const stream = Buffer.concat([frame([1, 1, 1]), frame([2, 2, 2]), frame([3, 3, 3])]);
    for (let i = 0; i < stream.length; i += 5) {
      decoder.push(Buffer.from(stream.subarray(i, i + 5)), (buffer, from, to) => {
        bodies.push(buffer.subarray(from, to));
        return true;
      });
    }
    assert.deepEqual(
      bodies.map((b) => [...b]),
      [
        [1, 1, 1],
        [2, 2, 2],
        [3, 3, 3],
      ],
    );
  });

  it("holds a buffer that grows with the bytes that came, not with the announced length", () => {
    const charged = budget();
    const decoder = new FrameDecoder(16 * 1024 * 1024, charged);
    const seen: number[] = [];
    const sink = (_b: Buffer, from: number, to: number) => seen.push(to - from) > 0;
    assert.equal(decoder.push(announce(16 * 1024 * 1024, 10), sink), "ok");
    assert.equal(decoder.bufferedBytes, 64 * 1024, "an announced 16 MiB with 10 bytes sent holds 64 KiB");
    assert.equal(charged.held, 64 * 1024);
    // 100 KiB more: the buffer doubles to 128 KiB, and the budget is charged the difference only.
    assert.equal(decoder.push(Buffer.alloc(100 * 1024, 1), sink), "ok");
    assert.equal(decoder.bufferedBytes, 128 * 1024);
    assert.equal(charged.held, 128 * 1024);
    // 1 MiB more is over double: it grows to what is needed.
    assert.equal(decoder.push(Buffer.alloc(1024 * 1024, 1), sink), "ok");
    assert.equal(decoder.bufferedBytes, 10 + 1124 * 1024);
    const rest = 16 * 1024 * 1024 - 10 - 1124 * 1024;
    assert.equal(decoder.push(Buffer.alloc(rest, 2), sink), "ok");
    assert.deepEqual(seen, [16 * 1024 * 1024], "the frame is handed out whole, at its exact length");
    assert.equal(charged.held, 0, "and its buffer given back");
    assert.equal(decoder.bufferedBytes, 0);
  });

  it("stops with 'refused' when the budget says no, and gives everything back on dispose", () => {
    const charged = budget(100 * 1024);
    const decoder = new FrameDecoder(1024 * 1024, charged);
    assert.equal(
      decoder.push(announce(1024 * 1024, 1000), () => true),
      "ok",
    );
    assert.equal(charged.held, 64 * 1024);
    assert.equal(
      decoder.push(Buffer.alloc(64 * 1024), () => true),
      "refused",
      "growing to 128 KiB is over 100 KiB",
    );
    decoder.dispose();
    assert.equal(charged.held, 0);
    const refusedAtOnce = new FrameDecoder(1024 * 1024, budget(1000));
    assert.equal(
      refusedAtOnce.push(announce(2000, 10), () => true),
      "refused",
    );
  });

  it("raises or lowers its limit between chunks", () => {
    const decoder = new FrameDecoder(8);
    assert.equal(
      decoder.push(frame([1, 2, 3]), () => true),
      "ok",
    );
    assert.equal(
      decoder.push(frame(new Array(9).fill(0)), () => true),
      "oversize",
    );
    const raised = new FrameDecoder(8);
    let count = 0;
    const stream = Buffer.concat([frame([1]), frame(new Array(100).fill(0))]);
    // The sink raises the limit after the first frame, as the server does after the hello.
    raised.push(stream, () => {
      raised.maxFrameBytes = 1024;
      return ++count > 0;
    });
    assert.equal(count, 2);
  });
});
