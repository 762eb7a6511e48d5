import { type ActorClass, type ActorRouter, ActorRuntime, type CallResult } from "@mesh/actors";
import { type CallLocation, type CallRecorder, LOCAL, REMOTE } from "@mesh/admin";
import type { MemberView } from "@mesh/gossip";
import { invalidArgument, MeshError, throwIfAborted } from "@mesh/interface";
import type { Hasher } from "@mesh/ring";
import { EventEmitter } from "eventemitter3";
import { ActorRef } from "./actor-ref.js";
import { Attempt, CallRouter } from "./call-router.js";
import { checkCapability, validateCapabilities } from "./capability.js";
import type { ClusterLink } from "./cluster-link.js";
import { Deadlines } from "./deadlines.js";
import type { MeshNodeEvents } from "./events.js";
import { Handoffs } from "./handoffs.js";
import { Inbound } from "./inbound.js";
import type { NodeConfig } from "./node-init.js";
import { NodeCounters, type NodeStats } from "./node-stats.js";
import { forwardRuntimeEvents, membershipWiring } from "./node-wiring.js";
import { PayloadCodec } from "./payload-codec.js";
import { Placements } from "./placements.js";
import { type Request, validateRequest } from "./request.js";
import { Routing } from "./routing.js";
import { NO_TRACING, type Tracing } from "./tracing.js";

const EMPTY_CHAIN: readonly string[] = Object.freeze([]);

/**
 * A Mesh node: it hosts actors for its capabilities and routes every call for
 * `(capability, id)` to the node that owns the id's shard on that capability's
 * table, computed from this node's own view of the cluster. Create one with
 * {@link createNode}.
 *
 * The node is a façade: routing (tables, addresses, waiting for nodes), the call
 * router, handoffs, inbound serving, stats and the cluster link are components
 * with one lifecycle, started by createNode and stopped by stop().
 */
export class MeshNode extends EventEmitter<MeshNodeEvents> {
  readonly name: string;
  readonly #config: NodeConfig;
  readonly #link: ClusterLink;
  readonly #deadlines: Deadlines;
  readonly #counters = new NodeCounters();
  readonly #placements = new Placements();
  readonly #runtime: ActorRuntime;
  readonly #routing: Routing;
  readonly #handoffs: Handoffs;
  readonly #router: CallRouter;
  readonly #inbound: Inbound;
  readonly #tracing: Tracing;
  #state: "running" | "stopping" | "stopped" = "running";
  /** True once the link has started and the tables were built from its first view. */
  #joined = false;
  /** Where calls are recorded now: the admin endpoint's recorder, unless paused; undefined without one. */
  #recorder: CallRecorder | undefined;
  /** The admin endpoint's recorder, paused or not. */
  #observer: CallRecorder | undefined;
  #admin: { stop(): Promise<void> } | undefined;
  #rebuildQueued = false;
  #stopped: Promise<void> | undefined;

