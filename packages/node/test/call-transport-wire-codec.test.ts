import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMeshError } from "@mesh/interface";
import type { FrameCipher } from "../src/call-transport/frame-cipher.js";
import { UNDECODABLE, UNOPENABLE, WireCodec } from "../src/call-transport/wire-codec.js";

function body(frame: Uint8Array): Buffer {
  const buffer = Buffer.from(frame);
  assert.equal(buffer.readUInt32BE(0), buffer.length - 4, "the length prefix counts the body");
  return buffer.subarray(4);
}

const cycle: Record<string, unknown> = {};
cycle.self = cycle;

describe("WireCodec", () => {
  const codec = new WireCodec(64, undefined);

  it("round-trips a message through a length-prefixed frame", () => {
    assert.deepEqual(codec.decode(body(codec.encode([1, "a", { b: [2] }], "test"))), [1, "a", { b: [2] }]);
  });

  const unencodable: [string, unknown][] = [
    ["a function", () => 1],
    ["a function inside an object", { nested: [1, () => 2] }],
    ["a cycle", cycle],
    ["a symbol", Symbol("s")],
    ["a value over the frame limit", "x".repeat(100)],
  ];
  for (const [name, value] of unencodable) {
    it(`fails ${name} with MESH_ERR_UNENCODABLE, and keeps working after`, () => {
      assert.throws(
        () => codec.encode([1, value], "call payload"),
        (error: unknown) => isMeshError(error, "MESH_ERR_UNENCODABLE") && error.message.startsWith("the call payload"),
      );
      assert.deepEqual(codec.decode(body(codec.encode([2, "ok"], "test"))), [2, "ok"]);
    });
  }

  it("decodes a body in place from a range of a larger buffer", () => {
    const frames = Buffer.concat([codec.encode(["a"], "t"), codec.encode(["b", 2], "t")]);
    const second = 4 + frames.readUInt32BE(0);
    assert.deepEqual(codec.decode(frames, 4, second), ["a"]);
    assert.deepEqual(codec.decode(frames, second + 4, frames.length), ["b", 2]);
    assert.equal(codec.decode(frames, 4, 4), UNDECODABLE, "an empty range");
    assert.equal(codec.decode(frames, 4, second - 1), UNDECODABLE, "a truncated range");
  });

  it("gives binary values of small and large bodies their own memory", () => {
    const big = new WireCodec(1 << 20, undefined);
    for (const size of [8, 4000]) {
      const first = big.decode(body(big.encode([Buffer.alloc(size, 1)], "t"))) as Uint8Array[];
      big.decode(body(big.encode([Buffer.alloc(size, 2)], "t")));
      assert.ok(
        (first[0] as Uint8Array).every((b) => b === 1),
        `a ${size}-byte value survives the next decode`,
      );
    }
  });

  it("refuses a body that is not msgpack, or has trailing bytes", () => {
    assert.equal(codec.decode(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])), UNDECODABLE);
    const good = body(codec.encode([1], "test"));
    assert.equal(codec.decode(Buffer.concat([good, Buffer.from([1])])), UNDECODABLE);
    assert.equal(codec.decode(Buffer.alloc(0)), UNDECODABLE);
  });

  it("seals bodies with the cipher, and refuses what does not open", () => {
    // A toy cipher (XOR + a check byte) is enough to show the codec's use of the seam.
    const xor: FrameCipher = {
      seal: (plain) => Buffer.concat([Buffer.from(plain.map((b) => b ^ 0x5a)), Buffer.from([0x99])]),
      open: (sealed) => (sealed.at(-1) === 0x99 ? Buffer.from(sealed.subarray(0, -1).map((b) => b ^ 0x5a)) : undefined),
    };
    const sealed = new WireCodec(64, xor);
    const frame = body(sealed.encode([1, "secret"], "test"));
    assert.ok(!frame.includes(Buffer.from("secret")), "the body is not in the clear");
    assert.deepEqual(sealed.decode(frame), [1, "secret"]);
    assert.equal(sealed.decode(body(codec.encode([1, "secret"], "test"))), UNOPENABLE);
    const throwing = new WireCodec(64, {
      seal: (p) => p,
      open: () => {
        throw new Error("bad cipher");
      },
    });
    assert.equal(throwing.decode(frame), UNOPENABLE);
  });
});
