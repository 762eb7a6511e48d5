/**
 * @packageDocumentation
 * The public API of Mesh: `createNode` starts a node that hosts virtual actors for
 * its capabilities and routes every `call({ module, id, payload, capability })` to
 * the one node that owns the id's shard on that capability's ring, activating the
 * actor there on first use. Nodes find each other by UDP multicast (libcluster's
 * Gossip options), static seeds or a custom strategy, and keep their view of the
 * cluster with SWIM gossip.
 */
export type { Actor, ActorClass, ActorContext, ActorPid, CallResult } from "@mesh/actors";
export { type AdminInit, DEFAULT_ADMIN_PORT } from "@mesh/admin";
export type { Discovery, DiscoveryContext, DiscoveryPeer, MemberState, MemberView } from "@mesh/gossip";
export {
  type DnsPollDiscovery,
  type DnsPollInit,
  type DnsPollStats,
  dnsPoll,
  type KubernetesApiDiscovery,
  type KubernetesApiInit,
  type KubernetesApiStats,
  type KubernetesDnsInit,
  type KubernetesDnsSrvInit,
  kubernetesApi,
  kubernetesDns,
  kubernetesDnsSrv,
} from "@mesh/gossip";
export {
  childLogger,
  type ErrorCode,
  ErrorCodes,
  isMeshError,
  jsonLogger,
  type LogFields,
  type Logger,
  MeshError,
  type PinoLike,
  pinoLogger,
} from "@mesh/interface";
export { boundedRendezvous, type PlacementStrategy, perShardStrategy, rendezvous } from "@mesh/ring";
export {
  ActorRef,
  type CallPayloadOf,
  type CallReplyOf,
  type CastPayloadOf,
  type RefCallOptions,
} from "./actor-ref.js";
export type { CallHandler, IncomingCall, IncomingCast, OutgoingCall, OutgoingCast } from "./call-transport/index.js";
export type { NodeComponents } from "./cluster-link.js";
export { createNode } from "./create-node.js";
export type {
  ActorDeactivatedEvent,
  ActorEvent,
  ActorFailedEvent,
  CapabilitiesChangedEvent,
  MemberEventName,
  MeshNodeEvents,
  RebalanceCompletedEvent,
  RebalanceHandoffEvent,
} from "./events.js";
export { MeshNode } from "./mesh-node.js";
export type { NetworkInit } from "./network-init.js";
export type { CallTransport } from "./node-call-transport.js";
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_HANDOFF_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_STOP_TIMEOUT_MS,
  type LocalCalls,
  type NodeConfig,
  type NodeInit,
} from "./node-init.js";
export type { NodeStats } from "./node-stats.js";
export type { Request } from "./request.js";
export type { TracingInit } from "./tracing.js";
