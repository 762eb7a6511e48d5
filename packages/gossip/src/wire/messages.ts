import type { Address } from "../transport/transport.js";
import type { MessageType } from "./message-type.js";

/** A member's versioned metadata: what it can host, and free-form tags. */
export interface Metadata {
  /** Bumped by every change; a newer version replaces an older one. */
  readonly version: number;
  readonly capabilities: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

/** Metadata too large for a datagram travels as its digest, and is fetched over a stream. */
export interface MetadataDigest {
  readonly version: number;
  /** Hex SHA-256 prefix of the encoded metadata, checked after the fetch. */
  readonly digest: string;
  readonly size: number;
}

export type MemberStateName = "alive" | "suspect" | "dead" | "left";

export interface PingMessage {
  readonly type: typeof MessageType.ping;
  readonly seq: number;
  readonly target: string;
  readonly source: string;
}

export interface IndirectPingMessage {
  readonly type: typeof MessageType.indirectPing;
  readonly seq: number;
  readonly target: string;
  readonly targetAddress: Address;
  readonly wantNack: boolean;
}

export interface AckMessage {
  readonly type: typeof MessageType.ack;
  readonly seq: number;
}

export interface NackMessage {
  readonly type: typeof MessageType.nack;
  readonly seq: number;
}

export interface SuspectMessage {
  readonly type: typeof MessageType.suspect;
  readonly name: string;
  readonly incarnation: number;
  readonly from: string;
}

export interface AliveMessage {
  readonly type: typeof MessageType.alive;
  readonly name: string;
  readonly incarnation: number;
  readonly address: Address;
  /** The full metadata when it fits in a datagram, else its digest. */
  readonly metadata: Metadata | MetadataDigest;
}

export interface DeadMessage {
  readonly type: typeof MessageType.dead;
  readonly name: string;
  readonly incarnation: number;
  readonly from: string;
}

/** The messages that travel in datagrams (a compound packet holds several). */
export type PacketMessage =
  | PingMessage
  | IndirectPingMessage
  | AckMessage
  | NackMessage
  | SuspectMessage
  | AliveMessage
  | DeadMessage;

/** One member's entry in a push-pull exchange; metadata is always full (streams have no size limit). */
export interface MemberStateEntry {
  readonly name: string;
  readonly address: Address;
  readonly incarnation: number;
  readonly state: MemberStateName;
  readonly metadata: Metadata;
}

export interface PushPullMessage {
  readonly type: typeof MessageType.pushPull | typeof MessageType.pushPullReply;
  readonly join: boolean;
  /** The sender's name: the member that vouches for the suspicions in `members`. */
  readonly from: string;
  readonly members: readonly MemberStateEntry[];
}

export interface MetadataFetchMessage {
  readonly type: typeof MessageType.metadataFetch;
  readonly name: string;
}

export interface MetadataReplyMessage {
  readonly type: typeof MessageType.metadataReply;
  readonly name: string;
  readonly incarnation: number;
  readonly metadata: Metadata;
}

export interface StreamPingMessage {
  readonly type: typeof MessageType.streamPing;
  readonly seq: number;
  readonly target: string;
}

/** The messages that travel over request/response streams. */
export type StreamMessage =
  | PushPullMessage
  | MetadataFetchMessage
  | MetadataReplyMessage
  | StreamPingMessage
  | AckMessage;

export function isMetadataDigest(value: Metadata | MetadataDigest): value is MetadataDigest {
  return "digest" in value;
}
