/**
 * @packageDocumentation
 * SWIM membership with the Lifeguard extensions over UDP, with multicast and
 * static-seed discovery and an authenticated, encrypted wire.
 */

export {
  type GossipConfig,
  type GossipInit,
  LAN_PRESET,
  LOCAL_PRESET,
  PRESETS,
  type PresetName,
  type ProtocolSettings,
  resolveGossipConfig,
  WAN_PRESET,
} from "./config.js";
export * from "./discovery/index.js";
export { createGossip, Gossip, type GossipComponents, type GossipStatsSnapshot } from "./gossip.js";
export type { CapabilitiesChange, GossipEvents } from "./gossip-events.js";
export type { GossipStats } from "./gossip-stats.js";
export type { MemberState, MemberView } from "./members/member.js";
export * from "./security/index.js";
export {
  expectedConfirmations,
  pushPullIntervalMs,
  remainingSuspicionMs,
  retransmitLimit,
  suspicionTimeoutMs,
} from "./swim/math.js";
export { relayNackDelayMs } from "./swim/prober.js";
export * from "./transport/index.js";
export {
  type Decoded,
  type DecodedPacket,
  type DecodeFailure,
  decodePacket,
  decodeStreamMessage,
  MessageType,
  type PacketMessage,
  type StreamMessage,
  WIRE_LIMITS,
} from "./wire/index.js";
