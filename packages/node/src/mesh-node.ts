import { type Abandonable, type ActorClass, type ActorRouter, ActorRuntime, type CallResult } from "@mesh/actors";
import type { GossipStatsSnapshot, MemberView } from "@mesh/gossip";
import { abortedError, type ErrorCode, invalidArgument, isMeshError, MeshError, throwIfAborted } from "@mesh/interface";
import { type CapabilityChange, createHasher, type Hasher, type RingMember, ShardTables, shardFor } from "@mesh/ring";
import { EventEmitter } from "eventemitter3";
import { type DeadlineEntry, DeadlineQueue } from "./call-transport/deadline-queue.js";
import type { CallHandler, IncomingCall, IncomingCast } from "./call-transport/index.js";
import { ClusterLink, callAddressOf } from "./cluster-link.js";
import { HANDOFF, HANDOFF_DONE, handoffDonePayload, handoffPayload, isControl } from "./control.js";
import type { MemberEventName, MeshNodeEvents } from "./events.js";
import { type NodeConfig, type NodeInit, resolveNodeConfig, validateCapabilities } from "./node-init.js";
import { PendingHandoffs } from "./pending-handoffs.js";
import { Placements } from "./placements.js";
import { type Request, validateRequest } from "./request.js";

export interface NodeStats {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly calls: number;
  readonly casts: number;
  /** Calls this node sent to another node (it was not the owner in this node's view). */
  readonly remoteCalls: number;
  /** Calls that reached this node but belonged elsewhere, and were sent on (one hop at most). */
  readonly forwarded: number;
  /** Actors this node handed to another owner with their state, and took over from one. */
  readonly handoffsSent: number;
  readonly handoffsReceived: number;
  /** Shards taken over whose previous owner's handoff notice did not come within handoffTimeoutMs. */
  readonly handoffTimeouts: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly actors: ReturnType<ActorRuntime["stats"]>;
  /** Local actors per capability (networked nodes only; a standalone node does not track placement). */
  readonly actorsByCapability: Readonly<Record<string, number>>;
  /** The gossip member's counters (membership changes, name conflicts, drops by reason; networked nodes only). */
  readonly gossip: GossipStatsSnapshot | undefined;
}

/** What a routed call needs once validated. */
interface Routed {
  readonly module: string;
  readonly id: string;
  readonly capability: string;
  readonly shard: number;
  readonly payload: unknown;
  readonly initArg: unknown;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly waitForNodes: boolean;
  /** For calls from other nodes: tells, when a queued call's turn comes, that its caller gave up. */
  readonly abandoned: Abandonable | undefined;
}

const MEMBER_EVENTS: readonly MemberEventName[] = [
  "member:joined",
  "member:suspect",
  "member:alive",
  "member:dead",
  "member:left",
  "member:updated",
];
const EMPTY_CHAIN: readonly string[] = Object.freeze([]);

/** A call's (or a capability wait's) deadline; the queue sets `done` before it fires. */
class Deadline implements DeadlineEntry {
  done = false;
  constructor(
    readonly deadline: number,
    readonly fire: () => void,
  ) {}
}
/** A call is forwarded at most once while views differ; a second hop would mean the views disagree twice. */
const MAX_FORWARDS = 1;
/**
 * After announcing its leave, a stopping node keeps serving (forwarding) until no
 * call has reached it for this long: callers that had not heard of the leave yet
 * still get answers, and the ones that have heard send elsewhere.
 */
const LEAVE_QUIET_MS = 250;

/**
 * A Mesh node: it hosts actors for its capabilities and routes every call for
 * `(capability, id)` to the node that owns the id's shard on that capability's
 * table, computed from this node's own view of the cluster. Create one with
 * {@link createNode}.
 */
