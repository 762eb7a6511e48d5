import { MeshError } from "@mesh/interface";
import type {
  Context,
  ProxyTracerProvider,
  Span,
  SpanContext,
  SpanKind,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";
import type { Attempt } from "./call-router.js";
import type { IncomingCall } from "./call-transport/index.js";
import { validTraceparent, validTracestate } from "./call-transport/trace-context.js";
import { NO_TRACE, type Trace, type Tracing, type TracingInit } from "./tracing.js";

/** This module is only ever imported after `@opentelemetry/api` was (see loadTracing). */
type OtelApi = typeof import("@opentelemetry/api");

const TRACER_NAME = "@mesh/node";

/**
 * Spans with the OpenTelemetry API: `mesh.call`, `mesh.route`, `mesh.serve` and
 * `mesh.forward` (see docs/observability.md). A span that records nothing and
 * has no valid context (no tracer provider registered, no parent) becomes
 * NO_TRACE at once, so a node with the API installed but no SDK pays one
 * `startSpan` per step and carries nothing on the wire.
 */
export class OtelTracing implements Tracing {
  readonly #api: OtelApi;
  readonly #tracer: Tracer;
  readonly #node: string;
  readonly #kinds: Readonly<Record<"client" | "server" | "internal", { readonly kind: SpanKind }>>;
  /** The API's global proxy provider, when the spans go there; its delegate is the no-op one until an SDK registers. */
  readonly #proxy: ProxyTracerProvider | undefined;
  readonly #noopProvider: TracerProvider;

  constructor(api: OtelApi, provider: TracingInit["tracerProvider"], node: string) {
    this.#api = api;
    // The global tracer is a proxy: a provider registered after createNode still gets the spans.
    this.#tracer =
      provider === undefined ? api.trace.getTracer(TRACER_NAME) : (provider.getTracer(TRACER_NAME) as Tracer);
    this.#node = node;
    const global = api.trace.getTracerProvider();
    this.#proxy = provider === undefined && global instanceof api.ProxyTracerProvider ? global : undefined;
    // A fresh proxy has no delegate: what it returns is the API's no-op provider.
    this.#noopProvider = new api.ProxyTracerProvider().getDelegate();
    // One options object per kind, made once: startSpan runs on every traced step.
    this.#kinds = {
      client: { kind: api.SpanKind.CLIENT },
      server: { kind: api.SpanKind.SERVER },
      internal: { kind: api.SpanKind.INTERNAL },
    };
  }

  /**
   * True while no SDK has registered a provider behind the global proxy. A
   * call made then has nothing to record or carry, so it costs a compare rather
   * than a no-op span (measured: ~100 ns per step, a tenth of a local call).
   */
  #unheard(): boolean {
    return this.#proxy !== undefined && this.#proxy.getDelegate() === this.#noopProvider;
  }

  call(a: Attempt): Trace {
    if (this.#unheard()) return NO_TRACE;
    return this.#identified(this.#start("mesh.call", this.#kinds.client, this.#api.context.active()), a);
  }

  serve(a: Attempt, call: IncomingCall): Trace {
    const api = this.#api;
    const traceparent = call.traceparent;
    // A caller's context is passed on even here (a forward keeps it), so only an untraced call stops early.
    if (traceparent === undefined && this.#unheard()) return NO_TRACE;
    const parent =
      traceparent === undefined
        ? api.ROOT_CONTEXT
        : api.trace.setSpanContext(api.ROOT_CONTEXT, remoteSpanContext(api, traceparent, call.tracestate));
    const trace = this.#identified(this.#start("mesh.serve", this.#kinds.server, parent), a);
    if (trace instanceof SpanTrace) trace.span.setAttribute("mesh.hops", a.hops);
    return trace;
  }

  // The steps below make no span under one that records nothing (an unsampled call): under the usual
  // parent-based sampling they would record nothing either, and each would cost an SDK span and a context.

  route(a: Attempt): Trace {
    const parent = a.trace;
    if (!(parent instanceof SpanTrace) || !parent.recording) return NO_TRACE;
    return this.#start("mesh.route", this.#kinds.internal, parent.context);
  }

  turn(a: Attempt): Trace {
    const parent = a.trace;
    // A call from another node already has its mesh.serve, opened where it arrived.
    if (a.incoming !== undefined || !(parent instanceof SpanTrace) || !parent.recording) return NO_TRACE;
    return this.#identified(this.#start("mesh.serve", this.#kinds.server, parent.context), a);
  }

  send(a: Attempt, owner: string): Trace {
    const parent = a.trace;
    if (!(parent instanceof SpanTrace)) return NO_TRACE;
    // A call made here goes out under its own mesh.call; only a receiver that sends it on forwards.
    if (a.incoming === undefined) return parent.carrier;
    // Unsampled: its context goes on as it came (settle does nothing for a span that records nothing).
    if (!parent.recording) return parent;
    const trace = this.#start("mesh.forward", this.#kinds.client, parent.context);
    if (trace instanceof SpanTrace) trace.span.setAttribute("mesh.owner", owner);
    return trace;
  }

  #start(name: string, options: { readonly kind: SpanKind }, parent: Context): Trace {
    const api = this.#api;
    const span = this.#tracer.startSpan(name, options, parent);
    if (span.isRecording()) {
      span.setAttribute("mesh.node", this.#node);
    } else {
      // Not sampled, or no SDK: the context still travels if it is a real one, so the callee agrees.
      // Compared, not validated: the no-op tracer returns the invalid context itself (isSpanContextValid
      // runs two regular expressions, a measurable share of an untraced call).
      const context = span.spanContext();
      if (context === api.INVALID_SPAN_CONTEXT || context.traceId === api.INVALID_TRACEID) return NO_TRACE;
    }
    return new SpanTrace(api, span, api.trace.setSpan(parent, span));
  }

  /** The actor a span is about, on the spans that begin a call's stay on a node (its children inherit it). */
  #identified(trace: Trace, a: Attempt): Trace {
    if (trace instanceof SpanTrace && trace.span.isRecording()) {
      trace.span.setAttributes({ "mesh.capability": a.capability, "mesh.module": a.module, "mesh.id": a.id });
    }
    return trace;
  }
}

