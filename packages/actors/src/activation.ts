import type { Actor, ActorContext } from "./actor.js";
import type { ActorTimer } from "./actor-timer.js";
import type { ActorType } from "./actor-type.js";
import type { Deactivation } from "./deactivation.js";
import { EMPTY_CHAIN, type Mailbox } from "./envelope.js";
import type { ActorRequest, CallResult } from "./router.js";

/** Constructed; onActivate (or restore) still running. Messages queue. */
export const ACTIVATING = 0;
/** Waiting for a message; the next one runs at once, without a mailbox. */
export const IDLE = 1;
/** A turn is running. Messages queue. */
export const BUSY = 2;
/** snapshot/onDeactivate running. Soft: messages queue for a fresh activation; hard: they are refused. */
export const DEACTIVATING = 3;
/** Gone from the runtime. */
export const DEACTIVATED = 4;

/**
 * The record of one live actor, and also its {@link ActorContext}: one object
 * per actor, so an idle actor costs this record, its map entry and its own state.
 * Everything that exists only while busy (mailbox, timers, a pending
 * deactivation) is allocated lazily and dropped again.
 */
export class Activation implements ActorContext {
  readonly id: string;
  readonly type: ActorType;
  readonly actor: Actor;
  status: number;
  /** The passivation sweep's tick when the last message arrived. */
  lastUsedTick: number;
  mailbox: Mailbox | null = null;
  timers: Map<number, ActorTimer> | null = null;
  /** The call chain of the running turn (empty outside a turn). */
  chain: readonly string[] = EMPTY_CHAIN;
  deactivation: Deactivation | null = null;

  constructor(type: ActorType, id: string, actor: Actor, status: number, tick: number) {
    this.type = type;
    this.id = id;
    this.actor = actor;
    this.status = status;
    this.lastUsedTick = tick;
  }

  get module(): string {
    return this.type.name;
  }

  get node(): string {
    return this.type.core.nodeName;
  }

  setTimeout(callback: () => unknown, delayMs: number): number {
    return this.type.core.timers.set(this, callback, delayMs, false);
  }

  setInterval(callback: () => unknown, intervalMs: number): number {
    return this.type.core.timers.set(this, callback, intervalMs, true);
  }

  clearTimer(timerId: number): void {
    this.type.core.timers.clear(this, timerId);
  }

  call(request: ActorRequest): Promise<CallResult> {
    return this.type.core.callFrom(this, request);
  }

  cast(request: ActorRequest): Promise<void> {
    return this.type.core.castFrom(this, request);
  }

  deactivate(): void {
    this.type.core.requestDeactivation(this, "requested", false, false);
  }
}