export class MeshNode extends EventEmitter<MeshNodeEvents> {
  readonly name: string;
  readonly #config: NodeConfig;
  readonly #hasher: Hasher;
  readonly #tables: ShardTables;
  /** The tables as they would be without this node: who held a shard before this node took it. */
  readonly #withoutSelf: ShardTables;
  /** Other live members in the last rebuild; one not in it is new to this node's view. */
  #knownOthers = new Set<string>();
  readonly #runtime: ActorRuntime;
  /** Every pending call deadline of this node behind one clock timer (the call transport's queue). */
  readonly #deadlines: DeadlineQueue<Deadline>;
  readonly #placements = new Placements();
  readonly #pending: PendingHandoffs;
  /** Actors being handed off: calls for them wait, then follow them to the new owner. */
  readonly #handingOff = new Map<string, Promise<void>>();
  #link: ClusterLink | undefined;
  #callAddresses = new Map<string, string>();
  #capabilities: readonly string[];
  #state: "running" | "stopping" | "stopped" = "running";
  #leaving = false;
  #rebuildQueued = false;
  /** Calls waiting for a node with a capability (`waitForNodes`), woken when the tables change. */
  readonly #nodeWaiters = new Map<string, Set<(error?: unknown) => void>>();
  /** Calls from other nodes being served now, and when the last one arrived (drives the leave drain). */
  #inbound = 0;
  #lastInboundAt = Number.NEGATIVE_INFINITY;
  #stopped: Promise<void> | undefined;
  #calls = 0;
  #casts = 0;
  #remoteCalls = 0;
  #forwarded = 0;
  #handoffsSent = 0;
  #handoffsReceived = 0;
  readonly #failures: Record<string, number> = {};

