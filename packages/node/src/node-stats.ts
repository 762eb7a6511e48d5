import type { ActorRuntimeStats } from "@mesh/actors";
import type { GossipStatsSnapshot } from "@mesh/gossip";
import { type ErrorCode, MeshError } from "@mesh/interface";

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
  /**
   * Activations found on this node for a shard another node owns in its view
   * (after a split healed, or a call served here while the views differed),
   * handed to that owner.
   */
  readonly straysEvicted: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly actors: ActorRuntimeStats;
  /** Local actors per capability. */
  readonly actorsByCapability: Readonly<Record<string, number>>;
  /** Each discovery strategy's counters (polls, failures by reason, peers reported), by strategy name. */
  readonly discovery: Readonly<Record<string, object>>;
  /** The gossip member's counters (membership changes, name conflicts, drops by reason); undefined alone. */
  readonly gossip: GossipStatsSnapshot | undefined;
}

/** The node's counters, shared by the components that count. */
export class NodeCounters {
  calls = 0;
  casts = 0;
  remoteCalls = 0;
  forwarded = 0;
  handoffsSent = 0;
  handoffsReceived = 0;
  straysEvicted = 0;
  readonly failures: Record<string, number> = {};

  /** Counts a failed call or cast by its code, and returns the error. */
  failed(error: unknown): unknown {
    const code: ErrorCode | "UNKNOWN" = error instanceof MeshError ? error.code : "UNKNOWN";
    this.failures[code] = (this.failures[code] ?? 0) + 1;
    return error;
  }
}
