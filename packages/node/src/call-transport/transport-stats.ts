/**
 * Why the transport dropped or refused something. Every reason is counted, so
 * hostile or broken input is visible in `stats()` instead of in a crash.
 */
export type DropReason =
  /** A frame's length prefix was over `maxFrameBytes`; its connection was closed. */
  | "oversize-frame"
  /** A frame body was not valid msgpack; its connection was closed. */
  | "undecodable-frame"
  /** A sealed frame failed authentication (wrong key, tampered); its connection was closed. */
  | "unopenable-frame"
  /** A frame decoded but was not a valid message for that side; its connection was closed. */
  | "invalid-message"
  /** Client: a reply for a request id no longer waiting (it timed out or was aborted). */
  | "unknown-rid"
  /** A call refused at once because the in-flight window or write queue was full. */
  | "overloaded"
  /** Client: calls failed because their connection dropped, or at once because the peer is in reconnect backoff. */
  | "unreachable"
  /** A payload (client) or reply (server) that msgpackr could not encode. */
  | "unencodable"
  /** Client: a call whose deadline passed. Server: a request that arrived or would start after its deadline. */
  | "expired"
  /** Client: a call aborted by its AbortSignal. Server: a request cancelled by its caller. */
  | "cancelled"
  /** Server: a reply not sent because its caller had given up (cancelled or past its deadline). */
  | "late-reply"
  /** Server: a connection's first frame was not a hello; it was closed. */
  | "unauthenticated"
  /** Server: a connection sent no hello within `authTimeoutMs`; it was closed. */
  | "auth-timeout"
  /** Server: a connection still waiting for its hello closed to make room for a newer one. */
  | "preauth-limit"
  /** Server: a new connection refused, over `maxConnections` or `maxConnectionsPerAddress`. */
  | "connection-limit"
  /** Server: a connection closed because incomplete frames held `maxBufferedBytes`, its frame the oldest. */
  | "buffer-limit"
  /** Server: a frame that did not complete within `frameTimeoutMs`; its connection was closed. */
  | "slow-frame"
  /** Server: a connection with no inbound bytes for `idleTimeoutMs`; it was closed. */
  | "idle-timeout"
  /** Client: a connection replaced because nothing arrived within `pingTimeoutMs` of a ping. */
  | "ping-timeout"
  /** Client: a connection replaced after `maxTimeoutStreak` calls in a row timed out with nothing received. */
  | "timeout-streak"
  /** Client: a connection replaced by `resetPeer` (its peer was unreachable and came back). */
  | "reset";

export const DROP_REASONS: readonly DropReason[] = Object.freeze([
  "oversize-frame",
  "undecodable-frame",
  "unopenable-frame",
  "invalid-message",
  "unknown-rid",
  "overloaded",
  "unreachable",
  "unencodable",
  "expired",
  "cancelled",
  "late-reply",
  "unauthenticated",
  "auth-timeout",
  "preauth-limit",
  "connection-limit",
  "buffer-limit",
  "slow-frame",
  "idle-timeout",
  "ping-timeout",
  "timeout-streak",
  "reset",
]);

/** Reasons a server closes or refuses a connection for its own protection; each is logged, rate-limited. */
export type SecurityDropReason =
  | "oversize-frame"
  | "undecodable-frame"
  | "unopenable-frame"
  | "invalid-message"
  | "unauthenticated"
  | "auth-timeout"
  | "preauth-limit"
  | "connection-limit"
  | "buffer-limit"
  | "slow-frame"
  | "idle-timeout";

/** Counters shared by both ends of the transport. */
export interface TransportStats {
  readonly framesIn: number;
  readonly framesOut: number;
  /** Bytes read from and written to sockets, length prefixes included. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Calls sent and not yet settled (client), or received and not yet answered (server). */
  readonly callsInFlight: number;
  /** Connections open now. */
  readonly connections: number;
  /** Encoded frames waiting to be written: for a connection still opening or a socket waiting for 'drain'. */
  readonly queuedBytes: number;
  /** Times a socket's write() returned false and flushing paused until 'drain'. */
  readonly writeStalls: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
}

export interface CallClientStats extends TransportStats {
  /** Connection attempts after the first one to the same peer. */
  readonly reconnects: number;
  /** Peers with a connection open, opening, or in backoff. */
  readonly peers: number;
}

export interface CallServerStats extends TransportStats {
  /** Connections accepted since start, those then refused by a cap (`dropped["connection-limit"]`) included. */
  readonly accepted: number;
  /** Connections open now that have not sent their hello yet. */
  readonly unauthenticated: number;
  /** Bytes held now for incomplete frames, all connections together. */
  readonly bufferedBytes: number;
  /** The most `bufferedBytes` ever held at once since start. */
  readonly peakBufferedBytes: number;
}

/** The mutable counters behind a stats() snapshot; one object per client or server. */
export class Counters {
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  writeStalls = 0;
  readonly dropped: Record<DropReason, number> = emptyDropped();

  drop(reason: DropReason, count = 1): void {
    this.dropped[reason] += count;
  }

  snapshot(): Omit<TransportStats, "callsInFlight" | "connections" | "queuedBytes"> {
    return {
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      writeStalls: this.writeStalls,
      dropped: Object.freeze({ ...this.dropped }),
    };
  }
}

function emptyDropped(): Record<DropReason, number> {
  const dropped = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) dropped[reason] = 0;
  return dropped;
}
