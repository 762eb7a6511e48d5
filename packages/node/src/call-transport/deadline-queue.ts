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
  /**
   * Entries in deadline order in [#head, #tail). Slots outside are undefined, so
   * finished entries die young instead of being kept alive (and promoted) by the
   * queue. The ends move by index, never by `length = …`, which is a slow runtime
   * call in V8.
   */
  #entries: (T | undefined)[] = [];
  #head = 0;
  #tail = 0;
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
    return this.#tail - this.#head;
  }

  add(entry: T): void {
    const entries = this.#entries;
    const tail = this.#tail;
    const last = tail > this.#head ? entries[tail - 1] : undefined;
    if (last === undefined || last.deadline <= entry.deadline) {
      entries[tail] = entry;
    } else {
      // An earlier deadline than the last one (rare: a shorter timeout): shift to keep the order.
      const at = this.#insertionPoint(entry.deadline);
      for (let i = tail; i > at; i--) entries[i] = entries[i - 1];
      entries[at] = entry;
    }
    this.#tail = tail + 1;
    this.#live++;
    if (entry.deadline < this.#armedAt) this.#arm(entry.deadline);
  }

  /** Tells the queue that an entry it holds has just been marked `done`. */
  finished(): void {
    this.#live--;
    this.#dropFinishedHead();
    if (this.#tail - this.#head > 2 * this.#live + 64) this.#compact();
  }

  /** Empties the queue without expiring anything and cancels the timer; returns the live entries. */
  clear(): T[] {
    const live: T[] = [];
    for (let i = this.#head; i < this.#tail; i++) {
      const entry = this.#entries[i];
      if (entry !== undefined && !entry.done) live.push(entry);
    }
    this.#entries = [];
    this.#head = 0;
    this.#tail = 0;
    this.#live = 0;
    this.#disarm();
    return live;
  }

  #insertionPoint(deadline: number): number {
    let lo = this.#head;
    let hi = this.#tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#entries[mid] as T).deadline <= deadline) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #dropFinishedHead(): void {
    const entries = this.#entries;
    while (this.#head < this.#tail && (entries[this.#head] as T).done) entries[this.#head++] = undefined;
    if (this.#head === this.#tail) {
      this.#head = 0;
      this.#tail = 0;
      // After a burst, give the big array back.
      if (entries.length > RELEASE_ABOVE_SLOTS) this.#entries = [];
    } else if (this.#head > 1024 && this.#head * 2 > this.#tail) {
      this.#moveDown((entry) => entry !== undefined);
    }
  }

  #compact(): void {
    this.#moveDown((entry) => entry !== undefined && !entry.done);
  }

  /** Moves the kept entries of [head, tail) to the front, in order, and clears the rest. */
  #moveDown(keep: (entry: T | undefined) => boolean): void {
    const entries = this.#entries;
    let to = 0;
    for (let from = this.#head; from < this.#tail; from++) {
      const entry = entries[from];
      if (keep(entry)) entries[to++] = entry;
    }
    for (let i = to; i < this.#tail; i++) entries[i] = undefined;
    this.#head = 0;
    this.#tail = to;
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
    while (this.#head < this.#tail && (entries[this.#head] as T).deadline <= now) {
      const entry = entries[this.#head] as T;
      entries[this.#head++] = undefined;
      if (entry.done) continue;
      entry.done = true;
      this.#live--;
      this.#onExpire(entry);
      if (this.#entries !== entries) break;
    }
    this.#dropFinishedHead();
    const next = this.#head < this.#tail ? this.#entries[this.#head] : undefined;
    if (next !== undefined && next.deadline < this.#armedAt) this.#arm(next.deadline);
  }
}

const RELEASE_ABOVE_SLOTS = 4096;
