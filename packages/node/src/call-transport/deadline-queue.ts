import type { Clock, TimerHandle } from "@mesh/interface";

/** Something with a deadline on the queue's clock that may finish before it. */
export interface DeadlineEntry {
  /** Absolute time on the clock, in ms, at which the entry expires. */
  readonly deadline: number;
  /** Set by the owner when the entry finished (replied, failed, aborted); the queue then skips it. */
  done: boolean;
}

/**
 * Deadlines for many in-flight entries on ONE timer. Calls mostly share the
 * default timeout, so deadlines arrive in FIFO order and `add` is an append;
 * an earlier deadline is inserted in order by binary search (rare). Finished
 * entries are dropped lazily: from the head as they finish, and by compaction
 * when dead entries outnumber live ones 2:1, so memory stays O(live entries)
 * even when a slow call at the head holds up the ones behind it.
 *
 * The timer is armed for the earliest deadline and re-armed only when it fires
 * or an earlier deadline arrives: at 100,000 calls/s that is one timer per
 * timeout period instead of 100,000.
 */
export class DeadlineQueue<T extends DeadlineEntry> {
  readonly #clock: Clock;
  readonly #onExpire: (entry: T) => void;
  /** Slots before #head are cleared (undefined) so finished entries die young instead of being promoted by GC. */
  #entries: (T | undefined)[] = [];
  #head = 0;
  #live = 0;
  #timer: TimerHandle | undefined;
  #armedAt = Number.POSITIVE_INFINITY;

  /**
   * `onExpire` runs for each entry whose deadline passed, after the queue set its
   * `done` flag and forgot it: the callback must not call `finished()` for it.
   */
  constructor(clock: Clock, onExpire: (entry: T) => void) {
    this.#clock = clock;
    this.#onExpire = onExpire;
  }

  /** Entries added and not yet finished or expired. */
  get size(): number {
    return this.#live;
  }

  /** Slots held in memory, finished ones included (for tests of the compaction bound). */
  get retained(): number {
    return this.#entries.length - this.#head;
  }

  add(entry: T): void {
    const entries = this.#entries;
    const last = entries[entries.length - 1];
    if (entries.length === this.#head || last === undefined || last.deadline <= entry.deadline) {
      entries.push(entry);
    } else {
      entries.splice(this.#insertionPoint(entry.deadline), 0, entry);
    }
    this.#live++;
    if (entry.deadline < this.#armedAt) this.#arm(entry.deadline);
  }

  /** Tells the queue that an entry it holds has just been marked `done`. */
  finished(): void {
    this.#live--;
    this.#dropFinishedHead();
    if (this.#entries.length - this.#head > 2 * this.#live + 64) this.#compact();
  }

  /** Empties the queue without expiring anything and cancels the timer; returns the live entries. */
  clear(): T[] {
    const live = this.#entries.slice(this.#head).filter((e): e is T => e !== undefined && !e.done);
    this.#entries = [];
    this.#head = 0;
    this.#live = 0;
    this.#disarm();
    return live;
  }

  #insertionPoint(deadline: number): number {
    let lo = this.#head;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#entries[mid] as T).deadline <= deadline) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #dropFinishedHead(): void {
    const entries = this.#entries;
    while (this.#head < entries.length && (entries[this.#head] as T).done) entries[this.#head++] = undefined;
    if (this.#head === entries.length) {
      entries.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > entries.length) {
      // Shift the live part down in place: amortised O(1) per entry, no new array.
      entries.copyWithin(0, this.#head);
      entries.length -= this.#head;
      this.#head = 0;
    }
  }

  #compact(): void {
    this.#entries = this.#entries.slice(this.#head).filter((e) => e !== undefined && !e.done);
    this.#head = 0;
  }

  #arm(at: number): void {
    this.#disarm();
    this.#armedAt = at;
    this.#timer = this.#clock.setTimeout(() => this.#sweep(), Math.max(0, at - this.#clock.now()));
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    const entries = this.#entries;
    // Expire in deadline order; an onExpire callback may add entries (appended behind) or finish others.
    while (this.#head < entries.length && (entries[this.#head] as T).deadline <= now) {
      const entry = entries[this.#head] as T;
      entries[this.#head++] = undefined;
      if (entry.done) continue;
      entry.done = true;
      this.#live--;
      this.#onExpire(entry);
      if (this.#entries !== entries) break;
    }
    this.#dropFinishedHead();
    const next = this.#entries[this.#head];
    if (next !== undefined && next.deadline < this.#armedAt) this.#arm(next.deadline);
  }
}
