import { Packr } from "msgpackr";
import { MessageType, MetadataKind, WireState } from "./message-type.js";
import {
  isMetadataDigest,
  type MemberStateEntry,
  type Metadata,
  type PacketMessage,
  type StreamMessage,
} from "./messages.js";

// Records (msgpackr's structure extension) are off: the peer may be any version,
// and a plain array per message is both compact and easy to validate.
const packr = new Packr({ useRecords: false, variableMapSize: true });

/** Tags go on the wire as a flat [key, value, …] array: no maps, so no prototype keys to guard. */
function flattenTags(tags: Readonly<Record<string, string>>): string[] {
  const flat: string[] = [];
  for (const key of Object.keys(tags)) flat.push(key, tags[key] as string);
  return flat;
}

function packetTuple(message: PacketMessage): unknown[] {
  switch (message.type) {
    case MessageType.ping:
      return [message.type, message.seq, message.target, message.source];
    case MessageType.indirectPing:
      return [
        message.type,
        message.seq,
        message.target,
        message.targetAddress.host,
        message.targetAddress.port,
        message.wantNack ? 1 : 0,
      ];
    case MessageType.ack:
    case MessageType.nack:
      return [message.type, message.seq];
    case MessageType.suspect:
    case MessageType.dead:
      return [message.type, message.name, message.incarnation, message.from];
    case MessageType.alive: {
      const head = [message.type, message.name, message.incarnation, message.address.host, message.address.port];
      const m = message.metadata;
      return isMetadataDigest(m)
        ? [...head, MetadataKind.digest, m.version, m.digest, m.size]
        : [...head, MetadataKind.inline, m.version, m.capabilities, flattenTags(m.tags)];
    }
  }
}

/** Encodes one datagram message. The result is never overwritten by later encodes. */
export function encodePacketMessage(message: PacketMessage): Uint8Array {
  return packr.pack(packetTuple(message));
}

function stateTuple(entry: MemberStateEntry): unknown[] {
  return [
    entry.name,
    entry.address.host,
    entry.address.port,
    entry.incarnation,
    WireState[entry.state],
    entry.metadata.version,
    entry.metadata.capabilities,
    flattenTags(entry.metadata.tags),
  ];
}

export function encodeStreamMessage(message: StreamMessage): Uint8Array {
  switch (message.type) {
    case MessageType.pushPull:
    case MessageType.pushPullReply:
      return packr.pack([message.type, message.join ? 1 : 0, message.from, message.members.map(stateTuple)]);
    case MessageType.metadataFetch:
      return packr.pack([message.type, message.name]);
    case MessageType.metadataReply:
      return packr.pack([
        message.type,
        message.name,
        message.incarnation,
        message.metadata.version,
        message.metadata.capabilities,
        flattenTags(message.metadata.tags),
      ]);
    case MessageType.streamPing:
      return packr.pack([message.type, message.seq, message.target]);
    case MessageType.ack:
      return packr.pack([message.type, message.seq]);
  }
}

/** The canonical bytes of a metadata set: what its size limit and digest are computed over. */
export function encodeMetadata(metadata: Metadata): Uint8Array {
  return packr.pack([metadata.version, metadata.capabilities, flattenTags(metadata.tags)]);
}
