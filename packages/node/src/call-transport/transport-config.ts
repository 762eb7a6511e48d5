import { type Clock, invalidArgument, type Logger, noopLogger, systemClock } from "@mesh/interface";
import type { FrameCipher } from "./frame-cipher.js";
import type { FlushMode } from "./frame-writer.js";

/** 16 MiB: far above any sane actor message, far below what would hurt a node to buffer. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Per peer. At ~100 B a request that is ~1 MB buffered at worst, and 10,000 calls is far past the 256 in flight a busy caller needs. */
export const DEFAULT_MAX_IN_FLIGHT = 10_000;
/** Above the client's window, so a well-behaved client meets its own limit first. */
export const DEFAULT_SERVER_MAX_IN_FLIGHT = 20_000;
/** Encoded bytes waiting for a connection or 'drain', per peer; bounds casts, which have no in-flight window. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Same as Elixir's GenServer.call default, which eigr/mesh callers are used to. */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** First retry after a failed connect; doubles per failure up to the cap. */
export const DEFAULT_RECONNECT_BASE_MS = 50;
/** A peer that is down costs one refused connect per 2 s at most; membership usually declares it dead sooner. */
export const DEFAULT_RECONNECT_MAX_MS = 2_000;
/** TCP keepalive probes start after this much idle time, to find half-open connections. */
export const DEFAULT_KEEPALIVE_MS = 10_000;
/** A quiet connection is pinged after this much time with no inbound bytes. */
export const DEFAULT_PING_INTERVAL_MS = 1_000;
/**
 * With no inbound byte for this long after a ping, the connection is taken for
 * dead (a black-holed link, a peer in TCP retransmission backoff) and replaced,
 * which fails its calls in flight. It must outlast what a lossy but working link
 * does: at 10% loss a segment lost 4 times in a row (1 in 10,000) waits for
 * TCP's retransmissions at 0.2 + 0.4 + 0.8 + 1.6 s, and a 2 s timeout failed 44 of
 * 787,091 calls in 5 minutes of that (test-cluster scenario 5). A partition is
 * still left fast: when the peer comes back from suspect, membership resets the
 * connection at once if it was silent this long (see PeerConnection.reset).
 */
export const DEFAULT_PING_TIMEOUT_MS = 5_000;
/**
 * How long a silent connection is kept while membership says its peer answers
 * probes. Then the link works and TCP is retransmitting into loss (at 10% loss
 * under a loaded machine's inflated RTO a stall passed 5 s and failed 15 calls:
 * scenario 5 in CI), so replacing the connection would fail calls that TCP was
 * about to deliver. Past this, a path that carries probes but not this
 * connection (a middlebox that lost its state) is taken for dead anyway.
 */
export const DEFAULT_MAX_STALL_MS = 30_000;
/** This many calls in a row timing out with nothing received meanwhile also replaces the connection. */
export const DEFAULT_MAX_TIMEOUT_STREAK = 3;
/** The hello is ~60 bytes sealed; nothing before it may be bigger than this. */
export const DEFAULT_MAX_HELLO_BYTES = 1024;
/** A real caller sends its hello with its first bytes; this is only slack for a slow network. */
export const DEFAULT_AUTH_TIMEOUT_MS = 2_000;
/** A 16 MiB frame takes ~1.5 s at 100 Mbit/s; one that takes longer than this is trickled. */
export const DEFAULT_FRAME_TIMEOUT_MS = 10_000;
/** Callers ping every second, so 30 s without a byte is a caller that is gone. */
export const DEFAULT_SERVER_IDLE_TIMEOUT_MS = 30_000;
/** A node holds one connection per calling node; far above any cluster size Mesh aims at. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Many nodes may share one host (and so one address), e.g. a local cluster. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;
/** Connections that have not sent their hello yet; the oldest gives way to a newcomer. */
export const DEFAULT_MAX_UNAUTHENTICATED = 128;
export const DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS = 32;
/** All incomplete frames of all connections together; two frames of the maximum size. */
export const DEFAULT_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/** Measured fastest at 1, 16 and 256 in flight; see FlushMode. */
export const DEFAULT_FLUSH_MODE: FlushMode = "microtask";

/** Collaborators injected into the client and server. */
export interface CallTransportComponents {
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
}

export interface CallClientComponents extends CallTransportComponents {
  /**
   * Membership's word on the peer at a call address: true while it answers
   * probes. A connection whose ping went unanswered is then kept (up to
   * `maxStallMs` of silence) instead of replaced. @default () => false (no membership: the ping timeout decides)
   */
  readonly peerAnswering?: (address: string) => boolean;
}

interface CommonInit {
  /** Largest frame body accepted or sent, in bytes. A bigger incoming frame closes its connection. @default 16 MiB */
  readonly maxFrameBytes?: number;
  /** Seals and opens every frame body; both ends must use the same key. @default none (plain frames) */
  readonly cipher?: FrameCipher;
  /** When batched frames are written. @default "microtask" */
  readonly flushMode?: FlushMode;
}

