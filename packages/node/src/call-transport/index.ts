/**
 * The node-to-node call transport: persistent TCP connections carrying
 * length-prefixed msgpackr frames, request ids, per-tick write batching,
 * reconnection with backoff, and flow control. packages/node/src/index.ts
 * re-exports the public part of this folder.
 */
export { CallClient } from "./call-client.js";
export { CallServer } from "./call-server.js";
export type { FrameCipher } from "./frame-cipher.js";
export type { FlushMode } from "./frame-writer.js";
export type { CallHandler, IncomingCall, IncomingCast } from "./incoming-call.js";
export type { OutgoingCall, OutgoingCast } from "./outgoing.js";
export { formatPeerAddress, type PeerAddress, parsePeerAddress } from "./peer-address.js";
export type {
  CallClientComponents,
  CallClientConfig,
  CallClientInit,
  CallServerConfig,
  CallServerInit,
  CallTransportComponents,
} from "./transport-config.js";
export type { CallClientStats, CallServerStats, DropReason, TransportStats } from "./transport-stats.js";
