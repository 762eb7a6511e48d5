import type { ActorRuntime } from "@mesh/actors";
import type { Logger } from "@mesh/interface";
import { type Hasher, type RingMember, ShardTables } from "@mesh/ring";
import type { ClusterLink } from "./cluster-link.js";
import { encodeHandoff, type HandoffMessage, type HandoffReceiver } from "./control.js";
import type { NodeEventSink } from "./node-events.js";
import type { NodeConfig } from "./node-init.js";
import type { NodeCounters } from "./node-stats.js";
import { PendingHandoffs } from "./pending-handoffs.js";
import type { Placements } from "./placements.js";
import type { Routing, TableChange } from "./routing.js";

/**
 * Moving actors between nodes when the tables change. On the sending side, the
 * actors of shards this node lost are deactivated (their `snapshot()` taken) and
 * their state sent to the new owner, then the new owner is told the handoff of
 * those shards is over. On the receiving side ({@link HandoffReceiver}), the
 * state is restored, and calls for shards taken over from a live node wait until
 * its handoff is over (or handoffTimeoutMs).
 */
export class Handoffs implements HandoffReceiver {
  readonly #name: string;
  readonly #config: NodeConfig;
  readonly #routing: Routing;
  readonly #runtime: ActorRuntime;
  readonly #placements: Placements;
  readonly #link: ClusterLink;
  readonly #events: NodeEventSink;
  readonly #counters: NodeCounters;
  readonly #logger: Logger;
  /** The tables as they would be without this node: who held a shard before this node took it. */
  readonly #withoutSelf: ShardTables;
  readonly pending: PendingHandoffs;
  /** Actors being handed off: calls for them wait, then follow them to the new owner. */
  readonly #moving = new Map<string, Promise<void>>();
  /** Local actors found on shards another node owns, checked again once handoffTimeoutMs has passed. */
  readonly #strays = new Map<string, { module: string; id: string; capability: string }>();
  #strayTimer: ReturnType<NodeConfig["clock"]["setTimeout"]> | undefined;

  constructor(
    config: NodeConfig,
    hasher: Hasher,
    parts: {
      readonly routing: Routing;
      readonly runtime: ActorRuntime;
      readonly placements: Placements;
      readonly link: ClusterLink;
      readonly events: NodeEventSink;
      readonly counters: NodeCounters;
    },
  ) {
    this.#name = config.name;
    this.#config = config;
    this.#routing = parts.routing;
    this.#runtime = parts.runtime;
    this.#placements = parts.placements;
    this.#link = parts.link;
    this.#events = parts.events;
    this.#counters = parts.counters;
    this.#logger = config.logger;
    this.#withoutSelf = new ShardTables({ shardCount: config.shardCount, strategy: config.placement, hasher });
    this.pending = new PendingHandoffs(config.clock, config.handoffTimeoutMs);
  }

  /** Resolves when the actor is not being moved; undefined when it is not (the hot path allocates nothing). */
  moving(module: string, id: string): Promise<void> | undefined {
    return this.#moving.size > 0 ? this.#moving.get(`${module}\u0000${id}`) : undefined;
  }

  /** Resolves when the shard's incoming handoff is over; undefined when none is pending. */
  arriving(capability: string, shard: number): Promise<void> | undefined {
    return this.pending.size > 0 ? this.pending.wait(capability, shard) : undefined;
  }

