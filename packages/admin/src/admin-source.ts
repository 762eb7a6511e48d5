/**
 * What the admin endpoint reads from a node. A node implements it over its own
 * components; the admin package never sees the node itself, so the two stay
 * independent (the node depends on this package, not the reverse).
 */

/** One member as this node sees it. */
export interface AdminMember {
  readonly name: string;
  readonly state: "alive" | "suspect" | "dead" | "left";
  readonly incarnation: number;
  /** The member's gossip address, `host:port`. */
  readonly gossip: string;
  /** The member's call endpoint, `host:port`, when it advertised one. */
  readonly call: string | undefined;
  /** The member's admin endpoint, `host:port`, when it runs one. */
  readonly admin: string | undefined;
  readonly capabilities: readonly string[];
  readonly weight: number;
}

/** Who owns each shard of one capability, in this node's view. */
export interface ShardOwnership {
  readonly capability: string;
  /** The nodes that own shards, sorted by name. */
  readonly nodes: readonly string[];
  /** Per shard, the index into `nodes` of its owner (-1: no owner). */
  readonly owners: Int16Array;
}

/** One candidate node of an explained placement. */
export interface PlacementCandidateScore {
  readonly node: string;
  readonly weight: number;
  /** The node's rendezvous score for this shard: higher wins unless the node is at its load cap. */
  readonly score: number;
}

/** "Why is this actor where it is": everything that decided its placement. */
export interface Explanation {
  readonly capability: string;
  readonly id: string;
  readonly shard: number;
  readonly shardCount: number;
  readonly strategy: string;
  /** The owner of the shard in this node's view, or undefined when no live node has the capability. */
  readonly owner: string | undefined;
  /** The candidates, best score first. */
  readonly candidates: readonly PlacementCandidateScore[];
  /** When this node saw the shard's owner change last (ms since the epoch), or undefined if it never did. */
  readonly lastMovedAt: number | undefined;
  /** What changed the membership then, e.g. "member:dead node-b". */
  readonly lastMoveReason: string | undefined;
  /** Modules under which this id is active on this node (explain asks the owner for its own list). */
  readonly activeHere: readonly string[];
}

/** Counters and gauges of this node (monotonic counters since the node started). */
export interface AdminStats {
  readonly calls: number;
  readonly casts: number;
  readonly remoteCalls: number;
  readonly forwarded: number;
  readonly handoffsSent: number;
  readonly handoffsReceived: number;
  readonly handoffTimeouts: number;
  /** Shards whose owner changed in this node's view. */
  readonly rebalanceMoves: number;
  readonly actorsByCapability: Readonly<Record<string, number>>;
  readonly activeActors: number;
  readonly gossipDropped: Readonly<Record<string, number>>;
}

/** Something that happened, as the dashboard shows it. */
export interface AdminEvent {
  /** `member:suspect`, `member:dead`, `rebalance`, `capabilities:changed`, … */
  readonly type: string;
  /** Wall-clock time, ms since the epoch. */
  readonly at: number;
  readonly node: string | undefined;
  readonly detail: string;
}

export interface Readiness {
  readonly ready: boolean;
  /** Why not, when not ready: "joining", "leaving", "stopped". */
  readonly reason: string | undefined;
}

export interface AdminCallRequest {
  readonly capability: string;
  readonly module: string;
  readonly id: string;
  readonly payload: unknown;
}

export interface AdminSource {
  /** This node's name. */
  readonly name: string;
  members(): readonly AdminMember[];
  /** Every capability some live node has, sorted. */
  capabilities(): readonly string[];
  ownership(capability: string): ShardOwnership;
  /** Throws a MeshError (MESH_ERR_INVALID_ARGUMENT) for a bad capability or id. */
  explain(capability: string, id: string): Explanation;
  stats(): AdminStats;
  readiness(): Readiness;
  /** Calls `listener` for each event until the returned function is called. */
  subscribe(listener: (event: AdminEvent) => void): () => void;
  /** Routes a call like the node's own `call` and resolves with the node that answered and the reply. */
  call(request: AdminCallRequest): Promise<{ readonly node: string; readonly response: unknown }>;
}