export interface CallClientInit extends CommonInit {
  /** Calls in flight per peer before new ones fail at once with MESH_ERR_OVERLOADED. @default 10000 */
  readonly maxInFlightPerPeer?: number;
  /** Encoded bytes queued per peer (waiting to connect or for 'drain') before new sends fail with MESH_ERR_OVERLOADED. @default 64 MiB */
  readonly maxQueuedBytesPerPeer?: number;
  /** Timeout of a call that does not give one, in ms. @default 5000 */
  readonly defaultTimeoutMs?: number;
  /** How long a connection may take to open, in ms. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Backoff after the first failed connect, in ms; doubles per failure. @default 50 */
  readonly reconnectBaseMs?: number;
  /** Backoff cap, in ms. @default 2000 */
  readonly reconnectMaxMs?: number;
  /** Idle time before TCP keepalive probes, in ms. @default 10000 */
  readonly keepAliveMs?: number;
  /** A ping goes out after this long with no inbound bytes, in ms. @default 1000 */
  readonly pingIntervalMs?: number;
  /** No inbound bytes for this long after a ping replaces the connection, in ms. @default 5000 */
  readonly pingTimeoutMs?: number;
  /** Consecutive calls timed out with nothing received meanwhile that replace the connection. @default 3 */
  readonly maxTimeoutStreak?: number;
  /**
   * Silence a connection is allowed past its ping timeout while `peerAnswering`
   * says the peer answers probes, in ms (at least `pingTimeoutMs`). @default 30000 (or `pingTimeoutMs` if longer)
   */
  readonly maxStallMs?: number;
}

export interface CallServerInit extends CommonInit {
  /** Address to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one (read it from `address`). @default 0 */
  readonly port?: number;
  /** Requests in flight per connection before new ones are answered MESH_ERR_OVERLOADED. @default 20000 */
  readonly maxInFlightPerConnection?: number;
  /** Largest frame before the hello (the first frame, which must open with the cipher), in bytes. @default 1024 */
  readonly maxHelloBytes?: number;
  /** A connection that has not sent its hello within this is closed, in ms. @default 2000 */
  readonly authTimeoutMs?: number;
  /** A frame that does not complete within this after its first byte closes its connection, in ms. @default 10000 */
  readonly frameTimeoutMs?: number;
  /** A connection with no inbound bytes for this long is closed, in ms. @default 30000 */
  readonly idleTimeoutMs?: number;
  /** Connections open at once; beyond, a new one is refused. @default 1024 */
  readonly maxConnections?: number;
  /** Connections open at once from one remote address. @default 256 */
  readonly maxConnectionsPerAddress?: number;
  /** Connections waiting for their hello; beyond, the oldest is closed. @default 128 */
  readonly maxUnauthenticated?: number;
  /** Connections waiting for their hello from one remote address; beyond, its oldest is closed. @default 32 */
  readonly maxUnauthenticatedPerAddress?: number;
  /**
   * Bytes buffered for incomplete frames, all connections together; beyond, the
   * connection whose frame started first is closed. Per connection the bound is
   * the frame limit (`maxHelloBytes` before the hello, `maxFrameBytes` after). @default 32 MiB
   */
  readonly maxBufferedBytes?: number;
}

