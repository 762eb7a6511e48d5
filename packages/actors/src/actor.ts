import type { ActorRequest, CallResult } from "./router.js";

/**
 * What a running actor sees of its own activation. One object per activation,
 * handed to every handler and lifecycle hook; it stays the same object for the
 * activation's whole life, so an actor may keep it.
 */
export interface ActorContext {
  /** The actor's id. */
  readonly id: string;
  /** The name the actor's class is registered under. */
  readonly module: string;
  /** The name of the node hosting this activation. */
  readonly node: string;
  /**
   * Runs `callback` once after `delayMs`, as a turn of this actor (queued behind
   * the messages already in its mailbox). Cancelled when the actor is deactivated.
   * @returns a timer id for {@link ActorContext.clearTimer}
   */
  setTimeout(callback: () => unknown, delayMs: number): number;
  /**
   * Runs `callback` every `intervalMs` as a turn of this actor. The next tick is
   * scheduled when a tick's turn has finished, so slow ticks never pile up.
   */
  setInterval(callback: () => unknown, intervalMs: number): number;
  /** Cancels a timer of this actor; a tick already queued is dropped. Unknown ids are ignored. */
  clearTimer(timerId: number): void;
  /** Calls another actor through the router, carrying this turn's call chain (for reentrancy detection). */
  call(request: ActorRequest): Promise<CallResult>;
  /** Casts to another actor through the router; resolves once the message is queued. */
  cast(request: ActorRequest): Promise<void>;
  /** Asks to be deactivated (reason `"requested"`) once the current turn has finished. */
  deactivate(): void;
}

/**
 * A virtual actor. Every method is optional; each may return a value or a promise.
 * `handleCall`'s result is the reply; `handleCast`'s result is ignored.
 */
export interface Actor {
  handleCall?(payload: unknown, ctx: ActorContext): unknown;
  handleCast?(payload: unknown, ctx: ActorContext): unknown;
  /** Runs once after construction (and after `restore`), before the first message. */
  onActivate?(ctx: ActorContext): unknown;
  /** Runs once when the activation ends; `reason` is `"idle"`, `"requested"`, `"shutdown"`, or the caller's. */
  onDeactivate?(reason: string, ctx?: ActorContext): unknown;
  /** The state to hand off to another node; called by `ActorRuntime.deactivate` before `onDeactivate`. */
  snapshot?(): unknown;
  /** Receives a `snapshot()` result on the node the actor moved to, before `onActivate`. */
  restore?(state: unknown): unknown;
}

/** An actor class: constructed with the actor's id and the first message's `initArg`. */
export type ActorClass = new (id: string, initArg?: unknown) => Actor;
