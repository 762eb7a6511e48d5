import type { Clock, TimerHandle } from "@mesh/interface";

interface Pending {
  /** Who is expected to hand the shard over; it changes as this node learns more members. */
  from: string;
  readonly promise: Promise<void>;
  readonly release: () => void;
  readonly timer: TimerHandle;
}

/**
 * Shards this node has just taken over from a node that is still alive (a join,
 * or a capability change), whose actors' state is on its way. Calls for those
 * shards wait here instead of activating a fresh actor, until the previous owner
 * says it is done handing off, or `timeoutMs` passes (it may never see the change,
 * or may have nothing to send).
 */
export class PendingHandoffs {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #byCapability = new Map<string, Map<number, Pending>>();
  /** Shards released by the timeout rather than by their previous owner's notice. */
  timedOut = 0;
  /**
   * Done notices that came before this node expected them (the previous owner saw
   * this node before this node saw it): a later expect() for them returns at once.
   */
  readonly #doneEarly = new Map<string, Set<number>>();

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.#byCapability.size;
  }

  expect(capability: string, shard: number, from: string): void {
    const early = this.#doneEarly.get(`${from}\u0000${capability}`);
    if (early?.delete(shard) === true) return;
    let shards = this.#byCapability.get(capability);
    if (shards === undefined) {
      shards = new Map();
      this.#byCapability.set(capability, shards);
    }
    const existing = shards.get(shard);
    if (existing !== undefined) {
      existing.from = from;
      return;
    }
    let release!: () => void;
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    const timer = this.#clock.setTimeout(() => {
      this.timedOut++;
      this.#release(capability, shard);
    }, this.#timeoutMs);
    shards.set(shard, { from, promise, release, timer });
  }

  /** Resolves when the shard's handoff is over; undefined when none is pending. */
  wait(capability: string, shard: number): Promise<void> | undefined {
    return this.#byCapability.get(capability)?.get(shard)?.promise;
  }

  /** The previous owner `from` finished handing these shards off. */
  done(capability: string, shards: readonly number[], from: string): void {
    const pending = this.#byCapability.get(capability);
    const earlyKey = `${from}\u0000${capability}`;
    for (const shard of shards) {
      if (pending?.get(shard)?.from === from) {
        this.#release(capability, shard);
        continue;
      }
      let early = this.#doneEarly.get(earlyKey);
      if (early === undefined) {
        early = new Set();
        this.#doneEarly.set(earlyKey, early);
      }
      early.add(shard);
    }
  }

  /** Releases everything pending from `from` (it died or left: nothing more will come). */
  forgetSender(from: string): void {
    for (const key of this.#doneEarly.keys()) if (key.startsWith(`${from}\u0000`)) this.#doneEarly.delete(key);
    for (const [capability, shards] of this.#byCapability) {
      for (const [shard, pending] of shards) if (pending.from === from) this.#release(capability, shard);
    }
  }

  clear(): void {
    this.#doneEarly.clear();
    for (const [capability, shards] of this.#byCapability)
      for (const shard of shards.keys()) this.#release(capability, shard);
  }

  #release(capability: string, shard: number): void {
    const shards = this.#byCapability.get(capability);
    const pending = shards?.get(shard);
    if (shards === undefined || pending === undefined) return;
    this.#clock.clearTimeout(pending.timer);
    shards.delete(shard);
    if (shards.size === 0) this.#byCapability.delete(capability);
    pending.release();
  }
}
