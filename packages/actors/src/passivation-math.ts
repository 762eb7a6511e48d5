/**
 * Idle passivation without a timer per actor: one sweep per runtime ticks every
 * `sweepIntervalMs` (S) and counts ticks; each message stamps the actor with the
 * current tick (a small integer, so the hot path neither reads the clock nor
 * allocates). These pure functions hold the arithmetic.
 */

/** Whole sweep intervals that make up the idle timeout: ceil(idleTimeoutMs / S). */
export function idleTicks(idleTimeoutMs: number, sweepIntervalMs: number): number {
  return Math.max(1, Math.ceil(idleTimeoutMs / sweepIntervalMs));
}

/**
 * An actor stamped at tick `lastUsed` is idle-expired at tick `now` when
 * now - lastUsed > ticks. It was used before tick lastUsed + 1 started, so at
 * least `ticks` full intervals (>= idleTimeoutMs) have passed: never early.
 * It is late by at most one interval plus the type's scan period.
 */
export function isIdleExpired(now: number, lastUsed: number, ticks: number): boolean {
  return now - lastUsed > ticks;
}

/**
 * A type is scanned every max(1, floor(ticks / 8)) ticks, so a 5-minute timeout
 * with S = 1 s scans its actors every 37 s (late by at most 1/8 of the timeout)
 * instead of walking a million actors every second.
 */
export function scanPeriodTicks(ticks: number): number {
  return Math.max(1, Math.floor(ticks / 8));
}
