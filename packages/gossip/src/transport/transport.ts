/**
 * The gossip side of the transport seam. The contract itself (Transport,
 * Address, …) lives in @mesh/interface; it is re-exported here so gossip code
 * keeps importing it from this file.
 */
import type { TransportStats } from "@mesh/interface";

export {
  type Address,
  addressKey,
  type PacketHandler,
  type StreamHandler,
  type StreamRequestOptions,
  type Transport,
  type TransportStats,
} from "@mesh/interface";

export function emptyTransportStats(): TransportStats {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
    dropped: {},
  };
}

export function countDrop(stats: TransportStats, reason: string): void {
  stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
}

/**
 * Thrown by a stream handler that refused a request and has already counted why
 * (the secure layer does, for a frame that fails to authenticate): the transport
 * closes that stream without a response and without counting it again.
 */
export class StreamRefusedError extends Error {
  override readonly name = "StreamRefusedError";
  readonly reason: string;

  constructor(reason: string) {
    super(`stream request refused: ${reason}`);
    this.reason = reason;
  }
}
