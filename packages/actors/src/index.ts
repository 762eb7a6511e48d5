/**
 * @packageDocumentation
 * A turn-based virtual actor runtime for one Mesh node. An actor is a class,
 * constructed with `(id, initArg)` on its first message; after that it handles
 * one message at a time, in arrival order, from a bounded mailbox. Idle actors
 * are passivated by a single sweep per runtime, timers run as turns of their
 * actor, a call that would wait for itself is refused at once, and a throwing
 * handler fails only its own message. `@mesh/node` composes it with the ring
 * and the gossip layer; on its own it routes `ctx.call` back to itself.
 */
export type { Actor, ActorClass, ActorContext } from "./actor.js";
export { actorKey } from "./actor-key.js";
export {
  ACTORS_SCANNED_PER_SWEEP,
  type ActorRuntimeConfig,
  type ActorRuntimeInit,
  type ActorTypeConfig,
  type ActorTypeInit,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAILBOX_CAPACITY,
  DEFAULT_NODE_NAME,
  DEFAULT_SWEEP_INTERVAL_MS,
  PASSIVATIONS_PER_SWEEP,
} from "./config.js";
export type { Abandonable } from "./envelope.js";
export type {
  ActorDeactivatedEvent,
  ActorEvent,
  ActorFailedEvent,
  ActorFailureStage,
  ActorRuntimeEvents,
} from "./events.js";
export { type LocalRouterTarget, localRouter } from "./local-router.js";
export type { ActorPid, ActorRequest, ActorRouter, CallResult } from "./router.js";
export { ActorRuntime, type ActorRuntimeComponents, type ActorRuntimeStats, type MessageOptions } from "./runtime.js";
