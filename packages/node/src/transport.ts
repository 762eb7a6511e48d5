/**
 * @packageDocumentation
 * `@mesh/node/transport`: the call transport's classes on their own, for
 * benchmarks and tools that measure or drive it without a node. Applications use
 * `createNode` from `@mesh/node`.
 */
export { secretFrameCipher } from "./call-cipher.js";
export {
  CallClient,
  type CallClientComponents,
  type CallClientConfig,
  type CallClientInit,
  type CallClientStats,
  type CallHandler,
  CallServer,
  type CallServerConfig,
  type CallServerInit,
  type CallServerStats,
  type CallTransportComponents,
  type DropReason,
  type FlushMode,
  type FrameCipher,
  formatPeerAddress,
  type IncomingCall,
  type IncomingCast,
  type OutgoingCall,
  type OutgoingCast,
  type PeerAddress,
  parsePeerAddress,
  type TransportStats as CallTransportStats,
} from "./call-transport/index.js";
export { type CallTransport, TcpCallTransport, type TcpCallTransportInit } from "./node-call-transport.js";
