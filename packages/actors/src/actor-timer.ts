import { type Clock, invalidArgument, type TimerHandle } from "@mesh/interface";
import { type Activation, DEACTIVATED, DEACTIVATING } from "./activation.js";
import { deactivated } from "./actor-errors.js";
import { EMPTY_CHAIN, Envelope, TIMER } from "./envelope.js";

/**
 * A timer set through an actor's context. When the clock fires it, a TIMER
 * envelope is delivered to the actor, so the callback runs as a turn, in mailbox
 * order. An interval re-arms when its turn ends, so slow ticks never pile up.
 */
export class ActorTimer {
  readonly id: number;
  readonly activation: Activation;
  readonly callback: () => unknown;
  /** 0 for a one-shot timer. */
  readonly intervalMs: number;
  handle: TimerHandle | undefined = undefined;
  cancelled = false;
  /** The clock's callback, made once per timer rather than once per tick. */
  readonly fire: () => void;

  constructor(
    id: number,
    activation: Activation,
    callback: () => unknown,
    intervalMs: number,
    fire: (timer: ActorTimer) => void,
  ) {
    this.id = id;
    this.activation = activation;
    this.callback = callback;
    this.intervalMs = intervalMs;
    this.fire = () => fire(this);
  }
}

/** The timers of every actor of one runtime, on its clock. An actor's own live timers sit in `activation.timers`. */
export class ActorTimers {
  readonly #clock: Clock;
  readonly #deliver: (act: Activation, envelope: Envelope) => void;
  #seq = 0;

  /** `deliver` runs the envelope as a turn now if the actor is idle, else queues it. */
  constructor(clock: Clock, deliver: (act: Activation, envelope: Envelope) => void) {
    this.#clock = clock;
    this.#deliver = deliver;
  }

  set(act: Activation, callback: () => unknown, delayMs: number, repeat: boolean): number {
    if (typeof callback !== "function") throw invalidArgument("callback", "a function", callback);
    if (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0 || (repeat && delayMs === 0)) {
      throw repeat
        ? invalidArgument("intervalMs", "a finite number > 0", delayMs)
        : invalidArgument("delayMs", "a finite number >= 0", delayMs);
    }
    if (isGone(act)) throw deactivated(act.type.name, act.id, "timers cannot be set while deactivating");
    const timer = new ActorTimer(++this.#seq, act, callback, repeat ? delayMs : 0, this.#fire);
    if (act.timers === null) act.timers = new Map();
    act.timers.set(timer.id, timer);
    timer.handle = this.#clock.setTimeout(timer.fire, delayMs);
    return timer.id;
  }

  /** Cancels one timer; a tick already queued is skipped when its turn comes. Unknown ids are ignored. */
  clear(act: Activation, timerId: number): void {
    const timer = act.timers?.get(timerId);
    if (timer === undefined) return;
    this.#cancel(timer);
    act.timers?.delete(timerId);
  }

  cancelAll(act: Activation): void {
    if (act.timers === null) return;
    for (const timer of act.timers.values()) this.#cancel(timer);
    act.timers = null;
  }

  /** A tick's turn ended: re-arm an interval, retire a one-shot. */
  turnEnded(act: Activation, timer: ActorTimer): void {
    if (timer.cancelled) return;
    if (timer.intervalMs > 0 && !isGone(act)) {
      timer.handle = this.#clock.setTimeout(timer.fire, timer.intervalMs);
    } else {
      timer.cancelled = true;
      act.timers?.delete(timer.id);
    }
  }

  /** The clock fired: the callback becomes a turn of the actor (ticks do not count against mailbox capacity). */
  readonly #fire = (timer: ActorTimer): void => {
    timer.handle = undefined;
    const act = timer.activation;
    if (timer.cancelled || isGone(act)) return;
    this.#deliver(act, new Envelope(TIMER, undefined, EMPTY_CHAIN, undefined, undefined, timer));
  };

  #cancel(timer: ActorTimer): void {
    timer.cancelled = true;
    if (timer.handle !== undefined) this.#clock.clearTimeout(timer.handle);
    timer.handle = undefined;
  }
}

function isGone(act: Activation): boolean {
  return act.status === DEACTIVATING || act.status === DEACTIVATED;
}
