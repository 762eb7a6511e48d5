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
