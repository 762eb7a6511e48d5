import type { LogFields, Logger } from "@mesh/interface";

/** The default summary period of {@link DropLog}, in ms. */
export const DROP_LOG_INTERVAL_MS = 10_000;

interface ReasonState {
  count: number;
  loggedAt: number;
}

/**
 * Rate-limited warnings for dropped input. The first drop of each reason is logged
 * at once; later ones are counted and summarised (with their count) at most once
 * per interval and reason, so a flood of bad packets costs a counter increment
 * each and one log line per interval, not one per packet.
 */
export class DropLog {
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #message: string;
  readonly #reasons = new Map<string, ReasonState>();

  constructor(logger: Logger, now: () => number, message: string, intervalMs = DROP_LOG_INTERVAL_MS) {
    this.#logger = logger;
    this.#now = now;
    this.#message = message;
    this.#intervalMs = intervalMs;
  }

  note(reason: string, fields: LogFields = {}): void {
    let s = this.#reasons.get(reason);
    if (s === undefined) {
      s = { count: 0, loggedAt: Number.NEGATIVE_INFINITY };
      this.#reasons.set(reason, s);
    }
    s.count++;
    const now = this.#now();
    if (now - s.loggedAt < this.#intervalMs) return;
    this.#logger.warn(this.#message, { reason, count: s.count, ...fields, ...(HINTS[reason] ?? {}) });
    s.count = 0;
    s.loggedAt = now;
  }
}

const HINTS: Readonly<Record<string, LogFields>> = {
  decrypt: { hint: "a peer with another secret (or none) is sending to this port" },
  stale: { hint: "a peer's wall clock is off by more than the allowed skew, or a packet was replayed late" },
  replay: { hint: "a packet was received twice: replayed, or duplicated by the network" },
};
