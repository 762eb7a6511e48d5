import type { Clock, Logger } from "@mesh/interface";
import type { EventEmitter } from "eventemitter3";
import { ACTIVATING, Activation, DEACTIVATED, DEACTIVATING, IDLE } from "./activation.js";
import type { Actor } from "./actor.js";
import { activationFailed, deactivated } from "./actor-errors.js";
import { actorKey } from "./actor-key.js";
import { type ActorTimer, ActorTimers } from "./actor-timer.js";
import type { ActorType } from "./actor-type.js";
import type { ActorRuntimeConfig } from "./config.js";
import { Deactivation } from "./deactivation.js";
import { BARRIER, EMPTY_CHAIN, Envelope, type Mailbox, RESTORE } from "./envelope.js";
import type { ActorFailureStage, ActorRuntimeEvents } from "./events.js";
import { PassivationSweep } from "./passivation-sweep.js";
import type { ActorRequest, ActorRouter, CallResult } from "./router.js";
import { isThenable, TurnEngine } from "./turns.js";

/**
 * The actor lifecycle on top of the turn engine: activation (constructor,
 * restore, onActivate) and deactivation (snapshot, onDeactivate, what happens
 * to queued messages). It owns the runtime's {@link ActorTimers} and its
 * {@link PassivationSweep}, and sends `ctx.call`/`ctx.cast` to the router.
 */
export class RuntimeCore extends TurnEngine {
  readonly clock: Clock;
  readonly config: ActorRuntimeConfig;
  readonly types = new Map<string, ActorType>();
  router: ActorRouter;
  readonly timers: ActorTimers;
  readonly sweep: PassivationSweep;

  constructor(
    config: ActorRuntimeConfig,
    clock: Clock,
    logger: Logger,
    nodeName: string,
    events: EventEmitter<ActorRuntimeEvents>,
    router: ActorRouter,
  ) {
    super(nodeName, logger, events);
    this.config = config;
    this.clock = clock;
    this.router = router;
    this.timers = new ActorTimers(clock, (act, envelope) => this.deliver(act, envelope));
    this.sweep = new PassivationSweep(clock, config.sweepIntervalMs, this);
  }

  /** For the sweep: a soft deactivation with reason "idle". */
  passivate(act: Activation): void {
    this.requestDeactivation(act, "idle", false, false);
  }

  // ---- activation ---------------------------------------------------------

  protected construct(type: ActorType, id: string, initArg: unknown, wait: boolean): Activation {
    let actor: Actor;
    try {
      actor = new type.actorClass(id, initArg);
    } catch (error) {
      this.failures++;
      this.emitFailed(type.name, id, "constructor", error);
      throw activationFailed(type.name, id, error);
    }
    const hooks = wait || typeof actor.onActivate === "function";
    const act = new Activation(type, id, actor, hooks ? ACTIVATING : IDLE, this.tick);
    type.actors.set(id, act);
    this.active++;
    if (!hooks) this.activated(act);
    return act;
  }

  protected startActivation(act: Activation, restoring: boolean, state: unknown): Error | undefined {
    const actor = act.actor;
    let stage: ActorFailureStage = "restore";
    try {
      if (restoring) {
        const restored = actor.restore?.(state);
        if (isThenable(restored)) {
          void this.activateAsync(act, restored, true);
          return undefined;
        }
      }
      stage = "onActivate";
      const ready = actor.onActivate?.(act);
      if (isThenable(ready)) {
        void this.activateAsync(act, ready, false);
        return undefined;
      }
    } catch (error) {
      return this.failActivation(act, stage, error);
    }
    this.activated(act);
    this.becomeIdle(act);
    return undefined;
  }

  private async activateAsync(act: Activation, pending: PromiseLike<unknown>, thenOnActivate: boolean): Promise<void> {
    let stage: ActorFailureStage = thenOnActivate ? "restore" : "onActivate";
    try {
      await pending;
      if (thenOnActivate && typeof act.actor.onActivate === "function") {
        stage = "onActivate";
        await act.actor.onActivate(act);
      }
    } catch (error) {
      this.failActivation(act, stage, error);
      return;
    }
    this.activated(act);
    this.becomeIdle(act);
  }

  /** Nothing stays activated: the record goes, its timers stop, its queued messages get the error. */
  private failActivation(act: Activation, stage: ActorFailureStage, error: unknown): Error {
    this.failures++;
    this.emitFailed(act.type.name, act.id, stage, error);
    const failure = activationFailed(act.type.name, act.id, error);
    this.timers.cancelAll(act);
    this.remove(act);
    const mailbox = act.mailbox;
    act.mailbox = null;
    if (mailbox !== null) failAll(mailbox, failure);
    act.deactivation?.finish(undefined);
    act.deactivation = null;
    return failure;
  }

  private activated(act: Activation): void {
    this.activations++;
    if (act.type.passivates) this.sweep.arm();
    if (this.events.listenerCount("actor:activated") === 0) return;
    this.safely(() => this.events.emit("actor:activated", { module: act.type.name, id: act.id }));
  }

  private remove(act: Activation): void {
    act.status = DEACTIVATED;
    const actors = act.type.actors;
    if (actors.get(act.id) === act) actors.delete(act.id);
    this.active--;
  }

