/**
 * Numeric message type codes. They are part of the protocol itself: append only,
 * never renumber, never reuse a retired code (memberlist's rule for its messageType).
 */
export const MessageType = {
  /** Direct probe: [1, seq, targetName, sourceName]. */
  ping: 1,
  /** Ask a peer to probe a target for us: [2, seq, targetName, host, port, wantNack]. */
  indirectPing: 2,
  /** Answer to a ping, direct or relayed: [3, seq]. Also the reply to a stream ping. */
  ack: 3,
  /** Lifeguard: an indirect prober tells the requester it got no ack in time: [4, seq]. */
  nack: 4,
  /** [5, name, incarnation, from]. */
  suspect: 5,
  /** [6, name, incarnation, host, port, metadataKind, metadataVersion, a, b] (see encode.ts). */
  alive: 6,
  /** [7, name, incarnation, from]; from === name means the member left gracefully. */
  dead: 7,
  /** Several messages in one datagram: [8, message, message, …]; never nested. */
  compound: 8,
  /** Stream: full state pushed by the requester: [9, join, fromName, members]. */
  pushPull: 9,
  /** Stream: the responder's full state: [10, join, fromName, members]. */
  pushPullReply: 10,
  /** Stream: fetch one member's metadata too large for a datagram: [11, name]. */
  metadataFetch: 11,
  /** Stream: [12, name, incarnation, version, capabilities, tagsFlat]. */
  metadataReply: 12,
  /** Stream: probe fallback over a reliable stream; answered with an ack: [13, seq, targetName]. */
  streamPing: 13,
} as const;

export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** Member states as numbers on the wire (append only). */
export const WireState = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;

/** How an alive message carries metadata (append only). */
export const MetadataKind = { inline: 0, digest: 1 } as const;
