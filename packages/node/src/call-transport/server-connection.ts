import type { Socket } from "node:net";
import { type Clock, type ErrorCode, isMeshError, MeshError } from "@mesh/interface";
import type { DeadlineQueue } from "./deadline-queue.js";
import { type FrameBudget, FrameDecoder } from "./frame-decoder.js";
import { FrameWriter } from "./frame-writer.js";
import { type CallHandler, InboundCall } from "./incoming-call.js";
import {
  type CastMessage,
  decodeMessage,
  failureToWire,
  isWireCall,
  MessageType,
  pongToWire,
  replyToWire,
  traceparentOf,
  tracestateOf,
  type WireCall,
} from "./messages.js";
import { RidTable } from "./rid-table.js";
import type { CallServerConfig } from "./transport-config.js";
import type { Counters, SecurityDropReason } from "./transport-stats.js";
import { UNDECODABLE, UNOPENABLE, type WireCodec } from "./wire-codec.js";

/** What every connection of one server shares. */
export interface ServerContext {
  readonly config: CallServerConfig;
  readonly counters: Counters;
  readonly codec: WireCodec;
  readonly deadlines: DeadlineQueue<InboundCall>;
  /** The clock read once per tick (see tickClockOf), for arrival times. */
  readonly tickClock: Clock;
  readonly handler: CallHandler;
  /** Asks for buffer for an incomplete frame of `connection`; may close others (or refuse). */
  acquireBuffer(connection: ServerConnection, bytes: number): boolean;
  releaseBuffer(bytes: number): void;
  onAuthenticated(connection: ServerConnection): void;
  onSecurityDrop(reason: SecurityDropReason, remoteAddress: string): void;
  onClosed(connection: ServerConnection): void;
}

/**
 * One accepted connection: decodes requests, hands them to the handler and
 * writes the replies, batched per tick. Backpressure runs both ways: while the
 * socket refuses writes (the caller is not reading its replies) we stop reading
 * its requests, and at most `maxInFlightPerConnection` requests run at once —
 * beyond that they are answered MESH_ERR_OVERLOADED without running.
 *
 * Nothing large is buffered for a caller that has not proved itself: its first
 * frame must be a hello (which, with a cipher, must open), at most
 * `maxHelloBytes`, within `authTimeoutMs`. After it the frame limit is
 * `maxFrameBytes`, and a frame must still complete within `frameTimeoutMs`.
 */
export class ServerConnection {
  readonly #socket: Socket;
  readonly #ctx: ServerContext;
  /** The remote IP, for the per-address caps. */
  readonly remoteHost: string;
  readonly #remoteAddress: string;
  readonly acceptedAt: number;
  #authenticated = false;
  #lastInboundAt: number;
  /** When the incomplete frame now held began, or undefined between frames. */
  #frameStartedAt: number | undefined;
  #paused = false;
  readonly #decoder: FrameDecoder;
  readonly #writer: FrameWriter;
  readonly #inFlight = new RidTable<InboundCall>();
  /** Arrival time of the chunk being decoded: a request's deadline counts from when it reached us. */
  #arrivedAt = 0;
  #closed = false;

