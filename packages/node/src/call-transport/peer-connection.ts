import { connect, type Socket } from "node:net";
import { type Clock, type ErrorCode, MeshError, type TimerHandle } from "@mesh/interface";
import type { DeadlineEntry, DeadlineQueue } from "./deadline-queue.js";
import { FrameDecoder } from "./frame-decoder.js";
import { FrameWriter } from "./frame-writer.js";
import { cancelToWire, decodeMessage, helloToWire, isWireReply, MAX_RID, MessageType, pingToWire } from "./messages.js";
import type { PeerAddress } from "./peer-address.js";
import { RidTable } from "./rid-table.js";
import type { CallClientConfig } from "./transport-config.js";
import type { Counters } from "./transport-stats.js";
import { UNDECODABLE, UNOPENABLE, type WireCodec } from "./wire-codec.js";

/** What every peer connection of one client shares. */
export interface ClientContext {
  readonly config: CallClientConfig;
  readonly counters: Counters;
  readonly codec: WireCodec;
  readonly deadlines: DeadlineQueue<PendingCall>;
  /** The clock read once per tick (see tickClockOf), for call deadlines. */
  readonly tickClock: Clock;
  /** Called for each connection attempt after a peer's first. */
  onReconnect(): void;
}

/** A call sent and waiting for its reply, its deadline or its abort. */
export class PendingCall implements DeadlineEntry {
  done = false;
  onAbort: (() => void) | undefined;

  constructor(
    readonly peer: PeerConnection,
    readonly rid: number,
    readonly deadline: number,
    readonly timeoutMs: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: MeshError) => void,
    readonly signal: AbortSignal | undefined,
  ) {}
}

type State = "idle" | "connecting" | "open" | "backoff" | "closed";

/**
 * The one persistent connection to one peer (host:port). Opened lazily by the
 * first send; many calls share it, matched to replies by request id. When it
 * drops, every call in flight on it fails with MESH_ERR_NODE_UNREACHABLE
 * (retryable). A failed connect puts the peer in backoff (base * 2^(failures-1),
 * capped), during which sends fail at once instead of piling up; the first send
 * after the backoff connects again.
 *
 * A connection can also die silently: a black-holed link, or a peer whose
 * packets were lost long enough that TCP sits in retransmission backoff for
 * many seconds after the network heals. So an open connection that has
 * received nothing for `pingIntervalMs` is pinged; nothing within
 * `pingTimeoutMs` after that, or `maxTimeoutStreak` calls in a row timing out
 * with nothing received, replaces it with a fresh one, as does `reset()` when
 * membership saw the peer come back. While membership says the peer answers
 * probes, an unanswered ping is a link retransmitting into loss, not a dead
 * one: the connection is kept for up to `maxStallMs` of silence.
 */
export class PeerConnection {
  readonly address: string;
  readonly #peer: PeerAddress;
  readonly #ctx: ClientContext;
  readonly #pending = new RidTable<PendingCall>();
  readonly #writer: FrameWriter;
  #decoder: FrameDecoder;
  #state: State = "idle";
  #socket: Socket | undefined;
  #connectTimer: TimerHandle | undefined;
  #nextRid = 0;
  #attempts = 0;
  #failures = 0;
  #retryAt = 0;
  #lastError: Error | undefined;
  /**
   * Clock time of the last sign that the current connection carries bytes: its
   * opening, an inbound byte, or a 'drain' (the peer's TCP acknowledged a
   * backlog, so a slow link pushing a big frame is not taken for a dead one).
   */
  #lastSignOfLifeAt = 0;
  /** Clock time the pending connect started. */
  #connectStartedAt = 0;
  /** When the unanswered ping went out, or undefined. */
  #pingSentAt: number | undefined;
  #pingTimer: TimerHandle | undefined;
  /** Calls in a row that timed out with nothing received since they were sent. */
  #timeoutStreak = 0;