interface CommonConfig {
  readonly maxFrameBytes: number;
  readonly cipher: FrameCipher | undefined;
  readonly flushMode: FlushMode;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface CallClientConfig extends CommonConfig {
  readonly maxInFlightPerPeer: number;
  readonly maxQueuedBytesPerPeer: number;
  readonly defaultTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  readonly keepAliveMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly maxTimeoutStreak: number;
  readonly maxStallMs: number;
  readonly peerAnswering: (address: string) => boolean;
}

export interface CallServerConfig extends CommonConfig {
  readonly host: string;
  readonly port: number;
  readonly maxInFlightPerConnection: number;
  readonly maxHelloBytes: number;
  readonly authTimeoutMs: number;
  readonly frameTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxUnauthenticated: number;
  readonly maxUnauthenticatedPerAddress: number;
  readonly maxBufferedBytes: number;
}

export function clientConfig(init: CallClientInit, components: CallClientComponents): CallClientConfig {
  const config: CallClientConfig = {
    ...commonConfig(init, components),
    maxInFlightPerPeer: positiveInt("maxInFlightPerPeer", init.maxInFlightPerPeer ?? DEFAULT_MAX_IN_FLIGHT),
    maxQueuedBytesPerPeer: positiveInt("maxQueuedBytesPerPeer", init.maxQueuedBytesPerPeer ?? DEFAULT_MAX_QUEUED_BYTES),
    defaultTimeoutMs: positiveMs("defaultTimeoutMs", init.defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS),
    connectTimeoutMs: positiveMs("connectTimeoutMs", init.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    reconnectBaseMs: positiveMs("reconnectBaseMs", init.reconnectBaseMs ?? DEFAULT_RECONNECT_BASE_MS),
    reconnectMaxMs: positiveMs("reconnectMaxMs", init.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS),
    keepAliveMs: positiveMs("keepAliveMs", init.keepAliveMs ?? DEFAULT_KEEPALIVE_MS),
    pingIntervalMs: positiveMs("pingIntervalMs", init.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS),
    pingTimeoutMs: positiveMs("pingTimeoutMs", init.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS),
    maxTimeoutStreak: positiveInt("maxTimeoutStreak", init.maxTimeoutStreak ?? DEFAULT_MAX_TIMEOUT_STREAK),
    // Unset, it is never shorter than a longer ping timeout given.
    maxStallMs: positiveMs(
      "maxStallMs",
      init.maxStallMs ?? Math.max(DEFAULT_MAX_STALL_MS, init.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS),
    ),
    peerAnswering: components.peerAnswering ?? (() => false),
  };
  if (config.maxStallMs < config.pingTimeoutMs) {
    throw invalidArgument("maxStallMs", `at least pingTimeoutMs (${config.pingTimeoutMs})`, init.maxStallMs);
  }
  if (config.reconnectMaxMs < config.reconnectBaseMs) {
    throw invalidArgument(
      "reconnectMaxMs",
      `at least reconnectBaseMs (${config.reconnectBaseMs})`,
      init.reconnectMaxMs,
    );
  }
  return Object.freeze(config);
}

export function serverConfig(init: CallServerInit, components: CallTransportComponents): CallServerConfig {
  const host = init.host ?? "127.0.0.1";
  if (typeof host !== "string" || host === "") throw invalidArgument("host", "a non-empty string", host);
  const port = init.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw invalidArgument("port", "an integer 0..65535", port);
  const common = commonConfig(init, components);
  const maxBufferedBytes = positiveInt("maxBufferedBytes", init.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
  if (maxBufferedBytes < common.maxFrameBytes) {
    throw invalidArgument("maxBufferedBytes", `at least maxFrameBytes (${common.maxFrameBytes})`, maxBufferedBytes);
  }
  return Object.freeze({
    ...common,
    host,
    port,
    maxInFlightPerConnection: positiveInt(
      "maxInFlightPerConnection",
      init.maxInFlightPerConnection ?? DEFAULT_SERVER_MAX_IN_FLIGHT,
    ),
    maxHelloBytes: positiveInt("maxHelloBytes", init.maxHelloBytes ?? DEFAULT_MAX_HELLO_BYTES),
    authTimeoutMs: positiveMs("authTimeoutMs", init.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS),
    frameTimeoutMs: positiveMs("frameTimeoutMs", init.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS),
    idleTimeoutMs: positiveMs("idleTimeoutMs", init.idleTimeoutMs ?? DEFAULT_SERVER_IDLE_TIMEOUT_MS),
    maxConnections: positiveInt("maxConnections", init.maxConnections ?? DEFAULT_MAX_CONNECTIONS),
    maxConnectionsPerAddress: positiveInt(
      "maxConnectionsPerAddress",
      init.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    ),
    maxUnauthenticated: positiveInt("maxUnauthenticated", init.maxUnauthenticated ?? DEFAULT_MAX_UNAUTHENTICATED),
    maxUnauthenticatedPerAddress: positiveInt(
      "maxUnauthenticatedPerAddress",
      init.maxUnauthenticatedPerAddress ?? DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS,
    ),
    maxBufferedBytes,
  });
}

function commonConfig(init: CommonInit, components: CallTransportComponents): CommonConfig {
  const flushMode = init.flushMode ?? DEFAULT_FLUSH_MODE;
  if (flushMode !== "microtask" && flushMode !== "immediate") {
    throw invalidArgument("flushMode", '"microtask" or "immediate"', flushMode);
  }
  const cipher = init.cipher;
  if (cipher !== undefined && (typeof cipher.seal !== "function" || typeof cipher.open !== "function")) {
    throw invalidArgument("cipher", "a FrameCipher with seal() and open()", cipher);
  }
  const maxFrameBytes = positiveInt("maxFrameBytes", init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  // The length prefix is a uint32.
  if (maxFrameBytes > 0xffff_ffff) throw invalidArgument("maxFrameBytes", "at most 4294967295", maxFrameBytes);
  return {
    maxFrameBytes,
    cipher,
    flushMode,
    clock: components.clock ?? systemClock,
    logger: components.logger ?? noopLogger,
  };
}

function positiveInt(property: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw invalidArgument(property, "a positive integer", value);
  return value;
}

export function positiveMs(property: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(property, "a positive, finite number of ms", value);
  }
  return value;
}
