import {
  type AdminCallRequest,
  type AdminEvent,
  type AdminInit,
  type AdminMember,
  AdminServer,
  type AdminSource,
  type AdminStats,
  CallRecorder,
  type Explanation,
  type Readiness,
  type ShardOwnership,
} from "@mesh/admin";
import type { MemberView } from "@mesh/gossip";
import { type Clock, childLogger, invalidArgument, type Logger, tickClockOf } from "@mesh/interface";
import { placementScores } from "@mesh/ring";
import { advertisedHost, CALL_ADDRESS_TAG, WEIGHT_TAG } from "./cluster-link.js";
import type { MemberEventName } from "./events.js";
import type { MeshNode } from "./mesh-node.js";

/** The gossip tag where a node advertises its admin endpoint, `host:port`. */
export const ADMIN_ADDRESS_TAG = "admin";

/** Ownership maps kept for the dashboard's capabilities (bounded: capabilities are few). */
const MAX_CACHED_CAPABILITIES = 64;

const MEMBER_EVENTS: readonly MemberEventName[] = [
  "member:joined",
  "member:suspect",
  "member:alive",
  "member:dead",
  "member:left",
];

/** Per capability: the owner of each shard when last compared, and when and why each shard last moved. */
interface ShardHistory {
  owners: (string | undefined)[];
  readonly movedAt: Float64Array;
  readonly reasons: (string | undefined)[];
}

/**
 * The admin endpoint's view of a {@link MeshNode}, through the node's public
 * API and its read-only `introspect()`. It also keeps what the node itself does
 * not: when each shard last changed owner in this node's view, and why.
 */
export class NodeAdminSource implements AdminSource {
  readonly name: string;
  readonly #node: MeshNode;
  readonly #history = new Map<string, ShardHistory>();
  readonly #listeners = new Set<(event: AdminEvent) => void>();
  #moves = 0;
  readonly #ownership = new Map<string, { key: string; value: ShardOwnership }>();
  #pendingReasons: string[] = [];
  #diffQueued = false;

  constructor(node: MeshNode) {
    this.#node = node;
    this.name = node.name;
    for (const event of MEMBER_EVENTS) {
      node.on(event, (member: MemberView) => {
        this.#emit(event, member.name, `${member.name} is ${event.slice("member:".length)}`);
        this.#queueDiff(`${event} ${member.name}`);
      });
    }
    node.on("capabilities:changed", (e) => {
      const change = [...e.added.map((c) => `+${c}`), ...e.removed.map((c) => `-${c}`)].join(" ");
      this.#emit("capabilities:changed", e.node, `${e.node}: ${change || e.capabilities.join(", ")}`);
      this.#queueDiff(`capabilities:changed ${e.node}`);
    });
    node.on("rebalance:completed", (e) =>
      this.#emit("rebalance", node.name, `${e.capability}: ${e.shardsLost} shards left, ${e.actorsMoved} actors moved`),
    );
  }

