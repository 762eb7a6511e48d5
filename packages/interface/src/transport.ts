/**
 * The seam between the membership protocol and the network, as in memberlist's
 * Config.Transport: the packet path is best-effort (UDP, or the simulated
 * network), the stream path is reliable request/response (TCP), used for
 * push-pull anti-entropy, joining, and fetching metadata too large for a
 * datagram. Here in @mesh/interface so a node can take any implementation as a
 * component; @mesh/gossip has the UDP one and re-exports these types.
 */

/** A gossip endpoint. UDP packets and TCP streams use the same host and port. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

export function addressKey(address: Address): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export type PacketHandler = (packet: Uint8Array, from: Address) => void;

/** Answers one reliable request with one response. A throw closes that stream only. */
export type StreamHandler = (request: Uint8Array, from: Address) => Promise<Uint8Array> | Uint8Array;

export interface StreamRequestOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Counters every transport keeps; dropped input is counted by reason, never thrown. */
export interface TransportStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  streamsOpened: number;
  streamsAccepted: number;
  /** Input dropped, by reason: "malformed", "oversize", "decrypt", "replay", "stale", … */
  readonly dropped: Record<string, number>;
}

export interface Transport {
  /** The address other members use to reach this one (after start()). */
  readonly localAddress: Address;
  /**
   * The largest payload `sendPacket` accepts; callers keep compound packets within it.
   * Layers that add bytes (encryption) report less than the layer below.
   */
  readonly maxPacketSize: number;
  /** Best effort: never throws, never waits; a packet that cannot be sent is counted and dropped. */
  sendPacket(to: Address, packet: Uint8Array): void;
  /** Reliable request/response over a stream. Rejects with a MeshError (NODE_UNREACHABLE, TIMEOUT, ABORTED). */
  request(to: Address, payload: Uint8Array, options: StreamRequestOptions): Promise<Uint8Array>;
  /** Installs the receivers; called once, before start(). */
  setHandlers(handlers: { readonly packet: PacketHandler; readonly stream: StreamHandler }): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): TransportStats;
}
