import type { Clock } from "@mesh/interface";

/**
 * Reads the clock at most once per tick. `performance.now()` costs ~200 ns
 * here, and a busy connection handles dozens of calls per tick; they all get
 * the time at which the tick's first one read it. The value is dropped by a
 * microtask queued at that first read, so it is never older than the current
 * run of synchronous code and microtasks — a deadline measured from it is at
 * most that much early, which for ms timeouts is nothing.
 */
export class TickClock {
  readonly #clock: Clock;
  #now = 0;
  #valid = false;
  readonly #invalidate = (): void => {
    this.#valid = false;
  };

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  now(): number {
    if (!this.#valid) {
      this.#now = this.#clock.now();
      this.#valid = true;
      queueMicrotask(this.#invalidate);
    }
    return this.#now;
  }
}
