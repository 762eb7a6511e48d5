import { retransmitLimit } from "../swim/math.js";

interface Queued {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly id: number;
  transmits: number;
  readonly onDone: (() => void) | undefined;
  /** Replaced or finished: skipped by take() and dropped from the order at its next sort. */
  removed: boolean;
}

/**
 * Updates waiting to be piggybacked (memberlist queue.go). One entry per member:
 * a newer message about a member replaces the queued one. Each entry is sent
 * retransmitMult * ceil(log10(n + 1)) times, fewest-sent first and, among equals,
 * newest first, so fresh news overtakes old news in a full packet.
 */
export class BroadcastQueue {
  readonly #byKey = new Map<string, Queued>();
  readonly #retransmitMult: number;
  readonly #clusterSize: () => number;
  #nextId = 0;
  #order: Queued[] = [];
  #dirty = false;
  /** Entries in #order marked removed, not yet dropped from it. */
  #removed = 0;

  constructor(retransmitMult: number, clusterSize: () => number) {
    this.#retransmitMult = retransmitMult;
    this.#clusterSize = clusterSize;
  }

  get size(): number {
    return this.#byKey.size;
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  /** `onDone` runs when the entry has been sent its full count, or was replaced. */
  enqueue(key: string, bytes: Uint8Array, onDone?: () => void): void {
    const old = this.#byKey.get(key);
    if (old !== undefined) this.#remove(old);
    const q: Queued = { key, bytes, id: this.#nextId++, transmits: 0, onDone, removed: false };
    this.#byKey.set(key, q);
    this.#order.push(q);
    this.#dirty = true;
    // Bounded even if nothing is sent for a while: compact once removed entries dominate.
    if (this.#removed > this.#byKey.size + 64) this.#compact();
  }

  /**
   * Takes broadcasts whose encoded sizes fit in `budgetBytes` together, at most
   * `maxCount` of them, counting one transmission for each — except for an update
   * about `recipient` itself: that copy tells the subject (a suspect can refute) but
   * no third party, and at small n the limit is only a couple of sends, so spending
   * one on the subject (often a dead member still probed or gossiped to) can leave a
   * live member with no copy at all. It goes out but is not counted. With
   * `counted` false no copy is counted (the recipient is a suspect, likely dead).
   */
  take(budgetBytes: number, maxCount: number, recipient?: string, counted = true): Uint8Array[] {
    if (this.#byKey.size === 0 || maxCount <= 0) return [];
    if (this.#dirty) {
      // Removed entries are dropped here, in one pass, not one splice each: a push-pull
      // of n members replaces up to n queued entries, and a splice per replacement made
      // merging it quadratic.
      if (this.#removed > 0) this.#compact();
      this.#order.sort((a, b) => a.transmits - b.transmits || b.id - a.id);
      this.#dirty = false;
    }
    const limit = retransmitLimit(this.#retransmitMult, this.#clusterSize());
    const out: Uint8Array[] = [];
    let left = budgetBytes;
    let finished = false;
    for (const q of this.#order) {
      if (out.length >= maxCount || left < 8) break;
      if (q.removed) continue;
      if (q.bytes.length > left) continue;
      out.push(q.bytes);
      left -= q.bytes.length;
      if (q.key === recipient || !counted) continue;
      q.transmits++;
      if (q.transmits >= limit) finished = true;
    }
    if (out.length > 0) this.#dirty = true;
    if (finished) {
      for (const q of [...this.#byKey.values()]) if (q.transmits >= limit) this.#remove(q);
    }
    return out;
  }

  /** Drops everything (on shutdown). */
  clear(): void {
    for (const q of [...this.#byKey.values()]) this.#remove(q);
    this.#order = [];
    this.#removed = 0;
  }

  #compact(): void {
    this.#order = this.#order.filter((q) => !q.removed);
    this.#removed = 0;
  }

  #remove(q: Queued): void {
    this.#byKey.delete(q.key);
    q.removed = true;
    this.#removed++;
    this.#dirty = true;
    q.onDone?.();
  }
}
