import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  callToWire,
  cancelToWire,
  castToWire,
  decodeMessage,
  failureToWire,
  helloToWire,
  MessageType,
  PROTOCOL_VERSION,
  pingToWire,
  pongToWire,
  replyToWire,
} from "../src/call-transport/messages.js";
import { WireCodec } from "../src/call-transport/wire-codec.js";

const codec = new WireCodec(1024 * 1024, undefined);
/** Through real msgpack, as a peer would see it. */
function roundTrip(message: unknown[]): unknown {
  const frame = codec.encode(message, "test");
  return decodeMessage(codec.decode(Buffer.from(frame.subarray(4))));
}

describe("call messages", () => {
  it("keeps the wire type codes (part of the protocol: append only)", () => {
    assert.deepEqual(MessageType, {
      Call: 1,
      Cast: 2,
      Reply: 3,
      Failure: 4,
      Cancel: 5,
      Hello: 6,
      Ping: 7,
      Pong: 8,
    });
  });

  it("round-trips every message type", () => {
    assert.deepEqual(roundTrip(callToWire(7, "M", "id1", "game", { a: [1, 2] }, "init", 250, ["n1"], 1)), {
      type: MessageType.Call,
      rid: 7,
      module: "M",
      id: "id1",
      capability: "game",
      payload: { a: [1, 2] },
      initArg: "init",
      timeoutMs: 250,
      chain: ["n1"],
      hops: 1,
      traceparent: undefined,
      tracestate: undefined,
    });
    assert.deepEqual(roundTrip(castToWire("M", "id1", "game", 5, undefined, [], 0)), {
      type: MessageType.Cast,
      module: "M",
      id: "id1",
      capability: "game",
      payload: 5,
      initArg: undefined,
      chain: [],
      hops: 0,
    });
    assert.deepEqual(roundTrip(replyToWire(0xffff_ffff, "v")), {
      type: MessageType.Reply,
      rid: 0xffff_ffff,
      value: "v",
    });
    assert.deepEqual(roundTrip(failureToWire(3, "MESH_ERR_TIMEOUT", "slow", { a: 1 })), {
      type: MessageType.Failure,
      rid: 3,
      code: "MESH_ERR_TIMEOUT",
      message: "slow",
      details: { a: 1 },
    });
    assert.deepEqual(roundTrip(cancelToWire(9)), { type: MessageType.Cancel, rid: 9 });
    assert.deepEqual(roundTrip(helloToWire()), { type: MessageType.Hello, version: PROTOCOL_VERSION });
    assert.deepEqual(roundTrip(pingToWire()), { type: MessageType.Ping });
    assert.deepEqual(roundTrip(pongToWire()), { type: MessageType.Pong });
  });

  const good = callToWire(1, "M", "i", "c", null, undefined, 100, [], 0);
  const withField = (index: number, value: unknown) => good.map((v, i) => (i === index ? value : v));
  const invalid: [string, unknown][] = [
    ["not an array", { type: 1 }],
    ["an unknown type code", [99, 1]],
    ["no type code", []],
    ["a call with a missing field", good.slice(0, 9)],
    // Elements 10 and 11 are the optional trace context (a malformed one reads as untraced); 12 is one too many.
    ["a call with an extra field past the trace context", [...good, undefined, undefined, 1]],
    ["a negative rid", withField(1, -1)],
    ["a fractional rid", withField(1, 1.5)],
    ["a rid over uint32", withField(1, 2 ** 32)],
    ["a string rid", withField(1, "1")],
    ["a numeric module", withField(2, 5)],
    ["a null id", withField(3, null)],
    ["a missing capability", withField(4, undefined)],
    ["a string timeout", withField(7, "100")],
    ["an infinite timeout", withField(7, Number.POSITIVE_INFINITY)],
    ["a chain of numbers", withField(8, [1])],
    ["a chain that is not an array", withField(8, "n1")],
    ["an overlong chain", withField(8, new Array(65).fill("n"))],
    ["negative hops", withField(9, -1)],
    ["too many hops", withField(9, 256)],
    ["a reply without a value slot", [3, 1]],
    ["a failure with an unknown code", [4, 1, "MESH_ERR_NOPE", "x", undefined]],
    ["a failure with a numeric message", [4, 1, "MESH_ERR_TIMEOUT", 5, undefined]],
    ["a failure with array details", [4, 1, "MESH_ERR_TIMEOUT", "x", [1]]],
    ["a failure with string details", [4, 1, "MESH_ERR_TIMEOUT", "x", "d"]],
    ["a failure code from Object.prototype", [4, 1, "toString", "x", undefined]],
    ["a cancel without rid", [5]],
    ["a hello of another protocol version", [6, PROTOCOL_VERSION + 1]],
    ["a hello without a version", [6]],
    ["a ping with a payload", [7, "x".repeat(100)]],
    ["a pong with a payload", [8, 1]],
    ["a cast with a numeric module", [2, 1, "i", "c", null, undefined, [], 0]],
  ];
  for (const [name, raw] of invalid) {
    it(`refuses ${name}`, () => {
      assert.equal(decodeMessage(raw), undefined);
    });
  }

  it("accepts a failure with null details as no details", () => {
    assert.deepEqual(decodeMessage([4, 1, "MESH_ERR_TIMEOUT", "x", null]), {
      type: MessageType.Failure,
      rid: 1,
      code: "MESH_ERR_TIMEOUT",
      message: "x",
      details: undefined,
    });
  });
});