  constructor(socket: Socket, ctx: ServerContext) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.remoteHost = socket.remoteAddress ?? "?";
    this.#remoteAddress = `${this.remoteHost}:${socket.remotePort ?? 0}`;
    this.acceptedAt = ctx.config.clock.now();
    this.#lastInboundAt = this.acceptedAt;
    const budget: FrameBudget = {
      acquire: (bytes) => ctx.acquireBuffer(this, bytes),
      release: (bytes) => ctx.releaseBuffer(bytes),
    };
    this.#decoder = new FrameDecoder(Math.min(ctx.config.maxHelloBytes, ctx.config.maxFrameBytes), budget);
    this.#writer = new FrameWriter(ctx.counters, ctx.config.flushMode, (stalled) => {
      this.#paused = stalled;
      if (stalled) {
        socket.pause();
        return;
      }
      // The time we held its reads back does not count against the caller.
      const now = ctx.config.clock.now();
      this.#lastInboundAt = now;
      if (this.#frameStartedAt !== undefined) this.#frameStartedAt = now;
      if (!this.#closed) socket.resume();
    });
    socket.setNoDelay(true);
    this.#writer.attach(socket);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (error) => ctx.config.logger.debug("call server connection error", { error: error.message }));
    socket.on("close", () => this.#onClose());
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get queuedBytes(): number {
    return this.#writer.queuedBytes;
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** Buffer held for the incomplete frame, as charged to the server's budget. */
  get bufferedBytes(): number {
    return this.#decoder.bufferedBytes;
  }

  /** When the incomplete frame began (now, for one beginning in this read), or undefined. */
  get frameStartedAt(): number | undefined {
    return this.#frameStartedAt;
  }

  /** Closes the connection; calls still running are abandoned (their replies are dropped). */
  close(): void {
    this.#socket.destroy();
    this.#onClose();
  }

  /** Closes it for the server's protection: counted, and logged (rate-limited). */
  drop(reason: SecurityDropReason): void {
    if (this.#closed) return;
    this.#ctx.counters.drop(reason);
    this.#ctx.onSecurityDrop(reason, this.#remoteAddress);
    this.close();
  }

  /** The server's periodic check: closes the connection if a deadline of its passed. */
  sweep(now: number): void {
    const config = this.#ctx.config;
    if (!this.#authenticated && now - this.acceptedAt >= config.authTimeoutMs) {
      this.drop("auth-timeout");
    } else if (this.#paused) {
      // While we hold its reads back (it does not read its replies) the caller cannot make progress.
    } else if (this.#frameStartedAt !== undefined && now - this.#frameStartedAt >= config.frameTimeoutMs) {
      this.drop("slow-frame");
    } else if (now - this.#lastInboundAt >= config.idleTimeoutMs) {
      this.drop("idle-timeout");
    }
  }

  /** The deadline queue's verdict: the caller's time ran out (already marked done there). */
  expire(call: InboundCall): void {
    this.#inFlight.delete(call.rid);
    this.#ctx.counters.drop("expired");
    call.abandon("MESH_ERR_TIMEOUT", `the caller's ${call.timeoutMs} ms deadline passed`);
  }

  #onData(chunk: Buffer): void {
    this.#ctx.counters.bytesIn += chunk.length;
    const now = this.#ctx.tickClock.now();
    this.#arrivedAt = now;
    this.#lastInboundAt = now;
    const result = this.#decoder.push(chunk, this.#onFrame);
    if (result === "oversize") this.#violation("oversize-frame");
    else if (result === "refused") this.drop("buffer-limit");
    else if (this.#decoder.pendingBytes === 0) this.#frameStartedAt = undefined;
    else this.#frameStartedAt ??= now;
  }

  readonly #onFrame = (buffer: Buffer, start: number, end: number): boolean => {
    this.#ctx.counters.framesIn++;
    this.#frameStartedAt = undefined;
    const value = this.#ctx.codec.decode(buffer, start, end);
    if (!this.#authenticated) return this.#onHello(value);
    // The hot path: a call, read straight from the validated array.
    if (isWireCall(value)) return this.#onCall(value);
    if (value === UNOPENABLE) return this.#violation("unopenable-frame");
    if (value === UNDECODABLE) return this.#violation("undecodable-frame");
    const message = decodeMessage(value);
    switch (message?.type) {
      case MessageType.Cast:
        this.#onCast(message);
        return true;
      case MessageType.Cancel:
        this.#onCancel(message.rid);
        return true;
      case MessageType.Ping:
        this.#writer.enqueue(this.#ctx.codec.encode(pongToWire(), "pong"));
        return true;
      default:
        return this.#violation("invalid-message");
    }
  };

  /** The first frame: a hello (opened by the cipher, if any) lifts the frame limit; anything else closes. */
  #onHello(value: unknown): boolean {
    if (value === UNOPENABLE) return this.#violation("unopenable-frame");
    if (value === UNDECODABLE) return this.#violation("undecodable-frame");
    if (decodeMessage(value)?.type !== MessageType.Hello) return this.#violation("unauthenticated");
    this.#authenticated = true;
    this.#decoder.maxFrameBytes = this.#ctx.config.maxFrameBytes;
    this.#ctx.onAuthenticated(this);
    return true;
  }

  #onCall(wire: WireCall): boolean {
    const { config, counters, deadlines, handler } = this.#ctx;
    const rid = wire[1];
    const timeoutMs = wire[7];
    if (this.#inFlight.has(rid)) return this.#violation("invalid-message");
    if (timeoutMs <= 0) {
      counters.drop("expired");
      return true;
    }
    if (this.#inFlight.size >= config.maxInFlightPerConnection) {
      counters.drop("overloaded");
      this.#send(
        rid,
        failureToWire(
          rid,
          "MESH_ERR_OVERLOADED",
          `the callee has ${this.#inFlight.size} calls in flight from this connection (its limit)`,
          { limit: config.maxInFlightPerConnection },
        ),
      );
      return true;
    }
    const deadline = this.#arrivedAt + timeoutMs;
    // An untraced call (ten elements) skips both checks on its length alone.
    const traceparent = wire.length === 10 ? undefined : traceparentOf(wire);
    const call = new InboundCall(
      this,
      rid,
      wire[2],
      wire[3],
      wire[4],
      wire[5],
      wire[6],
      wire[8],
      wire[9],
      timeoutMs,
      deadline,
      this.#remoteAddress,
      traceparent,
      traceparent === undefined ? undefined : tracestateOf(wire, traceparent),
    );
    this.#inFlight.add(call);
    deadlines.add(call);
    let result: PromiseLike<unknown> | unknown;
    try {
      result = handler.onCall(call);
    } catch (error) {
      this.#fail(call, error);
      return !this.#closed;
    }
    // Any thenable, not only this realm's Promise; a plain value (from untyped JS) is the reply.
    if (isThenable(result)) {
      result.then(
        (value) => this.#reply(call, value),
        (error: unknown) => this.#fail(call, error),
      );
    } else {
      this.#reply(call, result);
    }
    return !this.#closed;
  }

  #onCast(message: CastMessage): void {
    try {
      this.#ctx.handler.onCast({
        module: message.module,
        id: message.id,
        capability: message.capability,
        payload: message.payload,
        initArg: message.initArg,
        chain: message.chain,
        hops: message.hops,
        remoteAddress: this.#remoteAddress,
      });
    } catch (error) {
      this.#ctx.config.logger.warn("cast handler threw", { error: String(error) });
    }
  }

  #onCancel(rid: number): void {
    const call = this.#inFlight.get(rid);
    if (call === undefined) return; // already answered, expired, or never arrived
    this.#settle(call);
    this.#ctx.counters.drop("cancelled");
    call.abandon("MESH_ERR_ABORTED", "the caller cancelled the call");
  }

  /** Takes the call out of flight; false if it already was (abandoned), so nothing must be sent. */
  #settle(call: InboundCall): boolean {
    if (call.done) return false;
    call.done = true;
    this.#inFlight.delete(call.rid);
    this.#ctx.deadlines.finished();
    return true;
  }

  #reply(call: InboundCall, value: unknown): void {
    if (!this.#settle(call)) {
      this.#ctx.counters.drop("late-reply");
      return;
    }
    this.#send(call.rid, replyToWire(call.rid, value));
  }

  #fail(call: InboundCall, error: unknown): void {
    if (!this.#settle(call)) {
      this.#ctx.counters.drop("late-reply");
      return;
    }
    if (isMeshError(error)) {
      this.#send(call.rid, failureToWire(call.rid, error.code, error.message, error.details));
    } else {
      const message = error instanceof Error ? error.message : String(error);
      this.#send(call.rid, failureToWire(call.rid, "MESH_ERR_ACTOR_THREW", message, undefined));
    }
  }

  /** Encodes and queues a reply; a reply msgpackr cannot encode becomes an error reply, never a closed connection. */
  #send(rid: number, message: unknown[]): void {
    if (this.#closed) return;
    const codec = this.#ctx.codec;
    let frame: Uint8Array;
    try {
      frame = codec.encode(message, "reply");
    } catch (error) {
      if (message[0] === MessageType.Failure && message[4] !== undefined) {
        // The error's details are what failed: send the code and message without them.
        message[4] = undefined;
        this.#send(rid, message);
        return;
      }
      this.#ctx.counters.drop("unencodable");
      const code: ErrorCode = "MESH_ERR_UNENCODABLE";
      const reason = error instanceof MeshError ? error.message : String(error);
      frame = codec.encode(failureToWire(rid, code, reason, undefined), "reply");
    }
    this.#writer.enqueue(frame);
  }

  #violation(reason: SecurityDropReason): false {
    this.drop(reason);
    return false;
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.detach();
    this.#decoder.dispose();
    for (const call of this.#inFlight.values()) {
      call.done = true;
      this.#ctx.deadlines.finished();
      call.abandon("MESH_ERR_ABORTED", "the caller's connection closed");
    }
    this.#inFlight.clear();
    this.#ctx.onClosed(this);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
