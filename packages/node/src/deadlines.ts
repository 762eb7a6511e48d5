import { type Clock, tickClockOf } from "@mesh/interface";
import { type DeadlineEntry, DeadlineQueue } from "./call-transport/deadline-queue.js";

/** A wait's absolute deadline; the queue sets `done` before it fires. */
export class Deadline implements DeadlineEntry {
  done = false;
  constructor(
    readonly deadline: number,
    readonly fire: () => void,
  ) {}
}

/**
 * The node's own timers: the deadlines of the waits the node itself does (a
 * local turn, waiting for a node or a handoff), all behind one clock timer. While
 * a call is on the wire the call transport owns its timer instead.
 */
export class Deadlines {
  /** Read once per tick (see tickClockOf): every call asks for the time when accepted and on each hop. */
  readonly #clock: Clock;
  readonly #queue: DeadlineQueue<Deadline>;

  constructor(clock: Clock) {
    this.#clock = tickClockOf(clock);
    this.#queue = new DeadlineQueue<Deadline>(clock, (entry) => entry.fire());
  }

  now(): number {
    return this.#clock.now();
  }

  /** Runs `fire` at the absolute time `deadline` unless cancelled first. */
  at(deadline: number, fire: () => void): Deadline {
    const entry = new Deadline(deadline, fire);
    this.#queue.add(entry);
    return entry;
  }

  cancel(entry: Deadline): void {
    if (entry.done) return;
    entry.done = true;
    this.#queue.finished();
  }

  /** Settles like `work`, or rejects with `onTimeout()` at `deadline`, whichever comes first. */
  within<T>(work: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = this.at(deadline, () => reject(onTimeout()));
      work.then(
        (value) => {
          this.cancel(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.cancel(entry);
          reject(error);
        },
      );
    });
  }

  clear(): void {
    this.#queue.clear();
  }
}
