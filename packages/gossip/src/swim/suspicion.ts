import type { Clock, TimerHandle } from "@mesh/interface";
import { remainingSuspicionMs } from "./math.js";

/**
 * One suspicion of one member (memberlist suspicion.go). The timer starts at
 * `maxMs`; each independent confirmation (a suspect message from a member not
 * yet counted) shortens it along the curve in {@link remainingSuspicionMs}, down
 * to `minMs` after `expected` confirmations. When it fires, the member is
 * declared dead. Without Lifeguard's dogpile, min = max and expected = 0.
 *
 * Nothing else postpones the death: local health (awareness) stretches only the
 * probe interval and timeout (memberlist awareness.go, the Lifeguard paper). A
 * member that held its accusations while unsure of its own health never declared
 * anyone dead once it was the last one standing: its failed probes, with no peer
 * left to nack, raised its score, and only an ack can lower it.
 */
export class Suspicion {
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #expected: number;
  readonly #confirmedBy: Set<string>;
  readonly #onTimeout: () => void;
  readonly #yieldFirst: boolean;
  #confirmations = 0;
  #timer: TimerHandle | undefined;
  #yielded = false;

  constructor(options: {
    readonly clock: Clock;
    readonly from: string;
    readonly expected: number;
    readonly minMs: number;
    readonly maxMs: number;
    readonly onTimeout: () => void;
    /**
     * Local health: when the timer runs out, yield one turn (a 0 ms timer, which in
     * Node runs after the poll phase has read pending I/O) before killing. Node runs
     * due timers before it reads sockets, so after any stall of this member's event
     * loop, even one far shorter than a probe timeout, a refutation may be waiting
     * unread. Costs about a millisecond. @default false (plain SWIM)
     */
    readonly yieldFirst?: boolean | undefined;
  }) {
    this.#clock = options.clock;
    this.#startedAt = options.clock.now();
    this.#minMs = options.minMs;
    this.#maxMs = options.maxMs;
    this.#expected = options.expected;
    this.#onTimeout = options.onTimeout;
    this.#yieldFirst = options.yieldFirst ?? false;
    // The member that started the suspicion does not count as a confirmation of it.
    this.#confirmedBy = new Set([options.from]);
    this.#arm(options.expected > 0 ? options.maxMs : options.minMs);
  }

  /** True if `name` started this suspicion or has confirmed it. */
  involves(name: string): boolean {
    return this.#confirmedBy.has(name);
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
    this.#arm(Math.max(0, remaining));
    return true;
  }

  cancel(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number, yielding = false): void {
    this.#yielded = yielding;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), delayMs);
  }

  #fire(): void {
    if (this.#timer === undefined) return;
    if (this.#yieldFirst && !this.#yielded) {
      this.#arm(0, true);
      return;
    }
    this.#timer = undefined;
    this.#onTimeout();
  }
}
