import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { isMeshError } from "@mesh/interface";
import { waitFor } from "@mesh/testing";
import { FrameDecoder } from "../src/call-transport/frame-decoder.js";
import type { IncomingCall } from "../src/call-transport/index.js";
import { callToWire, decodeMessage, helloToWire, isWireCall, MessageType } from "../src/call-transport/messages.js";
import { MAX_TRACESTATE_CHARS, validTraceparent, validTracestate } from "../src/call-transport/trace-context.js";
import { WireCodec } from "../src/call-transport/wire-codec.js";
import { LOOPBACK, startClient, startServer } from "./call-transport-fixtures.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

describe("W3C trace context on call frames", () => {
  const traceparents: [string, unknown, boolean][] = [
    ["a sampled traceparent", TRACEPARENT, true],
    ["an unsampled one", `00-${TRACE_ID}-${PARENT_ID}-00`, true],
    ["unknown flags", `00-${TRACE_ID}-${PARENT_ID}-ff`, true],
    ["version 01", `01-${TRACE_ID}-${PARENT_ID}-01`, false],
    ["version ff", `ff-${TRACE_ID}-${PARENT_ID}-01`, false],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${PARENT_ID}-01`, false],
    ["an all-zero parent id", `00-${TRACE_ID}-${"0".repeat(16)}-01`, false],
    ["uppercase hex", `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`, false],
    ["a short trace id", `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`, false],
    ["a long parent id", `00-${TRACE_ID}-${PARENT_ID}0-01`, false],
    ["one-digit flags", `00-${TRACE_ID}-${PARENT_ID}-1`, false],
    ["a trailing field", `${TRACEPARENT}-00`, false],
    ["a trailing newline", `${TRACEPARENT}\n`, false],
    ["other separators", TRACEPARENT.replaceAll("-", "_"), false],
    ["a non-hex digit", `00-${TRACE_ID.slice(0, 31)}g-${PARENT_ID}-01`, false],
    ["a number", 42, false],
    ["an array", [TRACEPARENT], false],
    ["null", null, false],
    ["the empty string", "", false],
    ["a megabyte", "0".repeat(1 << 20), false],
  ];
  for (const [name, value, valid] of traceparents) {
    it(`${valid ? "accepts" : "drops"} ${name} as a traceparent`, () => {
      assert.equal(validTraceparent(value), valid ? value : undefined);
    });
  }

  const tracestates: [string, unknown, boolean][] = [
    ["one member", "congo=t61rcWkgMzE", true],
    ["two members", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", true],
    ["512 characters", `a=${"b".repeat(MAX_TRACESTATE_CHARS - 2)}`, true],
    ["513 characters", `a=${"b".repeat(MAX_TRACESTATE_CHARS - 1)}`, false],
    ["a control character", "a=b\u0000", false],
    ["non-ASCII", "a=ü", false],
    ["the empty string", "", false],
    ["a number", 7, false],
  ];
  for (const [name, value, valid] of tracestates) {
    it(`${valid ? "accepts" : "drops"} ${name} as a tracestate`, () => {
      assert.equal(validTracestate(value), valid ? value : undefined);
    });
  }

  it("leaves an untraced call frame as it was: ten elements, the same bytes", () => {
    const codec = new WireCodec(1 << 20, undefined);
    const plain = callToWire(1, "M", "i", "c", { a: 1 }, undefined, 100, [], 0);
    assert.equal(plain.length, 10);
    const untraced = callToWire(1, "M", "i", "c", { a: 1 }, undefined, 100, [], 0, undefined, undefined);
    assert.deepEqual(Buffer.from(codec.encode(untraced, "x")), Buffer.from(codec.encode(plain, "x")));
    const traced = callToWire(1, "M", "i", "c", { a: 1 }, undefined, 100, [], 0, TRACEPARENT);
    assert.equal(codec.encode(traced, "x").length - codec.encode(plain, "x").length, 1 + 1 + 55, "str8 header + 55");
  });

  it("decodes the context of a traced call, and reads a malformed one as untraced, not as a bad frame", () => {
    const base = callToWire(1, "M", "i", "c", null, undefined, 100, [], 0);
    const traced = decodeMessage([...base, TRACEPARENT, "congo=t61rcWkgMzE"]);
    assert.equal(traced?.type, MessageType.Call);
    assert.equal(traced?.type === MessageType.Call && traced.traceparent, TRACEPARENT);
    assert.equal(traced?.type === MessageType.Call && traced.tracestate, "congo=t61rcWkgMzE");
    for (const [traceparent, tracestate] of [
      ["junk", "congo=1"],
      [5, undefined],
      [{ toString: () => TRACEPARENT }, undefined],
      [`00-${"0".repeat(32)}-${PARENT_ID}-01`, "congo=1"],
    ]) {
      const raw = tracestate === undefined ? [...base, traceparent] : [...base, traceparent, tracestate];
      assert.ok(isWireCall(raw));
      const message = decodeMessage(raw);
      assert.ok(message?.type === MessageType.Call);
      assert.equal(message.traceparent, undefined);
      assert.equal(message.tracestate, undefined, "no tracestate without a valid traceparent");
    }
    const badState = decodeMessage([...base, TRACEPARENT, "x".repeat(MAX_TRACESTATE_CHARS + 1)]);
    assert.ok(badState?.type === MessageType.Call);
    assert.equal(badState.traceparent, TRACEPARENT, "a bad tracestate leaves the traceparent");
    assert.equal(badState.tracestate, undefined);
    assert.equal(decodeMessage([...base, TRACEPARENT, "a=1", "more"]), undefined, "thirteen elements");
  });

  it("carries a client's context to the server's handler", async (t) => {
    const seen: IncomingCall[] = [];
    const server = await startServer(t, { onCall: async (call) => seen.push(call), onCast: () => {} });
    const client = await startClient(t);
    const request = { module: "M", id: "i", capability: "c", payload: 1 };
    await client.call(server.address, { ...request, traceparent: TRACEPARENT, tracestate: "congo=1" });
    await client.call(server.address, { ...request, traceparent: TRACEPARENT });
    await client.call(server.address, request);
    assert.deepEqual(
      seen.map((c) => [c.traceparent, c.tracestate]),
      [
        [TRACEPARENT, "congo=1"],
        [TRACEPARENT, undefined],
        [undefined, undefined],
      ],
    );
  });

  it("refuses a malformed context from its own caller with MESH_ERR_INVALID_ARGUMENT, naming it", async (t) => {
    const server = await startServer(t, { onCall: async () => 1, onCast: () => {} });
    const client = await startClient(t);
    const request = { module: "M", id: "i", capability: "c" };
    await assert.rejects(
      client.call(server.address, { ...request, traceparent: "00-xyz" }),
      (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && /traceparent/.test(e.message),
    );
    await assert.rejects(
      client.call(server.address, { ...request, tracestate: "a=1" }),
      (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && /tracestate/.test(e.message),
    );
    assert.equal(await client.call(server.address, request), 1, "the connection is fine");
  });

  it("serves a raw peer's calls with malformed contexts untraced, on the same connection", async (t) => {
    const seen: IncomingCall[] = [];
    const server = await startServer(t, { onCall: async (call) => seen.push(call), onCast: () => {} });
    const codec = new WireCodec(1 << 20, undefined);
    const socket = connect({ host: LOOPBACK, port: server.port ?? 0 });
    t.after(() => socket.destroy());
    const replies: unknown[] = [];
    const decoder = new FrameDecoder(1 << 20);
    socket.on("data", (chunk: Buffer) =>
      decoder.push(chunk, (buffer, start, end) => {
        const message = decodeMessage(codec.decode(buffer, start, end));
        if (message?.type === MessageType.Reply) replies.push(message.value);
        return true;
      }),
    );
    const call = (rid: number, ...trace: unknown[]) =>
      codec.encode([...callToWire(rid, "M", "i", "c", rid, undefined, 5_000, [], 0), ...trace], "raw");
    socket.write(codec.encode(helloToWire(), "hello"));
    const hostile: unknown[][] = [
      ["not-a-traceparent"],
      [`00-${"0".repeat(32)}-${"0".repeat(16)}-00`],
      [TRACEPARENT.toUpperCase()],
      [12345],
      [{ traceId: TRACE_ID }],
      [null, "congo=1"],
      ["x".repeat(100_000)],
      [TRACEPARENT, "y".repeat(100_000)],
      [TRACEPARENT, ["congo=1"]],
    ];
    for (const [i, trace] of hostile.entries()) socket.write(call(i + 1, ...trace));
    await waitFor("every call to be served", () => seen.length === hostile.length, { timeoutMs: 5_000 });
    assert.deepEqual(
      seen.map((c) => [c.payload, c.traceparent, c.tracestate]),
      hostile.map((trace, i) => [
        i + 1,
        trace.length === 2 && trace[0] === TRACEPARENT ? TRACEPARENT : undefined,
        undefined,
      ]),
    );
    await waitFor("every reply", () => replies.length === hostile.length, { timeoutMs: 5_000 });
    assert.equal(server.stats().connections, 1, "no frame was taken for a protocol violation");
    const dropped = Object.entries(server.stats().dropped).filter(([, n]) => n > 0);
    assert.deepEqual(dropped, [], "nothing was dropped");
  });
});
