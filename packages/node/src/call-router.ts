import type { Abandonable, ActorRuntime } from "@mesh/actors";
import { isMeshError, MeshError } from "@mesh/interface";
import type { IncomingCall, IncomingCast, OutgoingCall } from "./call-transport/index.js";
import type { ClusterLink } from "./cluster-link.js";
import { encodeCast } from "./control.js";
import type { Deadlines } from "./deadlines.js";
import type { Handoffs } from "./handoffs.js";
import type { NodeCounters } from "./node-stats.js";
import type { PayloadCodec } from "./payload-codec.js";
import type { Placements } from "./placements.js";
import type { Routing } from "./routing.js";
import { NO_TRACE, type Trace, type Tracing } from "./tracing.js";

/** A call is forwarded at most once while views differ; a second hop would mean the views disagree twice. */
const MAX_FORWARDS = 1;
/** What a local turn returns when the actor moved away while the call waited: the call follows it. */
const MOVED: unique symbol = Symbol("moved");

/** One call's way through the cluster, from where it was accepted to the actor that answers it. */
export class Attempt {
  constructor(
    readonly module: string,
    readonly id: string,
    readonly capability: string,
    readonly shard: number,
    readonly payload: unknown,
    readonly initArg: unknown,
    readonly chain: readonly string[],
    /** Times the call was already sent on by a node that was not its owner (or retried after a move). */
    public hops: number,
    /** Absolute, on this node's clock: fixed when the call was accepted, never extended by a hop. */
    readonly deadline: number,
    /** The timeout the caller asked for (for messages). */
    readonly timeoutMs: number,
    readonly signal: AbortSignal | undefined,
    readonly waitForNodes: boolean,
    /** The call as it arrived from another node; undefined for a call made on this node. */
    readonly incoming: IncomingCall | undefined,
  ) {}

  /** The span this call runs under on this node (mesh.call or mesh.serve); set where it was accepted. */
  trace: Trace = NO_TRACE;

  /** "Forward at most once": true (and counts the hop) if this call may be sent on once more. */
  mayForward(): boolean {
    if (!this.canForward()) return false;
    this.hops++;
    return true;
  }

  /** Whether the call may still be sent on once (without counting the hop). */
  canForward(): boolean {
    return this.hops < MAX_FORWARDS;
  }
}

/**
 * The one router loop: an {@link Attempt} resolves its owner (waiting for a node
 * when asked), runs locally or is sent to the owner, and on a moved actor or an
 * unreachable owner whose shard has moved continues only if `mayForward()`.
 * Calls made here and calls served for other nodes go through the same loop.
 */
export class CallRouter {
  readonly #name: string;
  readonly #routing: Routing;
  readonly #runtime: ActorRuntime;
  readonly #handoffs: Handoffs;
  readonly #placements: Placements;
  readonly #link: ClusterLink;
  readonly #deadlines: Deadlines;
  readonly #counters: NodeCounters;
  readonly #codec: PayloadCodec;
  /** Modules whose local calls pass payload and reply by reference (the node's or the class's choice). */
  readonly #byReference: (module: string) => boolean;
  readonly #tracing: Tracing;

  constructor(parts: {
    readonly name: string;
    readonly routing: Routing;
    readonly runtime: ActorRuntime;
    readonly handoffs: Handoffs;
    readonly placements: Placements;
    readonly link: ClusterLink;
    readonly deadlines: Deadlines;
    readonly counters: NodeCounters;
    readonly codec: PayloadCodec;
    readonly byReference: (module: string) => boolean;
    readonly tracing: Tracing;
  }) {
    this.#name = parts.name;
    this.#routing = parts.routing;
    this.#runtime = parts.runtime;
    this.#handoffs = parts.handoffs;
    this.#placements = parts.placements;
    this.#link = parts.link;
    this.#deadlines = parts.deadlines;
    this.#counters = parts.counters;
    this.#codec = parts.codec;
    this.#byReference = parts.byReference;
    this.#tracing = parts.tracing;
  }

