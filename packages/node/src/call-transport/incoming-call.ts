import { MeshError } from "@mesh/interface";
import type { DeadlineEntry } from "./deadline-queue.js";

/** A one-way message that arrived from a peer. */
export interface IncomingCast {
  readonly module: string;
  readonly id: string;
  readonly capability: string;
  readonly payload: unknown;
  readonly initArg: unknown;
  readonly chain: readonly string[];
  readonly hops: number;
  /** The calling socket's "host:port" (an ephemeral port, not the peer's listening one). */
  readonly remoteAddress: string;
}

/** A call that arrived from a peer and waits for the handler's answer. */
export interface IncomingCall extends IncomingCast {
  /** Time the caller still gave the call when it sent it, in ms. */
  readonly timeoutMs: number;
  /** When the caller will have given up, on this server's clock (arrival + timeoutMs), in ms. */
  readonly deadline: number;
  /**
   * True once the caller has given up (it cancelled, its deadline passed, or its
   * connection closed). No reply will be sent; work not yet started should be skipped.
   */
  readonly abandoned: boolean;
  /** Aborts when the call is abandoned; its reason is a MeshError (TIMEOUT or ABORTED). */
  readonly signal: AbortSignal;
  /** The caller's W3C traceparent, when it sent a valid one (a malformed one is dropped). */
  readonly traceparent?: string | undefined;
  /** The caller's W3C tracestate, when valid and sent beside a valid traceparent. */
  readonly tracestate?: string | undefined;
}

/**
 * What the node's routing layer implements to receive calls and casts. `onCall`
 * is called as soon as a request is decoded; it resolves with the reply value,
 * or rejects — with a MeshError whose code and message (and `details`, if
 * encodable) travel back to the caller; anything else thrown travels as
 * MESH_ERR_ACTOR_THREW with its message. Work that waits (a mailbox) should
 * check `call.abandoned` when it would start, and skip it if set: the caller
 * has given up, and no reply will be sent.
 */
export interface CallHandler {
  onCall(call: IncomingCall): Promise<unknown>;
  onCast(cast: IncomingCast): void;
}

/** Server-side state of one received call. The AbortController is made only if someone reads `signal`. */
export class InboundCall implements IncomingCall, DeadlineEntry {
  done = false;
  #abandonedBy: MeshError | undefined;
  #controller: AbortController | undefined;

  constructor(
    readonly owner: { expire(call: InboundCall): void },
    readonly rid: number,
    readonly module: string,
    readonly id: string,
    readonly capability: string,
    readonly payload: unknown,
    readonly initArg: unknown,
    readonly chain: readonly string[],
    readonly hops: number,
    readonly timeoutMs: number,
    readonly deadline: number,
    readonly remoteAddress: string,
    readonly traceparent: string | undefined,
    readonly tracestate: string | undefined,
  ) {}

  get abandoned(): boolean {
    return this.#abandonedBy !== undefined;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abandonedBy !== undefined) this.#controller.abort(this.#abandonedBy);
    }
    return this.#controller.signal;
  }

  /** Marks the call given up by its caller and fires `signal`. */
  abandon(code: "MESH_ERR_TIMEOUT" | "MESH_ERR_ABORTED", message: string): void {
    if (this.#abandonedBy !== undefined) return;
    this.#abandonedBy = new MeshError(code, message);
    this.#controller?.abort(this.#abandonedBy);
  }
}
