import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameDecoder } from "../src/call-transport/frame-decoder.js";

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
});
