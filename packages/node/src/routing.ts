import { abortedError, invalidArgument, MeshError } from "@mesh/interface";
import { type CapabilityChange, type Hasher, type RingMember, ShardTables, shardFor } from "@mesh/ring";
import type { ClusterLink } from "./cluster-link.js";
import type { Deadlines } from "./deadlines.js";
import type { NodeConfig } from "./node-init.js";

/** What the tables did on a rebuild, for the handoff component. */
export interface TableChange {
  readonly changes: readonly CapabilityChange[];
  /** Live members in the new tables, this node included unless it is leaving. */
  readonly live: ReadonlySet<string>;
  /** Members this node had not seen in the previous rebuild. */
  readonly newcomers: ReadonlySet<string>;
  /** The live members other than this node. */
  readonly others: readonly RingMember[];
}

/**
 * The routing tables: who owns each shard of each capability in this node's view
 * of the cluster, where each node takes calls, this node's own capabilities, and
 * the calls waiting for a node with a capability to appear (`waitForNodes`).
 */
export class Routing {
  readonly name: string;
  readonly #config: NodeConfig;
  readonly #hasher: Hasher;
  readonly #link: ClusterLink;
  readonly #deadlines: Deadlines;
  readonly tables: ShardTables;
  #capabilities: readonly string[];
  #addresses = new Map<string, string>();
  #knownOthers = new Set<string>();
  /** True once stop() began: the tables are computed as if this node were gone. */
  leaving = false;
  readonly #waiters = new Map<string, Set<(error?: unknown) => void>>();

  constructor(config: NodeConfig, hasher: Hasher, link: ClusterLink, deadlines: Deadlines) {
    this.name = config.name;
    this.#config = config;
    this.#hasher = hasher;
    this.#link = link;
    this.#deadlines = deadlines;
    this.#capabilities = config.capabilities;
    this.tables = new ShardTables({ shardCount: config.shardCount, strategy: config.placement, hasher });
  }

  get capabilities(): readonly string[] {
    return this.#capabilities;
  }

  set capabilities(next: readonly string[]) {
    this.#capabilities = Object.freeze(next);
  }

  shardOf(id: string): number {
    return shardFor(this.#hasher, id, this.#config.shardCount);
  }

  /** The owner of `shard` on `capability`; MESH_ERR_NO_NODES when no live node has it. */
  owner(capability: string, shard: number): string {
    const owner = this.tables.ownerOf(shard, capability);
    if (owner === undefined) {
      throw new MeshError("MESH_ERR_NO_NODES", `no live node has the capability "${capability}"`, {
        details: { capability },
      });
    }
    return owner;
  }

  /** Whether this node serves a call it owns: not once it is leaving. */
  servesHere(owner: string): boolean {
    return owner === this.name && !this.leaving;
  }

  addressOf(node: string): string | undefined {
    return this.#addresses.get(node);
  }

  checkShard(shard: unknown): number {
    const count = this.#config.shardCount;
    if (!Number.isInteger(shard) || (shard as number) < 0 || (shard as number) >= count) {
      throw invalidArgument("shard", `an integer in 0..${count - 1}`, shard);
    }
    return shard as number;
  }

  /** Rebuilds the tables from the link's members; wakes the calls waiting for a capability that now has a node. */
  rebuild(): TableChange {
    const self: RingMember = { name: this.name, weight: this.#config.weight, capabilities: this.#capabilities };
    const others = this.#link.ringPeers(this.name);
    const members = this.leaving ? others : [...others, self];
    this.#addresses = this.#link.callAddresses();
    const changes = this.tables.update(members);
    const newcomers = new Set<string>();
    for (const m of others) if (!this.#knownOthers.has(m.name)) newcomers.add(m.name);
    this.#knownOthers = new Set(others.map((m) => m.name));
    for (const [capability, waiters] of this.#waiters) {
      if (this.tables.nodesFor(capability).length === 0) continue;
      this.#waiters.delete(capability);
      for (const wake of waiters) wake();
    }
    return { changes, live: new Set(members.map((m) => m.name)), newcomers, others };
  }

  /**
   * Resolves when some live node has `capability`. The call's absolute deadline,
   * its signal or stop() end the wait: a timeout says that no node appeared.
   */
  nodesAppear(capability: string, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let waiters = this.#waiters.get(capability);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(capability, waiters);
      }
      const all = waiters;
      const started = this.#config.clock.now();
      const done = (error?: unknown): void => {
        all.delete(done);
        if (all.size === 0 && this.#waiters.get(capability) === all) this.#waiters.delete(capability);
        this.#deadlines.cancel(entry);
        signal?.removeEventListener("abort", onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => done(abortedError(signal as AbortSignal));
      const entry = this.#deadlines.at(deadline, () =>
        done(
          new MeshError(
            "MESH_ERR_TIMEOUT",
            `no node with the capability "${capability}" appeared within ${Math.round(deadline - started)} ms`,
            { details: { capability, timeoutMs: Math.round(deadline - started) } },
          ),
        ),
      );
      all.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Ends every wait for a node (stop()). */
  wakeAll(error: unknown): void {
    for (const waiters of [...this.#waiters.values()]) for (const wake of [...waiters]) wake(error);
  }
}
