import type { Clock, TimerHandle } from "@mesh/interface";

interface Pending {
  readonly from: string;
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

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.#byCapability.size;
  }

  expect(capability: string, shard: number, from: string): void {
    let shards = this.#byCapability.get(capability);
    if (shards === undefined) {
      shards = new Map();
      this.#byCapability.set(capability, shards);
    }
    if (shards.has(shard)) return;
    let release!: () => void;
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    const timer = this.#clock.setTimeout(() => this.#release(capability, shard), this.#timeoutMs);
    shards.set(shard, { from, promise, release, timer });
  }

  /** Resolves when the shard's handoff is over; undefined when none is pending. */
  wait(capability: string, shard: number): Promise<void> | undefined {
    return this.#byCapability.get(capability)?.get(shard)?.promise;
  }

  /** The previous owner `from` finished handing these shards off. */
  done(capability: string, shards: readonly number[], from: string): void {
    const pending = this.#byCapability.get(capability);
    if (pending === undefined) return;
    for (const shard of shards) if (pending.get(shard)?.from === from) this.#release(capability, shard);
  }

  /** Releases everything pending from `from` (it died or left: nothing more will come). */
  forgetSender(from: string): void {
    for (const [capability, shards] of this.#byCapability) {
      for (const [shard, pending] of shards) if (pending.from === from) this.#release(capability, shard);
    }
  }

  clear(): void {
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