  members(): readonly AdminMember[] {
    return this.#node.members().map((m) => ({
      name: m.name,
      state: m.state,
      incarnation: m.incarnation,
      gossip: `${m.address.host}:${m.address.port}`,
      call: m.tags[CALL_ADDRESS_TAG],
      admin: m.tags[ADMIN_ADDRESS_TAG],
      capabilities: m.capabilities,
      weight: weightOf(m),
    }));
  }

  capabilities(): readonly string[] {
    return this.#node.allCapabilities();
  }

  ownership(capability: string): ShardOwnership {
    // The tables are a function of the live members' names, weights and capabilities
    // (and of this node leaving): rebuild the 4096-entry map only when those changed.
    const key = this.#tablesKey();
    const cached = this.#ownership.get(capability);
    if (cached !== undefined && cached.key === key) return cached.value;
    const value = this.#buildOwnership(capability);
    this.#ownership.set(capability, { key, value });
    if (this.#ownership.size > MAX_CACHED_CAPABILITIES)
      this.#ownership.delete(this.#ownership.keys().next().value as string);
    return value;
  }

  #tablesKey(): string {
    const live = this.#node
      .members()
      .filter((m) => m.state === "alive" || m.state === "suspect")
      .map((m) => `${m.name}/${weightOf(m)}/${m.capabilities.join(",")}`)
      .sort();
    return `${this.#node.introspect().leaving}|${this.#node.capabilities.join(",")}|${live.join(";")}`;
  }

  #buildOwnership(capability: string): ShardOwnership {
    const nodes = this.#node.nodesFor(capability);
    const index = new Map(nodes.map((name, i) => [name, i]));
    const { shardCount } = this.#node.introspect();
    const owners = new Int16Array(shardCount);
    for (let shard = 0; shard < shardCount; shard++) {
      const owner = this.#node.ownerNode(shard, capability);
      owners[shard] = owner === undefined ? -1 : (index.get(owner) ?? -1);
    }
    return { capability, nodes, owners };
  }

  explain(capability: string, id: string): Explanation {
    if (typeof capability !== "string" || capability === "") {
      throw invalidArgument("capability", "a non-empty string", capability);
    }
    const shard = this.#node.shardFor(id);
    const { shardCount, strategy } = this.#node.introspect();
    const nodes = this.#node.nodesFor(capability);
    const weights = new Map(this.#node.members().map((m) => [m.name, weightOf(m)]));
    const candidates = nodes.map((name) => ({ name, weight: weights.get(name) ?? 1 }));
    const scores = candidates.length === 0 ? [] : placementScores(shard, capability, candidates);
    const history = this.#history.get(capability);
    const movedAt = history?.movedAt[shard];
    return {
      capability,
      id,
      shard,
      shardCount,
      strategy,
      owner: this.#node.ownerNode(shard, capability),
      candidates: candidates
        .map((c, i) => ({ node: c.name, weight: c.weight, score: scores[i] as number }))
        .sort((a, b) => b.score - a.score),
      lastMovedAt: movedAt === undefined || movedAt === 0 ? undefined : movedAt,
      lastMoveReason: history?.reasons[shard],
      activeHere: this.#node.activeModules(capability, id),
    };
  }

  stats(): AdminStats {
    const stats = this.#node.stats();
    return {
      calls: stats.calls,
      casts: stats.casts,
      remoteCalls: stats.remoteCalls,
      forwarded: stats.forwarded,
      handoffsSent: stats.handoffsSent,
      handoffsReceived: stats.handoffsReceived,
      handoffTimeouts: stats.handoffTimeouts,
      rebalanceMoves: this.#moves,
      actorsByCapability: stats.actorsByCapability,
      activeActors: stats.actors.active,
      gossipDropped: this.#node.gossipDropped(),
    };
  }

  readiness(): Readiness {
    const { state, leaving, joined } = this.#node.introspect();
    if (state === "stopped") return { ready: false, reason: "stopped" };
    if (leaving || state === "stopping") return { ready: false, reason: "leaving" };
    if (!joined) return { ready: false, reason: "joining" };
    return { ready: true, reason: undefined };
  }

  subscribe(listener: (event: AdminEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async call(request: AdminCallRequest): Promise<{ node: string; response: unknown }> {
    const { pid, response } = await this.#node.call(request);
    return { node: pid.node, response };
  }

  /** Starts the shard history from the current tables (once the node has joined). */
  baseline(): void {
    for (const capability of this.#node.allCapabilities()) this.#compare(capability, undefined);
  }

  #emit(type: string, node: string | undefined, detail: string): void {
    if (this.#listeners.size === 0) return;
    const event: AdminEvent = { type, at: Date.now(), node, detail };
    for (const listener of this.#listeners) listener(event);
  }

  /** The node rebuilds its tables in a microtask after a membership event; compare after that. */
  #queueDiff(reason: string): void {
    this.#pendingReasons.push(reason);
    if (this.#diffQueued) return;
    this.#diffQueued = true;
    setImmediate(() => {
      this.#diffQueued = false;
      const reason = [...new Set(this.#pendingReasons)].join(", ");
      this.#pendingReasons = [];
      const capabilities = new Set([...this.#node.allCapabilities(), ...this.#history.keys()]);
      let moved = 0;
      for (const capability of capabilities) moved += this.#compare(capability, reason);
      if (moved > 0) this.#emit("rebalance", undefined, `${moved} shards changed owner (${reason})`);
    });
  }

  /** Records the shards of `capability` whose owner changed since the last comparison; returns how many. */
  #compare(capability: string, reason: string | undefined): number {
    const { shardCount, state } = this.#node.introspect();
    if (state === "stopped") return 0;
    let history = this.#history.get(capability);
    if (history === undefined) {
      history = { owners: [], movedAt: new Float64Array(shardCount), reasons: new Array(shardCount) };
      this.#history.set(capability, history);
      if (reason === undefined) {
        for (let shard = 0; shard < shardCount; shard++)
          history.owners[shard] = this.#node.ownerNode(shard, capability);
        return 0;
      }
    }
    const now = Date.now();
    let moved = 0;
    for (let shard = 0; shard < shardCount; shard++) {
      const owner = this.#node.ownerNode(shard, capability);
      if (owner === history.owners[shard]) continue;
      history.owners[shard] = owner;
      history.movedAt[shard] = now;
      history.reasons[shard] = reason ?? "initial";
      moved++;
    }
    this.#moves += moved;
    return moved;
  }
}

function weightOf(member: MemberView): number {
  const weight = Number(member.tags[WEIGHT_TAG] ?? "1");
  return Number.isFinite(weight) && weight > 0 ? weight : 1;
}

/** Starts `node`'s admin endpoint and hooks its call recorder; the node stops it when it stops. */
export async function startAdmin(
  node: MeshNode,
  init: AdminInit,
  logger: Logger,
  clock: Clock,
): Promise<{ readonly address: string; readonly source: NodeAdminSource; readonly server: AdminServer }> {
  const recorder = new CallRecorder(tickClockOf(clock)); // the clock the call path reads
  const source = new NodeAdminSource(node);
  const server = new AdminServer(init, { source, recorder, logger: childLogger(logger, { component: "admin" }) });
  await server.start();
  node.observe(recorder, server);
  const host = advertisedHost(server.host);
  const address = `${host.includes(":") ? `[${host}]` : host}:${server.port}`;
  return { address, source, server };
}