  /** `restore(state)` for the handoff target: a fresh activation, or the next turn of a live one. */
  restore(type: ActorType, id: string, state: unknown, initArg: unknown): Promise<unknown> {
    let act = type.actors.get(id);
    if (act === undefined) {
      try {
        act = this.construct(type, id, initArg, true);
      } catch (error) {
        return Promise.reject(error);
      }
      const barrier = new Envelope(BARRIER, undefined, EMPTY_CHAIN, undefined, undefined);
      const activated = barrier.promise();
      this.enqueue(act, barrier);
      this.startActivation(act, true, state);
      return activated;
    }
    if (act.deactivation?.hard === true) return Promise.reject(deactivated(type.name, id, act.deactivation.reason));
    const envelope = new Envelope(RESTORE, state, EMPTY_CHAIN, undefined, undefined);
    const restored = envelope.promise();
    if (act.status === IDLE && act.mailbox === null) this.deliver(act, envelope);
    else {
      if (act.mailbox === null) this.enqueue(act, envelope);
      else act.mailbox.unshift(envelope);
    }
    return restored;
  }

  // ---- deactivation -------------------------------------------------------

  /** Deactivates `act` once its running turn (or activation) ends; merges with one already pending. */
  requestDeactivation(act: Activation, reason: string, hard: boolean, wantSnapshot: boolean): Deactivation | undefined {
    if (act.status === DEACTIVATED) return undefined;
    let deactivation = act.deactivation;
    if (deactivation === null) {
      deactivation = new Deactivation(reason, hard, wantSnapshot);
      deactivation.whenIdle = !hard && act.status === ACTIVATING;
      act.deactivation = deactivation;
    } else {
      deactivation.merge(reason, hard, wantSnapshot);
    }
    if (act.status === IDLE) this.startDeactivation(act);
    return deactivation;
  }

  protected startDeactivation(act: Activation): void {
    const deactivation = act.deactivation as Deactivation;
    deactivation.started = true;
    act.status = DEACTIVATING;
    this.timers.cancelAll(act);
    void this.deactivate(act, deactivation);
  }

  protected timerTurnEnded(act: Activation, timer: ActorTimer): void {
    this.timers.turnEnded(act, timer);
  }

  /** snapshot (if asked), then onDeactivate; runs synchronously when both hooks are synchronous. */
  private async deactivate(act: Activation, deactivation: Deactivation): Promise<void> {
    const actor = act.actor;
    let snapshot: unknown;
    let snapshotError: Error | undefined;
    if (deactivation.wantSnapshot && typeof actor.snapshot === "function") {
      try {
        snapshot = actor.snapshot();
        if (isThenable(snapshot)) snapshot = await snapshot;
      } catch (error) {
        snapshot = undefined;
        snapshotError = this.threw(act, "snapshot", error);
      }
    }
    if (typeof actor.onDeactivate === "function") {
      try {
        const done = actor.onDeactivate(deactivation.reason, act);
        if (isThenable(done)) await done;
      } catch (error) {
        this.castFailed(act, "onDeactivate", error);
      }
    }
    this.remove(act);
    this.deactivations++;
    const mailbox = act.mailbox;
    act.mailbox = null;
    act.deactivation = null;
    if (this.events.listenerCount("actor:deactivated") !== 0) {
      const event = { module: act.type.name, id: act.id, reason: deactivation.reason };
      this.safely(() => this.events.emit("actor:deactivated", event));
    }
    if (mailbox !== null) {
      if (deactivation.hard || this.stopping) failAll(mailbox, deactivated(act.type.name, act.id, deactivation.reason));
      else this.replay(act.type, act.id, mailbox);
    }
    if (snapshotError === undefined) deactivation.finish(snapshot);
    else deactivation.finishWithError(snapshotError);
  }

  /**
   * After a soft deactivation, the messages that were queued or arrived meanwhile
   * go to a fresh activation, in order. The fresh record holds them at once (so
   * later messages queue behind), but starts on a microtask: an actor that keeps
   * asking to be deactivated must not recurse down the stack.
   */
  private replay(type: ActorType, id: string, mailbox: Mailbox): void {
    const existing = type.actors.get(id);
    if (existing !== undefined) {
      // An actor:deactivated listener already re-activated it: queue behind its messages.
      for (let envelope = mailbox.shift(); envelope !== null; envelope = mailbox.shift())
        this.deliver(existing, envelope);
      return;
    }
    let act: Activation;
    try {
      act = this.construct(type, id, mailbox.head?.initArg, true);
    } catch (error) {
      failAll(mailbox, error);
      return;
    }
    act.mailbox = mailbox;
    queueMicrotask(() => this.startActivation(act, false, undefined));
  }

  /** Hard-deactivates every actor (reason "shutdown"); resolves when all are gone. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    this.sweep.stop();
    const pending: Promise<unknown>[] = [];
    for (const type of this.types.values()) {
      for (const act of type.actors.values()) {
        const deactivation = this.requestDeactivation(act, "shutdown", true, false);
        if (deactivation !== undefined && act.status !== DEACTIVATED) pending.push(deactivation.promise());
      }
    }
    await Promise.allSettled(pending);
  }

  // ---- calls from inside an actor -----------------------------------------

  callFrom(act: Activation, request: ActorRequest): Promise<CallResult> {
    try {
      return this.router.call(request, extendChain(act));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  castFrom(act: Activation, request: ActorRequest): Promise<void> {
    try {
      return this.router.cast(request, extendChain(act));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** The running turn's chain plus this actor: what the callee must not find itself in. */
function extendChain(act: Activation): readonly string[] {
  const self = actorKey(act.type.name, act.id);
  return act.chain.length === 0 ? [self] : [...act.chain, self];
}

function failAll(mailbox: Mailbox, error: unknown): void {
  for (let envelope = mailbox.shift(); envelope !== null; envelope = mailbox.shift()) envelope.fail(error);
}
