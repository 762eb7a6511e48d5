import type { TimerHandle } from "@mesh/interface";
import type { Activation } from "./activation.js";

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
