import type { Logger } from "@mesh/interface";
import type { Attempt } from "./call-router.js";
import type { IncomingCall } from "./call-transport/index.js";

/**
 * Where the node's spans go. Without a `tracerProvider` they go to
 * OpenTelemetry's global one (what `NodeSDK.start()` or
 * `trace.setGlobalTracerProvider()` registers), so a node needs no option at all
 * to be traced. Typed structurally so that this package's types do not require
 * `@opentelemetry/api` (an optional peer dependency).
 */
export interface TracingInit {
  /** An OpenTelemetry `TracerProvider`. @default the global tracer provider */
  readonly tracerProvider?: { getTracer(name: string, version?: string): unknown };
}

/**
 * One traced step of one call: a span, or nothing. The call path always goes
 * through these methods; untraced, each one is the identity, so tracing costs a
 * call to an empty method rather than a branch at every step.
 */
export interface Trace {
  /** The W3C traceparent to carry on the frame sent for this step; undefined when untraced. */
  readonly traceparent: string | undefined;
  /** The W3C tracestate that goes with it, if any. */
  readonly tracestate: string | undefined;
  /** Ends the span when `promise` settles (outcome "ok", or status ERROR and the error's code); returns a promise of the same value. */
  settle<T>(promise: Promise<T>): Promise<T>;
  /** Ends a route span: the owner was found. */
  routed(owner: string): void;
  /** Ends the span with status ERROR and the error's code; returns `error`. */
  failed(error: unknown): unknown;
}

/**
 * The node's tracer: one span factory per step of the router loop. The
 * implementation with OpenTelemetry is in otel-tracing.ts; {@link NO_TRACING}
 * stands in when it is off or not installed.
 */
export interface Tracing {
  /** `mesh.call` (CLIENT): a call made on this node, child of the caller's active context. */
  call(a: Attempt): Trace;
  /** `mesh.serve` (SERVER): a call from another node, child of the trace context on its frame. */
  serve(a: Attempt, call: IncomingCall): Trace;
  /** `mesh.route` (INTERNAL): finding the owner of `a`, waiting for a node if asked. */
  route(a: Attempt): Trace;
  /** The local turn: `mesh.serve` for a call made here; nothing more for one from another node (already served). */
  turn(a: Attempt): Trace;
  /** Sending `a` to `owner`: `mesh.forward` (CLIENT) for a call from another node; the call's own context otherwise. */
  send(a: Attempt, owner: string): Trace;
}

export const NO_TRACE: Trace = Object.freeze({
  traceparent: undefined,
  tracestate: undefined,
  settle: <T>(promise: Promise<T>): Promise<T> => promise,
  routed: (): void => {},
  failed: (error: unknown): unknown => error,
});

export const NO_TRACING: Tracing = Object.freeze({
  call: (): Trace => NO_TRACE,
  serve: (): Trace => NO_TRACE,
  route: (): Trace => NO_TRACE,
  turn: (): Trace => NO_TRACE,
  send: (): Trace => NO_TRACE,
});

/**
 * The node's tracing: OpenTelemetry's when `@opentelemetry/api` can be imported
 * (loaded here, once, so a node without it neither needs it nor fails), else
 * {@link NO_TRACING}. `false` turns tracing off: no spans, no trace context on frames.
 */
export async function loadTracing(init: TracingInit | false, nodeName: string, logger: Logger): Promise<Tracing> {
  if (init === false) return NO_TRACING;
  let api: typeof import("@opentelemetry/api");
  try {
    api = await import("@opentelemetry/api");
  } catch (error) {
    // Not installed is the ordinary case; say so only when the caller asked for a provider.
    if (init.tracerProvider !== undefined) {
      logger.warn("tracing is off: @opentelemetry/api cannot be imported", { error: String(error) });
    }
    return NO_TRACING;
  }
  const { OtelTracing } = await import("./otel-tracing.js");
  return new OtelTracing(api, init.tracerProvider, nodeName);
}
