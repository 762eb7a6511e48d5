import type { Clock, TimerHandle } from "@mesh/interface";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in deadline order (ties in
 * creation order), and a timer set by a firing callback fires in the same
 * `advance` if its deadline falls inside the window — as on a real clock.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  // A binary heap ordered by (at, id); simulations schedule hundreds of thousands of timers.
  readonly #heap: Timer[] = [];
  readonly #cancelled = new Set<number>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer: Timer = { id: this.#nextId++, at: this.#now + Math.max(0, delayMs), callback };
    this.#push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#cancelled.add(handle as unknown as number);
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.#heap.length - this.#cancelledInHeap();
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  advanceTo(targetMs: number): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || top.at > targetMs) break;
      this.#pop();
      if (this.#cancelled.delete(top.id)) continue;
      this.#now = Math.max(this.#now, top.at);
      top.callback();
    }
    this.#now = Math.max(this.#now, targetMs);
  }

  /** Fires the next due timer, if any, jumping time to it. Returns false when none is left. */
  step(): boolean {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined) return false;
      this.#pop();
      if (this.#cancelled.delete(top.id)) continue;
      this.#now = Math.max(this.#now, top.at);
      top.callback();
      return true;
    }
  }

  #cancelledInHeap(): number {
    let n = 0;
    for (const t of this.#heap) if (this.#cancelled.has(t.id)) n++;
    return n;
  }

  #less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.#less(heap[l] as Timer, heap[m] as Timer)) m = l;
      if (r < heap.length && this.#less(heap[r] as Timer, heap[m] as Timer)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m] as Timer, heap[i] as Timer];
      i = m;
    }
  }
}