/** The caller's span context from a traceparent that passed validTraceparent: `00-<trace-id>-<parent-id>-<flags>`. */
function remoteSpanContext(api: OtelApi, traceparent: string, tracestate: string | undefined): SpanContext {
  const context: SpanContext = {
    traceId: traceparent.slice(3, 35),
    spanId: traceparent.slice(36, 52),
    traceFlags: Number.parseInt(traceparent.slice(53, 55), 16),
    isRemote: true,
  };
  if (tracestate !== undefined) context.traceState = api.createTraceState(tracestate);
  return context;
}

class SpanTrace implements Trace {
  readonly #api: OtelApi;
  readonly span: Span;
  /** False for an unsampled span: it only carries its context, and ending it would do nothing. */
  readonly recording: boolean;
  /** The parent's context with this span set: the parent of this step's children. */
  readonly context: Context;
  #carrier: Trace | undefined;
  /** Formatted and checked once: a call's span may be sent on more than once (a retry after a move). */
  #traceparent: string | undefined | null = null;

  constructor(api: OtelApi, span: Span, context: Context) {
    this.#api = api;
    this.span = span;
    this.recording = span.isRecording();
    this.context = context;
  }

  get traceparent(): string | undefined {
    if (this.#traceparent === null) {
      const { traceId, spanId, traceFlags } = this.span.spanContext();
      // Checked like a peer's: a provider of another make must not put a malformed value on the wire.
      const flags = (traceFlags & 0xff).toString(16).padStart(2, "0");
      this.#traceparent = validTraceparent(`00-${traceId}-${spanId}-${flags}`);
    }
    return this.#traceparent;
  }

  get tracestate(): string | undefined {
    // Over 512 characters, the callee would drop it; better not to send it.
    const state = this.span.spanContext().traceState?.serialize();
    return state === undefined ? undefined : validTracestate(state);
  }

  /** This span's context to send with a call, without a span of its own (nothing to end). */
  get carrier(): Trace {
    this.#carrier ??= {
      traceparent: this.traceparent,
      tracestate: this.traceparent === undefined ? undefined : this.tracestate,
      settle: NO_TRACE.settle,
      routed: NO_TRACE.routed,
      failed: NO_TRACE.failed,
    };
    return this.#carrier;
  }

  settle<T>(promise: Promise<T>): Promise<T> {
    if (!this.recording) return promise;
    return promise.then(
      (value) => {
        // The router's local turn resolves with a symbol when the actor moved away meanwhile.
        this.#end(typeof value === "symbol" ? "moved" : "ok");
        return value;
      },
      (error: unknown) => {
        throw this.failed(error);
      },
    );
  }

  routed(owner: string): void {
    if (!this.recording) return;
    this.span.setAttribute("mesh.owner", owner);
    this.#end("ok");
  }

  failed(error: unknown): unknown {
    if (!this.recording) return error;
    const span = this.span;
    const code = error instanceof MeshError ? error.code : "UNKNOWN";
    span.setAttribute("mesh.error.code", code);
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : code });
    this.#end(code);
    return error;
  }

  #end(outcome: string): void {
    this.span.setAttribute("mesh.outcome", outcome);
    this.span.end();
  }
}
