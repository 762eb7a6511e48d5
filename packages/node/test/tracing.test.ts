import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@mesh/testing";
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { Attempt } from "../src/call-router.js";
import { createNode, isMeshError, type MeshNode, type NodeInit } from "../src/index.js";
import { OtelTracing } from "../src/otel-tracing.js";
import { NO_TRACE } from "../src/tracing.js";
import { CallClient, secretFrameCipher } from "../src/transport.js";

class Counter {
  count = 0;
  handleCall(n: number): number {
    this.count += n;
    return this.count;
  }
}
class Boom {
  handleCall(): never {
    throw new Error("boom");
  }
}
const actors = { Counter, Boom };
const IDS = Array.from({ length: 200 }, (_, i) => `p${i}`);

const started: MeshNode[] = [];
after(async () => {
  await Promise.all(started.map((n) => n.stop()));
});

interface Pair {
  readonly a: MeshNode;
  readonly b: MeshNode;
  readonly secret: string;
  /** An id whose actor lives on `node`. */
  idOn(node: MeshNode): string;
}

/** Two nodes on loopback that both host "game", joined by a static seed, with a secret of their own. */
async function pair(init: NodeInit = {}, initB: NodeInit = init): Promise<Pair> {
  const secret = randomBytes(16).toString("hex");
  const common = {
    host: "127.0.0.1",
    multicast: false,
    secret,
    gossip: { preset: "local" as const },
    actors,
    capabilities: ["game"],
  };
  const a = await createNode({ ...common, ...init, name: `mo-a-${secret.slice(0, 6)}` });
  started.push(a);
  const self = a.members().find((m) => m.name === a.name);
  assert.ok(self !== undefined);
  const b = await createNode({
    ...common,
    ...initB,
    name: `mo-b-${secret.slice(0, 6)}`,
    seeds: [`127.0.0.1:${self.address.port}`],
  });
  started.push(b);
  await waitFor("both nodes in both tables", () => a.nodesFor("game").length === 2 && b.nodesFor("game").length === 2, {
    timeoutMs: 10_000,
  });
  const idOn = (node: MeshNode) => {
    const id = IDS.find((i) => a.ownerNode(a.shardFor(i), "game") === node.name);
    assert.ok(id !== undefined, `some id lives on ${node.name}`);
    return id;
  };
  return { a, b, secret, idOn };
}

const call = (node: MeshNode, id: string, module = "Counter") =>
  node.call({ module, id, capability: "game", payload: 1 });

describe("tracing without a tracer provider", () => {
  it("calls work, and no step of a call is traced, so nothing goes on the wire", async () => {
    const { a, b, idOn } = await pair();
    assert.equal((await call(a, idOn(b))).pid.node, b.name);
    assert.equal((await call(a, idOn(a))).pid.node, a.name);
    // What the node's router would carry: the API is installed here, but no provider is registered.
    const tracing = new OtelTracing(api, undefined, "n");
    const attempt = new Attempt(
      "Counter",
      "x",
      "game",
      0,
      1,
      undefined,
      [],
      0,
      1_000,
      1_000,
      undefined,
      false,
      undefined,
    );
    const trace = tracing.call(attempt);
    assert.equal(trace, NO_TRACE);
    assert.equal(trace.traceparent, undefined);
  });
});