  constructor(address: string, peer: PeerAddress, ctx: ClientContext) {
    this.address = address;
    this.#peer = peer;
    this.#ctx = ctx;
    this.#writer = new FrameWriter(ctx.counters, ctx.config.flushMode, (stalled) => {
      if (!stalled) this.#lastSignOfLifeAt = ctx.config.clock.now();
    });
    this.#decoder = new FrameDecoder(ctx.config.maxFrameBytes);
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  get queuedBytes(): number {
    return this.#writer.queuedBytes;
  }

  get isOpen(): boolean {
    return this.#state === "open";
  }

  /** Throws (synchronously) when a new send must fail at once; returns a request id otherwise. */
  admitCall(): number {
    const { config, counters } = this.#ctx;
    if (this.#pending.size >= config.maxInFlightPerPeer) {
      counters.drop("overloaded");
      throw new MeshError(
        "MESH_ERR_OVERLOADED",
        `${this.#pending.size} calls are already in flight to ${this.address} (the limit per peer)`,
        { details: { address: this.address, limit: config.maxInFlightPerPeer } },
      );
    }
    this.admitSend();
    let rid = this.#nextRid;
    // After 2^32 calls ids wrap; skip any still waiting (the in-flight limit keeps them few).
    while (this.#pending.has(rid)) rid = rid === MAX_RID ? 0 : rid + 1;
    this.#nextRid = rid === MAX_RID ? 0 : rid + 1;
    return rid;
  }

  /** Throws when the peer is in backoff or its write queue is full. */
  admitSend(): void {
    const { config, counters } = this.#ctx;
    if (this.#state === "backoff") {
      const waitMs = this.#retryAt - config.clock.now();
      if (waitMs > 0) {
        counters.drop("unreachable");
        throw new MeshError(
          "MESH_ERR_NODE_UNREACHABLE",
          `${this.address} refused the last connection; next attempt in ${Math.ceil(waitMs)} ms`,
          { cause: this.#lastError, details: { address: this.address, retryInMs: Math.ceil(waitMs) } },
        );
      }
      this.#state = "idle";
    }
    if (this.#writer.queuedBytes >= config.maxQueuedBytesPerPeer) {
      counters.drop("overloaded");
      throw new MeshError(
        "MESH_ERR_OVERLOADED",
        `${this.#writer.queuedBytes} bytes are already waiting to be written to ${this.address}`,
        { details: { address: this.address, limit: config.maxQueuedBytesPerPeer } },
      );
    }
  }

  /** Queues an admitted frame (a cast, or the request of `track`), connecting first if needed. */
  send(frame: Uint8Array): void {
    if (this.#state === "idle") this.#connect();
    this.#writer.enqueue(frame);
  }

  /** Registers an admitted call whose request frame was sent. */
  track(call: PendingCall): void {
    this.#pending.add(call);
    this.#ctx.deadlines.add(call);
    const signal = call.signal;
    if (signal !== undefined) {
      call.onAbort = () => this.#abort(call);
      signal.addEventListener("abort", call.onAbort, { once: true });
    }
  }

  /** The deadline queue's verdict: the call ran out of time (already marked done there). */
  expire(call: PendingCall): void {
    this.#pending.delete(call.rid);
    this.#unlisten(call);
    this.#ctx.counters.drop("expired");
    this.#cancelRemote(call.rid);
    call.reject(
      new MeshError("MESH_ERR_TIMEOUT", `no reply from ${this.address} within ${call.timeoutMs} ms`, {
        details: { address: this.address, timeoutMs: call.timeoutMs },
      }),
    );
    if (this.#state !== "open") return;
    const silent = this.#lastSignOfLifeAt <= call.deadline - call.timeoutMs;
    this.#timeoutStreak = silent ? this.#timeoutStreak + 1 : 0;
    // While the peer answers probes, silence is loss that TCP is retransmitting through (the ping rule).
    if (this.#timeoutStreak >= this.#ctx.config.maxTimeoutStreak && !this.#ctx.config.peerAnswering(this.address)) {
      this.#replace("timeout-streak", `${this.#timeoutStreak} calls in a row timed out with nothing received`);
    }
  }

  /**
   * The peer was unreachable and is back (membership saw it suspected, then
   * alive): a connection that has heard nothing for longer than a ping interval
   * is replaced now rather than after its ping timeout, and a connect backoff
   * ends. A connection that is carrying bytes is kept.
   */
  reset(): void {
    const config = this.#ctx.config;
    if (this.#state === "backoff") {
      this.#state = "idle";
      return;
    }
    if (this.#state === "connecting") {
      // A connect pending for a ping interval is stuck in SYN retransmission (a
      // partition); a younger one is just opening, and its queued calls would fail.
      if (config.clock.now() - this.#connectStartedAt > config.pingIntervalMs) {
        this.#replace("reset", "the peer came back while a connect was pending");
      }
      return;
    }
    if (this.#state !== "open") return;
    // The same rule as an unanswered ping: silent past the ping timeout is a link
    // in a partition, unless the peer answers probes (then TCP is retransmitting
    // into loss, and a false suspicion is refuted often then).
    const silentMs = config.clock.now() - this.#lastSignOfLifeAt;
    if (silentMs > this.#silenceLimitMs()) {
      this.#replace("reset", `the peer came back; nothing received on this connection for ${Math.round(silentMs)} ms`);
    }
  }

  /** How long this connection may stay silent: the ping timeout, or maxStallMs while the peer answers probes. */
  #silenceLimitMs(): number {
    const { pingTimeoutMs, maxStallMs, peerAnswering } = this.#ctx.config;
    return peerAnswering(this.address) ? maxStallMs : pingTimeoutMs;
  }

  /** Closes the connection and fails every call in flight on it with `code`. */
  close(code: ErrorCode, message: string, final: boolean): void {
    const socket = this.#socket;
    this.#teardown(code, message);
    socket?.destroy();
    if (final) this.#state = "closed";
  }

  #abort(call: PendingCall): void {
    if (call.done) return;
    this.#finish(call);
    this.#ctx.counters.drop("cancelled");
    this.#cancelRemote(call.rid);
    call.reject(
      new MeshError("MESH_ERR_ABORTED", "the call was aborted by its AbortSignal", {
        cause: call.signal?.reason,
        details: { address: this.address },
      }),
    );
  }

  /** Tells the callee the caller gave up, so it can skip the work. Best effort. */
  #cancelRemote(rid: number): void {
    if (this.#state !== "open" && this.#state !== "connecting") return;
    this.#writer.enqueue(this.#ctx.codec.encode(cancelToWire(rid), "cancel"));
  }

  #finish(call: PendingCall): void {
    call.done = true;
    this.#pending.delete(call.rid);
    this.#ctx.deadlines.finished();
    this.#unlisten(call);
  }

  #unlisten(call: PendingCall): void {
    if (call.onAbort !== undefined) call.signal?.removeEventListener("abort", call.onAbort);
  }

  #connect(): void {
    const config = this.#ctx.config;
    const logger = config.logger;
    this.#state = "connecting";
    this.#connectStartedAt = config.clock.now();
    this.#lastError = undefined;
    if (this.#attempts++ > 0) this.#ctx.onReconnect();
    this.#decoder = new FrameDecoder(config.maxFrameBytes);
    // The callee reads nothing else before it: it is what lets it buffer our frames.
    this.#writer.enqueue(this.#ctx.codec.encode(helloToWire(), "hello"));
    const socket = connect({ host: this.#peer.host, port: this.#peer.port });
    this.#socket = socket;
    socket.setNoDelay(true);
    this.#connectTimer = config.clock.setTimeout(() => {
      socket.destroy(new Error(`connect timed out after ${config.connectTimeoutMs} ms`));
    }, config.connectTimeoutMs);
    socket.once("connect", () => {
      if (this.#socket !== socket) return;
      this.#clearConnectTimer();
      this.#state = "open";
      this.#failures = 0;
      socket.setKeepAlive(true, config.keepAliveMs);
      logger.debug("call connection open", { address: this.address });
      this.#lastSignOfLifeAt = config.clock.now();
      this.#pingSentAt = undefined;
      this.#timeoutStreak = 0;
      this.#armPing(config.pingIntervalMs);
      this.#writer.attach(socket);
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.#socket === socket) this.#onData(chunk);
    });
    socket.on("error", (error) => {
      if (this.#socket === socket) this.#lastError = error;
    });
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      const reason = this.#lastError?.message ?? "the peer closed the connection";
      logger.debug("call connection closed", { address: this.address, reason });
      this.#teardown("MESH_ERR_NODE_UNREACHABLE", `the connection to ${this.address} failed: ${reason}`);
    });
  }

  readonly #onFrame = (buffer: Buffer, start: number, end: number): boolean => {
    const counters = this.#ctx.counters;
    counters.framesIn++;
    const value = this.#ctx.codec.decode(buffer, start, end);
    if (isWireReply(value)) {
      // The hot path: a success reply, read straight from the decoded array.
      const call = this.#pending.get(value[1]);
      if (call === undefined) {
        counters.drop("unknown-rid");
        return true;
      }
      this.#finish(call);
      call.resolve(value[2]);
      return true;
    }
    if (value === UNOPENABLE) return this.#violation("unopenable-frame");
    if (value === UNDECODABLE) return this.#violation("undecodable-frame");
    const message = decodeMessage(value);
    if (message?.type === MessageType.Pong) {
      // Its bytes already counted as a sign of life; the next ping is due an interval from now.
      this.#pingSentAt = undefined;
      this.#armPing(this.#ctx.config.pingIntervalMs);
      return true;
    }
    if (message?.type !== MessageType.Failure) return this.#violation("invalid-message");
    const call = this.#pending.get(message.rid);
    if (call === undefined) {
      counters.drop("unknown-rid");
      return true;
    }
    this.#finish(call);
    call.reject(new MeshError(message.code, message.message, { details: message.details }));
    return true;
  };

  #onData(chunk: Buffer): void {
    this.#ctx.counters.bytesIn += chunk.length;
    this.#lastSignOfLifeAt = this.#ctx.tickClock.now();
    this.#timeoutStreak = 0;
    if (this.#decoder.push(chunk, this.#onFrame) === "oversize") this.#violation("oversize-frame");
  }

  #violation(reason: "oversize-frame" | "undecodable-frame" | "unopenable-frame" | "invalid-message"): false {
    this.#ctx.counters.drop(reason);
    this.#ctx.config.logger.warn("call connection closed: bad frame from peer", { address: this.address, reason });
    this.close("MESH_ERR_NODE_UNREACHABLE", `${this.address} sent a bad frame (${reason}); connection closed`, false);
    return false;
  }

  /** Checks the connection `delayMs` from now: pings it when quiet, replaces it when a ping went unanswered. */
  #armPing(delayMs: number): void {
    const { clock } = this.#ctx.config;
    if (this.#pingTimer !== undefined) clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = clock.setTimeout(this.#onPingTimer, Math.max(1, delayMs));
  }

  readonly #onPingTimer = (): void => {
    this.#pingTimer = undefined;
    if (this.#state !== "open") return;
    const { clock, pingIntervalMs, pingTimeoutMs } = this.#ctx.config;
    const now = clock.now();
    const pingSentAt = this.#pingSentAt;
    if (pingSentAt !== undefined && this.#lastSignOfLifeAt < pingSentAt) {
      const waitedMs = now - pingSentAt;
      if (waitedMs < pingTimeoutMs) {
        this.#armPing(pingTimeoutMs - waitedMs);
        return;
      }
      // While the peer answers probes the link works: TCP is retransmitting into
      // loss, and the calls in flight may still arrive. Keep it, up to maxStallMs.
      const silentMs = now - this.#lastSignOfLifeAt;
      const limitMs = this.#silenceLimitMs();
      if (silentMs < limitMs) {
        this.#armPing(Math.min(pingTimeoutMs, limitMs - silentMs));
        return;
      }
      this.#replace("ping-timeout", `no answer to a ping within ${Math.round(waitedMs)} ms`);
      return;
    }
    this.#pingSentAt = undefined;
    const quietMs = now - this.#lastSignOfLifeAt;
    if (quietMs < pingIntervalMs) {
      this.#armPing(pingIntervalMs - quietMs);
      return;
    }
    this.#pingSentAt = now;
    this.#writer.enqueue(this.#ctx.codec.encode(pingToWire(), "ping"));
    this.#armPing(pingTimeoutMs);
  };

  /** Drops a connection found dead; its calls fail retryably and the next send connects afresh. */
  #replace(reason: "ping-timeout" | "timeout-streak" | "reset", why: string): void {
    this.#ctx.counters.drop(reason);
    this.#ctx.config.logger.info("call connection replaced", { address: this.address, reason, why });
    this.close("MESH_ERR_NODE_UNREACHABLE", `the connection to ${this.address} was replaced: ${why}`, false);
    // Not a refused connect: the next send dials at once.
    if (this.#state === "backoff") this.#state = "idle";
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== undefined) this.#ctx.config.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }

  /** Forgets the socket (synchronously, so later sends start afresh) and fails what was in flight on it. */
  #teardown(code: ErrorCode, message: string): void {
    if (this.#socket === undefined) return;
    const { config, counters } = this.#ctx;
    const wasOpen = this.#state === "open";
    this.#socket = undefined;
    this.#clearConnectTimer();
    if (this.#pingTimer !== undefined) config.clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
    this.#pingSentAt = undefined;
    this.#writer.detach();
    if (wasOpen || this.#state !== "connecting") {
      this.#state = "idle";
    } else {
      // Never connected: back off, doubling per consecutive failure, up to the cap.
      this.#failures++;
      const backoffMs = Math.min(config.reconnectMaxMs, config.reconnectBaseMs * 2 ** (this.#failures - 1));
      this.#retryAt = config.clock.now() + backoffMs;
      this.#state = "backoff";
    }
    if (this.#pending.size === 0) return;
    const calls = this.#pending.values();
    this.#pending.clear();
    if (code === "MESH_ERR_NODE_UNREACHABLE") counters.drop("unreachable", calls.length);
    const error = new MeshError(code, message, { cause: this.#lastError, details: { address: this.address } });
    for (const call of calls) {
      call.done = true;
      this.#ctx.deadlines.finished();
      this.#unlisten(call);
      call.reject(error);
    }
  }
}