  /** @internal use {@link createNode} */
  constructor(config: NodeConfig, hasher: Hasher, link: ClusterLink, tracing: Tracing = NO_TRACING) {
    super();
    this.#config = config;
    this.name = config.name;
    this.#link = link;
    this.#deadlines = new Deadlines(config.clock);
    const actorRouter: ActorRouter = {
      call: (request, chain) => this.#call(request, chain),
      cast: (request, chain) => this.#cast(request, chain),
    };
    this.#runtime = new ActorRuntime(
      {
        ...(config.mailboxCapacity === undefined ? {} : { mailboxCapacity: config.mailboxCapacity }),
        ...(config.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: config.idleTimeoutMs }),
      },
      { clock: config.clock, logger: config.logger, router: actorRouter, nodeName: config.name },
    );
    const byReference = new Set<string>();
    for (const [module, actorClass] of Object.entries(config.actors)) {
      this.#runtime.register(module, actorClass);
      const own = (actorClass as { localCalls?: unknown }).localCalls;
      if (own !== undefined && own !== "copy" && own !== "reference") {
        throw invalidArgument(`actors.${module}.localCalls`, '"copy" or "reference"', own);
      }
      if ((own ?? config.localCalls) === "reference") byReference.add(module);
    }
    this.#routing = new Routing(config, hasher, link, this.#deadlines);
    const parts = { routing: this.#routing, runtime: this.#runtime, placements: this.#placements, link };
    this.#handoffs = new Handoffs(config, hasher, { ...parts, events: this, counters: this.#counters });
    this.#router = new CallRouter({
      ...parts,
      name: config.name,
      handoffs: this.#handoffs,
      deadlines: this.#deadlines,
      counters: this.#counters,
      codec: new PayloadCodec(config.maxFrameBytes),
      byReference: byReference.size === 0 ? () => false : (module) => byReference.has(module),
      tracing,
    });
    this.#tracing = tracing;
    this.#inbound = new Inbound(
      config.clock,
      config.logger,
      this.#router,
      this.#routing,
      this.#handoffs,
      config.callTimeoutMs,
      tracing,
    );
    link.listen(membershipWiring(this, link, this.#handoffs, () => this.#queueRebuild()));
    forwardRuntimeEvents(this, this.#runtime, this.#placements, this.#routing);
    this.#rebuild();
  }

  /** @internal starts serving and joins the cluster (createNode does this). */
  async start(): Promise<void> {
    await this.#link.start(this.#inbound);
    this.#rebuild();
    this.#joined = true;
  }

  /** @internal records calls into `recorder`; `admin` is stopped with the node (createNode does this). */
  observe(recorder: CallRecorder, admin: { stop(): Promise<void> }): void {
    this.#recorder = recorder;
    this.#observer = recorder;
    this.#admin = admin;
  }

  /**
   * @internal for the observability benchmark: while paused, calls are not
   * recorded (the admin endpoint keeps running), so one process measures its
   * calls with and without the recording.
   */
  pauseRecording(paused: boolean): void {
    this.#recorder = paused ? undefined : this.#observer;
  }

  /** Read-only facts for the admin endpoint: lifecycle and table parameters. */
  introspect(): {
    state: "running" | "stopping" | "stopped";
    leaving: boolean;
    /** Networked: gossip started and the tables built from it; standalone: always. */
    joined: boolean;
    shardCount: number;
    strategy: string;
  } {
    return {
      state: this.#state,
      leaving: this.#routing.leaving,
      joined: this.#joined,
      shardCount: this.#config.shardCount,
      strategy: this.#config.placement.name,
    };
  }

  /** Gossip input this node dropped, by reason (empty for a standalone node). */
  gossipDropped(): Readonly<Record<string, number>> {
    return this.#link.gossipDropped();
  }

  /** Modules under which `id` is active on this node for `capability`. */
  activeModules(capability: string, id: string): readonly string[] {
    return this.#placements.modulesOf(id, capability);
  }

  /** This node's capabilities, sorted. */
  get capabilities(): readonly string[] {
    return this.#routing.capabilities;
  }

  /** Adds capabilities to this node's set (already present ones are ignored); gossip spreads the change. */
  async registerCapabilities(capabilities: readonly string[]): Promise<void> {
    this.#assertRunning();
    const current = this.#routing.capabilities;
    const added = validateCapabilities("capabilities", capabilities).filter((c) => !current.includes(c));
    if (added.length > 0) this.#setCapabilities([...current, ...added].sort(), added, []);
  }

  /** Removes capabilities from this node's set (absent ones are ignored); their actors move to the new owners. */
  async unregisterCapabilities(capabilities: readonly string[]): Promise<void> {
    this.#assertRunning();
    const gone = new Set(validateCapabilities("capabilities", capabilities));
    const current = this.#routing.capabilities;
    const removed = current.filter((c) => gone.has(c));
    if (removed.length > 0)
      this.#setCapabilities(
        current.filter((c) => !gone.has(c)),
        [],
        removed,
      );
  }

  /** Sends `payload` to the actor on its owner node and resolves with the reply (typed `R`) and its activation. */
  call<R = unknown>(request: Request): Promise<CallResult<R>> {
    return this.#call(request, EMPTY_CHAIN) as Promise<CallResult<R>>;
  }

  /** Sends `payload` without waiting for a reply; resolves once the owner node has it. */
  cast(request: Request): Promise<void> {
    return this.#cast(request, EMPTY_CHAIN);
  }

  /** A typed reference to one actor: `call`'s payload and reply types come from the class's `handleCall`. */
  ref<A extends ActorClass>(actorClass: A, id: string, capability: string): ActorRef<A> {
    if (typeof actorClass !== "function") throw invalidArgument("actorClass", "an actor class", actorClass);
    if (typeof id !== "string" || id === "") throw invalidArgument("id", "a non-empty string", id);
    return new ActorRef(this, actorClass, id, checkCapability("capability", capability));
  }

  /** Names of the live nodes that have `capability`, sorted. */
  nodesFor(capability: string): readonly string[] {
    if (typeof capability !== "string") throw invalidArgument("capability", "a string", capability);
    return this.#routing.tables.nodesFor(capability);
  }

  /** Every capability some live node has, sorted, without duplicates. */
  allCapabilities(): readonly string[] {
    return this.#routing.tables.capabilities();
  }

  /** The shard of an actor id: xxhash32(id) mod shardCount, the same in every process. */
  shardFor(id: string): number {
    if (typeof id !== "string" || id === "") throw invalidArgument("id", "a non-empty string", id);
    return this.#routing.shardOf(id);
  }

  /** The node that owns `shard` for `capability` in this node's view, or undefined when no node has it. */
  ownerNode(shard: number, capability: string): string | undefined {
    this.#routing.checkShard(shard);
    return this.#routing.tables.ownerOf(shard, checkCapability("capability", capability));
  }

  /** Every member this node knows of, itself included (empty for a standalone node). */
  members(): readonly MemberView[] {
    return this.#link.members();
  }

  stats(): NodeStats {
    const c = this.#counters;
    return {
      name: this.name,
      capabilities: this.#routing.capabilities,
      calls: c.calls,
      casts: c.casts,
      remoteCalls: c.remoteCalls,
      forwarded: c.forwarded,
      handoffsSent: c.handoffsSent,
      handoffsReceived: c.handoffsReceived,
      handoffTimeouts: this.#handoffs.pending.timedOut,
      straysEvicted: c.straysEvicted,
      failures: { ...c.failures },
      actors: this.#runtime.stats(),
      actorsByCapability: this.#placements.counts(),
      discovery: this.#link.discoveryStats(),
      gossip: this.#link.gossipStats(),
    };
  }

  /**
   * Leaves gracefully: hands every actor to its next owner (with its state when it
   * implements snapshot/restore), leaves the cluster (others see "left"), keeps
   * serving until calls stop arriving, then deactivates what is left and closes
   * every socket. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#state = "stopping";
    this.#routing.wakeAll(new MeshError("MESH_ERR_NODE_STOPPED", `node ${this.name} is stopping`));
    const { clock, stopTimeoutMs, logger } = this.#config;
    let timer: ReturnType<typeof clock.setTimeout> | undefined;
    const gaveUp = new Promise<true>((resolve) => {
      timer = clock.setTimeout(() => resolve(true), stopTimeoutMs);
    });
    const drain = async (): Promise<void> => {
      // Route as if this node were gone: every actor moves to the node that will own it.
      this.#routing.leaving = true;
      this.#rebuild();
      await this.#handoffs.settled();
      await this.#runtime.stop();
    };
    // A handler that never settles must not keep the node from stopping.
    if ((await Promise.race([drain().then(() => false), gaveUp])) === true) {
      logger.warn("stop did not drain in time", { node: this.name, stopTimeoutMs, active: this.#runtime.activeCount });
    }
    await this.#link.leave().catch((error: unknown) => logger.warn("leave failed", { error: String(error) }));
    await Promise.race([this.#inbound.quiet(), gaveUp]);
    if (timer !== undefined) clock.clearTimeout(timer);
    await this.#link.stop();
    this.#handoffs.stop();
    this.#deadlines.clear();
    this.#inbound.closed = true;
    this.#state = "stopped";
    await this.#admin?.stop();
    this.emit("node:stopped");
  }

  #setCapabilities(next: readonly string[], added: readonly string[], removed: readonly string[]): void {
    this.#routing.capabilities = next;
    this.#link.announceCapabilities(this.#routing.capabilities);
    this.#rebuild();
    this.emit("capabilities:changed", { node: this.name, capabilities: this.#routing.capabilities, added, removed });
  }

  /** Membership events come in bursts; rebuild once per burst. */
  #queueRebuild(): void {
    if (this.#rebuildQueued) return;
    this.#rebuildQueued = true;
    queueMicrotask(() => {
      this.#rebuildQueued = false;
      if (this.#state !== "stopped") this.#rebuild();
    });
  }

  #rebuild(): void {
    this.#handoffs.tablesChanged(this.#routing.rebuild());
  }

  #assertRunning(): void {
    if (this.#state !== "running") {
      throw new MeshError("MESH_ERR_NODE_STOPPED", `node ${this.name} is stopped`, { details: { node: this.name } });
    }
  }

  /** Validates a caller's request into the attempt the router runs; the deadline is fixed here. */
  #accept(request: Request, chain: readonly string[]): Attempt {
    this.#assertRunning();
    validateRequest(request);
    throwIfAborted(request.signal);
    const timeoutMs = request.timeoutMs ?? this.#config.callTimeoutMs;
    return new Attempt(
      this.#runtime.resolveModule(request.module) ??
        (typeof request.module === "string" ? request.module : request.module.name),
      request.id,
      request.capability,
      this.#routing.shardOf(request.id),
      request.payload,
      request.initArg,
      chain,
      0,
      this.#deadlines.now() + timeoutMs,
      timeoutMs,
      request.signal,
      request.waitForNodes === true,
      undefined,
    );
  }

  /**
   * With the admin endpoint's metrics on, the outcome and duration go to the
   * recorder inside the callbacks the call has anyway: no extra promise or async
   * frame per call (an async wrapper cost ~3% of a loopback call's CPU).
   */
  #call(request: Request, chain: readonly string[]): Promise<CallResult> {
    const recorder = this.#recorder;
    const startedMs = recorder === undefined ? 0 : recorder.now();
    let attempt: Attempt;
    try {
      attempt = this.#accept(request, chain);
    } catch (error) {
      return Promise.reject(this.#failed(recorder, request, error, startedMs));
    }
    this.#counters.calls++;
    const trace = this.#tracing.call(attempt);
    attempt.trace = trace;
    return trace.settle(this.#router.route(attempt)).then(
      ([node, response]) => {
        recorder?.record(request.capability, node === this.name ? LOCAL : REMOTE, "ok", startedMs);
        return { pid: { node, module: attempt.module, id: attempt.id, shard: attempt.shard }, response };
      },
      (error: unknown) => {
        throw this.#failed(recorder, request, error, startedMs);
      },
    );
  }

  /** Counts a failed call (and records it when metrics are on); returns the error to throw. */
  #failed(recorder: CallRecorder | undefined, request: Request, error: unknown, startedMs: number): unknown {
    if (recorder !== undefined) {
      const code = error instanceof MeshError ? error.code : "UNKNOWN";
      recorder.record(String(request?.capability), this.#locationOf(request), code, startedMs);
    }
    return this.#counters.failed(error);
  }

  /** For a failed call's metrics: local when this node owns the request's actor (remote when the request is invalid). */
  #locationOf(request: Request | undefined): CallLocation {
    const { capability, id } = request ?? {};
    if (typeof capability !== "string" || capability === "" || typeof id !== "string" || id === "") return REMOTE;
    return this.#routing.tables.ownerOf(this.#routing.shardOf(id), capability) === this.name ? LOCAL : REMOTE;
  }

  async #cast(request: Request, chain: readonly string[]): Promise<void> {
    try {
      const attempt = this.#accept(request, chain);
      this.#counters.casts++;
      await this.#router.cast(attempt);
    } catch (error) {
      throw this.#counters.failed(error);
    }
  }
}