  /**
   * Routes a call to its owner; resolves with the node that answered and the
   * reply. The common case — this node owns the actor, nothing is moving — is
   * settled without entering the loop's async frame.
   */
  route(a: Attempt): Promise<readonly [string, unknown]> {
    if (!a.waitForNodes) {
      let owner: string;
      try {
        owner = this.#routing.owner(a.capability, a.shard);
      } catch (error) {
        return Promise.reject(this.#tracing.route(a).failed(error));
      }
      // No mesh.route here: the owner is this node, found by one table lookup (the loop traces its own).
      if (this.#routing.servesHere(owner)) {
        return this.#local(a).then((reply) => (reply === MOVED ? this.#loop(a, true) : [this.#name, reply]));
      }
    }
    return this.#loop(a, false);
  }

  /** The router loop. `retry`: the previous step found the actor moved or its owner gone. */
  async #loop(a: Attempt, retry: boolean): Promise<readonly [string, unknown]> {
    const routing = this.#routing;
    for (;;) {
      const routed = this.#tracing.route(a);
      let owner: string;
      try {
        if (a.waitForNodes && routing.tables.nodesFor(a.capability).length === 0) {
          await routing.nodesAppear(a.capability, a.deadline, a.signal);
        }
        owner = routing.owner(a.capability, a.shard);
      } catch (error) {
        throw routed.failed(error);
      }
      routed.routed(owner);
      if (routing.servesHere(owner)) {
        const reply = await this.#local(a);
        if (reply !== MOVED) return [this.#name, reply];
        retry = true;
        continue;
      }
      const forwarding = a.incoming !== undefined || retry;
      if (forwarding && !a.mayForward()) {
        // A call already sent on once is served where it arrived rather than bounced again.
        if (a.incoming !== undefined && !retry) {
          const reply = await this.#local(a, false);
          // Served here for a sender whose view differs: if this node's view holds, the actor goes to its owner.
          this.#handoffs.suspectStray(a.module, a.id, a.capability);
          if (reply !== MOVED) return [this.#name, reply];
        }
        throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `the owner of ${a.module}/${a.id} is moving; retry`, {
          details: { module: a.module, id: a.id },
        });
      }
      if (a.incoming !== undefined) this.#counters.forwarded++;
      try {
        return await this.#remote(owner, a);
      } catch (error) {
        // The owner went away while the call was on its way; if this node's view has moved the shard since, follow it.
        if (!isMeshError(error, "MESH_ERR_NODE_UNREACHABLE") || routing.tables.ownerOf(a.shard, a.capability) === owner)
          throw error;
        retry = true;
      }
    }
  }

  /** Routes a cast: to the owner's runtime here, or once to the owner node. */
  async cast(a: Attempt): Promise<void> {
    const owner = this.#routing.owner(a.capability, a.shard);
    if (!this.#routing.servesHere(owner) && (a.incoming === undefined || a.mayForward())) {
      const address = this.#routing.addressOf(owner);
      if (address === undefined) {
        throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `node ${owner} cannot be reached`, {
          details: { node: owner },
        });
      }
      if (a.incoming !== undefined) this.#counters.forwarded++;
      this.#codec.checkSize(a.payload, "payload");
      const timeoutMs = a.deadline - this.#deadlines.now();
      if (timeoutMs <= 0) throw timedOut(a);
      // Sent as a call the owner acknowledges once queued: a refusal (an unknown module) reaches the caller.
      try {
        await this.#link.calls.call(address, encodeCast(this.#outgoing(a), timeoutMs));
      } catch (error) {
        if (isMeshError(error, "MESH_ERR_NODE_STOPPED")) {
          throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `node ${owner} is stopping`, { cause: error });
        }
        throw error;
      }
      return;
    }
    const ownedHere = this.#routing.servesHere(owner);
    const arriving = this.#ready(a);
    if (arriving !== undefined) {
      await arriving;
      // The shard moved on while the cast waited for its handoff: it follows the shard.
      if (ownedHere && !this.#stillOwner(a)) return this.cast(a);
    }
    this.#placements.record(a.module, a.id, a.capability);
    const copy = a.incoming === undefined && !this.#byReference(a.module);
    this.#runtime.cast(a.module, a.id, copy ? this.#codec.copy(a.payload, "payload") : a.payload, {
      initArg: copy ? this.#codec.copy(a.initArg, "initArg") : a.initArg,
      chain: a.chain,
    });
    // Served as its last hop for a sender whose view differs, as a call would be.
    if (!ownedHere) this.#handoffs.suspectStray(a.module, a.id, a.capability);
  }

  /** A cast that arrived from another node (`module` and `payload` unwrapped from an acknowledged cast). */
  castArrived(
    cast: IncomingCast,
    deadline: number,
    module: string = cast.module,
    payload: unknown = cast.payload,
  ): Promise<void> {
    const a = new Attempt(
      module,
      cast.id,
      cast.capability,
      this.#routing.shardOf(cast.id),
      payload,
      cast.initArg,
      cast.chain,
      cast.hops,
      deadline,
      0,
      undefined,
      false,
      cast as IncomingCall,
    );
    return this.cast(a);
  }

  /**
   * Before a local turn: the module must be registered here (throws), and an
   * arriving handoff of its shard is waited for (the promise; undefined, and no
   * microtask, on the hot path).
   */
  #ready(a: Attempt): Promise<void> | undefined {
    if (this.#runtime.resolveModule(a.module) === undefined) {
      throw new MeshError("MESH_ERR_UNKNOWN_MODULE", `node ${this.#name} has no actor module ${a.module}`, {
        details: { module: a.module, node: this.#name },
      });
    }
    return this.#handoffs.arriving(a.capability, a.shard);
  }

  /**
   * The local turn, under the node's own timer for a call made here (the transport
   * times calls from others). `asOwner`: this node was chosen as the owner, so
   * after waiting for an arriving handoff it checks that it still is; the shard
   * may have moved on meanwhile (views merging after a heal), and the call then
   * follows it (MOVED) instead of activating the actor on a node that no table
   * change will look at again.
   */
  #local(a: Attempt, asOwner = true): Promise<unknown> {
    const serving = this.#tracing.turn(a);
    let turn: Promise<unknown>;
    try {
      const arriving = this.#ready(a);
      turn = serving.settle(
        arriving === undefined
          ? this.#turn(a)
          : arriving.then(() => (asOwner && !this.#stillOwner(a) ? this.#moved(a) : this.#turn(a))),
      );
    } catch (error) {
      // An unknown module, or a payload the codec refuses: the same errors as from another node.
      return Promise.reject(serving.failed(error));
    }
    if (a.incoming !== undefined) return turn;
    return this.#deadlines.within(turn, a.deadline, () => timedOut(a));
  }

  /**
   * The shard moved on while the call waited: it follows the shard, or, already sent
   * on once, is served here as its last hop (and the activation is checked as a stray).
   */
  #moved(a: Attempt): Promise<unknown> {
    if (a.canForward()) return Promise.resolve(MOVED);
    const turn = this.#turn(a);
    this.#handoffs.suspectStray(a.module, a.id, a.capability);
    return turn;
  }

  #stillOwner(a: Attempt): boolean {
    const owner = this.#routing.tables.ownerOf(a.shard, a.capability);
    return owner !== undefined && this.#routing.servesHere(owner);
  }

  #turn(a: Attempt): Promise<unknown> {
    const moving = this.#handoffs.moving(a.module, a.id);
    if (moving !== undefined) return moving.then(() => MOVED);
    this.#placements.record(a.module, a.id, a.capability);
    // Calls from other nodes arrive decoded and leave encoded: only calls made here need a copy.
    const copy = a.incoming === undefined && !this.#byReference(a.module);
    const turn = this.#runtime.call(a.module, a.id, copy ? this.#codec.copy(a.payload, "payload") : a.payload, {
      initArg: copy ? this.#codec.copy(a.initArg, "initArg") : a.initArg,
      chain: a.chain,
      signal: a.signal,
      abandoned: a.incoming as Abandonable | undefined,
    });
    return turn.then(
      copy
        ? (reply) => this.#codec.copy(reply, "reply")
        : a.incoming === undefined
          ? undefined
          : (reply) => {
              this.#codec.checkSize(reply, "reply");
              return reply;
            },
      (error: unknown) => {
        // Deactivated while this call waited in the mailbox: after a rebalance the actor lives elsewhere.
        if (!isMeshError(error, "MESH_ERR_DEACTIVATED")) throw error;
        const moved = this.#handoffs.moving(a.module, a.id);
        return moved === undefined ? MOVED : moved.then(() => MOVED);
      },
    );
  }

  async #remote(owner: string, a: Attempt): Promise<readonly [string, unknown]> {
    const address = this.#routing.addressOf(owner);
    if (address === undefined) {
      throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `no call address is known for node ${owner}`, {
        details: { node: owner },
      });
    }
    // Each hop carries the time left, never the full timeout again.
    const timeoutMs = a.deadline - this.#deadlines.now();
    if (timeoutMs <= 0) throw timedOut(a);
    this.#codec.checkSize(a.payload, "payload");
    this.#counters.remoteCalls++;
    const hop = this.#tracing.send(a, owner);
    // One object literal of one shape (object spreads here cost a measurable share of a remote call).
    const request: OutgoingCall = {
      module: a.module,
      id: a.id,
      capability: a.capability,
      payload: a.payload,
      initArg: a.initArg,
      chain: a.chain,
      hops: a.hops,
      timeoutMs,
      signal: a.signal ?? a.incoming?.signal,
      traceparent: hop.traceparent,
      tracestate: hop.tracestate,
    } as OutgoingCall;
    let reply: unknown;
    try {
      reply = await hop.settle(this.#link.calls.call(address, request));
    } catch (error) {
      // The owner is stopping: for this caller, that node is unreachable (and another will own the actor).
      if (isMeshError(error, "MESH_ERR_NODE_STOPPED")) {
        throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `node ${owner} is stopping`, {
          cause: error,
          details: { node: owner },
        });
      }
      if (isMeshError(error, "MESH_ERR_UNENCODABLE") && typeof error.details?.maxFrameBytes === "number") {
        throw this.#codec.tooLarge("payload", Number(error.details.bytes));
      }
      throw error;
    }
    if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[0] !== "string") {
      throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `node ${owner} sent a reply of the wrong shape`);
    }
    return reply as [string, unknown];
  }

  #outgoing(a: Attempt) {
    return {
      module: a.module,
      id: a.id,
      capability: a.capability,
      payload: a.payload,
      initArg: a.initArg,
      chain: a.chain,
      hops: a.hops,
    };
  }
}

function timedOut(a: Attempt): MeshError {
  return new MeshError("MESH_ERR_TIMEOUT", `no reply from ${a.module}/${a.id} within ${a.timeoutMs} ms`, {
    details: { timeoutMs: a.timeoutMs },
  });
}
