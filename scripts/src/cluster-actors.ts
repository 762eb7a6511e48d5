/**
 * The actors of the seed's example, as every cluster child hosts them. Each keeps a
 * little state and implements `snapshot()`/`restore()`, so a graceful stop or a
 * rebalance carries that state to the new owner.
 */
import type { ActorClass, ActorContext } from "@mesh/node";

/** A player's score: each call adds its payload (a number) or 1. */
export class GameActor {
  readonly #id: string;
  #score = 0;
  constructor(id: string) {
    this.#id = id;
  }
  handleCall(payload: unknown): unknown {
    this.#score += typeof payload === "number" ? payload : 1;
    return { player: this.#id, score: this.#score };
  }
  snapshot(): unknown {
    return this.#score;
  }
  restore(state: unknown): void {
    if (typeof state === "number") this.#score = state;
  }
}

/** A chat room: each call posts a message; the reply is the room's message count. */
export class ChatActor {
  #messages = 0;
  handleCall(_payload: unknown, ctx: ActorContext): unknown {
    this.#messages++;
    return { room: ctx.id, messages: this.#messages };
  }
  snapshot(): unknown {
    return this.#messages;
  }
  restore(state: unknown): void {
    if (typeof state === "number") this.#messages = state;
  }
}

/** A wallet: credited by its first call's initArg, each call debits its payload. */
export class PaymentActor {
  #balance: number;
  constructor(_id: string, initArg?: unknown) {
    this.#balance = typeof initArg === "number" ? initArg : 1_000;
  }
  handleCall(payload: unknown): unknown {
    const amount = typeof payload === "number" ? payload : 0;
    if (amount > this.#balance) throw new Error(`insufficient funds: balance ${this.#balance}, asked ${amount}`);
    this.#balance -= amount;
    return { balance: this.#balance };
  }
  snapshot(): unknown {
    return this.#balance;
  }
  restore(state: unknown): void {
    if (typeof state === "number") this.#balance = state;
  }
}

/**
 * A counter whose reply is its new value: a caller that alone increments an id sees
 * 1, 2, 3, … and any gap or reset shows lost (or doubled) state. The payload "read"
 * answers the count without changing it, so a test can compare the effects a counter
 * holds with the calls that succeeded.
 */
export class CounterActor {
  #count = 0;
  handleCall(payload: unknown): unknown {
    if (payload === COUNTER_READ) return this.#count;
    return ++this.#count;
  }
  snapshot(): unknown {
    return this.#count;
  }
  restore(state: unknown): void {
    if (typeof state === "number") this.#count = state;
  }
}

/** The payload that reads a CounterActor without incrementing it. */
export const COUNTER_READ = "read";

const SEED_MODULES: Readonly<Record<string, string>> = Object.freeze({
  game: "GameActor",
  chat: "ChatActor",
  payment: "PaymentActor",
});

/**
 * The module that serves a capability in the cluster: the seed's three by name, and
 * `<Capability>Actor` (a counter) for any other, so `--nodes` may name new capabilities.
 */
export function moduleFor(capability: string): string {
  const seed = SEED_MODULES[capability];
  if (seed !== undefined) return seed;
  const word = capability.replace(/[^A-Za-z0-9]+/g, "_");
  return `${word.charAt(0).toUpperCase()}${word.slice(1)}Actor`;
}

/** The actor classes a child registers: the seed's three, the counter, one per extra capability. */
export function actorsFor(capabilities: readonly string[]): Record<string, ActorClass> {
  const actors: Record<string, ActorClass> = { GameActor, ChatActor, PaymentActor, CounterActor };
  for (const capability of capabilities) {
    const module = moduleFor(capability);
    // A distinct class per module, so each reports its own name.
    actors[module] ??= class extends CounterActor {};
  }
  return actors;
}
