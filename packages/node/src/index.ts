/**
 * @packageDocumentation
 * The public API of Mesh: `createNode` starts a node that hosts virtual actors for
 * its capabilities and routes every `call({ module, id, payload, capability })` to
 * the one node that owns the id's shard on that capability's ring, activating the
 * actor there on first use.
 */
export type { Actor, ActorClass, ActorContext, ActorPid, CallResult } from "@mesh/actors";
export { type ErrorCode, ErrorCodes, isMeshError, MeshError } from "@mesh/interface";
export type {
  ActorDeactivatedEvent,
  ActorEvent,
  ActorFailedEvent,
  CapabilitiesChangedEvent,
  MeshNodeEvents,
} from "./events.js";
export { createNode, MeshNode, type NodeStats } from "./mesh-node.js";
export { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS, type NodeConfig, type NodeInit } from "./node-init.js";
export type { Request } from "./request.js";
