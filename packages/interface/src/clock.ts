/**
 * Time as a component. Protocol and runtime code never calls `Date.now` or
 * `setTimeout` directly, so a whole cluster can run on a fake clock in tests.
 */
export interface TimerHandle {
  /** Opaque; only the clock that made it can cancel it. */
  readonly __timer: unique symbol;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

const origin = performance.now();

/**
 * The real clock. Timers are `unref`ed: a Mesh timer never keeps the process alive
 * on its own; open sockets and pending calls do.
 */
export const systemClock: Clock = {
  now: () => performance.now() - origin,
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

const settled = Promise.resolve();

/**
 * Reads a clock at most once per tick. `performance.now()` costs 70–300 ns on a
 * virtual machine, and a busy node handles dozens of calls per tick, each of
 * which wants the time several times (its deadline, the time left on each hop,
 * the arrival, the duration it is recorded with); they all get the time at
 * which the tick's first reader read it. The value is dropped by a microtask
 * queued at that first read, so it is never older than the current run of
 * synchronous code and microtasks: a deadline measured from it is at most that
 * much early, which for millisecond timeouts is nothing.
 */
export class TickClock implements Clock {
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
      // A resolved promise's then() costs a third of queueMicrotask(), which
      // wraps its callback for async_hooks; both run in the same microtask queue.
      void settled.then(this.#invalidate);
    }
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.#clock.setTimeout(callback, delayMs);
  }

  clearTimeout(handle: TimerHandle): void {
    this.#clock.clearTimeout(handle);
  }
}

const systemTicks = new TickClock(systemClock);

/**
 * The clock to read on hot paths: for {@link systemClock}, one {@link TickClock}
 * that every node in the process shares, so a tick reads the time once whoever
 * asks; any other clock (a fake one in tests) is returned as it is, read exactly.
 */
export function tickClockOf(clock: Clock): Clock {
  return clock === systemClock ? systemTicks : clock;
}
