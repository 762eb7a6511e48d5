import type { Clock, Logger, MeshError, Random } from "@mesh/interface";
import type { Address } from "../transport/transport.js";

/**
 * How a node finds others to join (libcluster's strategies). A strategy reports
 * gossip addresses it learns of; the membership layer joins the ones it does not
 * know yet, by a push-pull exchange. Custom strategies implement this interface.
 */
export interface DiscoveryPeer {
  readonly address: Address;
  /** The member's name when the strategy knows it (multicast does), so known members are skipped cheaply. */
  readonly name?: string;
}

export interface DiscoveryContext {
  /** This node's name and the gossip address it advertises. */
  readonly name: string;
  readonly address: Address;
  readonly onPeer: (peer: DiscoveryPeer) => void;
  /** The node's clock, randomness and logger, for strategies not given their own. */
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  /** Where a strategy reports that its source failed (a MESH_ERR_DISCOVERY_FAILED); it keeps retrying. */
  readonly onFailure?: (error: MeshError) => void;
}

export interface Discovery {
  readonly name: string;
  start(context: DiscoveryContext): Promise<void>;
  stop(): Promise<void>;
  /** Counters the node shows under `stats().discovery[name]`. */
  stats?(): object;
}
