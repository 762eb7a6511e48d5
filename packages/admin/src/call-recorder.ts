import { type Clock, systemClock, tickClockOf } from "@mesh/interface";

/**
 * Call outcomes and durations, recorded on the call path at the cost of a few
 * array increments: one slot per capability, allocated the first
 * time the capability is seen, holding fixed bucket arrays. Prometheus reads the
 * slots when it scrapes (see call-metrics.ts); nothing is formatted per call.
 */

/** Histogram bucket upper bounds in seconds (100 µs to 10 s). */
export const CALL_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
const BOUNDS_MS = Float64Array.from(CALL_DURATION_BUCKETS, (s) => s * 1000);
const BUCKETS = BOUNDS_MS.length + 1; // the last one is +Inf

/**
 * Capabilities are named by the application, so their number is small; the
 * bound keeps memory fixed whatever strings reach `record`.
 */
export const MAX_RECORDED_CAPABILITIES = 256;
/** The slot every capability beyond {@link MAX_RECORDED_CAPABILITIES} shares. */
export const OVERFLOW_CAPABILITY = "_other";

export const LOCAL = 0;
export const REMOTE = 1;
export type CallLocation = typeof LOCAL | typeof REMOTE;

export class CapabilitySlot {
  /** Per location: non-cumulative counts per bucket. */
  readonly buckets = [new Float64Array(BUCKETS), new Float64Array(BUCKETS)] as const;
  readonly sumMs = new Float64Array(2);
  ok = 0;
  /** Failed calls by error code (a bounded registry of codes, plus "UNKNOWN"). */
  readonly failed = new Map<string, number>();
  constructor(readonly capability: string) {}
}

/**
 * Reads its clock twice per call, at the start and at the end: give it the
 * node's tick clock (`tickClockOf`), which the call path reads anyway, so
 * recording adds no clock read of its own. A duration is then short by at most
 * the length of one run of synchronous code and microtasks (tens of µs), below
 * the smallest bucket.
 */
export class CallRecorder {
  readonly #slots = new Map<string, CapabilitySlot>();
  readonly #clock: Pick<Clock, "now">;
  #overflow: CapabilitySlot | undefined;
  /** The slot of the last capability recorded: most calls in a row are for the same one. */
  #last: CapabilitySlot | undefined;

  constructor(clock: Pick<Clock, "now"> = tickClockOf(systemClock)) {
    this.#clock = clock;
  }

  /** The start time to pass to {@link record}, in milliseconds. */
  now(): number {
    return this.#clock.now();
  }

  /** Records one finished call; `outcome` is "ok" or the error's code. */
  record(capability: string, location: CallLocation, outcome: string, startedMs: number): void {
    const elapsed = this.now() - startedMs;
    let slot = this.#last;
    if (slot === undefined || slot.capability !== capability) {
      slot = this.#slots.get(capability) ?? this.#newSlot(capability);
      this.#last = slot;
    }
    let i = 0;
    while (i < BOUNDS_MS.length && elapsed > (BOUNDS_MS[i] as number)) i++;
    const buckets = slot.buckets[location];
    buckets[i] = (buckets[i] as number) + 1;
    slot.sumMs[location] = (slot.sumMs[location] as number) + elapsed;
    if (outcome === "ok") slot.ok++;
    else slot.failed.set(outcome, (slot.failed.get(outcome) ?? 0) + 1);
  }

  /** Every slot, for the collector. */
  slots(): Iterable<CapabilitySlot> {
    const all = [...this.#slots.values()];
    if (this.#overflow !== undefined) all.push(this.#overflow);
    return all;
  }

  /** Calls finished so far (every capability, every outcome). */
  total(): number {
    let n = 0;
    for (const slot of this.slots()) {
      n += slot.ok;
      for (const count of slot.failed.values()) n += count;
    }
    return n;
  }

  /** A capability named like the overflow slot shares it: one series per label set. */
  #newSlot(capability: string): CapabilitySlot {
    if (
      typeof capability !== "string" ||
      capability === OVERFLOW_CAPABILITY ||
      this.#slots.size >= MAX_RECORDED_CAPABILITIES
    ) {
      this.#overflow ??= new CapabilitySlot(OVERFLOW_CAPABILITY);
      return this.#overflow;
    }
    const slot = new CapabilitySlot(capability);
    this.#slots.set(capability, slot);
    return slot;
  }
}