  /** After a rebuild of the tables: moves what this node lost, waits for what it took from a live node. */
  tablesChanged(change: TableChange): void {
    if (!this.#routing.leaving) this.#expectFromNewcomers(change.newcomers, change.others);
    for (const capabilityChange of change.changes) {
      const capability = capabilityChange.capability;
      const lostTo = new Map<number, string | undefined>();
      for (const move of capabilityChange.moves) {
        if (move.from === this.#name && move.to !== this.#name) lostTo.set(move.shard, move.to);
        else if (move.to === this.#name && move.from !== undefined && change.live.has(move.from)) {
          this.pending.expect(capability, move.shard, move.from);
        }
      }
      const sent = new Map<string, Promise<void>[]>();
      for (const { module, id } of [...this.#placements.placedBy(capability)]) {
        const shard = this.#routing.shardOf(id);
        if (lostTo.has(shard)) {
          const to = lostTo.get(shard);
          // A leaving node with no one to take the actor: it stops with the node ("shutdown").
          if (to === undefined && this.#routing.leaving) continue;
          const moving = this.#handOff(module, id, capability, to);
          if (to !== undefined) sent.set(to, [...(sent.get(to) ?? []), moving]);
        }
      }
      if (lostTo.size === 0) continue;
      const shardsByOwner = new Map<string, number[]>();
      for (const [shard, to] of lostTo) {
        if (to !== undefined) shardsByOwner.set(to, [...(shardsByOwner.get(to) ?? []), shard]);
      }
      for (const [to, shards] of shardsByOwner) {
        void Promise.allSettled(sent.get(to) ?? [])
          .then(() => this.#send(to, { kind: "done", capability, shards, from: this.#name }))
          .catch((error: unknown) =>
            // The new owner stops waiting after handoffTimeoutMs anyway.
            this.#logger.debug("handoff-done notice not delivered", { to, error: String(error) }),
          );
      }
      this.#events.emit("rebalance:completed", {
        capability,
        shardsLost: lostTo.size,
        actorsMoved: [...sent.values()].reduce((n, list) => n + list.length, 0),
      });
    }
    // Not only the shards of this diff: an actor activated during a split, or while the views differed.
    for (const { module, id, capability } of [...this.#placements.all()]) this.suspectStray(module, id, capability);
  }

  /**
   * The rule that keeps one activation per actor: a node keeps no activation
   * for a shard another node owns in its current view for longer than
   * handoffTimeoutMs. Checked for every local actor after each rebuild of the
   * tables (a split lets both sides activate the same actor, and the shards did
   * not move when the views merged), after a call served here as its last hop
   * and after a handoff received (in both, the sender's view named this node). The grace lets views that still
   * differ settle first: the sender may know better (a node leaving hands its
   * actors to owners that have not heard of the leave yet). An actor still not
   * ours then is handed to the owner with its state, as in a rebalance.
   */
  suspectStray(module: string, id: string, capability: string): void {
    if (!this.#isStray(module, id, capability)) return;
    this.#strays.set(`${module}\u0000${id}`, { module, id, capability });
    this.#strayTimer ??= this.#config.clock.setTimeout(() => this.#evictStrays(), this.#config.handoffTimeoutMs);
  }

  #evictStrays(): void {
    this.#strayTimer = undefined;
    const strays = [...this.#strays.values()];
    this.#strays.clear();
    for (const { module, id, capability } of strays) {
      // Deactivated meanwhile, or ours by now: nothing to move.
      if (!this.#placements.modulesOf(id, capability).includes(module)) continue;
      if (!this.#isStray(module, id, capability)) continue;
      this.#counters.straysEvicted++;
      void this.#handOff(module, id, capability, this.#routing.tables.ownerOf(this.#routing.shardOf(id), capability));
    }
  }

  #isStray(module: string, id: string, capability: string): boolean {
    if (this.#routing.leaving || this.#moving.has(`${module}\u0000${id}`)) return false;
    const owner = this.#routing.tables.ownerOf(this.#routing.shardOf(id), capability);
    return owner !== undefined && owner !== this.#name;
  }

  /** Resolves once no actor is being moved. */
  async settled(): Promise<void> {
    while (this.#moving.size > 0) await Promise.allSettled([...this.#moving.values()]);
  }

  /** The receiving side: a previous owner's message. */
  async receive(message: HandoffMessage): Promise<void> {
    if (message.kind === "done") {
      this.pending.done(message.capability, message.shards, message.from);
      return;
    }
    await this.#runtime.restore(message.module, message.id, message.state);
    this.#placements.record(message.module, message.id, message.capability);
    this.#counters.handoffsReceived++;
    // The sender's view named this node; if this node's view names another, the actor goes on to it.
    if (this.#routing.leaving) {
      // Not heard of this node's leave: at once.
      const owner = this.#routing.tables.ownerOf(this.#routing.shardOf(message.id), message.capability);
      if (owner !== undefined) void this.#handOff(message.module, message.id, message.capability, owner);
    } else {
      this.suspectStray(message.module, message.id, message.capability);
    }
  }

  /** A member died or left: nothing more will come from it. */
  senderGone(name: string): void {
    this.pending.forgetSender(name);
  }

  stop(): void {
    this.pending.clear();
    if (this.#strayTimer !== undefined) this.#config.clock.clearTimeout(this.#strayTimer);
    this.#strayTimer = undefined;
    this.#strays.clear();
  }

  /**
   * A node that joins starts out owning every shard of its capabilities and, as
   * it learns of the others, keeps its share without any move from a live owner
   * in its own view. Yet the members it has just learned of may have been serving
   * those shards. So for each newcomer, the shards it would own were this node
   * not here, and that this node owns, wait for its handoff (or the timeout).
   */
  #expectFromNewcomers(newcomers: ReadonlySet<string>, others: readonly RingMember[]): void {
    if (newcomers.size === 0) return;
    this.#withoutSelf.update(others);
    const tables = this.#routing.tables;
    for (const capability of this.#routing.capabilities) {
      for (const shard of tables.ownedShards(this.#name, capability)) {
        const previous = this.#withoutSelf.ownerOf(shard, capability);
        if (previous !== undefined && newcomers.has(previous)) this.pending.expect(capability, shard, previous);
      }
    }
  }

  #handOff(module: string, id: string, capability: string, to: string | undefined): Promise<void> {
    const key = `${module}\u0000${id}`;
    const previous = this.#moving.get(key);
    if (previous !== undefined) return previous;
    const moving = (async () => {
      const state = await this.#runtime.deactivate(module, id, "rebalance");
      if (state === undefined || to === undefined) return;
      await this.#send(to, { kind: "actor", module, id, capability, state, from: this.#name });
      this.#counters.handoffsSent++;
      this.#events.emit("rebalance:handoff", {
        pid: { node: this.#name, module, id, shard: this.#routing.shardOf(id) },
        to,
      });
    })().catch((error: unknown) => {
      this.#logger.warn("handoff failed; the actor starts afresh on its new owner", {
        module,
        id,
        to,
        error: String(error),
      });
    });
    const tracked = moving.finally(() => this.#moving.delete(key));
    this.#moving.set(key, tracked);
    return tracked;
  }

  async #send(to: string, message: HandoffMessage): Promise<void> {
    const address = this.#routing.addressOf(to);
    if (address === undefined) return;
    await this.#link.calls.call(address, encodeHandoff(message, this.#config.callTimeoutMs));
  }
}
