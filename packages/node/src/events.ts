import type { ActorPid } from "@mesh/actors";

/** Emitted when this node's own capability set changes. */
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

/** Every event a node emits, `noun:verb`, with its payload type. */
export interface MeshNodeEvents {
  "capabilities:changed": (event: CapabilitiesChangedEvent) => void;
  "actor:activated": (event: ActorEvent) => void;
  "actor:deactivated": (event: ActorDeactivatedEvent) => void;
  "actor:failed": (event: ActorFailedEvent) => void;
  "node:stopped": () => void;
}