  /** @internal use {@link createNode} */
  constructor(config: NodeConfig, hasher: Hasher) {
    super();
    this.#config = config;
    this.name = config.name;
    this.#hasher = hasher;
    this.#capabilities = config.capabilities;
    this.#deadlines = new DeadlineQueue<Deadline>(config.clock, (deadline) => deadline.fire());
    this.#pending = new PendingHandoffs(config.clock, config.handoffTimeoutMs);
    this.#tables = new ShardTables({ shardCount: config.shardCount, strategy: config.placement, hasher });
    this.#withoutSelf = new ShardTables({ shardCount: config.shardCount, strategy: config.placement, hasher });
    const router: ActorRouter = {
      call: (request, chain) => this.#call(request, chain),
      cast: (request, chain) => this.#cast(request, chain),
    };
    this.#runtime = new ActorRuntime(
      {
        ...(config.mailboxCapacity === undefined ? {} : { mailboxCapacity: config.mailboxCapacity }),
        ...(config.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: config.idleTimeoutMs }),
      },
      { clock: config.clock, logger: config.logger, router, nodeName: config.name },
    );
    for (const [module, actorClass] of Object.entries(config.actors)) this.#runtime.register(module, actorClass);
    // Activation is a hot path: build the event (and hash its shard) only for a listener.
    this.#runtime.on("actor:activated", (e) => {
      if (this.listenerCount("actor:activated") > 0) this.emit("actor:activated", { pid: this.#pid(e.module, e.id) });
    });
    this.#runtime.on("actor:deactivated", (e) => {
      this.#placements.forget(e.module, e.id);
      if (this.listenerCount("actor:deactivated") > 0) {
        this.emit("actor:deactivated", { pid: this.#pid(e.module, e.id), reason: e.reason });
      }
    });
    this.#runtime.on("actor:failed", (e) =>
      this.emit("actor:failed", { pid: this.#pid(e.module, e.id), error: e.error }),
    );
    this.#rebuildTables();
  }

  /** @internal joins the cluster through `link` (createNode does this). */
  attach(link: ClusterLink): void {
    this.#link = link;
    for (const event of MEMBER_EVENTS) {
      link.gossip.on(event, (member: MemberView, ..._previous: unknown[]) => {
        if (event === "member:dead" || event === "member:left") this.#pending.forgetSender(member.name);
        // A dead member's calls in flight fail now (retryable) and its connection stops being
        // retried. A member that left is still finishing the calls it has: it closes by itself.
        const address = event === "member:dead" ? callAddressOf(member) : undefined;
        if (address !== undefined && member.name !== this.name)
          link.client.closePeer(address, `${member.name} is dead`);
        this.emit(event, member);
        this.#queueRebuild();
      });
    }
    link.gossip.on("capabilities:changed", ({ name, capabilities, previous }) => {
      if (name === this.name) return; // this node's own change was announced when it was made
      this.emit("capabilities:changed", {
        node: name,
        capabilities,
        added: capabilities.filter((c) => !previous.includes(c)),
        removed: previous.filter((c) => !capabilities.includes(c)),
      });
      this.#queueRebuild();
    });
    this.#rebuildTables();
  }

  /** This node's capabilities, sorted. */
  get capabilities(): readonly string[] {
    return this.#capabilities;
  }

  /** Adds capabilities to this node's set (already present ones are ignored); gossip spreads the change. */
  async registerCapabilities(capabilities: readonly string[]): Promise<void> {
    this.#assertRunning();
    const added = validateCapabilities("capabilities", capabilities).filter((c) => !this.#capabilities.includes(c));
    if (added.length > 0) this.#setCapabilities([...this.#capabilities, ...added].sort(), added, []);
  }

  /** Removes capabilities from this node's set (absent ones are ignored); their actors move to the new owners. */
  async unregisterCapabilities(capabilities: readonly string[]): Promise<void> {
    this.#assertRunning();
    const gone = new Set(validateCapabilities("capabilities", capabilities));
    const removed = this.#capabilities.filter((c) => gone.has(c));
    if (removed.length > 0)
      this.#setCapabilities(
        this.#capabilities.filter((c) => !gone.has(c)),
        [],
        removed,
      );
  }

  /** Sends `payload` to the actor on its owner node and resolves with the reply and the activation that gave it. */
  call(request: Request): Promise<CallResult> {
    return this.#call(request, EMPTY_CHAIN);
  }

  /** Sends `payload` without waiting for a reply; resolves once the owner node has it. */
  cast(request: Request): Promise<void> {
    return this.#cast(request, EMPTY_CHAIN);
  }

  /** Names of the live nodes that have `capability`, sorted. */
  nodesFor(capability: string): readonly string[] {
    if (typeof capability !== "string") throw invalidArgument("capability", "a string", capability);
    return this.#tables.nodesFor(capability);
  }

  /** Every capability some live node has, sorted, without duplicates. */
  allCapabilities(): readonly string[] {
    return this.#tables.capabilities();
  }

  /** The shard of an actor id: xxhash32(id) mod shardCount, the same in every process. */
  shardFor(id: string): number {
    if (typeof id !== "string" || id === "") throw invalidArgument("id", "a non-empty string", id);
    return shardFor(this.#hasher, id, this.#config.shardCount);
  }

  /** The node that owns `shard` for `capability` in this node's view, or undefined when no node has it. */
  ownerNode(shard: number, capability: string): string | undefined {
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.#config.shardCount) {
      throw invalidArgument("shard", `an integer in 0..${this.#config.shardCount - 1}`, shard);
    }
    if (typeof capability !== "string" || capability === "") {
      throw invalidArgument("capability", "a non-empty string", capability);
    }
    return this.#tables.ownerOf(shard, capability);
  }

  /** Every member this node knows of, itself included (empty for a standalone node). */
  members(): readonly MemberView[] {
    return this.#link?.gossip.members() ?? [];
  }

  stats(): NodeStats {
    return {
      name: this.name,
      capabilities: this.#capabilities,
      calls: this.#calls,
      casts: this.#casts,
      remoteCalls: this.#remoteCalls,
      forwarded: this.#forwarded,
      handoffsSent: this.#handoffsSent,
      handoffsReceived: this.#handoffsReceived,
      handoffTimeouts: this.#pending.timedOut,
      failures: { ...this.#failures },
      actors: this.#runtime.stats(),
      actorsByCapability: this.#placements.counts(),
      gossip: this.#link?.gossip.stats(),
    };
  }

  /**
   * Leaves gracefully: hands every actor to its next owner (with its state when it
   * implements snapshot/restore), leaves the cluster (others see "left"), then
   * deactivates what is left and closes every socket. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#state = "stopping";
    const stopped = new MeshError("MESH_ERR_NODE_STOPPED", `node ${this.name} is stopping`);
    for (const waiters of [...this.#nodeWaiters.values()]) for (const wake of [...waiters]) wake(stopped);
    const { clock, stopTimeoutMs, logger } = this.#config;
    let timer: ReturnType<typeof clock.setTimeout> | undefined;
    const gaveUp = new Promise<true>((resolve) => {
      timer = clock.setTimeout(() => resolve(true), stopTimeoutMs);
    });
    const drain = async (): Promise<void> => {
      if (this.#link !== undefined) {
        // Route as if this node were gone: every actor moves to the node that will own it.
        this.#leaving = true;
        this.#rebuildTables();
        await this.#handoffsSettled();
      }
      await this.#runtime.stop();
    };
    // A handler that never settles must not keep the node from stopping.
    if ((await Promise.race([drain().then(() => false), gaveUp])) === true) {
      logger.warn("stop did not drain in time", { node: this.name, stopTimeoutMs, active: this.#runtime.activeCount });
    }
    if (this.#link !== undefined) {
      await this.#link.leave().catch((error: unknown) => logger.warn("leave failed", { error: String(error) }));
      await Promise.race([this.#quiet(), gaveUp]);
    }
    if (timer !== undefined) clock.clearTimeout(timer);
    await this.#link?.stop();
    this.#pending.clear();
    this.#deadlines.clear();
    this.#state = "stopped";
    this.emit("node:stopped");
  }

  /** Resolves once no call from another node is in flight and none arrived for LEAVE_QUIET_MS. */
  async #quiet(): Promise<void> {
    const clock = this.#config.clock;
    for (;;) {
      const sinceLast = clock.now() - this.#lastInboundAt;
      if (this.#inbound === 0 && sinceLast >= LEAVE_QUIET_MS) return;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.max(10, LEAVE_QUIET_MS - sinceLast)));
    }
  }

  async #handoffsSettled(): Promise<void> {
    while (this.#handingOff.size > 0) await Promise.allSettled([...this.#handingOff.values()]);
  }

  #setCapabilities(next: readonly string[], added: readonly string[], removed: readonly string[]): void {
    this.#capabilities = Object.freeze(next);
    this.#link?.gossip.updateMetadata({ capabilities: next });
    this.#rebuildTables();
    this.emit("capabilities:changed", { node: this.name, capabilities: next, added, removed });
  }

  /** Membership events come in bursts; rebuild once per burst. */
  #queueRebuild(): void {
    if (this.#rebuildQueued) return;
    this.#rebuildQueued = true;
    queueMicrotask(() => {
      this.#rebuildQueued = false;
      if (this.#state !== "stopped") this.#rebuildTables();
    });
  }

  #rebuildTables(): void {
    const self: RingMember = { name: this.name, weight: this.#config.weight, capabilities: this.#capabilities };
    let members: RingMember[] = [self];
    const link = this.#link;
    if (link !== undefined) {
      members = link.ringMembers().filter((m) => m.name !== this.name);
      if (!this.#leaving) members.push(self);
      const addresses = new Map<string, string>();
      for (const member of link.gossip.members()) {
        const address = callAddressOf(member);
        if (address !== undefined) addresses.set(member.name, address);
      }
      this.#callAddresses = addresses;
    }
    const changes = this.#tables.update(members);
    if (link !== undefined) this.#expectFromNewcomers(members);
    for (const [capability, waiters] of this.#nodeWaiters) {
      if (this.#tables.nodesFor(capability).length === 0) continue;
      this.#nodeWaiters.delete(capability);
      for (const wake of waiters) wake();
    }
    if (link !== undefined && changes.length > 0) this.#rebalance(changes, new Set(members.map((m) => m.name)));
  }

  /**
   * A node that joins starts out owning every shard of its capabilities and, as
   * it learns of the others, keeps its share without any move from a live owner
   * in its own view. Yet the members it has just learned of may have been serving
   * those shards. So for each newcomer, the shards it would own were this node
   * not here, and that this node owns, wait for its handoff (or the timeout).
   */
  #expectFromNewcomers(members: readonly RingMember[]): void {
    const others = members.filter((m) => m.name !== this.name);
    const newcomers = new Set(others.map((m) => m.name).filter((name) => !this.#knownOthers.has(name)));
    this.#knownOthers = new Set(others.map((m) => m.name));
    if (newcomers.size === 0 || this.#leaving) return;
    this.#withoutSelf.update(others);
    for (const capability of this.#capabilities) {
      for (const shard of this.#tables.ownedShards(this.name, capability)) {
        const previous = this.#withoutSelf.ownerOf(shard, capability);
        if (previous !== undefined && newcomers.has(previous)) this.#pending.expect(capability, shard, previous);
      }
    }
  }

  /**
   * After the tables changed: shards this node lost move their actors to the new
   * owner (state included when the actor has snapshot/restore), then the new owner
   * is told the handoff is over; shards this node took from a live node wait for it.
   */
  #rebalance(changes: readonly CapabilityChange[], live: ReadonlySet<string>): void {
    for (const change of changes) {
      const lostTo = new Map<number, string | undefined>();
      for (const move of change.moves) {
        if (move.from === this.name && move.to !== this.name) lostTo.set(move.shard, move.to);
        else if (move.to === this.name && move.from !== undefined && live.has(move.from)) {
          this.#pending.expect(change.capability, move.shard, move.from);
        }
      }
      if (lostTo.size === 0) continue;
      const handoffs = new Map<string, Promise<void>[]>();
      for (const { module, id } of [...this.#placements.placedBy(change.capability)]) {
        const shard = shardFor(this.#hasher, id, this.#config.shardCount);
        if (!lostTo.has(shard)) continue;
        const to = lostTo.get(shard);
        const moving = this.#handOff(module, id, change.capability, to);
        if (to !== undefined) handoffs.set(to, [...(handoffs.get(to) ?? []), moving]);
      }
      const shardsByOwner = new Map<string, number[]>();
      for (const [shard, to] of lostTo)
        if (to !== undefined) shardsByOwner.set(to, [...(shardsByOwner.get(to) ?? []), shard]);
      for (const [to, shards] of shardsByOwner) {
        void Promise.allSettled(handoffs.get(to) ?? [])
          .then(() => this.#sendControl(to, HANDOFF_DONE, change.capability, [shards, this.name]))
          .catch((error: unknown) =>
            // The new owner stops waiting after handoffTimeoutMs anyway.
            this.#config.logger.debug("handoff-done notice not delivered", { to, error: String(error) }),
          );
      }
      this.emit("rebalance:completed", {
        capability: change.capability,
        shardsLost: lostTo.size,
        actorsMoved: [...handoffs.values()].reduce((n, list) => n + list.length, 0),
      });
    }
  }

  #handOff(module: string, id: string, capability: string, to: string | undefined): Promise<void> {
    const key = `${module}\u0000${id}`;
    const previous = this.#handingOff.get(key);
    if (previous !== undefined) return previous;
    const moving = (async () => {
      const state = await this.#runtime.deactivate(module, id, "rebalance");
      if (state === undefined || to === undefined) return;
      await this.#sendControl(to, HANDOFF, capability, [module, state, this.name], id);
      this.#handoffsSent++;
      this.emit("rebalance:handoff", { pid: this.#pid(module, id), to });
    })().catch((error: unknown) => {
      this.#config.logger.warn("handoff failed; the actor starts afresh on its new owner", {
        module,
        id,
        to,
        error: String(error),
      });
    });
    const tracked = moving.finally(() => this.#handingOff.delete(key));
    this.#handingOff.set(key, tracked);
    return tracked;
  }

  async #sendControl(to: string, module: string, capability: string, payload: unknown, id = ""): Promise<void> {
    const address = this.#callAddresses.get(to);
    const link = this.#link;
    if (address === undefined || link === undefined) return;
    await link.client.call(address, { module, id: id === "" ? module : id, capability, payload });
  }

  #assertRunning(): void {
    if (this.#state !== "running") {
      throw new MeshError("MESH_ERR_NODE_STOPPED", `node ${this.name} is stopped`, { details: { node: this.name } });
    }
  }

  #pid(module: string, id: string, node = this.name): CallResult["pid"] {
    return { node, module, id, shard: shardFor(this.#hasher, id, this.#config.shardCount) };
  }

  #moduleName(module: string | ActorClass): string {
    return this.#runtime.resolveModule(module) ?? (typeof module === "string" ? module : module.name);
  }

  /** Validates a caller's request into what routing needs. */
  #accept(request: Request): Routed {
    this.#assertRunning();
    validateRequest(request);
    throwIfAborted(request.signal);
    return {
      module: this.#moduleName(request.module),
      id: request.id,
      capability: request.capability,
      shard: shardFor(this.#hasher, request.id, this.#config.shardCount),
      payload: request.payload,
      initArg: request.initArg,
      timeoutMs: request.timeoutMs,
      signal: request.signal,
      waitForNodes: request.waitForNodes === true,
      abandoned: undefined,
    };
  }

  #owner(routed: Routed): string {
    const owner = this.#tables.ownerOf(routed.shard, routed.capability);
    if (owner === undefined) {
      throw new MeshError("MESH_ERR_NO_NODES", `no live node has the capability "${routed.capability}"`, {
        details: { capability: routed.capability },
      });
    }
    return owner;
  }

  async #call(request: Request, chain: readonly string[]): Promise<CallResult> {
    try {
      const routed = this.#accept(request);
      this.#calls++;
      const timeoutMs = routed.timeoutMs ?? this.#config.callTimeoutMs;
      return await this.#withDeadline(routed, timeoutMs, () => this.#dispatch(routed, chain, 0, timeoutMs));
    } catch (error) {
      throw this.#counted(error);
    }
  }

  /** Resolves when some live node has `capability`; the call's deadline, its signal or stop() end the wait. */
  #nodesAppear(routed: Routed, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const capability = routed.capability;
      let waiters = this.#nodeWaiters.get(capability);
      if (waiters === undefined) {
        waiters = new Set();
        this.#nodeWaiters.set(capability, waiters);
      }
      const all = waiters;
      const done = (error?: unknown): void => {
        all.delete(wake);
        if (all.size === 0 && this.#nodeWaiters.get(capability) === all) this.#nodeWaiters.delete(capability);
        this.#cancelDeadline(deadline);
        routed.signal?.removeEventListener("abort", onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const wake = (error?: unknown): void => done(error);
      const onAbort = (): void => done(abortedError(routed.signal as AbortSignal));
      // Only forgets the waiter: the caller's own deadline has rejected the call by then.
      const deadline = this.#addDeadline(timeoutMs, () =>
        done(new MeshError("MESH_ERR_NO_NODES", `no live node has the capability "${capability}"`)),
      );
      all.add(wake);
      routed.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Sends the call to its owner: this node's runtime, or the owner's call endpoint. */
  async #dispatch(routed: Routed, chain: readonly string[], hops: number, timeoutMs: number): Promise<CallResult> {
    if (routed.waitForNodes && this.#tables.nodesFor(routed.capability).length === 0)
      await this.#nodesAppear(routed, timeoutMs);
    const owner = this.#owner(routed);
    if (owner !== this.name) {
      try {
        return await this.#callRemote(owner, routed, chain, hops, timeoutMs);
      } catch (error) {
        // The owner went away while the call was on its way; if this node's view has
        // moved the shard since, the call follows it (once).
        if (
          hops === 0 &&
          isMeshError(error, "MESH_ERR_NODE_UNREACHABLE") &&
          this.#tables.ownerOf(routed.shard, routed.capability) !== owner
        ) {
          return this.#dispatch(routed, chain, hops + 1, timeoutMs);
        }
        throw error;
      }
    }
    const response = await this.#callLocal(routed, chain, hops, timeoutMs);
    return { pid: this.#pid(routed.module, routed.id), response };
  }

  /**
   * Before a local turn: the module must be registered here, and a shard this node
   * has just taken over from a live node waits for that node's handoff.
   */
  async #readyToServe(routed: Routed): Promise<void> {
    if (this.#runtime.resolveModule(routed.module) === undefined) {
      throw new MeshError("MESH_ERR_UNKNOWN_MODULE", `node ${this.name} has no actor module ${routed.module}`, {
        details: { module: routed.module, node: this.name },
      });
    }
    const waiting = this.#pending.size > 0 ? this.#pending.wait(routed.capability, routed.shard) : undefined;
    if (waiting !== undefined) await waiting;
  }

  async #callLocal(routed: Routed, chain: readonly string[], hops: number, timeoutMs: number): Promise<unknown> {
    await this.#readyToServe(routed);
    if (this.#link !== undefined) {
      const moving = this.#handingOff.size > 0 ? this.#handingOff.get(`${routed.module}\u0000${routed.id}`) : undefined;
      if (moving !== undefined) {
        await moving;
        return this.#reroute(routed, chain, hops, timeoutMs);
      }
      this.#placements.record(routed.module, routed.id, routed.capability);
    }
    try {
      return await this.#runtime.call(routed.module, routed.id, routed.payload, {
        initArg: routed.initArg,
        chain,
        signal: routed.signal,
        abandoned: routed.abandoned,
      });
    } catch (error) {
      // The actor was deactivated while this call waited in its mailbox: if that was
      // a rebalance, the actor now lives elsewhere, so the call follows it.
      if (this.#link !== undefined && isMeshError(error, "MESH_ERR_DEACTIVATED")) {
        await this.#handingOff.get(`${routed.module}\u0000${routed.id}`);
        return this.#reroute(routed, chain, hops, timeoutMs);
      }
      throw error;
    }
  }

  async #reroute(routed: Routed, chain: readonly string[], hops: number, timeoutMs: number): Promise<unknown> {
    const owner = this.#owner(routed);
    if (owner === this.name && !this.#leaving) return this.#callLocal(routed, chain, hops, timeoutMs);
    if (hops >= MAX_FORWARDS + 1) {
      throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `the owner of ${routed.module}/${routed.id} is moving; retry`, {
        details: { module: routed.module, id: routed.id },
      });
    }
    return (await this.#callRemote(owner, routed, chain, hops + 1, timeoutMs)).response;
  }

  async #callRemote(
    owner: string,
    routed: Routed,
    chain: readonly string[],
    hops: number,
    timeoutMs: number,
  ): Promise<CallResult> {
    const link = this.#link;
    const address = this.#callAddresses.get(owner);
    if (link === undefined || address === undefined) {
      throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `no call address is known for node ${owner}`, {
        details: { node: owner },
      });
    }
    this.#remoteCalls++;
    const reply = await link.client
      .call(address, {
        module: routed.module,
        id: routed.id,
        capability: routed.capability,
        payload: routed.payload,
        initArg: routed.initArg,
        chain,
        hops,
        timeoutMs,
        ...(routed.signal === undefined ? {} : { signal: routed.signal }),
      })
      .catch((error: unknown) => {
        // The owner is stopping: for this caller, that node is unreachable (and another will own the actor).
        if (isMeshError(error, "MESH_ERR_NODE_STOPPED")) {
          throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `node ${owner} is stopping`, {
            cause: error,
            details: { node: owner },
          });
        }
        throw error;
      });
    if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[0] !== "string") {
      throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `node ${owner} sent a reply of the wrong shape`);
    }
    return { pid: this.#pid(routed.module, routed.id, reply[0]), response: reply[1] };
  }

  async #cast(request: Request, chain: readonly string[]): Promise<void> {
    try {
      const routed = this.#accept(request);
      this.#casts++;
      await this.#castRouted(routed, chain, 0);
    } catch (error) {
      throw this.#counted(error);
    }
  }

  async #castRouted(routed: Routed, chain: readonly string[], hops: number): Promise<void> {
    const owner = this.#owner(routed);
    if (owner !== this.name || this.#leaving) {
      const address = this.#callAddresses.get(owner);
      if (this.#link === undefined || address === undefined || hops > MAX_FORWARDS) {
        throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `node ${owner} cannot be reached`, {
          details: { node: owner },
        });
      }
      if (hops > 0) this.#forwarded++;
      this.#link.client.cast(address, {
        module: routed.module,
        id: routed.id,
        capability: routed.capability,
        payload: routed.payload,
        initArg: routed.initArg,
        chain,
        hops,
      });
      return;
    }
    await this.#readyToServe(routed);
    if (this.#link !== undefined) {
      this.#placements.record(routed.module, routed.id, routed.capability);
    }
    this.#runtime.cast(routed.module, routed.id, routed.payload, { initArg: routed.initArg, chain });
  }

  /** Calls and casts that arrive from other nodes. */
  readonly handler: CallHandler = {
    onCall: (call) => this.#onCall(call),
    onCast: (cast) => {
      void this.#onCast(cast).catch((error: unknown) =>
        this.#config.logger.warn("a cast from another node failed", {
          module: cast.module,
          id: cast.id,
          error: String(error),
        }),
      );
    },
  };

  async #onCall(call: IncomingCall): Promise<unknown> {
    this.#inbound++;
    this.#lastInboundAt = this.#config.clock.now();
    try {
      return await this.#serve(call);
    } finally {
      this.#inbound--;
    }
  }

  async #serve(call: IncomingCall): Promise<unknown> {
    if (isControl(call.module)) return this.#onControl(call);
    if (this.#state === "stopped") throw new MeshError("MESH_ERR_NODE_STOPPED", `node ${this.name} is stopped`);
    // The transport's abandoned flag is checked when a queued turn comes; a signal
    // (an AbortController per call) is built only when the call goes on to another node.
    const routed = this.#incoming(call, undefined, call.timeoutMs, call);
    const owner = this.#owner(routed);
    if ((owner !== this.name || this.#leaving) && call.hops < MAX_FORWARDS) {
      this.#forwarded++;
      const forward = { ...routed, signal: call.signal };
      const result = await this.#callRemote(owner, forward, call.chain, call.hops + 1, call.timeoutMs);
      return [result.pid.node, result.response];
    }
    const response = await this.#callLocal(routed, call.chain, call.hops, call.timeoutMs);
    return [this.name, response];
  }

  async #onCast(cast: IncomingCast): Promise<void> {
    if (this.#state === "stopped") return;
    await this.#castRouted(this.#incoming(cast, undefined, undefined), cast.chain, cast.hops + 1);
  }

  #incoming(
    message: IncomingCast,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    abandoned?: Abandonable,
  ): Routed {
    // Same fields in the same order as #accept's: one object shape on the hot path.
    return {
      module: message.module,
      id: message.id,
      capability: message.capability,
      shard: shardFor(this.#hasher, message.id, this.#config.shardCount),
      payload: message.payload,
      initArg: message.initArg,
      timeoutMs,
      signal,
      waitForNodes: false,
      abandoned,
    };
  }

  async #onControl(call: IncomingCall): Promise<unknown> {
    if (call.module === HANDOFF) {
      const handoff = handoffPayload(call.payload);
      if (handoff === undefined) throw invalidArgument("handoff", "[module, state, from]", call.payload);
      await this.#runtime.restore(handoff.module, call.id, handoff.state);
      this.#placements.record(handoff.module, call.id, call.capability);
      this.#handoffsReceived++;
      return [this.name, null];
    }
    if (call.module === HANDOFF_DONE) {
      const done = handoffDonePayload(call.payload);
      if (done === undefined) throw invalidArgument("handoff-done", "[shards, from]", call.payload);
      this.#pending.done(call.capability, done.shards, done.from);
      return [this.name, null];
    }
    throw new MeshError("MESH_ERR_UNKNOWN_MODULE", `unknown control message ${call.module}`);
  }

  #addDeadline(delayMs: number, fire: () => void): Deadline {
    const deadline = new Deadline(this.#config.clock.now() + delayMs, fire);
    this.#deadlines.add(deadline);
    return deadline;
  }

  #cancelDeadline(deadline: Deadline): void {
    if (deadline.done) return;
    deadline.done = true;
    this.#deadlines.finished();
  }

  /** Runs `work` and rejects with MESH_ERR_TIMEOUT when the call's deadline passes first. */
  #withDeadline<T>(routed: Routed, timeoutMs: number, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = this.#addDeadline(timeoutMs, () =>
        reject(
          new MeshError("MESH_ERR_TIMEOUT", `no reply from ${routed.module}/${routed.id} within ${timeoutMs} ms`, {
            details: { timeoutMs },
          }),
        ),
      );
      work().then(
        (value) => {
          this.#cancelDeadline(deadline);
          resolve(value);
        },
        (error: unknown) => {
          this.#cancelDeadline(deadline);
          reject(error);
        },
      );
    });
  }

  #counted(error: unknown): unknown {
    const code: ErrorCode | "UNKNOWN" = error instanceof MeshError ? error.code : "UNKNOWN";
    this.#failures[code] = (this.#failures[code] ?? 0) + 1;
    return error;
  }
}

/** Starts a node in this process and, when network options are given, joins the cluster. See {@link NodeInit}. */
export async function createNode(init: NodeInit = {}): Promise<MeshNode> {
  const config = resolveNodeConfig(init);
  const node = new MeshNode(config, await createHasher());
  if (config.network !== undefined) {
    const link = await ClusterLink.start({
      name: config.name,
      capabilities: config.capabilities,
      weight: config.weight,
      network: config.network,
      clock: config.clock,
      logger: config.logger,
      handler: node.handler,
      callTimeoutMs: config.callTimeoutMs,
    });
    node.attach(link);
  }
  return node;
}
