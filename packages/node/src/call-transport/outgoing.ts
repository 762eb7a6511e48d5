import { invalidArgument } from "@mesh/interface";
import { MAX_CHAIN_LENGTH, MAX_HOPS } from "./messages.js";
import { MAX_TRACESTATE_CHARS, validTraceparent, validTracestate } from "./trace-context.js";

const NO_CHAIN: readonly string[] = Object.freeze([]);

/** A one-way message to an actor on another node. */
export interface OutgoingCast {
  readonly module: string;
  readonly id: string;
  readonly capability: string;
  readonly payload?: unknown;
  /** Passed to the actor's constructor if this message activates it. */
  readonly initArg?: unknown;
  /** Names of the nodes (or actors) the request already passed through, for loop and reentrancy checks. @default [] */
  readonly chain?: readonly string[];
  /** Times the request was already forwarded (a receiver that is no longer the owner forwards at most once). @default 0 */
  readonly hops?: number;
}

/** A request to an actor on another node, answered by a reply or a MeshError. */
export interface OutgoingCall extends OutgoingCast {
  /** Time the caller still gives the call, in ms (relative: clocks differ between hosts). @default the client's defaultTimeoutMs */
  readonly timeoutMs?: number;
  /** Rejects the call with MESH_ERR_ABORTED and tells the callee to drop it. */
  readonly signal?: AbortSignal;
  /** W3C traceparent (version 00) to carry to the callee; without it the call goes untraced. @default none */
  readonly traceparent?: string | undefined;
  /** W3C tracestate (at most 512 characters), sent only with a traceparent. @default none */
  readonly tracestate?: string | undefined;
}

/**
 * Checks what the peer would otherwise refuse as an invalid message — which
 * would close the connection under every other call on it. Returns the chain.
 */
export function checkOutgoing(request: OutgoingCast): readonly string[] {
  if (typeof request !== "object" || request === null) throw invalidArgument("request", "an object", request);
  if (typeof request.module !== "string") throw invalidArgument("module", "a string", request.module);
  if (typeof request.id !== "string") throw invalidArgument("id", "a string", request.id);
  if (typeof request.capability !== "string") throw invalidArgument("capability", "a string", request.capability);
  const hops = request.hops;
  if (hops !== undefined && (!Number.isInteger(hops) || hops < 0 || hops > MAX_HOPS)) {
    throw invalidArgument("hops", `an integer 0..${MAX_HOPS}`, hops);
  }
  const chain = request.chain;
  if (chain === undefined) return NO_CHAIN;
  if (!Array.isArray(chain) || chain.length > MAX_CHAIN_LENGTH) {
    throw invalidArgument("chain", `an array of at most ${MAX_CHAIN_LENGTH} strings`, chain);
  }
  for (const link of chain) if (typeof link !== "string") throw invalidArgument("chain", "an array of strings", chain);
  return chain;
}

/**
 * Checks a call's trace context as the callee will (which would drop a bad one
 * silently): a caller's mistake is named here instead.
 */
export function checkTrace(request: OutgoingCall): void {
  const { traceparent, tracestate } = request;
  if (traceparent !== undefined && validTraceparent(traceparent) === undefined) {
    throw invalidArgument("traceparent", "a W3C traceparent of version 00", traceparent);
  }
  if (tracestate !== undefined && (traceparent === undefined || validTracestate(tracestate) === undefined)) {
    throw invalidArgument(
      "tracestate",
      `a W3C tracestate of 1 to ${MAX_TRACESTATE_CHARS} printable ASCII characters, beside a traceparent`,
      tracestate,
    );
  }
}
