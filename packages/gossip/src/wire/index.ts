export { compoundOverhead, packCompound } from "./compound.js";
export { type Decoded, type DecodedPacket, type DecodeFailure, decodePacket, decodeStreamMessage } from "./decode.js";
export { encodeMetadata, encodePacketMessage, encodeStreamMessage } from "./encode.js";
export { WIRE_LIMITS } from "./limits.js";
export { MessageType, type MessageTypeCode, MetadataKind, WireState } from "./message-type.js";
export type {
  AckMessage,
  AliveMessage,
  DeadMessage,
  IndirectPingMessage,
  MemberStateEntry,
  MemberStateName,
  Metadata,
  MetadataDigest,
  MetadataFetchMessage,
  MetadataReplyMessage,
  NackMessage,
  PacketMessage,
  PingMessage,
  PushPullMessage,
  StreamMessage,
  StreamPingMessage,
  SuspectMessage,
} from "./messages.js";
export { isMetadataDigest } from "./messages.js";
