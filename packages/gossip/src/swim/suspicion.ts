import type { Clock, TimerHandle } from "@mesh/interface";
import { remainingSuspicionMs } from "./math.js";

/**
 * One suspicion of one member (memberlist suspicion.go). The timer starts at
 * `maxMs`; each independent confirmation (a suspect message from a member not
 * yet counted) shortens it along the curve in {@link remainingSuspicionMs}, down
 * to `minMs` after `expected` confirmations. When it fires, the member is
 * declared dead. Without Lifeguard's dogpile, min = max and expected = 0.
 */
export class Suspicion {
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #expected: number;
  readonly #confirmedBy: Set<string>;
  readonly #onTimeout: () => void;
  #confirmations = 0;
  #timer: TimerHandle | undefined;

  constructor(options: {
    readonly clock: Clock;
    readonly from: string;
    readonly expected: number;
    readonly minMs: number;
    readonly maxMs: number;
    readonly onTimeout: () => void;
  }) {
    this.#clock = options.clock;
    this.#startedAt = options.clock.now();
    this.#minMs = options.minMs;
    this.#maxMs = options.maxMs;
    this.#expected = options.expected;
    this.#onTimeout = options.onTimeout;
    // The member that started the suspicion does not count as a confirmation of it.
    this.#confirmedBy = new Set([options.from]);
    const first = options.expected > 0 ? options.maxMs : options.minMs;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), first);
  }

  get confirmations(): number {
    return this.#confirmations;
  }

  /** Counts `from` once; returns true if it was a new confirmation (worth re-gossiping). */
  confirm(from: string): boolean {
    if (this.#timer === undefined || this.#confirmations >= this.#expected) return false;
    if (this.#confirmedBy.has(from)) return false;
    this.#confirmedBy.add(from);
    this.#confirmations++;
    const elapsed = this.#clock.now() - this.#startedAt;
    const remaining = remainingSuspicionMs(this.#confirmations, this.#expected, elapsed, this.#minMs, this.#maxMs);
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, remaining));
    return true;
  }

  cancel(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(): void {
    if (this.#timer === undefined) return;
    this.#timer = undefined;
    this.#onTimeout();
  }
}