describe("tracing with OpenTelemetry", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = api.trace.getTracer("mesh-test");
  let nodes: Pair;

  before(async () => {
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    assert.ok(api.trace.setGlobalTracerProvider(provider), "the test registers the global provider");
    nodes = await pair();
  });
  after(async () => {
    await provider.shutdown();
    api.trace.disable();
    api.context.disable();
  });

  /** The spans of one trace once `count` have ended (each node ends its spans on its own). */
  async function spansOf(traceId: string, count: number): Promise<ReadableSpan[]> {
    const of = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    await waitFor(`${count} spans of trace ${traceId}`, () => of().length >= count, { timeoutMs: 5_000 });
    return of();
  }
  function one(spans: readonly ReadableSpan[], name: string, node: MeshNode): ReadableSpan {
    const found = spans.filter((s) => s.name === name && s.attributes["mesh.node"] === node.name);
    assert.equal(found.length, 1, `one ${name} on ${node.name}: ${spans.map((s) => s.name).join(", ")}`);
    return found[0] as ReadableSpan;
  }
  const idOf = (span: ReadableSpan) => span.spanContext().spanId;
  const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

  it("gives a call to another node mesh.call there and mesh.serve on the owner, its child, in one trace", async () => {
    const { a, b, idOn } = nodes;
    const id = idOn(b);
    exporter.reset();
    await call(a, id);
    const first = exporter.getFinishedSpans().find((s) => s.name === "mesh.call");
    assert.ok(first !== undefined, "mesh.call ended with the reply");
    const spans = await spansOf(traceOf(first), 3);
    const calling = one(spans, "mesh.call", a);
    const serving = one(spans, "mesh.serve", b);
    assert.equal(calling.kind, api.SpanKind.CLIENT);
    assert.equal(calling.parentSpanContext, undefined, "a root: no span was active");
    assert.deepEqual(
      [calling.attributes["mesh.capability"], calling.attributes["mesh.module"], calling.attributes["mesh.id"]],
      ["game", "Counter", id],
    );
    assert.equal(calling.attributes["mesh.outcome"], "ok");
    assert.equal(serving.kind, api.SpanKind.SERVER);
    assert.equal(serving.parentSpanContext?.spanId, idOf(calling), "serve's parent is the caller's span");
    assert.equal(serving.parentSpanContext?.isRemote, true);
    assert.equal(serving.attributes["mesh.outcome"], "ok");
    const routed = one(spans, "mesh.route", a);
    assert.equal(routed.parentSpanContext?.spanId, idOf(calling));
    assert.equal(routed.attributes["mesh.owner"], b.name);
    // The owner found itself by one table lookup: no mesh.route there.
    assert.equal(spans.length, 3, spans.map((s) => s.name).join(", "));
  });

  it("gives a call on the same node mesh.call and mesh.serve, its child", async () => {
    const { a, idOn } = nodes;
    exporter.reset();
    await call(a, idOn(a));
    const calling = exporter.getFinishedSpans().find((s) => s.name === "mesh.call");
    assert.ok(calling !== undefined);
    const spans = await spansOf(traceOf(calling), 2);
    const serving = one(spans, "mesh.serve", a);
    assert.equal(serving.kind, api.SpanKind.SERVER);
    assert.equal(serving.parentSpanContext?.spanId, idOf(calling));
    assert.notEqual(serving.parentSpanContext?.isRemote, true, "a parent in this process");
    assert.deepEqual(
      [serving.attributes["mesh.module"], serving.attributes["mesh.id"], serving.attributes["mesh.outcome"]],
      ["Counter", idOn(a), "ok"],
    );
    assert.equal(spans.length, 2, spans.map((s) => s.name).join(", "));
  });

  it("makes the caller's active span the parent of mesh.call", async () => {
    const { a, b, idOn } = nodes;
    exporter.reset();
    const user = await tracer.startActiveSpan("user-work", async (span) => {
      await call(a, idOn(b));
      span.end();
      return span;
    });
    const spans = await spansOf(user.spanContext().traceId, 4);
    const calling = one(spans, "mesh.call", a);
    assert.equal(calling.parentSpanContext?.spanId, user.spanContext().spanId);
    assert.equal(one(spans, "mesh.serve", b).parentSpanContext?.spanId, idOf(calling));
  });

  it("records a failing call as ERROR with its code, on the caller and on the owner", async () => {
    const { a, b, idOn } = nodes;
    exporter.reset();
    await assert.rejects(call(a, idOn(b), "Boom"), (e) => isMeshError(e, "MESH_ERR_ACTOR_THREW"));
    const calling = exporter.getFinishedSpans().find((s) => s.name === "mesh.call");
    assert.ok(calling !== undefined);
    const spans = await spansOf(traceOf(calling), 3);
    for (const span of [one(spans, "mesh.call", a), one(spans, "mesh.serve", b)]) {
      assert.equal(span.status.code, api.SpanStatusCode.ERROR, span.name);
      assert.equal(span.attributes["mesh.error.code"], "MESH_ERR_ACTOR_THREW", span.name);
      assert.equal(span.attributes["mesh.outcome"], "MESH_ERR_ACTOR_THREW", span.name);
      assert.ok(
        span.events.some((e) => e.name === "exception"),
        `${span.name} records the exception`,
      );
    }
    // A call refused before it is routed: the same, on the caller's span alone.
    exporter.reset();
    await assert.rejects(a.call({ module: "Counter", id: "x", capability: "nobody-has-it", payload: 1 }), (e) =>
      isMeshError(e, "MESH_ERR_NO_NODES"),
    );
    const refused = exporter.getFinishedSpans().find((s) => s.name === "mesh.call");
    assert.equal(refused?.status.code, api.SpanStatusCode.ERROR);
    assert.equal(refused?.attributes["mesh.error.code"], "MESH_ERR_NO_NODES");
    const route = exporter.getFinishedSpans().find((s) => s.name === "mesh.route");
    assert.equal(route?.attributes["mesh.error.code"], "MESH_ERR_NO_NODES");
    // Waiting for a node that never comes: mesh.route spans the wait and ends with the call's error.
    exporter.reset();
    const waited = await a
      .call({ module: "Counter", id: "x", capability: "nobody-has-it", payload: 1, waitForNodes: true, timeoutMs: 50 })
      .then(
        () => assert.fail("resolved"),
        (e: unknown) => (isMeshError(e) ? e.code : String(e)),
      );
    const waiting = exporter.getFinishedSpans().find((s) => s.name === "mesh.route");
    assert.ok(waiting !== undefined);
    assert.equal(waiting.attributes["mesh.error.code"], waited);
    assert.ok(waiting.duration[0] * 1e3 + waiting.duration[1] / 1e6 >= 40, "it lasted the wait");
  });

  it("keeps the trace of a call that a non-owner forwards: serve, forward, then serve on the owner", async () => {
    const { a, b, secret, idOn } = nodes;
    const id = idOn(b);
    // A peer that still thinks `a` owns the id: a raw call client, sending to a's call port under a span of ours.
    const client = new CallClient({ cipher: secretFrameCipher(secret) });
    await client.start();
    exporter.reset();
    const address = a.members().find((m) => m.name === a.name)?.tags.call;
    assert.ok(address !== undefined);
    const sender = tracer.startSpan("sender");
    const { traceId, spanId } = sender.spanContext();
    try {
      const reply = await client.call(address, {
        module: "Counter",
        id,
        capability: "game",
        payload: 1,
        timeoutMs: 5_000,
        traceparent: `00-${traceId}-${spanId}-01`,
        tracestate: "mesh=test",
      });
      assert.equal((reply as [string, unknown])[0], b.name, "the owner answered");
    } finally {
      sender.end();
      await client.stop();
    }
    const spans = await spansOf(traceId, 5);
    const servedOnA = one(spans, "mesh.serve", a);
    const forward = one(spans, "mesh.forward", a);
    const servedOnB = one(spans, "mesh.serve", b);
    assert.equal(servedOnA.parentSpanContext?.spanId, spanId, "the sender's span is the parent");
    assert.equal(servedOnA.parentSpanContext?.traceState?.get("mesh"), "test", "tracestate carried");
    assert.equal(forward.kind, api.SpanKind.CLIENT);
    assert.equal(forward.parentSpanContext?.spanId, idOf(servedOnA));
    assert.equal(forward.attributes["mesh.owner"], b.name);
    assert.equal(servedOnB.parentSpanContext?.spanId, idOf(forward));
    assert.equal(servedOnB.parentSpanContext?.traceState?.get("mesh"), "test", "tracestate forwarded");
    assert.equal(servedOnB.attributes["mesh.hops"], 1);
    assert.equal(a.stats().forwarded >= 1, true);
  });

  it("makes no spans and sends no context for a node with tracing: false", async () => {
    const off = await pair({ tracing: false });
    exporter.reset();
    await call(off.a, off.idOn(off.b));
    await call(off.a, off.idOn(off.a));
    // The owner would have made a serve span from any context it received.
    await tracer.startActiveSpan("user-work", async (span) => {
      await call(off.a, off.idOn(off.b));
      span.end();
    });
    assert.deepEqual(
      exporter.getFinishedSpans().map((s) => s.name),
      ["user-work"],
    );
  });

  it("sends spans to the tracerProvider given in the options instead of the global one", async () => {
    const own = new InMemorySpanExporter();
    const ownProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(own)] });
    const mine = await pair({ tracing: { tracerProvider: ownProvider } });
    exporter.reset();
    await call(mine.a, mine.idOn(mine.b));
    await waitFor("both nodes' spans", () => own.getFinishedSpans().length === 3, { timeoutMs: 5_000 });
    assert.deepEqual(exporter.getFinishedSpans(), [], "nothing on the global provider");
    await ownProvider.shutdown();
  });

  it("carries an unsampled call's context, so that the owner does not sample it either", async () => {
    // The caller samples nothing; the owner uses the SDK's default, parent-based: it would sample a call with no context.
    const callerSide = new InMemorySpanExporter();
    const ownerSide = new InMemorySpanExporter();
    const unsampled = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new SimpleSpanProcessor(callerSide)],
    });
    const parentBased = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(ownerSide)] });
    const nodes = await pair({ tracing: { tracerProvider: unsampled } }, { tracing: { tracerProvider: parentBased } });
    await call(nodes.a, nodes.idOn(nodes.b));
    await call(nodes.b, nodes.idOn(nodes.b));
    await waitFor("the owner's own call to be traced", () => ownerSide.getFinishedSpans().length === 2);
    assert.deepEqual(
      ownerSide.getFinishedSpans().map((s) => s.name),
      ["mesh.serve", "mesh.call"],
      "only the owner's own call (local: serve ends first)",
    );
    assert.deepEqual(callerSide.getFinishedSpans(), []);
    await Promise.all([unsampled.shutdown(), parentBased.shutdown()]);
  });

  it("refuses a tracing option of the wrong shape, naming it", async () => {
    await assert.rejects(createNode({ tracing: true as never }), (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"));
    await assert.rejects(
      createNode({ tracing: { tracerProvider: {} as never } }),
      (e) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && /tracing\.tracerProvider/.test(e.message),
    );
  });
});
