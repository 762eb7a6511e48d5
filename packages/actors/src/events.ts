/** Which actor an event is about. */
export interface ActorEvent {
  readonly module: string;
  readonly id: string;
}

export interface ActorDeactivatedEvent extends ActorEvent {
  /** `"idle"`, `"requested"`, `"shutdown"`, or the reason given to `ActorRuntime.deactivate`. */
  readonly reason: string;
}

/** Where an actor's code threw. */
export type ActorFailureStage =
  | "constructor"
  | "restore"
  | "onActivate"
  | "handleCall"
  | "handleCast"
  | "timer"
  | "snapshot"
  | "onDeactivate";

export interface ActorFailedEvent extends ActorEvent {
  readonly stage: ActorFailureStage;
  /** What the actor's code threw. */
  readonly error: unknown;
}

/** The events of an `ActorRuntime`, with their listeners (eventemitter3, as every Mesh emitter). */
export interface ActorRuntimeEvents {
  "actor:activated": (event: ActorEvent) => void;
  "actor:deactivated": (event: ActorDeactivatedEvent) => void;
  "actor:failed": (event: ActorFailedEvent) => void;
}
