import { invalidArgument, isMeshError, MeshError, tickClockOf } from "@mesh/interface";
import { DeadlineQueue } from "./deadline-queue.js";
import { callToWire, castToWire } from "./messages.js";
import { checkOutgoing, checkTrace, type OutgoingCall, type OutgoingCast } from "./outgoing.js";
import { parsePeerAddress } from "./peer-address.js";
import { type ClientContext, PeerConnection, PendingCall } from "./peer-connection.js";
import {
  type CallClientComponents,
  type CallClientConfig,
  type CallClientInit,
  clientConfig,
} from "./transport-config.js";
import { type CallClientStats, Counters } from "./transport-stats.js";
import { WireCodec } from "./wire-codec.js";

/**
 * The calling side of the node-to-node transport: one persistent TCP
 * connection per peer address, opened on first use, shared by every call to
 * that peer. Writes are batched per tick; each peer has an in-flight window
 * and a bounded write queue, so a slow peer costs bounded memory and excess
 * calls fail at once with MESH_ERR_OVERLOADED. Deadlines of all calls share
 * one timer (see DeadlineQueue).
 *
 * ```ts
 * const client = new CallClient();
 * await client.start();
 * const reply = await client.call("127.0.0.1:7000", { module: "GameActor", id: "p1", capability: "game", payload: 1 });
 * await client.stop();
 * ```
 */
export class CallClient {
  readonly config: CallClientConfig;
  readonly #counters = new Counters();
  readonly #peers = new Map<string, PeerConnection>();
  readonly #context: ClientContext;
  #running = false;
  #reconnects = 0;

  constructor(init: CallClientInit = {}, components: CallClientComponents = {}) {
    this.config = clientConfig(init, components);
    this.#context = {
      config: this.config,
      counters: this.#counters,
      codec: new WireCodec(this.config.maxFrameBytes, this.config.cipher),
      deadlines: new DeadlineQueue<PendingCall>(this.config.clock, (call) => call.peer.expire(call)),
      tickClock: tickClockOf(this.config.clock),
      onReconnect: () => {
        this.#reconnects++;
      },
    };
  }

  get running(): boolean {
    return this.#running;
  }

  /** Idempotent. Connections open lazily, on the first send to each peer. */
  async start(): Promise<void> {
    this.#running = true;
  }

  /** Idempotent. Closes every connection; calls in flight fail with MESH_ERR_NODE_STOPPED. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const peer of this.#peers.values()) peer.close("MESH_ERR_NODE_STOPPED", "the call client stopped", true);
    this.#peers.clear();
    this.#context.deadlines.clear();
  }

  /**
   * Sends a call to the peer at `address` ("host:port") and resolves with its
   * reply. Rejects with a MeshError: the callee's code, or MESH_ERR_TIMEOUT,
   * MESH_ERR_ABORTED, MESH_ERR_OVERLOADED, MESH_ERR_NODE_UNREACHABLE (retryable),
   * MESH_ERR_UNENCODABLE (this call only), MESH_ERR_NODE_STOPPED, MESH_ERR_INVALID_ARGUMENT.
   */
  call(address: string, request: OutgoingCall): Promise<unknown> {
    try {
      if (!this.#running) throw stoppedError();
      const chain = checkOutgoing(request);
      if (request.traceparent !== undefined || request.tracestate !== undefined) checkTrace(request);
      const signal = request.signal;
      if (signal?.aborted === true) {
        this.#counters.drop("cancelled");
        throw new MeshError("MESH_ERR_ABORTED", "the call was aborted by its AbortSignal", { cause: signal.reason });
      }
      const timeoutMs = request.timeoutMs ?? this.config.defaultTimeoutMs;
      if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs)) {
        throw invalidArgument("timeoutMs", "a number of ms", timeoutMs);
      }
      if (timeoutMs <= 0) {
        this.#counters.drop("expired");
        throw new MeshError("MESH_ERR_TIMEOUT", "the call's deadline had passed before it was sent", {
          details: { address, timeoutMs },
        });
      }
      const peer = this.#peer(address);
      const rid = peer.admitCall();
      // Whole ms on the wire (msgpack int, not float64); rounding up never shortens the caller's deadline.
      const wireTimeoutMs = Math.ceil(timeoutMs);
      const frame = this.#encode(
        callToWire(
          rid,
          request.module,
          request.id,
          request.capability,
          request.payload,
          request.initArg,
          wireTimeoutMs,
          chain,
          request.hops ?? 0,
          request.traceparent,
          request.tracestate,
        ),
        "call payload",
      );
      peer.send(frame);
      const deadline = this.#context.tickClock.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        peer.track(new PendingCall(peer, rid, deadline, timeoutMs, resolve, reject, signal));
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends a one-way message; returns once it is queued for the peer (delivery is
   * at most once). Throws a MeshError at once when it cannot be sent: stopped,
   * overloaded, unreachable (backoff), unencodable or invalid.
   */
  cast(address: string, request: OutgoingCast): void {
    if (!this.#running) throw stoppedError();
    const chain = checkOutgoing(request);
    const peer = this.#peer(address);
    peer.admitSend();
    const frame = this.#encode(
      castToWire(
        request.module,
        request.id,
        request.capability,
        request.payload,
        request.initArg,
        chain,
        request.hops ?? 0,
      ),
      "cast payload",
    );
    peer.send(frame);
  }

  /**
   * Drops the connection to a peer, e.g. when membership declared it dead: its
   * calls in flight fail now with MESH_ERR_NODE_UNREACHABLE instead of waiting
   * for their deadlines. A later send connects again.
   */
  closePeer(address: string, reason = "the peer was closed by its caller"): void {
    const peer = this.#peers.get(address);
    if (peer === undefined) return;
    this.#peers.delete(address);
    peer.close("MESH_ERR_NODE_UNREACHABLE", `${address}: ${reason}`, true);
  }

  /**
   * Tells the client that the peer at `address` was unreachable and is back,
   * e.g. membership saw it suspected and then alive again. A connection that
   * has received nothing for longer than a ping interval is replaced at once
   * (it may be stuck in TCP retransmission backoff for seconds after the
   * network healed), and a connect backoff ends; a connection that is carrying
   * bytes is kept. Calls on a replaced connection fail with
   * MESH_ERR_NODE_UNREACHABLE (retryable).
   */
  resetPeer(address: string): void {
    this.#peers.get(address)?.reset();
  }

  stats(): CallClientStats {
    let callsInFlight = 0;
    let connections = 0;
    let queuedBytes = 0;
    for (const peer of this.#peers.values()) {
      callsInFlight += peer.inFlight;
      queuedBytes += peer.queuedBytes;
      if (peer.isOpen) connections++;
    }
    return Object.freeze({
      ...this.#counters.snapshot(),
      callsInFlight,
      connections,
      queuedBytes,
      reconnects: this.#reconnects,
      peers: this.#peers.size,
    });
  }

  #peer(address: string): PeerConnection {
    let peer = this.#peers.get(address);
    if (peer === undefined) {
      peer = new PeerConnection(address, parsePeerAddress(address), this.#context);
      this.#peers.set(address, peer);
    }
    return peer;
  }

  #encode(message: unknown[], what: string): Uint8Array {
    try {
      return this.#context.codec.encode(message, what);
    } catch (error) {
      if (isMeshError(error, "MESH_ERR_UNENCODABLE")) this.#counters.drop("unencodable");
      throw error;
    }
  }
}

function stoppedError(): MeshError {
  return new MeshError("MESH_ERR_NODE_STOPPED", "the call client is stopped");
}
