import type { Clock, Logger, Random } from "@mesh/interface";
import type { GossipConfig } from "./config.js";
import type { GossipStats } from "./gossip-stats.js";
import type { AnsweredAddresses } from "./members/answered.js";
import type { Membership } from "./members/membership.js";
import type { Address } from "./transport/transport.js";

/** What the pieces of a gossip member (anti-entropy, metadata fetch, suspicions) share. */
export interface GossipHost {
  readonly config: GossipConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly stats: GossipStats;
  /** Addresses that answered this member's probes: the only ones its streams go to, outside joins. */
  readonly answered: AnsweredAddresses;
  /** The member table; throws MESH_ERR_NODE_STOPPED before start(). */
  readonly membership: Membership;
  isRunning(): boolean;
  /** A reliable stream request, counted in the stats. */
  request(to: Address, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
}
