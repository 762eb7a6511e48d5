import type { ActorPid } from "@mesh/actors";
import type { MemberView } from "@mesh/gossip";
import type { MeshError } from "@mesh/interface";

/** A member's capability set changed (this node's own included). */
export interface CapabilitiesChangedEvent {
  readonly node: string;
  readonly capabilities: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export interface ActorEvent {
  readonly pid: ActorPid;
}

export interface ActorDeactivatedEvent extends ActorEvent {
  readonly reason: string;
}

export interface ActorFailedEvent extends ActorEvent {
  readonly error: unknown;
}

export interface RebalanceCompletedEvent {
  readonly capability: string;
  /** Shards of this capability this node no longer owns. */
  readonly shardsLost: number;
  /** Local actors on them that were handed to their new owner. */
  readonly actorsMoved: number;
}

export interface RebalanceHandoffEvent extends ActorEvent {
  /** The node the actor's state went to. */
  readonly to: string;
}

export type MemberEventName =
  | "member:joined"
  | "member:suspect"
  | "member:alive"
  | "member:dead"
  | "member:left"
  | "member:updated";

/** Every event a node emits, `noun:verb`, with its payload type. */
export interface MeshNodeEvents {
  "capabilities:changed": (event: CapabilitiesChangedEvent) => void;
  "actor:activated": (event: ActorEvent) => void;
  "actor:deactivated": (event: ActorDeactivatedEvent) => void;
  "actor:failed": (event: ActorFailedEvent) => void;
  "node:stopped": () => void;
  "member:joined": (member: MemberView) => void;
  "member:suspect": (member: MemberView) => void;
  "member:alive": (member: MemberView) => void;
  "member:dead": (member: MemberView) => void;
  "member:left": (member: MemberView) => void;
  "member:updated": (member: MemberView) => void;
  "rebalance:completed": (event: RebalanceCompletedEvent) => void;
  "rebalance:handoff": (event: RebalanceHandoffEvent) => void;
  /** A discovery strategy could not reach its source (MESH_ERR_DISCOVERY_FAILED); it retries with backoff. */
  "discovery:failed": (error: MeshError) => void;
}
