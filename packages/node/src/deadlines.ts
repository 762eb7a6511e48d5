import type { Clock, TimerHandle } from "@mesh/interface";

/** A pending deadline; `cancel()` is O(1) (the entry is skipped when it reaches the top). */
export interface Deadline {
  cancel(): void;
}

interface Entry extends Deadline {
  readonly at: number;
  readonly seq: number;
  fire: (() => void) | undefined;
}

/**
 * Deadlines for many in-flight calls behind ONE clock timer, armed at the earliest
 * deadline. A timer per call costs an allocation and a timer-list insert on every
 * call; calls mostly share the default timeout, so deadlines arrive nearly in order
 * and the heap stays shallow at the top.
 */
export class DeadlineQueue {
  readonly #clock: Clock;
  readonly #heap: Entry[] = [];
  #seq = 0;
  #timer: TimerHandle | undefined;
  #armedAt = Number.POSITIVE_INFINITY;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Calls `fire` at `now + delayMs` unless cancelled first. */
  add(delayMs: number, fire: () => void): Deadline {
    const entry: Entry = {
      at: this.#clock.now() + delayMs,
      seq: this.#seq++,
      fire,
      cancel() {
        entry.fire = undefined;
      },
    };
    this.#push(entry);
    if (entry.at < this.#armedAt) this.#arm(entry.at);
    return entry;
  }

  /** Cancels the timer; pending deadlines never fire. */
  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#heap.length = 0;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = this.#clock.setTimeout(() => this.#expire(), Math.max(0, at - this.#clock.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined) return;
      if (top.fire === undefined) {
        this.#pop();
        continue;
      }
      if (top.at > now) {
        this.#arm(top.at);
        return;
      }
      this.#pop();
      const fire = top.fire;
      top.fire = undefined;
      fire();
    }
  }

  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Entry;
      if (!this.#less(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const child = r < heap.length && this.#less(heap[r] as Entry, heap[l] as Entry) ? r : l;
      if (!this.#less(heap[child] as Entry, last)) break;
      heap[i] = heap[child] as Entry;
      i = child;
    }
    heap[i] = last;
  }
}
